package inspectiontiles

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/gazetteer/inspection"
)

// TestEncode: a report with a moved marker, a not-inspected one, a line finding over 2 km of the line and a gap
// becomes the three layers, in drawing order, with the verdict's colour, the displacement and the pieces' measures;
// a tile far away is empty.
func TestEncode(t *testing.T) {
	d := 1.3
	line := orb.LineString{{121.70, 29.40}, {121.70, 29.45}, {121.72, 29.50}}
	rep := inspection.Report{
		Line: inspection.LineInfo{ID: "测试线", Geometry: line},
		Markers: []inspection.MarkerRow{
			{MarkerNo: "测001", Type: "单立", Condition: "intact", Verdict: "moved", DisplacementM: &d, Registered: orb.Point{121.70, 29.41}},
			{MarkerNo: "测002", Type: "单立", Verdict: "not_inspected", Registered: orb.Point{121.70, 29.44}, StationM: 4434},
		},
		LineFindings: []inspection.LineFinding{{ID: "测试线-2023/L001", FromM: 1000, ToM: 3000, Change: "新修道路", Construction: "跨界桥"}},
		Checks: inspection.Checks{CRS: "EPSG:4550", Sides: inspection.SideResult{Gaps: []inspection.SidePiece{{Kind: "gap",
			AreaM2: 1500, MaxWidthM: 3, FromM: 2000, ToM: 2500,
			Outline: orb.Polygon{{{121.7, 29.42}, {121.7001, 29.42}, {121.7001, 29.425}, {121.7, 29.425}, {121.7, 29.42}}}}}}},
	}
	tile := maptile.At(orb.Point{121.70, 29.42}, 11)
	b, err := Encode(tile, inspection.MapFeatures(rep))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Name)
	}
	if len(ls) != 3 || names[0] != inspection.LayerSides || names[1] != inspection.LayerLineFindings || names[2] != inspection.LayerMarkers {
		t.Fatalf("layers %v, want sides, line findings, markers", names)
	}
	gap := ls[0].Features[0].Properties
	if gap["kind"] != "gap" || gap["area_m2"] != 1500.0 || gap["max_width_m"] != 3.0 {
		t.Errorf("gap %v", gap)
	}
	if _, ok := ls[0].Features[0].Geometry.(orb.Polygon); !ok {
		t.Errorf("gap geometry %T", ls[0].Features[0].Geometry)
	}
	lf := ls[1].Features[0]
	if lf.Properties["change"] != "新修道路" || lf.Properties["from_m"] != 1000.0 || lf.Properties["to_m"] != 3000.0 {
		t.Errorf("line finding %v", lf.Properties)
	}
	if _, ok := lf.Geometry.(orb.LineString); !ok {
		t.Errorf("line finding geometry %T", lf.Geometry)
	}
	m := ls[2].Features
	if len(m) != 2 || m[0].Properties["marker_no"] != "测001" || m[0].Properties["verdict"] != "moved" ||
		m[0].Properties["colour"] != "#6a1b9a" || m[0].Properties["displacement_m"] != 1.3 {
		t.Fatalf("markers %v", m[0].Properties)
	}
	if _, has := m[1].Properties["displacement_m"]; has || m[1].Properties["colour"] != "#9e9e9e" {
		t.Errorf("not inspected marker %v", m[1].Properties)
	}
	if b, err := Encode(maptile.At(orb.Point{120.5, 30.5}, 11), inspection.MapFeatures(rep)); err != nil || b != nil {
		t.Errorf("far tile: %d bytes, %v; want empty", len(b), err)
	}
}
