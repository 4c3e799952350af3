package basemap

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/protomaps/go-pmtiles/pmtiles"

	"civmap/internal/httpx"
	"civmap/tiles"
)

// tilePNG is a 4×4 PNG whose colour encodes z/x/y, so a wrong tile is told from the right one.
func tilePNG(t *testing.T, z, x, y int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range 16 {
		img.Set(i%4, i/4, color.RGBA{uint8(z * 30), uint8(x), uint8(y), 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeArchive writes a PMTiles v3 archive of PNG tiles for every z/x/y with z ≤ maxZ except those skip names, with
// go-pmtiles' header, directory and metadata encoders; rootEntries small forces leaf directories. It returns the
// path and the tiles by "z/x/y".
func writeArchive(t *testing.T, maxZ int, rootEntries int, skip map[string]bool) (string, map[string][]byte) {
	t.Helper()
	return writeArchiveOf(t, maxZ, rootEntries, skip, pmtiles.Png, pmtiles.NoCompression, func(z, x, y int) []byte { return tilePNG(t, z, x, y) })
}

// writeArchiveOf writes an archive of tiles of tileType stored with compression, each made by tile.
func writeArchiveOf(t *testing.T, maxZ int, rootEntries int, skip map[string]bool, tileType pmtiles.TileType,
	compression pmtiles.Compression, tile func(z, x, y int) []byte) (string, map[string][]byte) {
	t.Helper()
	var data bytes.Buffer
	var entries []pmtiles.EntryV3
	want := map[string][]byte{}
	type zxy struct{ z, x, y int }
	var all []zxy
	for z := 0; z <= maxZ; z++ {
		for x := 0; x < 1<<z; x++ {
			for y := 0; y < 1<<z; y++ {
				all = append(all, zxy{z, x, y})
			}
		}
	}
	// Entries in tile id (Hilbert) order, as the format requires.
	byID := map[uint64]zxy{}
	ids := make([]uint64, 0, len(all))
	for _, c := range all {
		id := pmtiles.ZxyToID(uint8(c.z), uint32(c.x), uint32(c.y))
		byID[id] = c
		ids = append(ids, id)
	}
	slicesSort(ids)
	for _, id := range ids {
		c := byID[id]
		key := fmt.Sprintf("%d/%d/%d", c.z, c.x, c.y)
		if skip[key] {
			continue
		}
		b := tile(c.z, c.x, c.y)
		want[key] = b
		entries = append(entries, pmtiles.EntryV3{TileID: id, Offset: uint64(data.Len()), Length: uint32(len(b)), RunLength: 1})
		data.Write(b)
	}
	root, leaves, _ := pmtiles.BuildDirectories(entries, rootEntries, pmtiles.Gzip)
	meta, err := pmtiles.SerializeMetadata(map[string]any{"attribution": "测试底图 © civmap"}, pmtiles.Gzip)
	if err != nil {
		t.Fatal(err)
	}
	h := pmtiles.HeaderV3{SpecVersion: 3, InternalCompression: pmtiles.Gzip, TileCompression: compression,
		TileType: tileType, MinZoom: 0, MaxZoom: uint8(maxZ), MinLonE7: 1215000000, MinLatE7: 288000000,
		MaxLonE7: 1222000000, MaxLatE7: 298000000, AddressedTilesCount: uint64(len(entries)),
		TileEntriesCount: uint64(len(entries)), TileContentsCount: uint64(len(entries))}
	h.RootOffset = pmtiles.HeaderV3LenBytes
	h.RootLength = uint64(len(root))
	h.MetadataOffset = h.RootOffset + h.RootLength
	h.MetadataLength = uint64(len(meta))
	h.LeafDirectoryOffset = h.MetadataOffset + h.MetadataLength
	h.LeafDirectoryLength = uint64(len(leaves))
	h.TileDataOffset = h.LeafDirectoryOffset + h.LeafDirectoryLength
	h.TileDataLength = uint64(data.Len())
	var out bytes.Buffer
	out.Write(pmtiles.SerializeHeader(h))
	out.Write(root)
	out.Write(meta)
	out.Write(leaves)
	out.Write(data.Bytes())
	path := filepath.Join(t.TempDir(), "xiangshan.pmtiles")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, want
}

func slicesSort(s []uint64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func newHandler(t *testing.T, opts Options) (*Server, http.Handler) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := httpx.NewRouter()
	s.Routes(r)
	return s, r
}

func do(h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestArchive: every tile of a generated archive (z0–5, 1,365 tiles, leaf directories) comes back byte for byte;
// a tile the archive lacks is 204; bad z/x/y or the wrong extension 400; the archive itself answers range requests.
func TestArchive(t *testing.T) {
	path, want := writeArchive(t, 5, 32, map[string]bool{"5/3/4": true})
	s, h := newHandler(t, Options{PMTiles: path})
	if len(s.archive.root) >= len(want) {
		t.Fatalf("root directory holds %d entries: no leaf directories tested", len(s.archive.root))
	}
	for key, b := range want {
		w := do(h, "GET", "/basemap/pmtiles/"+key+".png")
		if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), b) || w.Header().Get("Content-Type") != "image/png" {
			t.Fatalf("%s: %d %s, %d bytes (want %d)", key, w.Code, w.Header().Get("Content-Type"), w.Body.Len(), len(b))
		}
	}
	for _, c := range []struct {
		path string
		code int
	}{
		{"/basemap/pmtiles/5/3/4.png", 204}, // not in the archive
		{"/basemap/pmtiles/6/0/0.png", 204}, // beyond its max zoom
		{"/basemap/pmtiles/2/4/0.png", 400}, // x out of range at z2
		{"/basemap/pmtiles/2/1/1.mvt", 400}, // the archive is PNG
		{"/basemap/pmtiles/99/1/1.png", 400},
	} {
		if w := do(h, "GET", c.path); w.Code != c.code {
			t.Errorf("%s: %d, want %d (%s)", c.path, w.Code, c.code, w.Body)
		}
	}
	raw, _ := os.ReadFile(path)
	w := do(h, "GET", "/basemap/archive.pmtiles", "Range", "bytes=0-126")
	if w.Code != http.StatusPartialContent || !bytes.Equal(w.Body.Bytes(), raw[:127]) ||
		w.Header().Get("Content-Range") != fmt.Sprintf("bytes 0-126/%d", len(raw)) {
		t.Errorf("range: %d %q, %d bytes", w.Code, w.Header().Get("Content-Range"), w.Body.Len())
	}
	if hdr, err := pmtiles.DeserializeHeader(w.Body.Bytes()); err != nil || hdr.TileType != pmtiles.Png {
		t.Errorf("header read back through a range request: %+v %v", hdr, err)
	}
	if w := do(h, "GET", "/basemap/archive.pmtiles", "Range", fmt.Sprintf("bytes=%d-", len(raw)-10)); w.Code != 206 ||
		!bytes.Equal(w.Body.Bytes(), raw[len(raw)-10:]) {
		t.Errorf("suffix range: %d, %d bytes", w.Code, w.Body.Len())
	}
	st := s.Style()
	if st.Archive == nil || st.Archive.Vector || st.Archive.Tiles != "/basemap/pmtiles/{z}/{x}/{y}.png" ||
		st.Archive.MaxZoom != 5 || st.Archive.Attribution != "测试底图 © civmap" || st.Archive.Bounds[0] != 121.5 {
		t.Errorf("style source %+v", st.Archive)
	}
	if _, err := New(Options{PMTiles: filepath.Join(t.TempDir(), "none.pmtiles")}); err == nil {
		t.Error("a missing archive opened")
	}
	bad := filepath.Join(t.TempDir(), "bad.pmtiles")
	_ = os.WriteFile(bad, []byte("not an archive at all, but long enough to hold a header of 127 bytes……………………………………………………………………"), 0o644)
	if _, err := New(Options{PMTiles: bad}); err == nil || !strings.Contains(err.Error(), "PMTiles") {
		t.Errorf("a non-archive: %v", err)
	}
}

// TestRefuseOffsetSources: 高德, 腾讯 and 百度 tile URLs are refused with the offset named; 天地图 and OSM are taken.
func TestRefuseOffsetSources(t *testing.T) {
	for _, c := range []struct {
		url, provider, crs, says string
	}{
		{"https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}", "高德", "GCJ-02", "490 米"},
		{"https://wprd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=7", "高德", "GCJ-02", "490 米"},
		{"https://webst01.is.AMAP.com/appmaptile?style=6&x={x}&y={y}&z={z}", "高德", "GCJ-02", "490 米"},
		{"https://rt0.map.gtimg.com/tile?z={z}&x={x}&y={y}&styleid=1000", "腾讯", "GCJ-02", "490 米"},
		{"https://maponline0.bdimg.com/tile/?qt=vtile&x={x}&y={y}&z={z}", "百度", "BD-09", "1.08 千米"},
		{"https://api.map.baidu.com/customimage/tile?x={x}&y={y}&z={z}", "百度", "BD-09", "1.08 千米"},
	} {
		err := CheckSource(c.url)
		var ref *Refusal
		if !errors.As(err, &ref) || ref.Provider != c.provider || ref.CRS != c.crs {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.says) || !strings.Contains(msg, c.crs) || !strings.Contains(msg, "天地图") {
			t.Errorf("%s: message %q", c.url, msg)
		}
		if _, err := New(Options{URL: c.url}); !errors.As(err, &ref) {
			t.Errorf("New(%s): %v", c.url, err)
		}
	}
	for _, ok := range []string{
		"https://t{s}.tianditu.gov.cn/img_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=img&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}&tk={key}",
		"https://tile.openstreetmap.org/{z}/{x}/{y}.png",
		"https://notamap.com.example.org/{z}/{x}/{y}.png", // amap.com only as the host's suffix counts
	} {
		if err := CheckSource(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"tile.openstreetmap.org/{z}/{x}/{y}.png", "https://example.org/tiles/{z}/{x}.png", "ftp://x/{z}/{x}/{y}"} {
		if err := CheckSource(bad); err == nil {
			t.Errorf("%s taken", bad)
		}
	}
}

// TestRasterProxy: the browser asks /basemap/raster/{z}/{x}/{y}; the server fetches the upstream tile with the key
// filled in, and the key appears in no answer — not in the style, not in an error.
func TestRasterProxy(t *testing.T) {
	const key = "secret-tk-0123456789"
	var mu sync.Mutex
	var got []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RawQuery)
		mu.Unlock()
		q := r.URL.Query()
		switch {
		case q.Get("tk") != key:
			w.Header().Set("Content-Type", "text/xml")
			_, _ = io.WriteString(w, "<error>bad key "+q.Get("tk")+"</error>")
		case q.Get("TILEROW") == "404":
			http.NotFound(w, r)
		case q.Get("TILEROW") == "500":
			http.Error(w, "upstream broke; your key was "+key, 500)
		default:
			w.Header().Set("Content-Type", "image/png")
			_, _ = fmt.Fprintf(w, "PNG %s/%s/%s", q.Get("TILEMATRIX"), q.Get("TILECOL"), q.Get("TILEROW"))
		}
	}))
	defer up.Close()
	tmpl := up.URL + "/img_w/wmts?SERVICE=WMTS&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}&tk={key}"
	s, h := newHandler(t, Options{URL: tmpl, Key: key, Attribution: "天地图"})

	w := do(h, "GET", "/basemap/raster/12/3424/1707")
	if w.Code != 200 || w.Body.String() != "PNG 12/3424/1707" || w.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("tile: %d %q", w.Code, w.Body)
	}
	if len(got) != 1 || !strings.Contains(got[0], "tk="+key) {
		t.Errorf("upstream saw %v", got)
	}
	if w := do(h, "GET", "/basemap/raster/12/3424/404"); w.Code != 204 {
		t.Errorf("upstream 404: %d", w.Code)
	}
	w = do(h, "GET", "/basemap/raster/12/3424/500")
	if w.Code != 502 || strings.Contains(w.Body.String(), key) || strings.Contains(w.Body.String(), up.URL) {
		t.Errorf("upstream 500: %d %s", w.Code, w.Body)
	}
	if w := do(h, "GET", "/basemap/raster/12/3424/1707.png"); w.Code != 400 {
		t.Errorf("with extension: %d", w.Code)
	}
	if w := do(h, "GET", "/basemap/raster/30/0/0"); w.Code != 400 {
		t.Errorf("z 30: %d", w.Code)
	}
	// A wrong key: 天地图 answers 200 with XML; that is a 502 saying to check the key, and it shows no key.
	_, hBad := newHandler(t, Options{URL: tmpl, Key: "wrong"})
	if w := do(hBad, "GET", "/basemap/raster/1/0/0"); w.Code != 502 || !strings.Contains(w.Body.String(), "key") ||
		strings.Contains(w.Body.String(), "wrong") {
		t.Errorf("bad key: %d %s", w.Code, w.Body)
	}

	style, _ := json.Marshal(tiles.Style("http://civmap.example", [2]float64{121.87, 29.47}, tiles.DefaultBounds, s.Style()))
	if strings.Contains(string(style), key) || strings.Contains(string(style), up.URL) {
		t.Errorf("the style leaks the upstream or its key: %s", style)
	}
	if !strings.Contains(string(style), `"http://civmap.example/basemap/raster/{z}/{x}/{y}"`) || !strings.Contains(string(style), "天地图") {
		t.Errorf("style has no proxied raster source: %s", style)
	}
	if _, err := New(Options{URL: tmpl}); err == nil {
		t.Error("{key} without a key accepted")
	}
}

// TestLand: the land GeoJSON is served as given; without land (or archive, or URL) the routes are 404 problems.
func TestLand(t *testing.T) {
	land := []byte(`{"type":"FeatureCollection","features":[]}`)
	s, h := newHandler(t, Options{Land: land})
	if w := do(h, "GET", "/basemap/land.geojson"); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), land) ||
		w.Header().Get("Content-Type") != "application/geo+json" {
		t.Errorf("land: %d %s", w.Code, w.Header())
	}
	if s.Style().LandURL != "/basemap/land.geojson" || s.Style().Raster != nil || s.Style().Archive != nil {
		t.Errorf("style %+v", s.Style())
	}
	for _, p := range []string{"/basemap/archive.pmtiles", "/basemap/pmtiles/0/0/0.png", "/basemap/raster/0/0/0"} {
		if w := do(h, "GET", p); w.Code != 404 || !strings.Contains(w.Header().Get("Content-Type"), "problem") {
			t.Errorf("%s: %d %s", p, w.Code, w.Header().Get("Content-Type"))
		}
	}
}

// tileMVT is a gzip-compressed vector tile in the Protomaps basemap schema's layer names: "earth" (a polygon over the
// whole tile) and "water" (a point whose properties carry z/x/y), so that a wrong tile is told from the right one.
func tileMVT(t *testing.T, z, x, y int) []byte {
	earth := geojson.NewFeature(orb.Polygon{{{0, 0}, {4096, 0}, {4096, 4096}, {0, 4096}, {0, 0}}})
	earth.Properties["kind"] = "earth"
	water := geojson.NewFeature(orb.Point{2048, 2048})
	water.Properties["kind"] = "ocean"
	water.Properties["zxy"] = fmt.Sprintf("%d/%d/%d", z, x, y)
	layers := mvt.Layers{
		{Name: "earth", Version: 2, Extent: 4096, Features: []*geojson.Feature{earth}},
		{Name: "water", Version: 2, Extent: 4096, Features: []*geojson.Feature{water}},
	}
	b, err := mvt.MarshalGzipped(layers)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVectorArchive: an archive of gzip-compressed vector tiles (Protomaps schema) is served as .mvt with
// Content-Encoding gzip, each tile its own; the style gets a vector source without a tileSize and the metadata that
// tells the client to add @protomaps/basemaps' layers (web/src/map/index.js prepareStyle).
func TestVectorArchive(t *testing.T) {
	path, want := writeArchiveOf(t, 4, 32, nil, pmtiles.Mvt, pmtiles.Gzip, func(z, x, y int) []byte { return tileMVT(t, z, x, y) })
	s, h := newHandler(t, Options{PMTiles: path})
	for key, b := range want {
		w := do(h, "GET", "/basemap/pmtiles/"+key+".mvt", "Accept-Encoding", "gzip")
		if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" ||
			w.Header().Get("Content-Type") != "application/vnd.mapbox-vector-tile" || !bytes.Equal(w.Body.Bytes(), b) {
			t.Fatalf("%s: %d %v", key, w.Code, w.Header())
		}
		zr, err := gzip.NewReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(zr)
		layers, err := mvt.Unmarshal(raw)
		if err != nil || len(layers) != 2 || layers[1].Name != "water" || layers[1].Features[0].Properties["zxy"] != key {
			t.Fatalf("%s: tile decodes to %v (%v)", key, layers, err)
		}
	}
	if w := do(h, "GET", "/basemap/pmtiles/1/0/0.png"); w.Code != 400 {
		t.Errorf("a PNG asked of a vector archive: %d", w.Code)
	}
	st := s.Style()
	if st.Archive == nil || !st.Archive.Vector || st.Archive.Tiles != "/basemap/pmtiles/{z}/{x}/{y}.mvt" || st.Archive.MaxZoom != 4 {
		t.Fatalf("style source %+v", st.Archive)
	}
	style := tiles.Style("http://civmap.example", orb.Point{121.87, 29.47}, tiles.DefaultBounds, st)
	src := style["sources"].(map[string]any)["basemap"].(map[string]any)
	if src["type"] != "vector" || src["tileSize"] != nil || src["tiles"].([]any)[0] != "http://civmap.example/basemap/pmtiles/{z}/{x}/{y}.mvt" {
		t.Errorf("basemap source %v", src)
	}
	if bm := style["metadata"].(map[string]any)["civmap:basemap"].(map[string]any); bm["source"] != "basemap" || bm["schema"] != "protomaps" {
		t.Errorf("civmap:basemap %v", bm)
	}
	for _, l := range style["layers"].([]map[string]any) {
		if l["source"] == "basemap" {
			t.Errorf("layer %v draws the vector basemap: its layers are the client's", l["id"])
		}
	}
}
