package tiles

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"google.golang.org/protobuf/encoding/protowire"
)

// Marshal encodes layers as an MVT 2.1 tile (vector_tile.proto, uncompressed), byte for byte as orb's mvt.Marshal
// does — each feature's keys sorted, keys and values tabled per layer in the order first used, fields in field-number
// order, int64 as sint_value, float64 as double_value — but straight into protobuf: mvt.Marshal builds a gogo struct
// per feature and per value, hashes every value through an interface and sizes the whole tree before writing it,
// which was half of an uncached facilities tile on the embedded store. Properties must be string, float64, int64 or
// bool (MapProperties makes nothing else) and ids uint64; a layer holding anything else, or a geometry collection, is
// left to mvt.Marshal whole, so the answer is always the library's.
func Marshal(layers mvt.Layers) ([]byte, error) {
	for _, l := range layers {
		if !plainLayer(l) {
			return mvt.Marshal(layers)
		}
	}
	w := mvtWriters.Get().(*mvtWriter)
	defer mvtWriters.Put(w)
	w.tile = w.tile[:0]
	for _, l := range layers {
		w.reset()
		w.layer = w.appendLayerStart(w.layer[:0], l.Name)
		for _, f := range l.Features {
			if f.Geometry == nil {
				continue
			}
			id, hasID := f.ID.(uint64)
			w.props = appendSorted(w.props[:0], f.Properties)
			w.layer, _ = w.appendFeature(w.layer, id, hasID, f.Geometry, w.props)
		}
		w.layer = w.appendLayerEnd(w.layer, l.Extent, l.Version)
		w.tile = protowire.AppendTag(w.tile, 3, protowire.BytesType) // Tile.layers
		w.tile = protowire.AppendBytes(w.tile, w.layer)
	}
	return slices.Clone(w.tile), nil // the tile's one allocation
}

// EncodeFeatures makes the MVT 2.1 tile t (uncompressed protobuf) with one layer per names[i] holding feats[i]
// (lon/lat features as a FeatureSource hands them, in that order): the bytes of Marshal of their EncodeLayer layers
// (version 2, extent 4096; a layer left without features is left out), or nil when no layer has a feature. It writes
// each feature as its geometry is cut, without building the layers, and takes a feature's Sorted properties when it
// has them. A property of another type than MapProperties makes sends the whole tile through EncodeLayer and Marshal.
func EncodeFeatures(t maptile.Tile, names []string, feats [][]Feature) ([]byte, error) {
	w := mvtWriters.Get().(*mvtWriter)
	defer mvtWriters.Put(w)
	w.tile = w.tile[:0]
	for i, name := range names {
		w.reset()
		w.layer = w.appendLayerStart(w.layer[:0], name)
		n := 0
		for _, f := range feats[i] {
			g := f.tileGeometry(t)
			if g == nil {
				continue
			}
			props := f.Sorted
			if props == nil {
				w.props = appendSorted(w.props[:0], f.Properties)
				props = w.props
			}
			var ok bool
			if w.layer, ok = w.appendFeature(w.layer, f.ID, true, g, props); !ok {
				return encodeLayers(t, names, feats)
			}
			n++
		}
		if n == 0 {
			continue
		}
		w.layer = w.appendLayerEnd(w.layer, Extent, 2)
		w.tile = protowire.AppendTag(w.tile, 3, protowire.BytesType) // Tile.layers
		w.tile = protowire.AppendBytes(w.tile, w.layer)
	}
	if len(w.tile) == 0 {
		return nil, nil
	}
	return slices.Clone(w.tile), nil
}

// encodeLayers is EncodeFeatures through EncodeLayer and Marshal.
func encodeLayers(t maptile.Tile, names []string, feats [][]Feature) ([]byte, error) {
	var out mvt.Layers
	for i, name := range names {
		if ml := EncodeLayer(t, name, feats[i]); ml != nil {
			out = append(out, ml)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return Marshal(out)
}

// Property is one property of a feature: its key and a value of MapProperties' types (string, float64, int64, bool).
type Property struct {
	Key   string
	Value any
}

// SortProperties returns props sorted by key (byte order), the order in which tiles write a feature's tags.
func SortProperties(props map[string]any) []Property {
	if len(props) == 0 {
		return []Property{}
	}
	return appendSorted(make([]Property, 0, len(props)), props)
}

func appendSorted(dst []Property, props map[string]any) []Property {
	for k, v := range props {
		dst = append(dst, Property{k, v})
	}
	slices.SortFunc(dst, func(a, b Property) int { return strings.Compare(a.Key, b.Key) })
	return dst
}

// plainLayer reports whether Marshal's fast path encodes l as mvt.Marshal would.
func plainLayer(l *mvt.Layer) bool {
	for _, f := range l.Features {
		if _, ok := f.ID.(uint64); !ok && f.ID != nil {
			return false
		}
		switch f.Geometry.(type) {
		case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString, orb.Ring, orb.Polygon, orb.MultiPolygon:
		default:
			return false
		}
		for _, v := range f.Properties {
			switch v.(type) {
			case string, float64, int64, bool:
			default:
				return false
			}
		}
	}
	return true
}

// mvtWriter holds one layer's key and value tables and the scratch buffers of Marshal, reused across tiles.
type mvtWriter struct {
	keys    map[string]uint32
	keyList []string
	strs    map[string]uint32
	doubles map[float64]uint32
	ints    map[int64]uint32
	bools   map[bool]uint32
	values  []byte // the Value messages, each with its tag, in table order
	nvalues uint32
	props   []Property
	tile    []byte
	layer   []byte
	feature []byte
	packed  []byte
	tags    []uint32
	geom    []uint32
}

var mvtWriters = sync.Pool{New: func() any {
	return &mvtWriter{keys: map[string]uint32{}, strs: map[string]uint32{}, doubles: map[float64]uint32{},
		ints: map[int64]uint32{}, bools: map[bool]uint32{}}
}}

func (w *mvtWriter) reset() {
	clear(w.keys)
	clear(w.strs)
	clear(w.doubles)
	clear(w.ints)
	clear(w.bools)
	w.keyList, w.values, w.nvalues = w.keyList[:0], w.values[:0], 0
}

// appendLayerStart appends the start of a Layer message (without its tag and length) to b: its name. Features
// follow (appendFeature), then appendLayerEnd.
func (w *mvtWriter) appendLayerStart(b []byte, name string) []byte {
	b = protowire.AppendTag(b, 1, protowire.BytesType) // name
	return protowire.AppendString(b, name)
}

// appendLayerEnd appends the layer's key and value tables, extent and version.
func (w *mvtWriter) appendLayerEnd(b []byte, extent, version uint32) []byte {
	for _, k := range w.keyList {
		b = protowire.AppendTag(b, 3, protowire.BytesType) // keys
		b = protowire.AppendString(b, k)
	}
	b = append(b, w.values...) // values (field 4), tagged as written
	b = protowire.AppendTag(b, 5, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(extent))
	b = protowire.AppendTag(b, 15, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(version))
}

// appendFeature appends feature (tag included) to the layer b, with props in key order; ok is false, and b and the
// tables unusable, when a value or the geometry is of a type it does not write.
func (w *mvtWriter) appendFeature(b []byte, id uint64, hasID bool, g orb.Geometry, props []Property) ([]byte, bool) {
	f := w.feature[:0]
	if hasID {
		f = protowire.AppendTag(f, 1, protowire.VarintType)
		f = protowire.AppendVarint(f, id)
	}
	w.tags = w.tags[:0]
	for _, p := range props {
		v, ok := w.value(p.Value)
		if !ok {
			return b, false
		}
		w.tags = append(w.tags, w.key(p.Key), v)
	}
	f = w.appendPacked(f, 2, w.tags)
	typ, geom := w.encodeGeometry(g)
	if typ == 0 {
		return b, false
	}
	f = protowire.AppendTag(f, 3, protowire.VarintType)
	f = protowire.AppendVarint(f, typ)
	w.feature = w.appendPacked(f, 4, geom)
	b = protowire.AppendTag(b, 2, protowire.BytesType) // features
	return protowire.AppendBytes(b, w.feature), true
}

// appendPacked appends a packed repeated uint32 field, or nothing when vs is empty (as gogo/protobuf does).
func (w *mvtWriter) appendPacked(b []byte, field protowire.Number, vs []uint32) []byte {
	if len(vs) == 0 {
		return b
	}
	w.packed = w.packed[:0]
	for _, v := range vs {
		w.packed = protowire.AppendVarint(w.packed, uint64(v))
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, w.packed)
}

func (w *mvtWriter) key(k string) uint32 {
	if i, ok := w.keys[k]; ok {
		return i
	}
	i := uint32(len(w.keyList))
	w.keys[k] = i
	w.keyList = append(w.keyList, k)
	return i
}

// value returns v's index in the value table, adding the Value message when v is new (a NaN always is, as in
// mvt.Marshal's map); ok is false for a type other than string, float64, int64 and bool.
func (w *mvtWriter) value(v any) (_ uint32, ok bool) {
	var msg [10]byte
	var body []byte
	switch v := v.(type) {
	case string:
		if i, ok := w.strs[v]; ok {
			return i, true
		}
		w.strs[v] = w.nvalues
		w.values = protowire.AppendTag(w.values, 4, protowire.BytesType)
		w.values = protowire.AppendVarint(w.values, uint64(protowire.SizeTag(1)+protowire.SizeBytes(len(v))))
		w.values = protowire.AppendTag(w.values, 1, protowire.BytesType) // string_value
		w.values = protowire.AppendString(w.values, v)
		w.nvalues++
		return w.nvalues - 1, true
	case float64:
		if i, ok := w.doubles[v]; ok {
			return i, true
		}
		w.doubles[v] = w.nvalues
		body = protowire.AppendTag(msg[:0], 3, protowire.Fixed64Type) // double_value
		body = binary.LittleEndian.AppendUint64(body, math.Float64bits(v))
	case int64:
		if i, ok := w.ints[v]; ok {
			return i, true
		}
		w.ints[v] = w.nvalues
		body = protowire.AppendTag(msg[:0], 6, protowire.VarintType) // sint_value
		body = protowire.AppendVarint(body, protowire.EncodeZigZag(v))
	case bool:
		if i, ok := w.bools[v]; ok {
			return i, true
		}
		w.bools[v] = w.nvalues
		body = protowire.AppendTag(msg[:0], 7, protowire.VarintType) // bool_value
		body = protowire.AppendVarint(body, protowire.EncodeBool(v))
	default:
		return 0, false
	}
	w.values = protowire.AppendTag(w.values, 4, protowire.BytesType)
	w.values = protowire.AppendBytes(w.values, body)
	w.nvalues++
	return w.nvalues - 1, true
}

// MVT geometry commands (spec 4.3.1) and types (4.3.4).
const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7

	geomPoint      = 1
	geomLineString = 2
	geomPolygon    = 3
)

// encodeGeometry returns g's MVT type and command integers, as mvt.Marshal encodes them (integer tile coordinates,
// truncated towards zero; a ring's closing point left to ClosePath); type 0 for a geometry it does not write.
func (w *mvtWriter) encodeGeometry(g orb.Geometry) (uint64, []uint32) {
	w.geom = w.geom[:0]
	var x, y int32
	add := func(cmd uint32, pts []orb.Point) {
		w.geom = append(w.geom, uint32(len(pts))<<3|cmd)
		for _, p := range pts {
			dx, dy := int32(p[0])-x, int32(p[1])-y
			x, y = int32(p[0]), int32(p[1])
			w.geom = append(w.geom, uint32(dx<<1^dx>>31), uint32(dy<<1^dy>>31))
		}
	}
	line := func(ls []orb.Point) {
		add(cmdMoveTo, ls[:1])
		add(cmdLineTo, ls[1:])
	}
	ring := func(r orb.Ring) {
		add(cmdMoveTo, r[:1])
		if r.Closed() {
			add(cmdLineTo, r[1:len(r)-1])
		} else {
			add(cmdLineTo, r[1:])
		}
		w.geom = append(w.geom, 1<<3|cmdClosePath)
	}
	switch g := g.(type) {
	case orb.Point:
		add(cmdMoveTo, []orb.Point{g})
		return geomPoint, w.geom
	case orb.MultiPoint:
		add(cmdMoveTo, g)
		return geomPoint, w.geom
	case orb.LineString:
		line(g)
		return geomLineString, w.geom
	case orb.MultiLineString:
		for _, ls := range g {
			line(ls)
		}
		return geomLineString, w.geom
	case orb.Ring:
		ring(g)
	case orb.Polygon:
		for _, r := range g {
			ring(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				ring(r)
			}
		}
	default:
		return 0, nil
	}
	return geomPolygon, w.geom
}
