package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/httpx"
	"civmap/web"
)

// memSource is a FeatureSource over fixed features, ordered as given; it counts TileFeatures calls.
type memSource struct {
	layers map[string][]Feature
	// from, when set, is the zoom from which each feature (by ID) is drawn: the store's choice of what a zoom draws.
	from  map[uint64]int
	calls int
	zoom  int // of the last call
}

// TileFeatures returns the layer's features meeting bound that are drawn at zoom (from).
func (m *memSource) TileFeatures(_ context.Context, layer string, bound orb.Bound, zoom int) ([]Feature, error) {
	m.calls++
	m.zoom = zoom
	var out []Feature
	for _, f := range m.layers[layer] {
		if f.Geometry.Bound().Intersects(bound) && m.from[f.ID] <= zoom {
			out = append(out, f)
		}
	}
	return out, nil
}

// truthPixel is the unrounded tile-pixel position of ll in t.
func truthPixel(t maptile.Tile, ll orb.Point) orb.Point {
	x, y := worldXY(ll)
	n := float64(uint64(1) << t.Z)
	return orb.Point{(x*n - float64(t.X)) * Extent, (y*n - float64(t.Y)) * Extent}
}

func TestParseTile(t *testing.T) {
	tests := []struct {
		z, x, y string
		field   string
	}{
		{"0", "0", "0", ""},
		{"3", "7", "7", ""},
		{"24", "16777215", "0", ""},
		{"3", "8", "0", "x"},
		{"3", "0", "8", "y"},
		{"-1", "0", "0", "z"},
		{"25", "0", "0", "z"},
		{"33", "0", "0", "z"},
		{"", "0", "0", "z"},
		{"1", "+1", "0", "x"},
		{"1", "0x1", "0", "x"},
		{"1", " 1", "0", "x"},
		{"1", "0", "1.5", "y"},
		{"2", "99999999999", "0", "x"},
		// One spelling per tile: a leading zero is refused in every coordinate alike (it was taken in x and y).
		{"02", "0", "0", "z"},
		{"14", "013738", "6787", "x"},
		{"14", "13738", "06787", "y"},
	}
	for _, tc := range tests {
		tile, err := ParseTile(tc.z, tc.x, tc.y)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s/%s/%s: %v", tc.z, tc.x, tc.y, err)
			} else if tile.Z != maptile.Zoom(mustAtoi(tc.z)) {
				t.Errorf("%s/%s/%s: got %v", tc.z, tc.x, tc.y, tile)
			}
			continue
		}
		st, fields := httpx.Classify(err)
		if st != 400 || len(fields) != 1 || fields[0].Field != tc.field {
			t.Errorf("%s/%s/%s: %d %v, want 400 naming %s", tc.z, tc.x, tc.y, st, fields, tc.field)
		}
	}
}

func mustAtoi(s string) int {
	v, _ := parseUint(s, 3)
	return int(v)
}

func TestParseLayers(t *testing.T) {
	ls, err := ParseLayers("facilities,places")
	if err != nil || len(ls) != 2 || ls[0].Name != "facilities" || ls[1].Name != "places" {
		t.Fatalf("%v %v", ls, err)
	}
	if ls, err := ParseLayers(AllLayers()); err != nil || len(ls) != len(Layers) {
		t.Fatalf("all layers: %v %v", ls, err)
	}
	fifty := strings.TrimSuffix(strings.Repeat("places,", 50), ",")
	for list, want := range map[string]int{"x": 404, "places,x": 404, "places,places": 400, fifty: 400, "": 400,
		"places,": 400, "地名": 404} {
		_, err := ParseLayers(list)
		if st, _ := httpx.Classify(err); st != want {
			t.Errorf("%q: %d (%v), want %d", list, st, err, want)
		}
	}
}

func TestMapProperties(t *testing.T) {
	n := 5
	var nilInt *int
	yes := true
	when := time.Date(2024, 5, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	got := MapProperties(map[string]any{
		"s": "象山", "empty": "", "nil": nil, "nilptr": nilInt, "ptr": &n, "i": 3, "u8": uint8(7), "f": 1.5,
		"nan": math.NaN(), "b": false, "bp": &yes, "t": when, "arr": []string{"a", "<b>"},
		"obj": map[string]any{"z": 1, "a": []int{}}, "big": uint64(math.MaxUint64),
	})
	want := map[string]any{"s": "象山", "ptr": int64(5), "i": int64(3), "u8": int64(7), "f": 1.5, "b": false,
		"bp": true, "t": "2024-05-01T00:00:00Z", "arr": `["a","<b>"]`, "obj": `{"a":[],"z":1}`,
		"big": float64(math.MaxUint64)}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %#v, want %#v", k, got[k], v)
		}
	}
}

func TestFeatureBuilders(t *testing.T) {
	seat := orb.Point{121.87, 29.47}
	d := gazetteer.Division{Code: "330225001", Name: "丹东街道", Level: gazetteer.LevelTownship, Kind: "subdistrict",
		ParentCode: "330225", Geometry: orb.Polygon{{{121.8, 29.4}, {121.9, 29.4}, {121.9, 29.5}, {121.8, 29.4}}},
		Seat: &seat}
	fs := DivisionFeatures(d, 7)
	if len(fs) != 2 || fs[0].Properties["label_point"] != false || fs[1].Properties["label_point"] != true ||
		fs[0].ID != 7 || fs[1].ID != 8 || fs[1].Geometry != seat {
		t.Fatalf("division features %+v", fs)
	}
	if fs := DivisionFeatures(gazetteer.Division{Code: "330225001001", Level: gazetteer.LevelVillage,
		Geometry: seat, Seat: &seat}, 9); fs != nil {
		t.Errorf("village in divisions layer: %+v", fs)
	}
	p := PlaceFeature(gazetteer.Place{ID: "p1", Name: "石浦", Category: "10", Status: "current",
		DivisionCodes: []string{"330225101", "330225"}, Geometry: seat}, 3)
	if p.Properties["division_code"] != "330225101" || p.Properties["heritage"] != false || p.ID != 3 {
		t.Errorf("place %+v", p.Properties)
	}
	if _, ok := p.Properties["pinyin"]; ok {
		t.Error("empty pinyin kept")
	}
	beds := 0
	f := FacilityFeature(facilities.Facility{ID: "F1", Type: "canteen", Status: "planned", CapacityBeds: &beds,
		Location: seat}, 4)
	if f.ID != 4 || f.Properties["capacity_beds"] != int64(0) || f.Properties["type"] != "canteen" {
		t.Errorf("facility %+v", f.Properties)
	}
	if _, ok := f.Properties["capacity_meals_per_day"]; ok {
		t.Error("nil capacity kept")
	}
	// Every builder emits only registered fields.
	all := map[string][]Feature{
		"divisions": fs, "places": {p}, "facilities": {f},
		"demand":         {DemandFeature(facilities.DemandUnit{Code: "1", Name: "x", ElderlyPopulation: 0, Location: seat}, 1)},
		"markers":        {MarkerFeature(gazetteer.Marker{Number: "象宁001", LineID: "L", RegisteredYear: 2003}, 1)},
		"boundary_lines": {LineFeature(gazetteer.BoundaryLine{ID: "L", Name: "象宁线", LeftCode: "330225"}, 1)},
	}
	for layer, feats := range all {
		l, _ := LayerByName(layer)
		for _, f := range feats {
			for k := range f.Properties {
				if _, ok := l.Fields[k]; !ok {
					t.Errorf("%s: property %s not a registered field", layer, k)
				}
			}
		}
	}
	if all["demand"][0].Properties["elderly_population"] != int64(0) {
		t.Error("zero population omitted")
	}
}

func TestPointPosition(t *testing.T) {
	ll := orb.Point{121.93917, 29.20211}
	for z := 0; z <= 24; z++ {
		tile := maptile.At(ll, maptile.Zoom(z))
		g, ok := TileGeometry(tile, ll).(orb.Point)
		truth := truthPixel(tile, ll)
		if !ok || math.Abs(g[0]-truth[0]) > 0.5 || math.Abs(g[1]-truth[1]) > 0.5 {
			t.Errorf("z%d: %v, truth %v", z, g, truth)
		}
	}
	// Inside the buffer of a neighbour: kept there; beyond it: dropped.
	tile := maptile.At(ll, 14)
	right := maptile.New(tile.X+1, tile.Y, 14)
	px := truthPixel(right, ll)
	if g := TileGeometry(right, ll); (px[0] >= -Buffer) != (g != nil) {
		t.Errorf("neighbour at %v: %v", px, g)
	}
}

// checkPolygon asserts MVT validity of a polygon in tile coordinates: closed rings of at least 4 points, inside the
// buffered box, exterior ring with positive surveyor's area (clockwise with y down), holes negative.
func checkPolygon(t *testing.T, p orb.Polygon) {
	t.Helper()
	for i, r := range p {
		if len(r) < 4 || r[0] != r[len(r)-1] {
			t.Errorf("ring %d: %d points, closed %v", i, len(r), r.Closed())
		}
		a := ringArea(r)
		if (i == 0 && a <= 0) || (i > 0 && a >= 0) {
			t.Errorf("ring %d: area %v", i, a)
		}
		for _, q := range r {
			if !clipBox.Contains(q) || q[0] != math.Trunc(q[0]) || q[1] != math.Trunc(q[1]) {
				t.Errorf("ring %d: point %v off the grid or outside the buffer", i, q)
			}
		}
	}
}

func TestPolygonClip(t *testing.T) {
	// A concave, counter-clockwise (lon/lat) U shape with a hole, much larger than a z14 tile, around a tile corner.
	c := orb.Point{121.9, 29.3}
	d := 0.05
	shell := orb.Ring{{c[0] - d, c[1] - d}, {c[0] + d, c[1] - d}, {c[0] + d, c[1] + d}, {c[0] + d/3, c[1] + d},
		{c[0] + d/3, c[1] - d/2}, {c[0] - d/3, c[1] - d/2}, {c[0] - d/3, c[1] + d}, {c[0] - d, c[1] + d},
		{c[0] - d, c[1] - d}}
	hole := orb.Ring{{c[0] + 0.6*d, c[1]}, {c[0] + 0.6*d, c[1] + 0.1*d}, {c[0] + 0.7*d, c[1]}, {c[0] + 0.6*d, c[1]}}
	poly := orb.Polygon{shell, hole}
	n := 0
	for z := 10; z <= 16; z += 2 {
		for _, tile := range TileCover(poly.Bound(), z, z) {
			g := TileGeometry(tile, poly)
			switch g := g.(type) {
			case nil:
			case orb.Polygon:
				checkPolygon(t, g)
				n++
			case orb.MultiPolygon:
				for _, p := range g {
					checkPolygon(t, p)
				}
				n++
			default:
				t.Fatalf("%v: %T", tile, g)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d tiles had polygons", n)
	}
	// A tile inside the U's notch (between its arms) has nothing; one in the arm is wholly covered.
	notch := maptile.At(orb.Point{c[0], c[1] + 0.8*d}, 16)
	if g := TileGeometry(notch, poly); g != nil {
		t.Errorf("notch tile: %v", g)
	}
	arm := maptile.At(orb.Point{c[0] - 0.7*d, c[1]}, 16)
	if g, ok := TileGeometry(arm, poly).(orb.Polygon); !ok || len(g) != 1 || ringArea(g[0]) != 2*4224*4224 {
		t.Errorf("arm tile: %v", g)
	}
	// Round trip through MVT: orb's decoder splits polygons at positive-area rings, so winding survives it.
	tile := maptile.At(orb.Point{c[0] + 0.62*d, c[1] + 0.03*d}, 12)
	b, err := Encode(context.Background(), &memSource{layers: map[string][]Feature{
		"divisions": {{ID: 1, Geometry: poly, Properties: map[string]any{"code": "1"}}}}}, tile, Layers[:1])
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil || len(ls) != 1 || len(ls[0].Features) != 1 {
		t.Fatalf("%v %v", ls, err)
	}
	if p, ok := ls[0].Features[0].Geometry.(orb.Polygon); !ok || len(p) != 2 {
		t.Errorf("decoded %T %v", ls[0].Features[0].Geometry, ls[0].Features[0].Geometry)
	} else {
		checkPolygon(t, p)
	}
}

func TestLineClipAndSimplify(t *testing.T) {
	tile := maptile.At(orb.Point{121.9, 29.3}, 14)
	b := tile.Bound()
	// A straight line with many collinear points crossing the tile: clipped to the buffer, two points left.
	var ls orb.LineString
	for i := 0; i <= 100; i++ {
		f := float64(i) / 100
		ls = append(ls, orb.Point{b.Min[0] - 0.5*b.Right() + f*2*(b.Max[0]-b.Min[0]) + 0.5*b.Min[0],
			(b.Min[1] + b.Max[1]) / 2})
	}
	g, ok := TileGeometry(tile, ls).(orb.LineString)
	if !ok || len(g) != 2 || g[0][0] != -Buffer || g[1][0] != Extent+Buffer {
		t.Errorf("line: %v", g)
	}
	// Collapsed to one pixel: gone.
	tiny := orb.LineString{{121.9, 29.3}, {121.9 + 1e-9, 29.3}}
	if g := TileGeometry(maptile.At(tiny[0], 14), tiny); g != nil {
		t.Errorf("tiny line: %v", g)
	}
}

func TestUnicodeRoundTrip(t *testing.T) {
	name := "象山🏮e\u0301\u200d𠀀"
	src := &memSource{layers: map[string][]Feature{"places": {PlaceFeature(gazetteer.Place{ID: "地名-1", Name: name,
		Status: "current", Geometry: orb.Point{121.9, 29.3}}, 42)}}}
	tile := maptile.At(orb.Point{121.9, 29.3}, 14)
	l, _ := LayerByName("places")
	b, err := Encode(context.Background(), src, tile, []Layer{l})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(name)) {
		t.Error("name bytes not in tile")
	}
	ls, _ := mvt.Unmarshal(b)
	f := ls[0].Features[0]
	if f.Properties["name"] != name || f.Properties["id"] != "地名-1" || f.ID != float64(42) {
		t.Errorf("decoded %q %q %v", f.Properties["name"], f.Properties["id"], f.ID)
	}
}

// TestEncodeZoomAndEmptyLayers: Encode asks the source at the tile's zoom, draws every feature it hands over (which
// features a zoom draws is the source's choice) and leaves out layers without features.
func TestEncodeZoomAndEmptyLayers(t *testing.T) {
	var pts []Feature
	for i := 0; i < 30; i++ {
		pts = append(pts, Feature{ID: uint64(i + 1), Geometry: orb.Point{121.9 + float64(i)*1e-5, 29.3},
			Properties: map[string]any{"id": "x"}})
	}
	src := &memSource{layers: map[string][]Feature{"places": pts}}
	l := Layer{Name: "places", MinZoom: 8, MaxZoom: 22}
	for z := 8; z <= 14; z++ {
		tile := maptile.At(orb.Point{121.9, 29.3}, maptile.Zoom(z))
		b, err := Encode(context.Background(), src, tile, []Layer{l, {Name: "markers"}})
		if err != nil {
			t.Fatal(err)
		}
		ls, _ := mvt.Unmarshal(b)
		if len(ls) != 1 || ls[0].Name != "places" || len(ls[0].Features) != len(pts) || src.zoom != z {
			t.Errorf("z%d: %d layers, want %d places (source asked at %d)", z, len(ls), len(pts), src.zoom)
		}
	}
	if b, err := Encode(context.Background(), &memSource{}, maptile.At(orb.Point{121.9, 29.3}, 12), Layers); b != nil ||
		err != nil {
		t.Errorf("empty tile: %d bytes, %v", len(b), err)
	}
}

// TestMaxTileBytes: a tile over the byte cap is thinned as one zoom out at a time, down to the layers' MinZoom.
func TestMaxTileBytes(t *testing.T) {
	var pts []Feature
	from := map[uint64]int{}
	for i := 0; i < 600; i++ {
		pts = append(pts, Feature{ID: uint64(i + 1), Geometry: orb.Point{121.9 + float64(i)*1e-6, 29.3},
			Properties: map[string]any{"id": strings.Repeat("x", 40)}})
		from[uint64(i+1)] = 8 + i%6
	}
	src := &memSource{layers: map[string][]Feature{"places": pts}, from: from}
	l := Layer{Name: "places", MinZoom: 8, MaxZoom: 22}
	tile := maptile.At(orb.Point{121.9, 29.3}, 14)
	full, _ := Encode(context.Background(), src, tile, []Layer{l})
	at11, _ := EncodeZoom(context.Background(), src, tile, []Layer{l}, 11)
	at8, _ := EncodeZoom(context.Background(), src, tile, []Layer{l}, 8)
	for _, c := range []struct {
		max  int
		want []byte
	}{{-1, full}, {len(full), full}, {len(at11), at11}, {len(at11) - 1, nil}, {1, at8}} {
		svc, err := NewService(src, Options{MaxTileBytes: c.max})
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Render(context.Background(), tile, []Layer{l})
		if err != nil {
			t.Fatal(err)
		}
		if c.want == nil { // between zoom 11's size and zoom 10's: zoom 10's
			at10, _ := EncodeZoom(context.Background(), src, tile, []Layer{l}, 10)
			c.want = at10
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("cap %d: %d bytes, want %d", c.max, len(got), len(c.want))
		}
	}
	if len(at8) >= len(at11) || len(at11) >= len(full) {
		t.Errorf("sizes %d %d %d", len(at8), len(at11), len(full))
	}
}

// notifySource is a memSource that is also a Notifier.
type notifySource struct {
	memSource
	subs []func(Change)
}

func (n *notifySource) Subscribe(f func(Change)) { n.subs = append(n.subs, f) }

func (n *notifySource) move(layer string, i int, to orb.Point) {
	old := n.layers[layer][i].Geometry.Bound()
	n.layers[layer][i].Geometry = to
	for _, f := range n.subs {
		f(Change{Layers: []string{layer}, Bounds: []orb.Bound{old, to.Bound()}})
	}
}

var xiangshanPoints = []orb.Point{{121.87, 29.47}, {121.93917, 29.20211}, {121.95, 29.6}}

func newTestService(t *testing.T, opts Options) (*Service, *notifySource, http.Handler) {
	t.Helper()
	src := &notifySource{memSource: memSource{layers: map[string][]Feature{}}}
	for i, p := range xiangshanPoints {
		src.layers["places"] = append(src.layers["places"], PlaceFeature(gazetteer.Place{ID: "p" + string(rune('a'+i)),
			Name: "地名", Status: "current", Geometry: p}, uint64(i+1)))
		src.layers["facilities"] = append(src.layers["facilities"], FacilityFeature(facilities.Facility{
			ID: "f" + string(rune('a'+i)), Type: "canteen", Status: "existing", Location: p}, uint64(i+1)))
	}
	svc, err := NewService(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := httpx.NewRouter()
	Routes(r, svc)
	return svc, src, r
}

func get(h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func tilePath(layers string, t maptile.Tile) string {
	return "/tiles/" + layers + "/" + itoa(int(t.Z)) + "/" + itoa(int(t.X)) + "/" + itoa(int(t.Y)) + ".mvt"
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestBadRequests(t *testing.T) {
	_, _, h := newTestService(t, Options{})
	fifty := strings.TrimSuffix(strings.Repeat("places,", 50), ",")
	for path, want := range map[string]int{
		"/tiles/x/1/2/3.mvt":              404,
		"/tiles/places/3/8/0.mvt":         400,
		"/tiles/places/-1/0/0.mvt":        400,
		"/tiles/places/33/0/0.mvt":        400,
		"/tiles/places/2/1/1.png":         400,
		"/tiles/places/2/1/1":             400,
		"/tiles/places,places/2/1/1.mvt":  400,
		"/tiles/" + fifty + "/2/1/1.mvt":  400,
		"/tiles/places%2Cx/2/1/1.mvt":     404,
		"/tiles/%E5%9C%B0%E5%90%8D.json":  404,
		"/tiles/places,places.json":       400,
		"/tiles/places/3/0/99999999.mvt":  400,
		"/tiles/places/1.5/0/0.mvt":       400,
		"/tiles/places/03/0/0.mvt":        400, // one URL per tile: no leading zeros
		"/tiles/places%2Cfacilities.json": 200,
	} {
		w := get(h, path)
		if w.Code != want {
			t.Errorf("%s: %d %s, want %d", path, w.Code, w.Body, want)
			continue
		}
		if want >= 400 && w.Header().Get("Content-Type") != httpx.ProblemContentType {
			t.Errorf("%s: Content-Type %q", path, w.Header().Get("Content-Type"))
		}
		if want >= 400 && w.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no CORS header on an error", path)
		}
	}
}

// gzipSmallTiles gzips every tile for the rest of the test, so that the test's small tiles take the gzip path.
func gzipSmallTiles(t *testing.T) {
	old := gzipMinLength
	gzipMinLength = 0
	t.Cleanup(func() { gzipMinLength = old })
}

// TestGzipMinLength: with Accept-Encoding: gzip, a tile under gzipMinLength bytes is sent as it is, with its own
// ETag and Vary: Accept-Encoding all the same, and a bigger one gzipped.
func TestGzipMinLength(t *testing.T) {
	_, src, h := newTestService(t, Options{})
	tile := maptile.At(xiangshanPoints[1], 14)
	small := get(h, tilePath("facilities", tile), "Accept-Encoding", "gzip")
	if small.Code != 200 || small.Body.Len() >= gzipMinLength || small.Header().Get("Content-Encoding") != "" ||
		small.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("small tile: %d, %d bytes, %v", small.Code, small.Body.Len(), small.Header())
	}
	// 100 facilities spread over the tile make it bigger than the threshold.
	c := tile.Center()
	for i := range 100 {
		p := orb.Point{c[0] + float64(i%10-5)*0.0015, c[1] + float64(i/10-5)*0.0015}
		src.layers["facilities"] = append(src.layers["facilities"], FacilityFeature(facilities.Facility{
			ID: "g" + itoa(i), Type: "canteen", Status: "existing", Location: p}, uint64(1000+i)))
	}
	svc, err := NewService(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := httpx.NewRouter()
	Routes(r, svc)
	h = r
	plain := get(h, tilePath("facilities", tile))
	big := get(h, tilePath("facilities", tile), "Accept-Encoding", "gzip")
	if plain.Body.Len() < gzipMinLength || big.Header().Get("Content-Encoding") != "gzip" ||
		big.Header().Get("ETag") == plain.Header().Get("ETag") || big.Body.Len() >= plain.Body.Len() {
		t.Fatalf("big tile: %d bytes plain, %d gzipped, %v", plain.Body.Len(), big.Body.Len(), big.Header())
	}
}

func TestTileResponses(t *testing.T) {
	gzipSmallTiles(t)
	svc, _, h := newTestService(t, Options{CacheControl: "public, max-age=5"})
	tile := maptile.At(xiangshanPoints[1], 14)
	path := tilePath("places,facilities", tile)
	w := get(h, path)
	if w.Code != 200 || w.Header().Get("Content-Type") != MVTContentType || w.Header().Get("Cache-Control") != "public, max-age=5" ||
		w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("Content-Encoding") != "" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	ls, err := mvt.Unmarshal(w.Body.Bytes())
	if err != nil || len(ls) != 2 || ls[0].Name != "places" || ls[1].Name != "facilities" {
		t.Fatalf("layers %v %v", ls, err)
	}
	pt := ls[1].Features[0].Geometry.(orb.Point)
	truth := truthPixel(tile, xiangshanPoints[1])
	if math.Abs(pt[0]-truth[0]) > 1 || math.Abs(pt[1]-truth[1]) > 1 {
		t.Errorf("facility at %v, truth %v", pt, truth)
	}
	etag := w.Header().Get("ETag")
	if len(etag) < 10 || etag[0] != '"' {
		t.Errorf("ETag %q", etag)
	}
	// 304 for a matching If-None-Match, weak or in a list.
	for _, inm := range []string{etag, "W/" + etag, `"x", ` + etag, "*"} {
		if w := get(h, path, "If-None-Match", inm); w.Code != 304 || w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d", inm, w.Code)
		}
	}
	if w := get(h, path, "If-None-Match", `"other"`); w.Code != 200 {
		t.Errorf("non-matching If-None-Match: %d", w.Code)
	}
	// gzip when asked, with its own tag; the same tile inside.
	gz := get(h, path, "Accept-Encoding", "br;q=1, gzip;q=0.8")
	if gz.Header().Get("Content-Encoding") != "gzip" || gz.Header().Get("Vary") != "Accept-Encoding" ||
		gz.Header().Get("ETag") == etag {
		t.Fatalf("gzip headers %v", gz.Header())
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, w.Body.Bytes()) {
		t.Error("gzip body differs")
	}
	if w := get(h, path, "Accept-Encoding", "gzip;q=0"); w.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 served gzip")
	}
	if w := get(h, path, "Accept-Encoding", "gzip", "If-None-Match", gz.Header().Get("ETag")); w.Code != 304 {
		t.Errorf("gzip 304: %d", w.Code)
	}
	// Empty tile and zoom outside every requested layer's range: 204 with no body.
	empty := maptile.New(0, 0, 14)
	if w := get(h, tilePath("places", empty)); w.Code != 204 || w.Body.Len() != 0 {
		t.Errorf("empty tile: %d", w.Code)
	}
	if w := get(h, tilePath("places", maptile.At(xiangshanPoints[1], 5))); w.Code != 204 {
		t.Errorf("z5 places: %d", w.Code)
	}
	// HEAD: headers, no body.
	r := httptest.NewRequest(http.MethodHead, path, nil)
	hw := httptest.NewRecorder()
	h.ServeHTTP(hw, r)
	if hw.Code != 200 || hw.Body.Len() != 0 || hw.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d %d", hw.Code, hw.Body.Len())
	}
	if st := svc.CacheStats(); st.Hits == 0 || st.Entries == 0 {
		t.Errorf("cache stats %+v", st)
	}
}

func TestCORSPreflight(t *testing.T) {
	_, _, h := newTestService(t, Options{})
	for _, p := range []string{"/tiles/places/14/13733/6750.mvt", "/tiles/places.json", "/tiles/style.json"} {
		r := httptest.NewRequest(http.MethodOptions, p, nil)
		r.Header.Set("Origin", "https://example.org")
		r.Header.Set("Access-Control-Request-Method", "GET")
		r.Header.Set("Access-Control-Request-Headers", "if-none-match")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "GET") ||
			w.Header().Get("Access-Control-Allow-Headers") != "if-none-match" {
			t.Errorf("%s: %d %v", p, w.Code, w.Header())
		}
	}
}

func TestCacheInvalidation(t *testing.T) {
	svc, src, h := newTestService(t, Options{})
	a := maptile.At(xiangshanPoints[0], 14)
	b := maptile.At(xiangshanPoints[1], 14)
	other := maptile.At(xiangshanPoints[2], 14)
	for _, tl := range []maptile.Tile{a, b, other} {
		get(h, tilePath("places", tl))
		get(h, tilePath("facilities", tl))
	}
	before := map[string]string{}
	for _, tl := range []maptile.Tile{a, b, other} {
		before[tilePath("places", tl)] = get(h, tilePath("places", tl)).Header().Get("ETag")
	}
	calls := src.calls
	// Move place 0 onto place 1's tile.
	src.move("places", 0, orb.Point{xiangshanPoints[1][0] + 1e-4, xiangshanPoints[1][1]})
	hits := svc.CacheStats().Hits
	for _, tl := range []maptile.Tile{a, b} {
		p := tilePath("places", tl)
		if w := get(h, p); w.Header().Get("ETag") == before[p] {
			t.Errorf("%s unchanged after the move (%d)", p, w.Code)
		}
	}
	if svc.CacheStats().Hits != hits {
		t.Error("a changed tile was a cache hit")
	}
	// The unrelated tile and the facilities tiles are still served from the cache.
	hits = svc.CacheStats().Hits
	calls = src.calls
	get(h, tilePath("places", other))
	get(h, tilePath("facilities", a))
	if svc.CacheStats().Hits != hits+2 || src.calls != calls {
		t.Errorf("unrelated tiles re-rendered: hits %d→%d, source calls %d→%d", hits, svc.CacheStats().Hits, calls,
			src.calls)
	}
	// All drops every tile of the layer.
	svc.Change(Change{Layers: []string{"facilities"}, All: true})
	hits = svc.CacheStats().Hits
	get(h, tilePath("facilities", other))
	if svc.CacheStats().Hits != hits {
		t.Error("facilities tile survived All")
	}
}

func TestCacheBudget(t *testing.T) {
	const budget = 20 << 10
	svc, _, h := newTestService(t, Options{CacheBytes: budget})
	n := 0
	for _, tl := range TileCover(orb.Bound{Min: xiangshanPoints[1], Max: xiangshanPoints[1]}.Pad(0.05), 12, 16) {
		get(h, tilePath("places,facilities", tl), "Accept-Encoding", "gzip")
		n++
		if st := svc.CacheStats(); st.Bytes > budget {
			t.Fatalf("after %d tiles: %d bytes cached, budget %d", n, st.Bytes, budget)
		}
	}
	st := svc.CacheStats()
	if n < 200 || st.Entries == 0 || st.Entries >= n || st.Bytes < budget/2 {
		t.Errorf("%d tiles requested, stats %+v", n, st)
	}
	// The entries held are the most recent.
	c := svc.cache
	c.mu.Lock()
	var sum int64
	for e := c.head; e != nil; e = e.next {
		sum += e.size()
	}
	c.mu.Unlock()
	if sum != st.Bytes {
		t.Errorf("accounted %d, entries sum to %d", st.Bytes, sum)
	}
}

func TestCacheStaleRender(t *testing.T) {
	c := newTileCache(1 << 20)
	_, _, gen := c.get([]byte("k"))
	c.change(1, []orb.Bound{{}}, true) // a write commits while "k" renders
	c.put(&cacheEntry{key: "k", layers: 1}, gen)
	if e, _, _ := c.get([]byte("k")); e != nil {
		t.Error("a tile rendered before a change was cached after it")
	}
}

func TestTileJSON(t *testing.T) {
	_, _, h := newTestService(t, Options{TrustProxy: true})
	w := get(h, "/tiles/places,facilities.json", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "map.example.org")
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var tj TileJSON
	if err := json.Unmarshal(w.Body.Bytes(), &tj); err != nil {
		t.Fatal(err)
	}
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 ||
		tj.Tiles[0] != "https://map.example.org/tiles/places,facilities/{z}/{x}/{y}.mvt" || tj.MaxZoom != 16 ||
		tj.MinZoom != 8 || tj.Attribution != Attribution {
		t.Errorf("%+v", tj)
	}
	if tj.Bounds != [4]float64{121.55, 28.85, 122.2, 29.75} || tj.Center[2] != DefaultCenterZoom ||
		!DefaultBounds.Contains(orb.Point{tj.Center[0], tj.Center[1]}) {
		t.Errorf("bounds %v center %v", tj.Bounds, tj.Center)
	}
	if len(tj.VectorLayers) != 2 || tj.VectorLayers[0].ID != "places" || tj.VectorLayers[0].Fields["heritage"] != Boolean ||
		tj.VectorLayers[1].Fields["capacity_beds"] != Number || tj.VectorLayers[1].MinZoom != 8 ||
		tj.VectorLayers[1].Description == "" {
		t.Errorf("vector_layers %+v", tj.VectorLayers)
	}
	w = get(h, "/tiles/"+AllLayers()+".json")
	_ = json.Unmarshal(w.Body.Bytes(), &tj)
	if tj.MinZoom != 0 || len(tj.VectorLayers) != len(Layers) || !strings.HasPrefix(tj.Tiles[0], "http://example.com/") {
		t.Errorf("all layers: %+v", tj)
	}
}

// TileJSON and style URLs come from Options.PublicURL, else from the request: X-Forwarded-* only under TrustProxy.
// Vary names what they came from.
func TestDocumentBaseURL(t *testing.T) {
	fwd := []string{"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https"}
	tests := []struct {
		name string
		opts Options
		host string
		tls  bool
		hdr  []string
		base string
		vary string
	}{
		{"request host", Options{}, "map.local:8080", false, nil, "http://map.local:8080", "Host"},
		{"forwarded headers ignored by default", Options{}, "map.local", false, fwd, "http://map.local", "Host"},
		{"TLS", Options{}, "map.local", true, fwd, "https://map.local", "Host"},
		{"trusted proxy", Options{TrustProxy: true}, "10.0.0.2:8080", false, fwd, "https://evil.example",
			"Host, X-Forwarded-Host, X-Forwarded-Proto"},
		{"trusted proxy, first values", Options{TrustProxy: true}, "10.0.0.2", false,
			[]string{"X-Forwarded-Host", "a.example, b.example", "X-Forwarded-Proto", "HTTPS, http"}, "https://a.example",
			"Host, X-Forwarded-Host, X-Forwarded-Proto"},
		{"trusted proxy, bad host ignored", Options{TrustProxy: true}, "map.local", false,
			[]string{"X-Forwarded-Host", "evil.example/x", "X-Forwarded-Proto", "gopher"}, "http://map.local",
			"Host, X-Forwarded-Host, X-Forwarded-Proto"},
		{"trusted proxy without headers", Options{TrustProxy: true}, "map.local", false, nil, "http://map.local",
			"Host, X-Forwarded-Host, X-Forwarded-Proto"},
		{"public URL", Options{PublicURL: "https://map.example.gov.cn"}, "map.local", false, fwd,
			"https://map.example.gov.cn", ""},
		{"public URL wins over a trusted proxy", Options{PublicURL: "https://map.example.gov.cn/civmap/", TrustProxy: true},
			"map.local", false, fwd, "https://map.example.gov.cn/civmap", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, h := newTestService(t, tc.opts)
			for _, path := range []string{"/tiles/places.json", "/tiles/style.json"} {
				r := httptest.NewRequest(http.MethodGet, path, nil)
				r.Host = tc.host
				if !tc.tls {
					r.TLS = nil
				} else if r.TLS == nil {
					r.TLS = &tls.ConnectionState{}
				}
				for i := 0; i+1 < len(tc.hdr); i += 2 {
					r.Header.Set(tc.hdr[i], tc.hdr[i+1])
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				var doc struct {
					Tiles   []string                  `json:"tiles"`
					Sources map[string]map[string]any `json:"sources"`
				}
				if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &doc) != nil {
					t.Fatalf("%s: %d %s", path, w.Code, w.Body)
				}
				got, want := "", ""
				if path == "/tiles/places.json" {
					got, want = doc.Tiles[0], tc.base+"/tiles/places/{z}/{x}/{y}.mvt"
				} else {
					got, _ = doc.Sources[StyleSource]["url"].(string)
					want = tc.base + "/tiles/" + AllLayers() + ".json"
				}
				if got != want {
					t.Errorf("%s: URL %q, want %q", path, got, want)
				}
				if v := strings.Join(w.Header().Values("Vary"), ", "); v != tc.vary {
					t.Errorf("%s: Vary %q, want %q", path, v, tc.vary)
				}
			}
		})
	}
	for _, bad := range []string{"map.example.gov.cn", "ftp://map.example", "https://", "https://map.example/?a=1",
		"https://u@map.example", "https://map.example/#x", ":"} {
		if _, err := NewService(&memSource{}, Options{PublicURL: bad}); err == nil {
			t.Errorf("PublicURL %q accepted", bad)
		}
	}
}

// styleKeys are the paint and layout properties of the MapLibre style spec (v8) for the layer types the style uses.
var styleKeys = map[string][]string{
	"background": {"background-color", "background-opacity", "visibility"},
	"fill":       {"fill-color", "fill-opacity", "fill-outline-color", "fill-antialias", "visibility"},
	"line": {"line-color", "line-width", "line-opacity", "line-dasharray", "line-cap", "line-join", "line-offset",
		"visibility"},
	"circle": {"circle-color", "circle-radius", "circle-opacity", "circle-stroke-color", "circle-stroke-width",
		"circle-stroke-opacity", "circle-blur", "visibility"},
	"symbol": {"text-field", "text-font", "text-size", "text-offset", "text-anchor", "text-optional", "text-color",
		"text-halo-color", "text-halo-width", "symbol-placement", "visibility", "text-max-width", "symbol-sort-key",
		"icon-image", "icon-size", "icon-allow-overlap", "icon-ignore-placement", "icon-opacity"},
}

func TestStyle(t *testing.T) {
	_, _, h := newTestService(t, Options{})
	w := get(h, "/tiles/style.json")
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var st struct {
		Version  int                        `json:"version"`
		Glyphs   *string                    `json:"glyphs"`
		Sprite   any                        `json:"sprite"`
		Sources  map[string]map[string]any  `json:"sources"`
		Layers   []map[string]any           `json:"layers"`
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Version != 8 || st.Glyphs != nil || st.Sprite != nil || len(st.Sources) != 1 ||
		st.Sources[StyleSource]["url"] != "http://example.com/tiles/"+AllLayers()+".json" ||
		st.Sources[StyleSource]["type"] != "vector" {
		t.Fatalf("style head: %+v", st)
	}
	ids := map[string]bool{}
	used := map[string]bool{}
	for _, l := range st.Layers {
		id, _ := l["id"].(string)
		typ, _ := l["type"].(string)
		if id == "" || ids[id] {
			t.Errorf("layer id %q empty or repeated", id)
		}
		ids[id] = true
		if typ != "background" {
			sl, _ := l["source-layer"].(string)
			if _, ok := LayerByName(sl); !ok || l["source"] != StyleSource {
				t.Errorf("%s: source-layer %q", id, sl)
			}
			used[sl] = true
		}
		meta, _ := l["metadata"].(map[string]any)
		if title, _ := meta["civmap:title"].(string); title == "" || meta["civmap:group"] == nil {
			t.Errorf("%s: metadata %v", id, meta)
		}
		for _, part := range []string{"paint", "layout"} {
			props, _ := l[part].(map[string]any)
			for k := range props {
				if !slices.Contains(styleKeys[typ], k) {
					t.Errorf("%s (%s): %s property %q", id, typ, part, k)
				}
			}
		}
		if typ == "line" && id == "boundary-lines" {
			if _, ok := l["paint"].(map[string]any)["line-dasharray"]; !ok {
				t.Error("boundary lines not dashed")
			}
		}
	}
	for _, l := range Layers {
		if !used[l.Name] {
			t.Errorf("no style layer draws %s", l.Name)
		}
	}
	// Facilities: one colour per type in a match expression, and the legend in the metadata.
	var fac map[string]any
	for _, l := range st.Layers {
		if l["id"] == "facilities" {
			fac = l
		}
	}
	match, _ := fac["paint"].(map[string]any)["circle-color"].([]any)
	if len(match) != 2+2*len(facilities.Types)+1 || match[0] != "match" {
		t.Fatalf("facility colours %v", match)
	}
	for ty := range facilities.Types {
		if !slices.Contains(match, any(ty)) {
			t.Errorf("type %s has no colour", ty)
		}
	}
	var legend []map[string]any
	_ = json.Unmarshal(st.Metadata["civmap:facility-types"], &legend)
	if len(legend) != len(facilities.Types) {
		t.Errorf("legend %v", legend)
	}
	for _, e := range legend {
		if facilities.Types[e["type"].(string)] != e["name"] || !strings.HasPrefix(e["color"].(string), "#") {
			t.Errorf("legend entry %v", e)
		}
	}
	if !strings.Contains(w.Body.String(), "乡镇") {
		t.Error("no Chinese titles")
	}
}

// routeStore is the store behind TestRouteTables: empty lists; any other call panics through the nil interfaces (a
// 500 the test would see).
type routeStore struct {
	gazetteerStore
	facilitiesStore
}

type (
	gazetteerStore  = gazetteer.Store
	facilitiesStore = facilities.Store
)

func (routeStore) Divisions(context.Context, gazetteer.DivisionQuery) ([]gazetteer.Division, error) {
	return nil, nil
}

func (routeStore) Places(context.Context, gazetteer.PlaceQuery) (gazetteer.PlacePage, error) {
	return gazetteer.PlacePage{}, nil
}

func (routeStore) Facilities(context.Context, facilities.FacilityQuery) (facilities.FacilityPage, error) {
	return facilities.FacilityPage{}, nil
}

func (routeStore) Demand(context.Context, string) ([]facilities.DemandUnit, error) { return nil, nil }

// The real route tables — gazetteer, facilities and tiles on one httpx.NewRouter, with the map client's catch-all after
// them as civmap serve wires it — answer every error as a problem: wrong methods (405 with the API's Allow), unknown
// paths (404), bad query parameters (400 naming them).
func TestRouteTables(t *testing.T) {
	svc, _, _ := newTestService(t, Options{})
	r := httpx.NewRouter()
	st := routeStore{}
	gazetteer.NewService(st).Routes(r)
	facilities.Routes(r, st, st)
	Routes(r, svc)
	r.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {}).Methods(http.MethodGet)
	r.PathPrefix("/").Handler(web.Handler())
	h := httpx.Recover(r)
	tests := []struct {
		method, path string
		status       int
		allow, field string
	}{
		{"PUT", "/api/places", 405, "GET, HEAD, POST", "method"},
		{"OPTIONS", "/api/places", 405, "GET, HEAD, POST", "method"},
		{"DELETE", "/api/divisions", 405, "GET, HEAD, POST", "method"},
		{"POST", "/api/places/p1", 405, "DELETE, GET, HEAD, PATCH, PUT", "method"},
		{"PATCH", "/api/facilities", 405, "GET, HEAD, POST", "method"},
		{"PUT", "/api/demand", 405, "GET, HEAD, POST", "method"},
		{"POST", "/tiles/places/1/1/1.mvt", 405, "GET, HEAD, OPTIONS", "method"},
		{"DELETE", "/tiles/style.json", 405, "GET, HEAD, OPTIONS", "method"},
		{"GET", "/api/nope", 404, "", "path"},
		{"GET", "/api/places/p1/nope", 404, "", "path"},
		{"GET", "/tiles/places/2/1/1.mvt/extra", 404, "", "path"},
		{"GET", "/tiles/places.png", 404, "", "path"},
		{"GET", "/tiles/", 404, "", "path"},
		{"GET", "/api/places?q=%FF%FE", 400, "", "q"},
		{"GET", "/api/places?limit=0", 400, "", "limit"},
		{"GET", "/api/places?lat=29.3&lat=10", 400, "", "lat"},
		{"GET", "/api/divisions?limit=-1", 400, "", "limit"},
		{"GET", "/api/divisions?level=village&limit=5000", 400, "", "limit"},
		{"GET", "/api/divisions?bbox=1,2,3", 400, "", "bbox"},
		{"GET", "/api/demand?limit=1001", 400, "", "limit"},
		{"GET", "/api/facilities?type=%C3", 400, "", "type"},
		{"GET", "/tiles/places.json?v=1&v=2", 400, "", "v"},
		{"GET", "/tiles/places/14/13733/6750.mvt?x=%FF", 400, "", "x"},
		{"GET", "/api/places", 200, "", ""},
		{"GET", "/api/divisions?level=village&limit=5", 200, "", ""},
		{"GET", "/api/demand?bbox=121,29,122,30", 200, "", ""},
		{"GET", "/tiles/places.json", 200, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			ct := w.Header().Get("Content-Type")
			if w.Code != tc.status || w.Header().Get("Allow") != tc.allow {
				t.Fatalf("%d %q Allow %q, want %d Allow %q: %s", w.Code, ct, w.Header().Get("Allow"), tc.status, tc.allow, w.Body)
			}
			if tc.status < 400 {
				if !strings.Contains(ct, "json") {
					t.Errorf("Content-Type %q", ct)
				}
				return
			}
			var p httpx.Problem
			if ct != httpx.ProblemContentType || json.Unmarshal(w.Body.Bytes(), &p) != nil || p.Status != tc.status {
				t.Fatalf("not a %d problem: %q %s", tc.status, ct, w.Body)
			}
			if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
				t.Errorf("errors %+v, want one naming %s", p.Errors, tc.field)
			}
		})
	}
}

// TestStyleWithBasemap: with land and a sprite, the sea is the background, the land a GeoJSON fill with its coastline,
// and the facilities a symbol layer whose icon-image names a distinct sprite icon for every type.
func TestStyleWithBasemap(t *testing.T) {
	st := Style("http://example.com", orb.Point{121.87, 29.47}, DefaultBounds,
		Basemap{LandURL: "/basemap/land.geojson", SpriteURL: "/sprite/facilities"})
	if st["sprite"] != "http://example.com/sprite/facilities" {
		t.Errorf("sprite %v", st["sprite"])
	}
	land := st["sources"].(map[string]any)["land"].(map[string]any)
	if land["type"] != "geojson" || land["data"] != "http://example.com/basemap/land.geojson" {
		t.Errorf("land source %v", land)
	}
	layers := st["layers"].([]map[string]any)
	byID := map[string]map[string]any{}
	order := []string{}
	for _, l := range layers {
		byID[l["id"].(string)] = l
		order = append(order, l["id"].(string))
	}
	if order[0] != "background" || order[1] != "land" || order[2] != "coastline" ||
		byID["background"]["paint"].(map[string]any)["background-color"] != SeaColour {
		t.Errorf("layer order %v", order[:3])
	}
	fac := byID["facilities"]
	if fac["type"] != "symbol" {
		t.Fatalf("facilities: %v layer", fac["type"])
	}
	icon := fac["layout"].(map[string]any)["icon-image"].([]any)
	icons := map[any]bool{}
	for ty := range facilities.Types {
		i := slices.Index(icon, any(ty))
		if i < 2 || i+1 >= len(icon) {
			t.Errorf("type %s has no icon", ty)
			continue
		}
		icons[icon[i+1]] = true
	}
	if len(icons) != len(facilities.Types) || len(icon) != 2+2*len(facilities.Types)+1 {
		t.Errorf("%d distinct icons for %d types: %v", len(icons), len(facilities.Types), icon)
	}
	// Facility names from z14: text-field is "" below.
	if tf := fac["layout"].(map[string]any)["text-field"].([]any); tf[0] != "step" || tf[3] != 14.0 && tf[3] != 14 {
		t.Errorf("facility labels %v", tf)
	}
	// The township choropleth fades from z12 to z16, where a township-wide grey would bury the places.
	if op := byID["township-fill"]["paint"].(map[string]any)["fill-opacity"].([]any); op[0] != "interpolate" ||
		op[3] != 12 || op[4] != 0.55 || op[5] != 16 || op[6].(float64) >= op[4].(float64) {
		t.Errorf("township-fill opacity %v", op)
	}
	// Place labels draw points only (area places have their label point), so a polygon is labelled once.
	if f := byID["place-labels"]["filter"].([]any); f[0] != "match" || !slices.Equal(f[2].([]any), []any{"Point", "MultiPoint"}) {
		t.Errorf("place-labels filter %v", f)
	}
}
