package tiles

import (
	"hash/fnv"
	"strconv"
)

// Field types of TileJSON vector_layers.
const (
	String  = "String"
	Number  = "Number"
	Boolean = "Boolean"
)

// Layer is one vector layer: its name in tiles, its zoom range (tiles outside it do not include the layer), the most
// features one tile may hold (FeatureCap; more are dropped in ID order and the tile says so nowhere: pick caps that
// low zooms never reach in practice), and its fields with their TileJSON types.
type Layer struct {
	Name        string
	Description string
	MinZoom     int
	MaxZoom     int
	FeatureCap  int
	Fields      map[string]string
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
var Layers = []Layer{
	{Name: "divisions", Description: "县、乡镇（街道）界与注记点", MinZoom: 0, MaxZoom: 22, FeatureCap: 5000, Fields: map[string]string{
		"code": String, "name": String, "level": String, "kind": String, "parent_code": String, "label_point": Boolean}},
	{Name: "demand", Description: "村（社区）老年人口", MinZoom: 8, MaxZoom: 22, FeatureCap: 5000, Fields: map[string]string{
		"code": String, "name": String, "township_code": String, "elderly_population": Number}},
	{Name: "boundary_lines", Description: "行政区域界线", MinZoom: 0, MaxZoom: 22, FeatureCap: 1000, Fields: map[string]string{
		"id": String, "name": String, "left_code": String, "right_code": String, "right_name": String}},
	{Name: "markers", Description: "界桩", MinZoom: 9, MaxZoom: 22, FeatureCap: 5000, Fields: map[string]string{
		"number": String, "line_id": String, "type": String, "pair_letter": String, "material": String, "registered_year": Number}},
	{Name: "places", Description: "地名", MinZoom: 8, MaxZoom: 22, FeatureCap: 10000, Fields: map[string]string{
		"id": String, "name": String, "pinyin": String, "category": String, "status": String, "heritage": Boolean,
		"division_code": String}},
	{Name: "facilities", Description: "养老、助餐与社区服务设施", MinZoom: 8, MaxZoom: 22, FeatureCap: 10000, Fields: map[string]string{
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

// maxSafeID is 2^53−1: MVT ids are uint64, but MapLibre (JavaScript) holds them as doubles, so larger ids lose precision.
const maxSafeID = 1<<53 - 1

// FeatureID maps a record's text key to the stable MVT feature id: the key itself when it is a decimal number up to
// 2^53−1 (division and village codes), else the FNV-1a 64-bit hash of its UTF-8 bytes masked to 53 bits. The text key is
// kept as a property (id, code or number), so a collision costs nothing but feature-state confusion.
func FeatureID(key string) uint64 {
	if n, err := strconv.ParseUint(key, 10, 64); err == nil && n <= maxSafeID {
		return n
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64() & maxSafeID
}
