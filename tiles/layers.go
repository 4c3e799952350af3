package tiles

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Field types of TileJSON vector_layers.
const (
	String  = "String"
	Number  = "Number"
	Boolean = "Boolean"
)

// Layer is one vector layer: its name in tiles, its zoom range (tiles outside it do not include the layer), the rule
// that thins it at low zooms (FullZoom, ClassRank; see GridRegion) and its fields with their TileJSON types.
type Layer struct {
	Name        string
	Description string
	MinZoom     int
	MaxZoom     int
	// FullZoom is the zoom from which every feature of the layer is drawn; below it the layer is thinned by the label
	// grid (Thinned, GridRegion). FullZoom <= MinZoom: the layer is never thinned.
	FullZoom int
	// ClassRank ranks classes (place category, facility type) in the label grid: a cell keeps lower ranks first, and
	// classes not listed come after every listed one (ClassRankOf).
	ClassRank map[string]int
	Fields    map[string]string
}

// Layers is the registry of the county's layers, in drawing order (bottom first). Every store serves exactly these
// layers with exactly these fields:
//
//	divisions       county and township polygons, and one label Point per division (property label_point = true)
//	places          place-name records (not abolished ones), and one label Point per area place (label_point = true)
//	boundary_lines  county boundary lines (界线)
//	markers         boundary markers (界桩)
//	facilities      eldercare, meal and service facilities
//	demand          village-level units with their elderly population
//
// Only places and facilities are thinned (FullZoom > MinZoom); the other layers hold hundreds of features and are
// drawn whole at every zoom of their range. The PostGIS store relies on that: only those two tables have the grid
// columns (grid_x, grid_y: Anchor; places also size_zoom: SizeZoom).
var Layers = []Layer{
	{Name: "divisions", Description: "县、乡镇（街道）界与注记点", MinZoom: 0, MaxZoom: 22, Fields: map[string]string{
		"code": String, "name": String, "level": String, "kind": String, "parent_code": String, "label_point": Boolean}},
	{Name: "demand", Description: "村（社区）老年人口", MinZoom: 8, MaxZoom: 22, Fields: map[string]string{
		"code": String, "name": String, "township_code": String, "elderly_population": Number}},
	{Name: "boundary_lines", Description: "行政区域界线", MinZoom: 0, MaxZoom: 22, Fields: map[string]string{
		"id": String, "name": String, "left_code": String, "right_code": String, "right_name": String}},
	{Name: "markers", Description: "界桩", MinZoom: 9, MaxZoom: 22, Fields: map[string]string{
		"number": String, "line_id": String, "type": String, "pair_letter": String, "material": String, "registered_year": Number}},
	{Name: "places", Description: "地名", MinZoom: 8, MaxZoom: 22, FullZoom: 13,
		ClassRank: map[string]int{"hospital": 1, "school": 2}, Fields: map[string]string{
			"id": String, "name": String, "pinyin": String, "category": String, "status": String, "heritage": Boolean,
			"division_code": String, "label_point": Boolean}},
	{Name: "facilities", Description: "养老、助餐与社区服务设施", MinZoom: 8, MaxZoom: 22, FullZoom: 11,
		ClassRank: map[string]int{"nursing_home": 1, "home_care_center": 1, "service_complex": 1, "kangyang_union": 1,
			"canteen": 2}, Fields: map[string]string{
			"id": String, "name": String, "type": String, "status": String, "township_code": String, "capacity_beds": Number,
			"capacity_meals_per_day": Number, "smart_terminal": Boolean}},
}

// LayerByName returns the registered layer with that name.
func LayerByName(name string) (Layer, bool) {
	for _, l := range Layers {
		if l.Name == name {
			return l, true
		}
	}
	return Layer{}, false
}

// MaxTileID is 2^53−1, the largest MVT feature id a store may allocate: MVT ids are uint64, but MapLibre (JavaScript)
// holds them as doubles, so larger ids lose precision.
const MaxTileID = 1<<53 - 1

// LabelID is the feature id of a division's label point: the store allocates the divisions layer's ids two at a time,
// the polygon the odd id and the label point the next (even) one, so the two never collide within the layer.
func LabelID(divisionID uint64) uint64 { return divisionID + 1 }

// The label grid: how a thinned layer (places, facilities) is thinned below its FullZoom, the way OpenMapTiles ranks
// POIs (row_number() OVER (PARTITION BY a label-grid cell ORDER BY rank)). At zoom z the world is cut by a grid
// aligned with the z tile grid, GridCells × GridCells cells per tile, and
//
//   - a feature whose bound spans a cell (SizeZoom <= z: big polygons and lines) is drawn whatever the density;
//   - every other feature, points included, belongs to the one cell that holds its Anchor (the Web Mercator centre of
//     its bound), and each cell keeps its CellLimit features of least (ClassRankOf(class), tile id); the rest are
//     left out at that zoom.
//
// The rule reads the features alone, never the tile: a feature is kept or dropped in every tile that draws it, as long
// as the tile ranks each cell over all its members — GridRegion gives the cells and the search bound for that. Sparse
// data is drawn whole (the sample's densest cell at z9 holds 21 facilities); dense data is held to CellLimit features
// per cell, at most GridCells²·CellLimit = 8,192 small features anchored in a tile.
const (
	// GridCells is the label grid's cells per tile side: a cell is 256 of a tile's 4096 units (32 px on a 512 px
	// tile).
	GridCells = 1 << gridCellBits
	// CellLimit is how many small features a cell keeps.
	CellLimit = 32
	// AnchorBits is the resolution of Anchor: 2^AnchorBits units per side of the Web Mercator world (0.15 m at the
	// equator), so a cell at zoom z is AnchorBits − z − log2(GridCells) bits of it, for z up to 24.
	AnchorBits = 28

	gridCellBits = 4
)

// Thinned reports whether the label grid thins the layer at zoom: FullZoom > MinZoom and zoom < FullZoom.
func (l Layer) Thinned(zoom int) bool { return l.FullZoom > l.MinZoom && zoom < l.FullZoom }

// UnlistedClassRank is ClassRankOf of a class that ClassRank does not list: after every listed one.
const UnlistedClassRank = math.MaxInt16

// ClassRankOf is the rank of class in the label grid: ClassRank's value, or 32767 (after every listed class).
func (l Layer) ClassRankOf(class string) int {
	if r, ok := l.ClassRank[class]; ok {
		return r
	}
	return UnlistedClassRank
}

// Anchor is the point by which the label grid places a feature with that lon/lat bound: the centre of the bound in
// Web Mercator, as integer coordinates 0 … 2^AnchorBits−1 from the world's north-west corner (x east, y south).
// Both stores read the cell of a feature from these integers (the PostGIS store keeps them in grid_x and grid_y,
// computed here at every write), so they never disagree about a feature on a cell edge.
func Anchor(b orb.Bound) (x, y int32) {
	x0, y1 := worldXY(b.Min)
	x1, y0 := worldXY(b.Max)
	q := func(v float64) int32 {
		return int32(min(max(math.Floor(v*(1<<AnchorBits)), 0), 1<<AnchorBits-1))
	}
	return q((x0 + x1) / 2), q((y0 + y1) / 2)
}

// NeverBig is SizeZoom of a point: no zoom draws it whatever the density.
const NeverBig = math.MaxInt16

// SizeZoom is the least zoom at which bound (lon/lat degrees) spans a label-grid cell, 1/GridCells of a tile's width
// or height in Web Mercator — from there the feature is drawn whatever the density. NeverBig for a point; at most
// NeverBig.
func SizeZoom(b orb.Bound) int {
	x0, y0 := worldXY(b.Min)
	x1, y1 := worldXY(b.Max)
	s := math.Max(math.Abs(x1-x0), math.Abs(y1-y0))
	if !(s > 0) {
		return NeverBig
	}
	// A tile at zoom z is 2^−z of the world: big when s ≥ 2^−z / GridCells.
	z := math.Ceil(-math.Log2(s * GridCells))
	if z < 0 {
		return 0
	}
	return int(min(z, NeverBig))
}

// GridItem is what the label grid reads of one small feature: its Anchor, its ClassRankOf and its tile id.
type GridItem struct {
	X, Y  int32
	Class int
	ID    uint64
}

// GridRegion is the part of the label grid that a tile ranks at a zoom: the cells [MinX, MaxX] × [MinY, MaxY]
// (a feature's cell is its Anchor >> Shift), and Bound, a lon/lat bound that meets the bound of every feature anchored
// in them.
type GridRegion struct {
	Zoom                   int
	Shift                  int
	MinX, MinY, MaxX, MaxY int32
	Bound                  orb.Bound
}

// RankRegion is the GridRegion at zoom (0 … 24) of the tile whose candidate bound is bound (lon/lat degrees,
// BufferedBound): the cells within 5/8 of a cell of it. A feature smaller than a cell (SizeZoom > zoom) whose bound
// meets bound has its anchor within half a cell of bound, so its cell is in the region (1/8 is margin for rounding); a
// tile ranks every member of those cells — the features whose bound meets Bound and whose anchor is in a region
// cell — and then draws those kept that meet bound.
func RankRegion(bound orb.Bound, zoom int) GridRegion {
	n := float64(uint64(GridCells) << zoom) // cells per world side
	x0, y1 := worldXY(bound.Min)
	x1, y0 := worldXY(bound.Max)
	cell := func(v float64) int32 { return int32(min(max(math.Floor(v), 0), n-1)) }
	r := GridRegion{Zoom: zoom, Shift: AnchorBits - gridCellBits - zoom,
		MinX: cell(x0*n - 5.0/8), MaxX: cell(x1*n + 5.0/8), MinY: cell(y0*n - 5.0/8), MaxY: cell(y1*n + 5.0/8)}
	const m = 1.0 / 8
	nw := worldLonLat((float64(r.MinX)-m)/n, (float64(r.MinY)-m)/n)
	se := worldLonLat((float64(r.MaxX)+1+m)/n, (float64(r.MaxY)+1+m)/n)
	r.Bound = orb.Bound{Min: orb.Point{nw[0], se[1]}, Max: orb.Point{se[0], nw[1]}}
	return r
}

// Cell is the cell at r.Zoom of the anchor x, y, and whether it is one of r's.
func (r GridRegion) Cell(x, y int32) (cx, cy int32, in bool) {
	cx, cy = x>>r.Shift, y>>r.Shift
	return cx, cy, cx >= r.MinX && cx <= r.MaxX && cy >= r.MinY && cy <= r.MaxY
}

// Keep reports which of items the label grid keeps: in each cell of r, the CellLimit items of least (Class, ID); an
// item outside r's cells is not kept. items must hold every small feature anchored in r's cells (see RankRegion).
func (r GridRegion) Keep(items []GridItem) []bool {
	type ranked struct {
		cx, cy int32
		i      int
	}
	rs := make([]ranked, 0, len(items))
	for i, it := range items {
		if cx, cy, in := r.Cell(it.X, it.Y); in {
			rs = append(rs, ranked{cx, cy, i})
		}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.cy, b.cy), cmp.Compare(a.cx, b.cx),
			cmp.Compare(items[a.i].Class, items[b.i].Class), cmp.Compare(items[a.i].ID, items[b.i].ID))
	})
	keep := make([]bool, len(items))
	n := 0
	for j, x := range rs {
		if j > 0 && (x.cx != rs[j-1].cx || x.cy != rs[j-1].cy) {
			n = 0
		}
		if n < CellLimit {
			keep[x.i] = true
		}
		n++
	}
	return keep
}
