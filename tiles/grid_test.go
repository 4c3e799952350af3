package tiles

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TestAnchorCellEdge: a point on a cell's western edge is in that cell, 10⁻⁹° west of it in the cell before, at
// every zoom the edge is one of; a polygon's anchor is its bound's Web Mercator centre.
func TestAnchorCellEdge(t *testing.T) {
	const z = 9
	cellsPerSide := GridCells << z
	k := 214*GridCells*2 + 7 // a cell edge in the county, x = k / (GridCells·2^z)
	lon := float64(k)*360/float64(cellsPerSide) - 180
	r := GridRegion{Zoom: z, Shift: AnchorBits - gridCellBits - z, MaxX: math.MaxInt32, MaxY: math.MaxInt32}
	for _, c := range []struct {
		lon  float64
		want int32
	}{{lon, int32(k)}, {lon - 1e-9, int32(k - 1)}, {lon + 1e-9, int32(k)}} {
		x, y := Anchor(orb.Point{c.lon, 29.4}.Bound())
		if cx, _, in := r.Cell(x, y); cx != c.want || !in {
			t.Errorf("lon %.17g: cell %d (in %v), want %d", c.lon, cx, in, c.want)
		}
	}
	// At z8 the same edge is inside cell (k-1)/2 or k/2: k is odd, so the edge is one of z9's only.
	r8 := GridRegion{Zoom: 8, Shift: AnchorBits - gridCellBits - 8, MaxX: math.MaxInt32, MaxY: math.MaxInt32}
	x, y := Anchor(orb.Point{lon, 29.4}.Bound())
	x2, y2 := Anchor(orb.Point{lon - 1e-9, 29.4}.Bound())
	if a, _, _ := r8.Cell(x, y); a != int32(k/2) {
		t.Errorf("z8 cell %d, want %d", a, k/2)
	}
	if a, _, _ := r8.Cell(x2, y2); a != int32(k/2) {
		t.Errorf("z8 cell west of the z9 edge %d, want %d", a, k/2)
	}
	// A tile's first cell starts on the tile's edge: the anchor of the tile's north-west corner is its cell (16X, 16Y).
	tl := maptile.New(428, 211, z)
	nw := worldLonLat(float64(tl.X)/float64(uint64(1)<<z), float64(tl.Y)/float64(uint64(1)<<z))
	x, y = Anchor(nw.Bound())
	if cx, cy, _ := r.Cell(x, y); cx != int32(tl.X*GridCells) || (cy != int32(tl.Y*GridCells) && cy != int32(tl.Y*GridCells-1)) {
		t.Errorf("tile corner in cell %d,%d, want %d,%d", cx, cy, tl.X*GridCells, tl.Y*GridCells)
	}
	// A polygon's anchor is the centre of its bound in Web Mercator (not in degrees).
	b := orb.Bound{Min: orb.Point{121.8, 29.0}, Max: orb.Point{121.9, 30.0}}
	ax, ay := Anchor(b)
	_, y0 := worldXY(b.Max)
	_, y1 := worldXY(b.Min)
	if wantY := int32(math.Floor((y0 + y1) / 2 * (1 << AnchorBits))); ay != wantY {
		t.Errorf("anchor y %d, want %d", ay, wantY)
	}
	if wantX := int32(math.Floor((121.85 + 180) / 360 * (1 << AnchorBits))); ax != wantX && ax != wantX-1 {
		t.Errorf("anchor x %d, want %d", ax, wantX)
	}
}

// TestGridKeep: a cell keeps its CellLimit items of least class rank, ties broken by the smaller tile id; another cell
// keeps its own; items outside the region are not kept.
func TestGridKeep(t *testing.T) {
	r := GridRegion{Zoom: 10, Shift: AnchorBits - gridCellBits - 10, MinX: 100, MaxX: 101, MinY: 50, MaxY: 50}
	at := func(cx, cy int32) (int32, int32) { return cx<<r.Shift + 5, cy<<r.Shift + 7 }
	var items []GridItem
	x, y := at(100, 50)
	// CellLimit+3 items of class 5 with ids 1000…, then 2 of class 1 with large ids: those two come first.
	for i := range CellLimit + 3 {
		items = append(items, GridItem{X: x, Y: y, Class: 5, ID: uint64(1000 + (i*11)%(CellLimit+3))})
	}
	items = append(items, GridItem{X: x, Y: y, Class: 1, ID: 99999}, GridItem{X: x + 1, Y: y, Class: 1, ID: 99998})
	x2, y2 := at(101, 50)
	items = append(items, GridItem{X: x2, Y: y2, Class: 9, ID: 1}, GridItem{X: x2, Y: y2, Class: 9, ID: 2})
	x3, y3 := at(102, 50)
	items = append(items, GridItem{X: x3, Y: y3, Class: 0, ID: 3}) // outside the region
	keep := r.Keep(items)
	var kept []uint64
	for i, k := range keep {
		if k {
			kept = append(kept, items[i].ID)
		}
	}
	slices.Sort(kept)
	var want []uint64
	for i := range CellLimit - 2 { // the lowest ids of class 5
		want = append(want, uint64(1000+i))
	}
	want = append(want, 1, 2, 99998, 99999)
	slices.Sort(want)
	if !slices.Equal(kept, want) {
		t.Errorf("kept %v\nwant %v", kept, want)
	}
	// The answer does not depend on the order of the items.
	rev := slices.Clone(items)
	slices.Reverse(rev)
	k2 := r.Keep(rev)
	for i := range items {
		if k2[len(items)-1-i] != keep[i] {
			t.Fatalf("item %d: kept %v in reverse order, %v in order", i, k2[len(items)-1-i], keep[i])
		}
	}
}

// TestRankRegionTileIndependent: over dense random points and small squares, what each tile draws by ranking its own
// region (RankRegion, then the members found by the region's bound) equals what ranking the whole world draws in that
// tile, at every zoom tried and also for a tile thinned at a lower zoom (the byte cap) — so neighbours agree on every
// feature they share. A region is the tile's cells plus one ring.
func TestRankRegionTileIndependent(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	type feat struct {
		b    orb.Bound
		item GridItem
		size int
	}
	var fs []feat
	area := orb.Bound{Min: orb.Point{121.5, 29.0}, Max: orb.Point{122.2, 29.6}}
	for i := range 60000 {
		p := orb.Point{area.Min[0] + rnd.Float64()*(area.Max[0]-area.Min[0]), area.Min[1] + rnd.Float64()*(area.Max[1]-area.Min[1])}
		b := p.Bound()
		if i%4 == 0 { // a square up to 0.02°: small at some zooms, big at others
			w := rnd.Float64() * 0.02
			b = orb.Bound{Min: p, Max: orb.Point{p[0] + w, p[1] + w}}
		}
		x, y := Anchor(b)
		fs = append(fs, feat{b, GridItem{X: x, Y: y, Class: rnd.IntN(3), ID: uint64(i + 1)}, SizeZoom(b)})
	}
	for _, c := range []struct{ z, zoom int }{{9, 9}, {10, 10}, {11, 11}, {12, 12}, {11, 9}} {
		world := GridRegion{Zoom: c.zoom, Shift: AnchorBits - gridCellBits - c.zoom, MaxX: math.MaxInt32, MaxY: math.MaxInt32}
		// The world ranks every small feature (big ones take no place in a cell).
		var items []GridItem
		var at []int
		for i, f := range fs {
			if f.size > c.zoom {
				items, at = append(items, f.item), append(at, i)
			}
		}
		global := make([]bool, len(fs))
		for j, k := range world.Keep(items) {
			global[at[j]] = k
		}
		drawnAll := 0
		for _, tl := range TileCover(orb.Bound{Min: orb.Point{121.7, 29.2}, Max: orb.Point{121.9, 29.4}}, c.z, c.z) {
			bb := BufferedBound(tl)
			r := RankRegion(bb, c.zoom)
			if c.z == c.zoom && (r.MinX != int32(tl.X)*GridCells-1 || r.MaxX != int32(tl.X+1)*GridCells ||
				r.MinY != int32(tl.Y)*GridCells-1 || r.MaxY != int32(tl.Y+1)*GridCells) {
				t.Errorf("%v: region x %d…%d y %d…%d", tl, r.MinX, r.MaxX, r.MinY, r.MaxY)
			}
			var idx []int
			var local []GridItem
			want, got := map[uint64]bool{}, map[uint64]bool{}
			for i, f := range fs {
				big := f.size <= c.zoom
				if f.b.Intersects(bb) && (big || global[i]) {
					want[f.item.ID] = true
				}
				if !f.b.Intersects(r.Bound) {
					continue
				}
				if big {
					if f.b.Intersects(bb) {
						got[f.item.ID] = true
					}
				} else if _, _, in := r.Cell(f.item.X, f.item.Y); in {
					idx, local = append(idx, i), append(local, f.item)
				}
			}
			for j, k := range r.Keep(local) {
				if k && fs[idx[j]].b.Intersects(bb) {
					got[fs[idx[j]].item.ID] = true
				}
			}
			n := 0
			for id := range want {
				if !got[id] {
					if n++; n <= 3 {
						t.Errorf("z%d at zoom %d %v: feature %d kept by the world, not by the tile", c.z, c.zoom, tl, id)
					}
				}
			}
			for id := range got {
				if !want[id] {
					t.Errorf("z%d at zoom %d %v: feature %d kept by the tile, not by the world", c.z, c.zoom, tl, id)
				}
			}
			drawnAll += len(got)
		}
		if drawnAll == 0 {
			t.Errorf("z%d: nothing drawn", c.z)
		}
	}
}

// TestSizeZoomAndThinned: a feature is big from the zoom at which its bound spans a cell; points never; only places
// and facilities are thinned, below their FullZoom; class ranks.
func TestSizeZoomAndThinned(t *testing.T) {
	// 0.1° of longitude is 1/3600 of the world: a cell (1/16 tile) from zoom ceil(log2(3600/16)) = 8.
	if z := SizeZoom(orb.Bound{Min: orb.Point{121.8, 29.3}, Max: orb.Point{121.9, 29.35}}); z != 8 {
		t.Errorf("0.1° polygon: size zoom %d, want 8", z)
	}
	if z := SizeZoom(orb.Bound{Min: orb.Point{121.8, 29.3}, Max: orb.Point{121.81, 29.3}}); z != 12 {
		t.Errorf("0.01° line: size zoom %d, want 12", z) // 1/36000 → ceil(log2(2250)) = 12
	}
	if z := SizeZoom(orb.Point{121.8, 29.3}.Bound()); z != NeverBig {
		t.Errorf("point: size zoom %d", z)
	}
	for _, l := range Layers {
		// A cell must be whole bits of an anchor at every thinned zoom (RankRegion's Shift ≥ 0).
		if l.FullZoom > AnchorBits-gridCellBits {
			t.Errorf("%s: FullZoom %d above %d", l.Name, l.FullZoom, AnchorBits-gridCellBits)
		}
		thin := l.Name == "places" || l.Name == "facilities"
		if l.Thinned(l.FullZoom-1) != thin || l.Thinned(l.FullZoom) || l.Thinned(22) {
			t.Errorf("%s: thinned at %d: %v, at %d: %v", l.Name, l.FullZoom-1, l.Thinned(l.FullZoom-1), l.FullZoom,
				l.Thinned(l.FullZoom))
		}
	}
	places, _ := LayerByName("places")
	if h, s, o := places.ClassRankOf("hospital"), places.ClassRankOf("school"), places.ClassRankOf("road"); !(h < s && s < o) {
		t.Errorf("class ranks hospital %d, school %d, road %d", h, s, o)
	}
}
