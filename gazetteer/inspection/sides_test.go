package inspection

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"civmap/gazetteer/inspection/inspectiontest"
	"civmap/geo"
	"civmap/internal/edit"
)

// TestSidesSample: the sample's 象山县 and 宁海县 polygons share the 象宁线's vertices exactly, so even with the
// thresholds at 1e-9 the check finds no gap and no overlap (the tri-junction wedge beside 象奉线 is cut out).
func TestSidesSample(t *testing.T) {
	line := sampleLine(t, "象宁线")
	res, err := CheckSides(geo.EPSG4550, line, sampleCounty(t, "330225"), sampleCounty(t, "330226"),
		[]orb.Geometry{sampleLine(t, "象奉线")}, SideCheckOptions{MinAreaM2: 1e-9, MinWidthM: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Gaps) != 0 || len(res.Overlaps) != 0 || res.Discarded != 0 {
		t.Fatalf("sample shared edge: gaps %+v overlaps %+v discarded %d, want none", res.Gaps, res.Overlaps, res.Discarded)
	}
	// Without cutting out 象奉线's corridor, 奉化区's wedge at the tri-junction is (wrongly) a gap: the reason for others.
	res, err = CheckSides(geo.EPSG4550, line, sampleCounty(t, "330225"), sampleCounty(t, "330226"), nil, SideCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Gaps) != 1 || res.Gaps[0].AreaM2 < 100 {
		t.Fatalf("without the neighbouring line: gaps %+v, want the tri-junction wedge", res.Gaps)
	}
}

// plantedSides is 象宁线 with the sample's two sides changed along it: a 3 m × 500 m sliver cut out of 宁海县 (right),
// at chainage 50–550 m of a long straight stretch, and a 4 m × 50 m tongue of 象山县 (left) pushed into 宁海县 at
// 100–150 m of another; gapSeg and overlapSeg are the indexes of those stretches' first vertices.
func plantedSides(t *testing.T) (line orb.LineString, left, right orb.MultiPolygon, gapSeg, overlapSeg int) {
	t.Helper()
	line = sampleLine(t, "象宁线")
	gapSeg, overlapSeg, err := inspectiontest.LongSegments(geo.EPSG4550, line, 600)
	if err != nil {
		t.Fatal(err)
	}
	ninghai := mustMP(sampleCounty(t, "330226"))
	if left, err = inspectiontest.Plant(geo.EPSG4550, line, sampleCounty(t, "330225"), ninghai, overlapSeg, 100, 150, 4); err != nil {
		t.Fatal(err)
	}
	if right, err = inspectiontest.Plant(geo.EPSG4550, line, ninghai, ninghai, gapSeg, 50, 550, 3); err != nil {
		t.Fatal(err)
	}
	return line, left, right, gapSeg, overlapSeg
}

// TestSidesPlanted: a 3 m × 500 m sliver cut out of 宁海县 is one gap of 1500 m², 3.000 m wide; a 4 m × 50 m tongue of
// 象山县 pushed into 宁海县 is one overlap of 200 m², 4.000 m wide; both at the chainages planted.
func TestSidesPlanted(t *testing.T) {
	line, left, right, g, o := plantedSides(t)
	res, err := CheckSides(geo.EPSG4550, line, left, right, []orb.Geometry{sampleLine(t, "象奉线")}, SideCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pl, _ := projectLine(geo.EPSG4550, line)
	for _, c := range []struct {
		name        string
		got         []SidePiece
		area, width float64
		from, to    float64
	}{
		{"gap", res.Gaps, 1500, 3, pl.at[g] + 50, pl.at[g] + 550},
		{"overlap", res.Overlaps, 200, 4, pl.at[o] + 100, pl.at[o] + 150},
	} {
		if len(c.got) != 1 {
			t.Fatalf("%s: got %+v, want one", c.name, c.got)
		}
		p := c.got[0]
		if math.Abs(p.AreaM2-c.area) > 0.01 || math.Abs(p.MaxWidthM-c.width) > 0.001 ||
			math.Abs(p.FromM-c.from) > 0.05 || math.Abs(p.ToM-c.to) > 0.05 {
			t.Errorf("%s: area %.3f m² width %.3f m chainage %.2f–%.2f; want %.0f m², %.3f m, %.2f–%.2f",
				c.name, p.AreaM2, p.MaxWidthM, p.FromM, p.ToM, c.area, c.width, c.from, c.to)
		}
	}
	t.Logf("gap %+v overlap %+v discarded %d", res.Gaps[0], res.Overlaps[0], res.Discarded)
	// A threshold above the sliver's width drops it; the overlap stays.
	res, err = CheckSides(geo.EPSG4550, line, left, right, []orb.Geometry{sampleLine(t, "象奉线")}, SideCheckOptions{MinWidthM: 3.5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Gaps) != 0 || len(res.Overlaps) != 1 || res.Discarded != 1 {
		t.Errorf("min width 3.5 m: gaps %d overlaps %d discarded %d; want 0, 1, 1", len(res.Gaps), len(res.Overlaps), res.Discarded)
	}
}

func mustMP(g orb.Geometry) orb.MultiPolygon { mp, _ := geo.AsMultiPolygon(g); return mp }

// TestReportSidesPlanted: with the planted polygons held by the store (象山县 as the division, 宁海县 as its
// neighbour-polygons document), a round's report finds the 1500 m² sliver and the 200 m² overlap, and its map layer
// holds both outlines with those areas.
func TestReportSidesPlanted(t *testing.T) {
	_, left, right, _, _ := plantedSides(t)
	st := newFakeStore(t)
	d := st.divs["330225"]
	d.Geometry = left
	st.divs["330225"] = d
	geom, _ := json.Marshal(geojson.NewGeometry(right))
	body, _ := json.Marshal(NeighbourPolygon{Code: "330226", Name: "宁海县", Geometry: geom})
	if _, err := st.WriteDocs(inspector(), []edit.DocWrite{{Kind: KindNeighbour, ID: "330226", Body: body}}, edit.Meta{Actor: "t"}); err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st}
	r := newRound(t, svc)
	rep, err := svc.Report(inspector(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	sd := rep.Checks.Sides
	if !sd.Run || len(sd.Gaps) != 1 || len(sd.Overlaps) != 1 || math.Abs(sd.Gaps[0].AreaM2-1500) > 0.01 ||
		math.Abs(sd.Overlaps[0].AreaM2-200) > 0.01 || math.Abs(sd.Gaps[0].MaxWidthM-3) > 0.001 {
		t.Fatalf("sides %+v", sd)
	}
	var areas []float64
	for _, f := range MapFeatures(rep) {
		if f.Layer == LayerSides {
			if _, ok := f.Geometry.(orb.Polygon); !ok {
				t.Errorf("%s: %T", f.ID, f.Geometry)
			}
			areas = append(areas, f.Properties["area_m2"].(float64))
		}
	}
	if len(areas) != 2 || math.Abs(areas[0]-1500) > 0.01 || math.Abs(areas[1]-200) > 0.01 {
		t.Errorf("map layer areas %v, want 1500 and 200 m²", areas)
	}
}
