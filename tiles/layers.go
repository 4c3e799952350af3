package tiles

import (
	"hash/fnv"
	"math"
	"math/bits"

	"github.com/paulmach/orb"
)

// Field types of TileJSON vector_layers.
const (
	String  = "String"
	Number  = "Number"
	Boolean = "Boolean"
)

// Layer is one vector layer: its name in tiles, its zoom range (tiles outside it do not include the layer), the rule
// that thins it at low zooms (FullZoom, ClassZoom; see MinZoomOf) and its fields with their TileJSON types.
type Layer struct {
	Name        string
	Description string
	MinZoom     int
	MaxZoom     int
	// FullZoom is the zoom from which every feature of the layer is drawn; between MinZoom and FullZoom features are
	// thinned by MinZoomOf. FullZoom <= MinZoom: the layer is never thinned.
	FullZoom int
	// ClassZoom gives classes (place category, facility type) drawn from a lower zoom than their priority would give.
	ClassZoom map[string]int
	Fields    map[string]string
}

// Layers is the registry of the county's layers, in drawing order (bottom first). Every store serves exactly these
// layers with exactly these fields:
//
//	divisions       county and township polygons, and one label Point per division (property label_point = true)
//	places          place-name records (not abolished ones)
//	boundary_lines  county boundary lines (界线)
//	markers         boundary markers (界桩)
//	facilities      eldercare, meal and service facilities
//	demand          village-level units with their elderly population
//
// Only places and facilities are thinned (FullZoom > MinZoom); the other layers hold hundreds of features and are
// drawn whole at every zoom of their range. The PostGIS store relies on that: only those two tables have a min_zoom
// column.
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
		ClassZoom: map[string]int{"hospital": 10, "school": 11}, Fields: map[string]string{
			"id": String, "name": String, "pinyin": String, "category": String, "status": String, "heritage": Boolean,
			"division_code": String}},
	{Name: "facilities", Description: "养老、助餐与社区服务设施", MinZoom: 8, MaxZoom: 22, FullZoom: 11,
		ClassZoom: map[string]int{"nursing_home": 8, "home_care_center": 8, "service_complex": 8, "kangyang_union": 8,
			"canteen": 9}, Fields: map[string]string{
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

// bigFeature is the share of a tile's width (in Web Mercator) from which a feature counts as big at a zoom: a
// polygon or line whose bound spans 1/16 of a tile (256 of 4096 units) is drawn whatever its priority.
const bigFeature = 16

// MinZoomOf returns the least zoom at which a feature of layer l is drawn — the rule every store applies, so that a
// feature drawn in one tile is drawn in every tile it touches at that zoom (the rule reads the record alone, never
// the tile or its neighbours), as tippecanoe's and OpenMapTiles' per-feature minzoom:
//
//   - a stable priority from the record's text key: the key's FNV-1a 64 hash, finalised by splitmix64, has k leading
//     pairs of zero bits with probability 4^−k, and the feature is drawn from FullZoom − k. So each zoom below FullZoom
//     keeps a quarter of the features the next one has, and a tile (a quarter of the area) holds about as many as a
//     tile one zoom in;
//   - a class in ClassZoom (category, type) is drawn from that zoom if it is lower;
//   - a feature whose bound (lon/lat degrees) spans 1/16 of a tile's width at a zoom is drawn from that zoom if it is
//     lower (big polygons and lines come early);
//
// clamped to [MinZoom, FullZoom]. A layer with FullZoom <= MinZoom gives MinZoom for every feature.
func (l Layer) MinZoomOf(key, class string, bound orb.Bound) int {
	if l.FullZoom <= l.MinZoom {
		return l.MinZoom
	}
	z := l.FullZoom - min(priorityLevel(key), l.FullZoom-l.MinZoom)
	if cz, ok := l.ClassZoom[class]; ok && cz < z {
		z = cz
	}
	if sz := sizeZoom(bound); sz < z {
		z = sz
	}
	return max(z, l.MinZoom)
}

// priorityLevel is the number of leading pairs of zero bits of the key's mixed hash (0 to 32).
func priorityLevel(key string) int {
	h := fnv.New64a()
	h.Write([]byte(key))
	x := h.Sum64()
	// splitmix64's finaliser: FNV-1a's low and high bits follow the last bytes too closely for similar keys.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return bits.LeadingZeros64(x) / 2
}

// sizeZoom is the least zoom at which bound spans 1/bigFeature of a tile's width in Web Mercator (math.MaxInt for a
// point).
func sizeZoom(b orb.Bound) int {
	x0, y0 := worldXY(b.Min)
	x1, y1 := worldXY(b.Max)
	s := math.Max(math.Abs(x1-x0), math.Abs(y1-y0))
	if !(s > 0) {
		return math.MaxInt
	}
	// A tile at zoom z is 2^−z of the world: big when s ≥ 2^−z / bigFeature.
	z := math.Ceil(-math.Log2(s * bigFeature))
	if z < 0 {
		return 0
	}
	return int(z)
}

// PlaceMinZoom is MinZoomOf of a place in the places layer: key its ID, class its category, bound its geometry's.
func PlaceMinZoom(id, category string, bound orb.Bound) int {
	l, _ := LayerByName("places")
	return l.MinZoomOf(id, category, bound)
}

// FacilityMinZoom is MinZoomOf of a facility in the facilities layer: key its ID, class its type, at its location.
func FacilityMinZoom(id, typ string, loc orb.Point) int {
	l, _ := LayerByName("facilities")
	return l.MinZoomOf(id, typ, loc.Bound())
}
