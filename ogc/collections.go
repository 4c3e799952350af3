package ogc

import (
	"context"
	"sort"
	"time"

	"github.com/paulmach/orb"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/ogc/cql2"
)

// Collection ids.
const (
	Divisions     = "divisions"
	Places        = "places"
	BoundaryLines = "boundary_lines"
	Markers       = "markers"
	Facilities    = "facilities"
	Demand        = "demand"
)

// Queryable is a property a filter may name (OGC API – Features Part 3): its type and a title in Chinese.
type Queryable struct {
	Name  string
	Type  cql2.Type
	Title string
	Enum  []string // allowed values, when fixed
}

// GeometryProperty is the queryable name of every collection's geometry.
const GeometryProperty = "geometry"

// Collection describes one feature collection: its id (also the tile layer's name), titles, the property that is its
// natural key (items are ordered and paged by it, byte order), its queryables (geometry included), the dated property
// that datetime filters (empty: not dated) and the geometry type GDAL and the OpenAPI document announce.
type Collection struct {
	ID           string
	Title        string
	Description  string
	Key          string
	Queryables   []Queryable
	Temporal     string
	GeometryType string // GeoJSON type name, or "" for mixed geometries
}

// Queryable returns the queryable named name.
func (c *Collection) Queryable(name string) (Queryable, bool) {
	for _, q := range c.Queryables {
		if q.Name == name {
			return q, true
		}
	}
	return Queryable{}, false
}

// QueryableNames lists the queryables' names.
func (c *Collection) QueryableNames() []string {
	out := make([]string, len(c.Queryables))
	for i, q := range c.Queryables {
		out[i] = q.Name
	}
	return out
}

func (c *Collection) types() cql2.Queryables {
	return func(name string) (cql2.Type, bool) {
		q, ok := c.Queryable(name)
		return q.Type, ok
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var (
	str  = cql2.TypeString
	num  = cql2.TypeNumber
	boo  = cql2.TypeBoolean
	tim  = cql2.TypeTime
	geom = Queryable{Name: GeometryProperty, Type: cql2.TypeGeometry, Title: "几何"}
)

// registry is the collections in the order /ogc/collections lists them. Register adds more (the document kinds of
// later issues: inspection findings, coverage results).
var registry = []*Collection{
	{ID: Divisions, Title: "行政区划", Description: "县、乡镇（街道）、村（社区）级行政区划；level 区分层级", Key: "code",
		Queryables: []Queryable{{"code", str, "区划代码", nil}, {"name", str, "名称", nil},
			{"level", str, "层级", []string{"county", "township", "village"}}, {"kind", str, "类型", nil},
			{"parent_code", str, "上级区划代码", nil}, geom}},
	{ID: Places, Title: "地名", Description: "现行和历史地名（草稿、待审和已注销的不公开）", Key: "id", Temporal: "updated_at",
		Queryables: []Queryable{{"id", str, "地名编号", nil}, {"name", str, "标准名称", nil}, {"category", str, "类别", nil},
			{"status", str, "状态", []string{gazetteer.StatusCurrent, gazetteer.StatusHistorical}},
			{"pinyin", str, "汉语拼音", nil}, {"heritage", boo, "地名文化遗产", nil},
			{"year_established", num, "设立年份", nil}, {"version", num, "版本", nil},
			{"created_at", tim, "创建时间", nil}, {"updated_at", tim, "更新时间", nil}, geom}},
	{ID: BoundaryLines, Title: "行政区域界线", Key: "id", GeometryType: "MultiLineString",
		Queryables: []Queryable{{"id", str, "界线编号", nil}, {"name", str, "名称", nil}, {"left_code", str, "本方区划代码", nil},
			{"right_code", str, "对方区划代码", nil}, {"right_name", str, "对方名称", nil},
			{"registered_length_m", num, "登记长度（米）", nil}, geom}},
	{ID: Markers, Title: "界桩", Key: "number", GeometryType: "Point",
		Queryables: []Queryable{{"number", str, "界桩编号", nil}, {"line_id", str, "界线编号", nil},
			{"type", str, "类型", []string{gazetteer.MarkerSingle, gazetteer.MarkerDouble, gazetteer.MarkerTriple}},
			{"pair_letter", str, "同号字母", nil}, {"material", str, "材质", nil}, {"registered_year", num, "登记年份", nil}, geom}},
	{ID: Facilities, Title: "养老服务设施", Key: "id", Temporal: "updated_at", GeometryType: "Point",
		Queryables: []Queryable{{"id", str, "设施编号", nil}, {"name", str, "名称", nil},
			{"type", str, "类型", keys(facilities.Types)}, {"status", str, "状态", keys(facilities.Statuses)},
			{"township_code", str, "乡镇（街道）代码", nil}, {"capacity_beds", num, "床位（张）", nil},
			{"capacity_meals_per_day", num, "日供餐能力（份）", nil}, {"smart_terminal", boo, "智能终端", nil},
			{"version", num, "版本", nil}, {"updated_at", tim, "更新时间", nil}, geom}},
	{ID: Demand, Title: "老年人口需求", Description: "各村（社区）60 周岁以上人口", Key: "code", GeometryType: "Point",
		Queryables: []Queryable{{"code", str, "村（社区）代码", nil}, {"name", str, "名称", nil},
			{"township_code", str, "乡镇（街道）代码", nil}, {"elderly_population", num, "60 岁以上人口（人）", nil}, geom}},
}

// Register adds a collection (a document kind of a later issue); its store must answer Items for it. It is not safe
// to call while serving.
func Register(c Collection) { registry = append(registry, &c) }

// CollectionByID returns the registered collection, or false.
func CollectionByID(id string) (*Collection, bool) {
	for _, c := range registry {
		if c.ID == id {
			return c, true
		}
	}
	return nil, false
}

// AllCollections lists the registered collections in order.
func AllCollections() []*Collection { return registry }

// Feature is one item: its id (the collection's natural key), its geometry in EPSG:4490 lon/lat (nil for none) and its
// properties (strings, float64, bool, time.Time, []string; a missing key is null). It is a cql2.Record.
type Feature struct {
	ID         string
	Geometry   orb.Geometry
	Properties map[string]any
}

// Value returns a property's value (nil when null).
func (f *Feature) Value(name string) any { return f.Properties[name] }

// Geom returns the geometry (cql2.Record).
func (f *Feature) Geom() orb.Geometry { return f.Geometry }

// record adapts a Feature to cql2.Record.
type record struct{ *Feature }

func (r record) Geometry() orb.Geometry { return r.Feature.Geometry }

// Record returns f as a cql2.Record.
func (f *Feature) Record() cql2.Record { return record{f} }

// Query is what a store answers for /items. Filter holds every condition (bbox, property filters, datetime and the CQL2
// filter, geometry literals in EPSG:4490 lon/lat), checked against the collection's queryables; nil matches all.
// BBox repeats the bbox (EPSG:4490) as a hint for a spatial index: Filter already holds it exactly.
//
// Paging is keyset on the collection's Key in byte order: with After set the page is the first Limit matches with a
// key > After; with Before set, the last Limit matches with a key < Before (returned in ascending order); neither, the
// first Limit. Limit is at least 1.
type Query struct {
	Collection string
	Filter     cql2.Expr
	BBox       *orb.Bound
	Limit      int
	After      string
	Before     string
}

// Page is one page of features in ascending key order. NumberMatched counts every feature that matches Filter (not
// only this page); More reports whether matches remain past the page in the direction it was read (after its last key
// for After or no cursor, before its first key for Before).
type Page struct {
	Features      []Feature
	NumberMatched int
	More          bool
}

// Extent is a collection's spatial extent (EPSG:4490 lon/lat; nil when it has no geometry) and, for a dated
// collection, the first and last value of its temporal property.
type Extent struct {
	BBox       *orb.Bound
	Start, End *time.Time
}

// FeatureStore is what the OGC API needs from a store (data/embedded and data/postgis implement it, and pass the same
// table of filters, data/storetest/ogc.go). Errors wrap apierr.ErrNotFound for an unknown feature.
type FeatureStore interface {
	// Items answers one page of q.
	Items(ctx context.Context, q Query) (Page, error)
	// Item returns one feature of a collection by its key.
	Item(ctx context.Context, collection, id string) (Feature, error)
	// Extent returns a collection's extent.
	Extent(ctx context.Context, collection string) (Extent, error)
}

// Compile prepares a query's filter for evaluation in Go: what the embedded store (and tests) use to match features.
// A nil filter matches everything.
func Compile(f cql2.Expr) (*cql2.Program, error) {
	if f == nil {
		return cql2.Compile(cql2.Bool{Value: true})
	}
	return cql2.Compile(f)
}

// ---- record → feature -------------------------------------------------------------------------------------------------

func set(m map[string]any, k string, v any) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return
		}
	case *int:
		if x == nil {
			return
		}
		v = float64(*x)
	case *bool:
		if x == nil {
			return
		}
		v = *x
	case int:
		v = float64(x)
	case int64:
		v = float64(x)
	}
	m[k] = v
}

// DivisionFeature is a division's feature: key code; level, kind, parent_code.
func DivisionFeature(d gazetteer.Division) Feature {
	p := map[string]any{"code": d.Code, "name": d.Name, "level": string(d.Level), "kind": d.Kind}
	set(p, "parent_code", d.ParentCode)
	return Feature{ID: d.Code, Geometry: d.Geometry, Properties: p}
}

// PlaceFeature is a place's feature: key id; the census fields that are short (long texts stay in /api/places).
// year_established is null when unknown (0).
func PlaceFeature(pl gazetteer.Place) Feature {
	// Sized for every queryable (fillNulls adds the absent ones as null): a page of places builds no map twice.
	p := make(map[string]any, 16)
	p["id"], p["name"], p["category"], p["status"] = pl.ID, pl.Name, pl.Category, pl.Status
	p["heritage"], p["version"], p["created_at"], p["updated_at"] = pl.Heritage, float64(pl.Version), pl.CreatedAt, pl.UpdatedAt
	set(p, "specific", pl.Specific)
	set(p, "generic", pl.Generic)
	set(p, "pinyin", pl.Pinyin)
	if len(pl.DivisionCodes) > 0 {
		p["division_codes"] = pl.DivisionCodes
	}
	if pl.YearEstablished != 0 {
		p["year_established"] = float64(pl.YearEstablished)
	}
	set(p, "date_named", pl.DateNamed)
	return Feature{ID: pl.ID, Geometry: pl.Geometry, Properties: p}
}

// LineFeature is a boundary line's feature: key id. registered_length_m is null when unknown (0).
func LineFeature(l gazetteer.BoundaryLine) Feature {
	p := map[string]any{"id": l.ID, "name": l.Name, "left_code": l.LeftCode, "right_code": l.RightCode}
	set(p, "right_name", l.RightName)
	if l.RegisteredLengthM != 0 {
		p["registered_length_m"] = l.RegisteredLengthM
	}
	g := l.Geometry
	if ls, ok := g.(orb.LineString); ok { // one geometry type per collection, for GDAL and GeoPackage
		g = orb.MultiLineString{ls}
	}
	return Feature{ID: l.ID, Geometry: g, Properties: p}
}

// MarkerFeature is a boundary marker's feature: key number; the register's CRS and values as registered_*.
func MarkerFeature(m gazetteer.Marker) Feature {
	p := map[string]any{"number": m.Number, "line_id": m.LineID, "type": m.Type, "registered_crs": m.Registered.CRS}
	set(p, "pair_letter", m.PairLetter)
	set(p, "material", m.Material)
	if m.RegisteredYear != 0 {
		p["registered_year"] = float64(m.RegisteredYear)
	}
	return Feature{ID: m.Number, Geometry: m.Position, Properties: p}
}

// FacilityFeature is a facility's feature: key id; capacities and smart_terminal null when unknown.
func FacilityFeature(f facilities.Facility) Feature {
	p := make(map[string]any, 16) // every queryable, as for places
	p["id"], p["name"], p["type"], p["status"], p["township_code"] = f.ID, f.Name, f.Type, f.Status, f.TownshipCode
	p["version"], p["updated_at"] = float64(f.Version), f.UpdatedAt
	set(p, "capacity_beds", f.CapacityBeds)
	set(p, "capacity_meals_per_day", f.CapacityMealsPerDay)
	set(p, "smart_terminal", f.SmartTerminal)
	return Feature{ID: f.ID, Geometry: f.Location, Properties: p}
}

// DemandFeature is a demand unit's feature: key code; elderly_population in persons aged 60+.
func DemandFeature(d facilities.DemandUnit) Feature {
	p := map[string]any{"code": d.Code, "name": d.Name, "township_code": d.TownshipCode,
		"elderly_population": float64(d.ElderlyPopulation)}
	return Feature{ID: d.Code, Geometry: d.Location, Properties: p}
}
