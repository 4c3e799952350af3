package tiles

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/mux"
	"github.com/klauspost/compress/gzip"

	"civmap/internal/httpx"
)

// MVTContentType is the media type of Mapbox Vector Tiles.
const MVTContentType = "application/vnd.mapbox-vector-tile"

var (
	mvtContentType     = []string{MVTContentType}
	varyAcceptEncoding = []string{"Accept-Encoding"}
)

// Attribution is the TileJSON attribution of every tileset.
const Attribution = "地名 © OpenStreetMap 贡献者（ODbL）；区划代码 国家统计局；乡镇界为示意（非权威）；设施与老年人口为示意数据"

// Routes registers the tile endpoints on r (on a subrouter matching the encoded path, so read variables with
// httpx.PathVar):
//
//	GET /tiles/{layers}/{z}/{x}/{y}.mvt   MVT 2.1 tile; {layers} is one layer name or a comma list (ParseLayers)
//	GET /tiles/{layers}.json              TileJSON 3.0.0 of those layers
//	GET /tiles/style.json                 MapLibre style (v8) of all layers
//
// Each also answers HEAD, and OPTIONS as a CORS preflight (204). Every answer carries Access-Control-Allow-Origin: *.
// Every path segment is percent-decoded alike (httpx.PathVar). Tiles: 200 with the tile (gzip with Content-Encoding:
// gzip when Accept-Encoding allows it by httpx.AcceptsEncoding), 204 when empty or when no requested layer is shown at
// z, 304 when If-None-Match holds the ETag; 400 for bad z/x/y, extension or layer list, 404 for an unknown layer, 503
// when a render times out (concurrent requests for one tile share its render) — errors as RFC 9457 problems. TileJSON
// and style URLs are absolute, based on Options.PublicURL, else on the request (Options.TrustProxy); when they depend
// on the request the answer says so in Vary (Host, plus X-Forwarded-Host and X-Forwarded-Proto when trusted).
func Routes(r *mux.Router, svc *Service) {
	gdalRoutes(r, svc) // GET /tiles/{layers}/metadata.json, 400 for literal {z}/{x}/{y} (gdal.go)
	routes(r, svc.serveStyle, svc.serveTileJSON, svc.serveTile)
}

// routes registers the three endpoints; CeilingHandler uses it too, so the benchmarks' ceiling goes through the same
// matching.
func routes(r *mux.Router, style, tileJSON, tile http.HandlerFunc) {
	sr := httpx.Sub(r)
	sr.Use(CORS.Handler)
	methods := []string{http.MethodGet, http.MethodHead, http.MethodOptions}
	sr.HandleFunc("/tiles/style.json", style).Methods(methods...)
	sr.HandleFunc("/tiles/{layers}.json", tileJSON).Methods(methods...)
	sr.HandleFunc("/tiles/{layers}/{z}/{x}/{y}", tile).Methods(methods...)
}

// CORS lets any origin read the tiles (they are public map data); preflights may ask for any request header
// (Authorization included, for a server run with --anonymous none). A server wrapping the tiles in sign-in applies it
// before sign-in too (httpx.PathCORS), since a preflight carries no token.
var CORS = httpx.CORS{
	Methods:        []string{http.MethodGet, http.MethodHead, http.MethodOptions},
	DefaultHeaders: []string{"Accept", "Accept-Encoding", "If-None-Match", "Cache-Control", "Range"},
	Expose:         []string{"ETag", "Content-Encoding", "Content-Length", "X-Request-Id"},
}

// serveTile answers GET /tiles/{layers}/{z}/{x}/{y}.mvt through the router; {y} holds the extension.
func (s *Service) serveTile(w http.ResponseWriter, r *http.Request) {
	// Every segment is percent-decoded alike (PathVar): %32 is "2" in z as %64 is "d" in the layer list.
	var seg [4]string
	for i, name := range [...]string{"layers", "z", "x", "y"} {
		v, err := httpx.PathVar(r, name)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		seg[i] = v
	}
	s.writeTile(w, r, seg)
}

// PlainTileRequest reports whether r is a tile request in its usual form, which TileHandler answers without a router:
// GET or HEAD of /tiles/{layers}/{z}/{x}/{y}.{ext}, with no percent-escape, no query and no empty segment. Any other
// request under /tiles goes through Routes, whose answer to a plain tile request is the same.
func PlainTileRequest(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || r.URL.RawQuery != "" || r.URL.RawPath != "" {
		return false
	}
	_, ok := plainTileSegments(r.URL.Path)
	return ok
}

// plainTileSegments splits "/tiles/L/Z/X/Y.EXT" into its four segments, without allocating; ok is false for any other
// shape (or a segment holding % or a brace, left to the router's decoding and its answer to URL templates).
func plainTileSegments(p string) (seg [4]string, ok bool) {
	rest, found := strings.CutPrefix(p, "/tiles/")
	if !found || strings.ContainsAny(rest, "%{}") {
		return seg, false
	}
	for i := range 3 {
		var cut bool
		seg[i], rest, cut = strings.Cut(rest, "/")
		if !cut || seg[i] == "" {
			return seg, false
		}
	}
	if rest == "" || strings.IndexByte(rest, '/') >= 0 {
		return seg, false
	}
	seg[3] = rest
	// the coverage tiles (CoverageRoutes) are computed per request, never through the layer cache
	return seg, seg[0] != CoverageLayer
}

// TileHandler answers the requests that PlainTileRequest accepts exactly as the tile route of Routes does, CORS
// headers included, without the router's matching (a third of a cached tile's CPU time when the router walks every
// route's regular expression). Serve it only for such requests.
func (s *Service) TileHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seg, ok := plainTileSegments(r.URL.Path)
		if !ok {
			httpx.WriteError(w, r, httpx.BadParam("path", "not a tile path: %q", r.URL.Path))
			return
		}
		tileCORS.SetHeaders(w.Header())
		s.writeTile(w, r, seg)
	})
}

var (
	gzipEncoding = []string{"gzip"}
	tileCORS     = CORS.Prepared()
)

// writeTile answers the tile of the decoded path segments layers, z, x, y.ext.
func (s *Service) writeTile(w http.ResponseWriter, r *http.Request, seg [4]string) {
	y, ext, _ := strings.Cut(seg[3], ".")
	layers, err := s.parseLayers(seg[0])
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	t, err := ParseTile(seg[1], seg[2], y)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if ext != "mvt" && ext != "pbf" {
		httpx.WriteError(w, r, httpx.BadParam("y", "tile %q: want the extension .mvt (or .pbf)", seg[3]))
		return
	}
	// Header values are assigned as shared, never-mutated slices made once per tile: the cached path allocates
	// nothing of its own.
	h := w.Header()
	h["Cache-Control"] = s.cacheControl
	h["Vary"] = varyAcceptEncoding
	active := ActiveLayers(layers, int(t.Z))
	if len(active) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	e, gz, err := s.tile(r.Context(), t, active)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if len(e.plain.body) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rep := &e.plain
	useGzip := len(rep.body) >= gzipMinLength && httpx.AcceptsEncoding(r, "gzip")
	if useGzip {
		if gz == nil {
			gz = gzipForm(e)
			s.cache.setGzip(e, gz)
		}
		rep = gz
	}
	h["Etag"] = rep.etag
	// Either tag matches: the content behind them is the same.
	if noneMatch(r, e.plain.etag[0], e.gzTag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if useGzip {
		h["Content-Encoding"] = gzipEncoding
	}
	h["Content-Type"] = mvtContentType
	h["Content-Length"] = rep.length
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(rep.body)
	}
}

// maxParsedLists bounds the memo of parsed layer lists: the valid lists are finite, but not few.
const maxParsedLists = 1024

// parseLayers is ParseLayers memoised per list (valid lists only, at most maxParsedLists of them).
func (s *Service) parseLayers(list string) ([]Layer, error) {
	if v, ok := s.lists.Load(list); ok {
		return v.([]Layer), nil
	}
	layers, err := ParseLayers(list)
	if err == nil && s.nlists.Add(1) <= maxParsedLists {
		s.lists.Store(list, layers)
	}
	return layers, err
}

// noneMatch reports whether If-None-Match holds * or one of tags (weak comparison, RFC 9110 §13.1.2). The tile's
// identity and gzip tags both match: the content behind them is the same.
func noneMatch(r *http.Request, tags ...string) bool {
	for _, v := range r.Header.Values("If-None-Match") {
		for part := range strings.SplitSeq(v, ",") {
			tag := strings.TrimPrefix(strings.TrimSpace(part), "W/")
			if tag == "*" {
				return true
			}
			for _, t := range tags {
				if tag == t {
					return true
				}
			}
		}
	}
	return false
}

// gzipMinLength is the smallest tile served gzipped (bytes, uncompressed), as nginx's gzip_min_length: a smaller tile
// fits one TCP segment (1,460 bytes of payload on Ethernet) either way, so compressing it saves the client no packet
// and costs an uncached tile a good part of its server time. Vary: Accept-Encoding is sent all the same. A variable
// so that tests can gzip small tiles.
var gzipMinLength = 1024

// gzipWriters are reused: a new writer allocates and clears its tables (most of an uncached tile's gzip time).
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// gzipForm compresses e's tile (gzip, best speed; klauspost/compress, several times faster than compress/gzip at the
// same level) with its own strong ETag: another representation, another tag (RFC 9110 §8.8.3).
func gzipForm(e *cacheEntry) *representation {
	var buf bytes.Buffer
	buf.Grow(len(e.plain.body)/2 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	_, _ = zw.Write(e.plain.body)
	_ = zw.Close()
	gzipWriters.Put(zw)
	return &representation{body: buf.Bytes(), etag: []string{e.gzTag}, length: []string{strconv.Itoa(buf.Len())}}
}

// baseURL is the base of the URLs in TileJSON and the style: Options.PublicURL when set; else the scheme and host the
// request came to — X-Forwarded-Proto and X-Forwarded-Host (first values) only when Options.TrustProxy, otherwise the
// request's TLS state and Host.
func (s *Service) baseURL(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return s.opts.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if s.opts.TrustProxy {
		if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" && !strings.ContainsAny(h, "/\\ @?#") {
			host = h
		}
	}
	return scheme + "://" + host
}

// vary is the Vary header of TileJSON and style answers: the request headers baseURL read.
func (s *Service) vary() string {
	switch {
	case s.opts.PublicURL != "":
		return ""
	case s.opts.TrustProxy:
		return "Host, X-Forwarded-Host, X-Forwarded-Proto"
	}
	return "Host"
}

func firstValue(s string) string {
	s, _, _ = strings.Cut(s, ",")
	return strings.ToLower(strings.TrimSpace(s))
}

// VectorLayer is one entry of TileJSON's vector_layers.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// TileJSON is a TileJSON 3.0.0 document. Bounds are [west, south, east, north] and Center [lon, lat, zoom], degrees.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version"`
	Attribution  string        `json:"attribution"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// TileJSONFor builds the TileJSON of layers with tile URLs under base (e.g. "https://map.example.org").
func (s *Service) TileJSONFor(r *http.Request, base string, layers []Layer) TileJSON {
	names := make([]string, len(layers))
	minZ := MaxZoom
	vls := make([]VectorLayer, len(layers))
	for i, l := range layers {
		names[i] = l.Name
		minZ = min(minZ, l.MinZoom)
		vls[i] = VectorLayer{ID: l.Name, Description: l.Description, MinZoom: l.MinZoom,
			MaxZoom: min(l.MaxZoom, DefaultTileJSONMaxZoom), Fields: l.Fields}
	}
	list := strings.Join(names, ",")
	ext := s.tileJSONExtent(r.Context())
	return TileJSON{
		TileJSON:     "3.0.0",
		Name:         "civmap " + list,
		Description:  "象山县地名、区划、界线界桩与养老服务设施",
		Version:      "1.0.0",
		Attribution:  Attribution,
		Scheme:       "xyz",
		Tiles:        []string{base + "/tiles/" + list + "/{z}/{x}/{y}.mvt"},
		MinZoom:      minZ,
		MaxZoom:      DefaultTileJSONMaxZoom,
		Bounds:       [4]float64{ext.bounds.Min[0], ext.bounds.Min[1], ext.bounds.Max[0], ext.bounds.Max[1]},
		Center:       [3]float64{ext.center[0], ext.center[1], DefaultCenterZoom},
		VectorLayers: vls,
	}
}

func (s *Service) serveTileJSON(w http.ResponseWriter, r *http.Request) {
	s.serveLayersDocument(w, r, func(layers []Layer) any { return s.TileJSONFor(r, s.baseURL(r), layers) })
}

// serveLayersDocument answers a document about the layers of the {layers} path variable (TileJSON, metadata.json):
// doc(layers) as JSON with the document headers, or a problem naming the bad layer list.
func (s *Service) serveLayersDocument(w http.ResponseWriter, r *http.Request, doc func(layers []Layer) any) {
	list, err := httpx.PathVar(r, "layers")
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	layers, err := ParseLayers(list)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	s.setDocumentHeaders(w)
	httpx.WriteJSON(w, http.StatusOK, doc(layers))
}

func (s *Service) serveStyle(w http.ResponseWriter, r *http.Request) {
	s.setDocumentHeaders(w)
	ext := s.tileJSONExtent(r.Context())
	httpx.WriteJSON(w, http.StatusOK, Style(s.baseURL(r), ext.center, ext.bounds, s.opts.Basemap))
}

// setDocumentHeaders sets Cache-Control and Vary of TileJSON and style answers, whose URLs depend on the request
// unless Options.PublicURL is set.
func (s *Service) setDocumentHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", s.opts.CacheControl)
	if v := s.vary(); v != "" {
		h.Add("Vary", v)
	}
}
