// Package tiletest checks MVT tiles: Validate holds one to MVT 2.1, CheckTiles a whole tile set, and Diff compares the
// two stores' tiles, for the tests that hold them to one behaviour.
package tiletest

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"civmap/geo"
)

// Pixel is the exact tile-pixel position (extent 4096, not rounded) of lon/lat ll in tile t, by the spherical Web
// Mercator formulas written out here independently of package tiles, so a test can hold an encoder to it.
func Pixel(t maptile.Tile, ll orb.Point) orb.Point {
	n := math.Exp2(float64(t.Z))
	s := math.Sin(ll[1] * math.Pi / 180)
	x := (ll[0] + 180) / 360
	y := 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
	return orb.Point{(x*n - float64(t.X)) * 4096, (y*n - float64(t.Y)) * 4096}
}

// Feature returns the feature with MVT id id in the named layer of decoded layers, or nil.
func Feature(ls mvt.Layers, layer string, id uint64) *geojson.Feature {
	for _, l := range ls {
		if l.Name != layer {
			continue
		}
		for _, f := range l.Features {
			if f.ID == float64(id) {
				return f
			}
		}
	}
	return nil
}

// LayerNames lists the names of decoded layers in order.
func LayerNames(ls mvt.Layers) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

// Diff compares two MVT tiles decoded: the same layers in the same order (version 2, extent 4096), the same feature
// ids, the same properties with the same MVT value kinds (string, double, integer — int/uint/sint —, bool), and
// geometries: points identical; lines in the line family with a bound within 1 unit and a length within 1% + 2 units;
// polygons in the polygon family, valid (closed rings of ≥ 4 points, MVT winding, within the buffer), with a bound inside
// the embedded one grown by 1 unit and the same area within half a unit² per unit of perimeter (snapping moves an edge
// by at most that). Vertex lists and exact bounds of polygons are not compared: the two stores' clippers (wagyu in
// ST_AsMVTGeom, simplefeatures' overlay with a make-valid step in the embedded store) may place the vertices they add
// and repair differently. Validity is checked in full by Validate.
func Diff(want, got []byte) []string {
	var out []string
	if len(want) == 0 || len(got) == 0 {
		if len(want) != len(got) {
			out = append(out, fmt.Sprintf("embedded %d bytes, postgis %d bytes", len(want), len(got)))
		}
		return out
	}
	wl, err := mvt.Unmarshal(want)
	if err != nil {
		return []string{"embedded: " + err.Error()}
	}
	gl, err := mvt.Unmarshal(got)
	if err != nil {
		return []string{"postgis: " + err.Error()}
	}
	if !slices.Equal(LayerNames(wl), LayerNames(gl)) {
		return []string{fmt.Sprintf("layers %v, want %v", LayerNames(gl), LayerNames(wl))}
	}
	wk, gk := valueKinds(want), valueKinds(got)
	for i := range wl {
		w, g := wl[i], gl[i]
		if g.Version != 2 || g.Extent != 4096 {
			out = append(out, fmt.Sprintf("%s: version %d extent %d", g.Name, g.Version, g.Extent))
		}
		wf, gf := byID(w.Features), byID(g.Features)
		for id, f := range wf {
			h, ok := gf[id]
			if !ok {
				out = append(out, fmt.Sprintf("%s: feature %v missing (%v)", w.Name, id, f.Properties))
				continue
			}
			if !reflect.DeepEqual(f.Properties, h.Properties) {
				out = append(out, fmt.Sprintf("%s %v: properties %v, want %v", w.Name, id, h.Properties, f.Properties))
			}
			if !reflect.DeepEqual(wk[w.Name][id], gk[w.Name][id]) {
				out = append(out, fmt.Sprintf("%s %v: value kinds %v, want %v", w.Name, id, gk[w.Name][id], wk[w.Name][id]))
			}
			if d := diffGeometry(f.Geometry, h.Geometry); d != "" {
				out = append(out, fmt.Sprintf("%s %v: %s", w.Name, id, d))
			}
		}
		for id, f := range gf {
			if _, ok := wf[id]; !ok {
				out = append(out, fmt.Sprintf("%s: extra feature %v (%v)", w.Name, id, f.Properties))
			}
		}
		if len(w.Features) != len(wf) || len(g.Features) != len(gf) {
			out = append(out, fmt.Sprintf("%s: repeated feature ids", w.Name))
		}
	}
	sort.Strings(out)
	return out
}

func byID(fs []*geojson.Feature) map[any]*geojson.Feature {
	m := make(map[any]*geojson.Feature, len(fs))
	for _, f := range fs {
		m[f.ID] = f
	}
	return m
}

// valueKinds reads the MVT value type of each property: layer → feature id → key → kind.
func valueKinds(b []byte) map[string]map[any]map[string]string {
	var tile vectortile.Tile
	if err := tile.XXX_Unmarshal(b); err != nil {
		return nil
	}
	out := map[string]map[any]map[string]string{}
	for _, l := range tile.Layers {
		m := map[any]map[string]string{}
		for _, f := range l.Features {
			kinds := map[string]string{}
			for i := 0; i+1 < len(f.Tags); i += 2 {
				v := l.Values[f.Tags[i+1]]
				k := "?"
				switch {
				case v.StringValue != nil:
					k = "string"
				case v.DoubleValue != nil:
					k = "double"
				case v.FloatValue != nil:
					k = "float"
				case v.IntValue != nil, v.UintValue != nil, v.SintValue != nil:
					k = "integer"
				case v.BoolValue != nil:
					k = "bool"
				}
				kinds[l.Keys[f.Tags[i]]] = k
			}
			m[float64(f.GetId())] = kinds
		}
		out[l.GetName()] = m
	}
	return out
}

func diffGeometry(want, got orb.Geometry) string {
	switch w := want.(type) {
	case orb.Point, orb.MultiPoint:
		if !reflect.DeepEqual(want, got) {
			return fmt.Sprintf("point %v, want %v", got, want)
		}
	case orb.LineString, orb.MultiLineString:
		g, ok := asLines(got)
		if !ok {
			return fmt.Sprintf("%T, want %T", got, want)
		}
		wm, _ := asLines(w)
		wlen, glen := tileLength(wm), tileLength(g)
		if !near(wm.Bound(), g.Bound(), 1) || math.Abs(wlen-glen) > 0.01*wlen+2 {
			return fmt.Sprintf("line bound %v length %.1f, want %v %.1f", g.Bound(), glen, wm.Bound(), wlen)
		}
	case orb.Polygon, orb.MultiPolygon:
		g, ok := geo.AsMultiPolygon(got)
		if !ok {
			return fmt.Sprintf("%T, want %T", got, want)
		}
		if d := checkWinding(g); d != "" {
			return d
		}
		wm, _ := geo.AsMultiPolygon(w)
		wa, ga, per := tileArea(wm), tileArea(g), perimeter(g)
		if !within(g.Bound(), wm.Bound(), 1) || math.Abs(wa-ga) > 0.5*per+2 {
			return fmt.Sprintf("polygon bound %v area %.1f perimeter %.1f, want %v %.1f", g.Bound(), ga, per, wm.Bound(), wa)
		}
	default:
		return fmt.Sprintf("unexpected %T", want)
	}
	return ""
}

func asLines(g orb.Geometry) (orb.MultiLineString, bool) {
	switch g := g.(type) {
	case orb.LineString:
		return orb.MultiLineString{g}, true
	case orb.MultiLineString:
		return g, true
	}
	return nil, false
}

// within reports whether a lies in b grown by tol.
func within(a, b orb.Bound, tol float64) bool {
	return a.Min[0] >= b.Min[0]-tol && a.Min[1] >= b.Min[1]-tol && a.Max[0] <= b.Max[0]+tol && a.Max[1] <= b.Max[1]+tol
}

// perimeter is the total length of a multipolygon's rings.
func perimeter(m orb.MultiPolygon) float64 {
	var l float64
	for _, p := range m {
		for _, r := range p {
			l += tileLength(orb.MultiLineString{orb.LineString(r)})
		}
	}
	return l
}

func near(a, b orb.Bound, tol float64) bool {
	return math.Abs(a.Min[0]-b.Min[0]) <= tol && math.Abs(a.Min[1]-b.Min[1]) <= tol &&
		math.Abs(a.Max[0]-b.Max[0]) <= tol && math.Abs(a.Max[1]-b.Max[1]) <= tol
}

func tileLength(m orb.MultiLineString) float64 {
	var l float64
	for _, ls := range m {
		for i := 0; i+1 < len(ls); i++ {
			l += math.Hypot(ls[i+1][0]-ls[i][0], ls[i+1][1]-ls[i][1])
		}
	}
	return l
}

// ringArea is the surveyor's formula in tile coordinates (y down): MVT exterior rings are positive, holes negative.
func ringArea(r orb.Ring) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

func tileArea(m orb.MultiPolygon) float64 {
	var a float64
	for _, p := range m {
		for _, r := range p {
			a += ringArea(r)
		}
	}
	return a
}

func checkWinding(m orb.MultiPolygon) string {
	for _, p := range m {
		for i, r := range p {
			a := ringArea(r)
			if len(r) < 4 || !r.Closed() || a == 0 || (i == 0) != (a > 0) {
				return fmt.Sprintf("invalid ring %d: %d points, closed %v, area %v", i, len(r), r.Closed(), a)
			}
			for _, q := range r {
				if q[0] < -64 || q[0] > 4160 || q[1] < -64 || q[1] > 4160 {
					return fmt.Sprintf("point %v beyond the buffer", q)
				}
			}
		}
	}
	return ""
}

// FeatureWith returns the first feature in the named layer of decoded layers whose properties hold every key/value
// pair of kv (e.g. "code", "330225001", "label_point", false), or nil.
func FeatureWith(ls mvt.Layers, layer string, kv ...any) *geojson.Feature {
	for _, l := range ls {
		if l.Name != layer {
			continue
		}
	features:
		for _, f := range l.Features {
			for i := 0; i+1 < len(kv); i += 2 {
				if f.Properties[kv[i].(string)] != kv[i+1] {
					continue features
				}
			}
			return f
		}
	}
	return nil
}
