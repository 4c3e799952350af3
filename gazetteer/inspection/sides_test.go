package inspection

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"civmap/geo"
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

// plant inserts a rectangle of depth d metres (into the neighbour, 宁海县) from chainage a to b along segment seg of
// the line into polygon g's ring that runs along that segment: on the neighbour's ring it cuts the rectangle out (a
// gap), on the county's ring it adds it (an overlap). Positions are built in EPSG:4550 and converted back to lon/lat.
func plant(t *testing.T, line orb.LineString, g orb.Geometry, seg int, a, b, d float64) orb.MultiPolygon {
	t.Helper()
	mp, _ := geo.AsMultiPolygon(g)
	mp = mp.Clone()
	p0, _ := project(geo.EPSG4550, line[seg])
	p1, _ := project(geo.EPSG4550, line[seg+1])
	dir := p1.sub(p0).scale(1 / p1.sub(p0).norm())
	n := xy{-dir.y, dir.x}
	mid, _ := geo.ToLonLat(geo.EPSG4550, lerp(p0, p1, 0.5).add(n.scale(10)).x, lerp(p0, p1, 0.5).add(n.scale(10)).y)
	if !planar.MultiPolygonContains(orb.MultiPolygon(mustMP(sampleCounty(t, "330226"))), mid) {
		n = n.scale(-1) // n points into 宁海县
	}
	ll := func(q xy) orb.Point {
		p, err := geo.ToLonLat(geo.EPSG4550, q.x, q.y)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pa, pb := p0.add(dir.scale(a)), p0.add(dir.scale(b))
	ins := []orb.Point{ll(pa), ll(pa.add(n.scale(d))), ll(pb.add(n.scale(d))), ll(pb)}
	for pi, poly := range mp {
		r := poly[0]
		for i := 0; i+1 < len(r); i++ {
			var seq []orb.Point
			switch {
			case r[i] == line[seg] && r[i+1] == line[seg+1]:
				seq = ins
			case r[i] == line[seg+1] && r[i+1] == line[seg]:
				seq = []orb.Point{ins[3], ins[2], ins[1], ins[0]}
			default:
				continue
			}
			nr := append(append(append(orb.Ring{}, r[:i+1]...), seq...), r[i+1:]...)
			mp[pi][0] = nr
			return mp
		}
	}
	t.Fatalf("no ring edge along segment %d", seg)
	return nil
}

func mustMP(g orb.Geometry) orb.MultiPolygon { mp, _ := geo.AsMultiPolygon(g); return mp }

// longSegments returns the indexes of two segments of the line at least 600 m long, far apart.
func longSegments(t *testing.T, line orb.LineString) (int, int) {
	var segs []int
	for i := 0; i+1 < len(line); i++ {
		p0, _ := project(geo.EPSG4550, line[i])
		p1, _ := project(geo.EPSG4550, line[i+1])
		if p0.dist(p1) >= 600 && i > 2 && i < len(line)-3 {
			segs = append(segs, i)
		}
	}
	if len(segs) < 2 {
		t.Fatalf("need two long segments, have %v", segs)
	}
	return segs[0], segs[len(segs)-1]
}

// TestSidesPlanted: a 3 m × 500 m sliver cut out of 宁海县 is one gap of 1500 m², 3.000 m wide; a 4 m × 50 m tongue of
// 象山县 pushed into 宁海县 is one overlap of 200 m², 4.000 m wide; both at the chainages planted.
func TestSidesPlanted(t *testing.T) {
	line := sampleLine(t, "象宁线")
	g, o := longSegments(t, line)
	left := plant(t, line, sampleCounty(t, "330225"), o, 100, 150, 4)
	right := plant(t, line, sampleCounty(t, "330226"), g, 50, 550, 3)
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
