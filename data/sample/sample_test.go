package sample

import (
	"testing"

	"github.com/paulmach/orb"

	"civmap/gazetteer"
	"civmap/geo"
)

func TestBatchCounts(t *testing.T) {
	b, err := Batch()
	if err != nil {
		t.Fatal(err)
	}
	levels := map[gazetteer.Level]int{}
	withGeom := map[gazetteer.Level]int{}
	for _, d := range b.Divisions {
		levels[d.Level]++
		if d.Geometry != nil {
			withGeom[d.Level]++
		}
	}
	want := map[gazetteer.Level]int{gazetteer.LevelCounty: 1, gazetteer.LevelTownship: 18, gazetteer.LevelVillage: 408}
	for l, n := range want {
		if levels[l] != n || withGeom[l] != n {
			t.Errorf("%s: %d divisions, %d with geometry; want %d", l, levels[l], withGeom[l], n)
		}
	}
	if got := []int{len(b.Places), len(b.Lines), len(b.Markers), len(b.Demand), len(b.Facilities)}; got[0] != 49 || got[1] != 3 || got[2] != 16 || got[3] != 408 || got[4] != 406 {
		t.Errorf("places, lines, markers, demand, facilities = %v; want [49 3 16 408 406]", got)
	}
	elderly := 0
	for _, d := range b.Demand {
		elderly += d.ElderlyPopulation
	}
	if elderly < 166000 || elderly > 167600 {
		t.Errorf("elderly population %d; SOURCES.md says about 166,800", elderly)
	}
	for _, d := range b.Divisions {
		if d.Level == gazetteer.LevelTownship {
			if _, ok := d.Geometry.(orb.MultiPolygon); !ok || d.Seat == nil || d.ParentCode != CountyCode {
				t.Errorf("township %s: geometry %T, seat %v, parent %q", d.Code, d.Geometry, d.Seat, d.ParentCode)
			}
		}
	}
	for _, d := range b.Divisions {
		// The county seat, 丹城 (DataV's GCJ-02 center converted): inside 丹东/丹西 street, near 121.873, 29.473.
		if d.Code == CountyCode && (d.Seat == nil || geo.Distance(*d.Seat, orb.Point{121.8727, 29.4729}) > 100) {
			t.Errorf("county seat %v", d.Seat)
		}
	}
	// 象宁001 is the triple marker at the tri-junction with 奉化区; 006A/006B a double pair 24 m apart.
	byNo := map[string]gazetteer.Marker{}
	for _, m := range b.Markers {
		byNo[m.Number] = m
		if m.LineID != "象宁线" || m.Registered.CRS != "EPSG:4550" || m.Registered.AxisOrder != "north,east" {
			t.Errorf("marker %s: line %q, registered %+v", m.Number, m.LineID, m.Registered)
		}
	}
	if m := byNo["象宁001"]; m.Type != gazetteer.MarkerTriple || m.Registered.First != 3267275.078 || m.Registered.Second != 364815.454 {
		t.Errorf("象宁001 = %+v", m)
	}
}
