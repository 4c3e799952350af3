// Package basemap serves what the map draws under the county's layers: the land polygons of the county and its
// neighbours (the offline basemap: sea is the style's background), an optional local PMTiles archive (--basemap FILE)
// and an optional online XYZ/WMTS raster such as 天地图 (--basemap-url TEMPLATE), proxied so that its key stays on the
// server. Sources in GCJ-02 or BD-09 (高德, 腾讯, 百度) are refused: at Xiangshan they are 490 m to 1.08 km off the
// CGCS2000 data (DOMAIN.md §5).
//
// Routes (all GET, HEAD):
//
//	/basemap/land.geojson           the land polygons (GeoJSON FeatureCollection, lon/lat)
//	/basemap/archive.pmtiles        the PMTiles archive itself, with range requests (RFC 9110 §14; PMTiles v3 clients)
//	/basemap/pmtiles/{z}/{x}/{y}.{ext}  one tile of the archive (ext mvt, png, jpg or webp as the archive holds);
//	                                204 when the archive has none there
//	/basemap/raster/{z}/{x}/{y}     one tile of the online raster, fetched from the template with the key filled in
package basemap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"civmap/internal/apierr"
	"civmap/internal/httpx"
	"civmap/tiles"
)

// Options configure a Server.
type Options struct {
	// Land is a GeoJSON FeatureCollection of land polygons (lon/lat, EPSG:4326/4490), drawn over the sea-coloured
	// background; nil leaves the land out of the style.
	Land []byte
	// PMTiles is the path of a local PMTiles v3 archive (vector tiles in the Protomaps basemap schema, or raster
	// tiles); "" for none.
	PMTiles string
	// URL is an online raster tile template (XYZ, or WMTS KVP/REST in Web Mercator): {z} {x} {y} (also WMTS's
	// {TileMatrix} {TileCol} {TileRow}), {s} for a subdomain of Subdomains, and {key} for Key. "" for none.
	URL string
	// Key fills {key}; it never leaves the server (the browser asks /basemap/raster/{z}/{x}/{y}).
	Key string
	// Subdomains fill {s}, chosen by tile (x+y) so that a tile always comes from the same host; default 0–7 (天地图 t0…t7).
	Subdomains []string
	// Attribution is shown for the online raster, e.g. "天地图 © 国家基础地理信息中心"; "" uses the host name.
	Attribution string
	// Client fetches the online tiles; nil is a client with a 10 s timeout.
	Client *http.Client
	// CacheControl of the answers; "" is "public, max-age=86400".
	CacheControl string
}

// Server answers the basemap routes.
type Server struct {
	opts    Options
	archive *archive
	host    string
}

// Refusal is the error New returns for a source that uses GCJ-02 or BD-09.
type Refusal struct {
	Provider string // 高德, 腾讯 or 百度
	CRS      string // GCJ-02 or BD-09
	Host     string
}

func (e *Refusal) Error() string {
	offset := "约 490 米（经度 +0.0040°、纬度 −0.0027°）"
	if e.CRS == "BD-09" {
		offset = "约 1.08 千米"
	}
	return fmt.Sprintf("--basemap-url：%s（%s）的瓦片使用 %s 加密坐标，在象山与 civmap 的 CGCS2000 数据偏移%s，"+
		"地物会落到错误的村，故不予使用；请改用 CGCS2000/WGS84 的底图，如天地图（Web 墨卡托 _w 图层）。"+
		"(%s tiles are in %s, offset %s from CGCS2000 at Xiangshan: refused)",
		e.Provider, e.Host, e.CRS, offset, e.Host, e.CRS, map[string]string{"GCJ-02": "about 490 m", "BD-09": "about 1.08 km"}[e.CRS])
}

// offsetProviders are the hosts (and their subdomains) of web maps in GCJ-02 or BD-09.
var offsetProviders = []struct{ suffix, provider, crs string }{
	{"amap.com", "高德", "GCJ-02"}, {"autonavi.com", "高德", "GCJ-02"}, {"gaode.com", "高德", "GCJ-02"},
	{"map.qq.com", "腾讯", "GCJ-02"}, {"gtimg.com", "腾讯", "GCJ-02"}, {"tencent.com", "腾讯", "GCJ-02"},
	{"baidu.com", "百度", "BD-09"}, {"bdimg.com", "百度", "BD-09"}, {"bdstatic.com", "百度", "BD-09"},
	{"google.cn", "谷歌中国", "GCJ-02"},
}

// CheckSource refuses a tile template whose host serves GCJ-02 or BD-09 tiles (a *Refusal), and one that is not an
// absolute http(s) URL with {z}, {x} and {y} (or {TileMatrix}, {TileCol}, {TileRow}).
func CheckSource(template string) error {
	u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(template))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--basemap-url %q: want an absolute http(s) tile URL template", redact(template))
	}
	host := strings.ToLower(u.Hostname())
	for _, p := range offsetProviders {
		if host == p.suffix || strings.HasSuffix(host, "."+p.suffix) {
			return &Refusal{Provider: p.provider, CRS: p.crs, Host: host}
		}
	}
	has := func(a, b string) bool { return strings.Contains(template, a) || strings.Contains(template, b) }
	if !has("{z}", "{TileMatrix}") || !has("{x}", "{TileCol}") || !has("{y}", "{TileRow}") {
		return fmt.Errorf("--basemap-url %q: the template needs {z}, {x} and {y} (or {TileMatrix}, {TileCol}, {TileRow})",
			redact(template))
	}
	return nil
}

// redact hides the values of query parameters that look like keys (tk, key, token, …) for messages and logs.
func redact(template string) string {
	u, err := url.Parse(template)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.Query()
	for k := range q {
		switch strings.ToLower(k) {
		case "tk", "key", "token", "access_token", "ak", "apikey", "api_key":
			q.Set(k, "…")
		}
	}
	u.RawQuery = q.Encode()
	return strings.NewReplacer("%7B", "{", "%7D", "}").Replace(u.String())
}

// New checks the options (CheckSource for URL; the archive's header and root directory for PMTiles) and returns the
// server.
func New(opts Options) (*Server, error) {
	s := &Server{opts: opts}
	if s.opts.CacheControl == "" {
		s.opts.CacheControl = "public, max-age=86400"
	}
	if opts.URL != "" {
		if err := CheckSource(opts.URL); err != nil {
			return nil, err
		}
		if strings.Contains(opts.URL, "{key}") && opts.Key == "" {
			return nil, errors.New("--basemap-url has {key} but no --basemap-key ($CIVMAP_BASEMAP_KEY) is set")
		}
		u, _ := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(opts.URL))
		s.host = u.Hostname()
		if len(s.opts.Subdomains) == 0 {
			s.opts.Subdomains = []string{"0", "1", "2", "3", "4", "5", "6", "7"}
		}
		if s.opts.Client == nil {
			s.opts.Client = &http.Client{Timeout: 10 * time.Second}
		}
	}
	if opts.PMTiles != "" {
		a, err := openArchive(opts.PMTiles)
		if err != nil {
			return nil, fmt.Errorf("--basemap %s: %w", opts.PMTiles, err)
		}
		s.archive = a
	}
	return s, nil
}

// Close closes the archive.
func (s *Server) Close() error {
	if s.archive != nil {
		return s.archive.f.Close()
	}
	return nil
}

// Style is what the MapLibre style draws from this server (paths under the server's base URL).
func (s *Server) Style() tiles.Basemap {
	var b tiles.Basemap
	if s.opts.Land != nil {
		b.LandURL = "/basemap/land.geojson"
	}
	if a := s.archive; a != nil {
		b.Archive = &tiles.BasemapSource{Tiles: "/basemap/pmtiles/{z}/{x}/{y}." + a.ext, Vector: a.ext == "mvt",
			MinZoom: int(a.h.MinZoom), MaxZoom: int(a.h.MaxZoom), Attribution: a.attribution,
			Bounds: [4]float64{float64(a.h.MinLonE7) / 1e7, float64(a.h.MinLatE7) / 1e7,
				float64(a.h.MaxLonE7) / 1e7, float64(a.h.MaxLatE7) / 1e7}}
	}
	if s.opts.URL != "" {
		attr := s.opts.Attribution
		if attr == "" {
			attr = "底图 © " + s.host
		}
		b.Raster = &tiles.BasemapSource{Tiles: "/basemap/raster/{z}/{x}/{y}", MinZoom: 1, MaxZoom: 18,
			Attribution: attr}
	}
	return b
}

// Routes registers the basemap routes on r.
func (s *Server) Routes(r *mux.Router) {
	sr := httpx.Sub(r)
	sr.Use(tiles.CORS.Handler)
	methods := []string{http.MethodGet, http.MethodHead, http.MethodOptions}
	sr.HandleFunc("/basemap/land.geojson", s.serveLand).Methods(methods...)
	sr.HandleFunc("/basemap/archive.pmtiles", s.serveArchive).Methods(methods...)
	sr.HandleFunc("/basemap/pmtiles/{z}/{x}/{y}", s.serveArchiveTile).Methods(methods...)
	sr.HandleFunc("/basemap/raster/{z}/{x}/{y}", s.serveRaster).Methods(methods...)
}

var errNone = httpx.WithStatus(http.StatusNotFound, apierr.Field("basemap", "this server has no such basemap: start civmap serve with --basemap FILE or --basemap-url TEMPLATE"))

func (s *Server) serveLand(w http.ResponseWriter, r *http.Request) {
	if s.opts.Land == nil {
		httpx.WriteError(w, r, errNone)
		return
	}
	w.Header().Set("Cache-Control", s.opts.CacheControl)
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(s.opts.Land)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(s.opts.Land)
	}
}

// serveArchive answers the archive with range requests and If-Range/If-None-Match by http.ServeContent.
func (s *Server) serveArchive(w http.ResponseWriter, r *http.Request) {
	if s.archive == nil {
		httpx.WriteError(w, r, errNone)
		return
	}
	w.Header().Set("Cache-Control", s.opts.CacheControl)
	w.Header().Set("Content-Type", "application/vnd.pmtiles")
	w.Header().Set("ETag", s.archive.etag)
	http.ServeContent(w, r, "archive.pmtiles", s.archive.mod, io.NewSectionReader(s.archive.f, 0, s.archive.size))
}

func parseZXY(r *http.Request) (z, x, y, ext string, err error) {
	var seg [3]string
	for i, n := range [...]string{"z", "x", "y"} {
		if seg[i], err = httpx.PathVar(r, n); err != nil {
			return
		}
	}
	yv, ext, _ := strings.Cut(seg[2], ".")
	t, err := tiles.ParseTile(seg[0], seg[1], yv)
	if err != nil {
		return
	}
	return strconv.Itoa(int(t.Z)), strconv.Itoa(int(t.X)), strconv.Itoa(int(t.Y)), ext, nil
}

func (s *Server) serveArchiveTile(w http.ResponseWriter, r *http.Request) {
	if s.archive == nil {
		httpx.WriteError(w, r, errNone)
		return
	}
	zs, xs, ys, ext, err := parseZXY(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if ext != s.archive.ext {
		httpx.WriteError(w, r, httpx.BadParam("y", "the archive holds .%s tiles, not .%s", s.archive.ext, ext))
		return
	}
	z, _ := strconv.Atoi(zs)
	x, _ := strconv.Atoi(xs)
	y, _ := strconv.Atoi(ys)
	data, err := s.archive.tile(uint8(z), uint32(x), uint32(y))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", s.opts.CacheControl)
	if len(data) == 0 {
		w.WriteHeader(http.StatusNoContent) // no tile there: not an error (DOMAIN.md §6)
		return
	}
	h.Set("Content-Type", s.archive.contentType)
	if s.archive.gzip {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// serveRaster fetches one tile of the online raster. The upstream URL (with the key) is never echoed: errors name only
// the host and the status.
func (s *Server) serveRaster(w http.ResponseWriter, r *http.Request) {
	if s.opts.URL == "" {
		httpx.WriteError(w, r, errNone)
		return
	}
	z, x, y, ext, err := parseZXY(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if ext != "" {
		httpx.WriteError(w, r, httpx.BadParam("y", "raster tiles are addressed without an extension: /basemap/raster/{z}/{x}/{y}"))
		return
	}
	xi, _ := strconv.Atoi(x)
	yi, _ := strconv.Atoi(y)
	sub := s.opts.Subdomains[(xi+yi)%len(s.opts.Subdomains)]
	u := strings.NewReplacer("{z}", z, "{x}", x, "{y}", y, "{TileMatrix}", z, "{TileCol}", x, "{TileRow}", y,
		"{s}", sub, "{key}", url.QueryEscape(s.opts.Key)).Replace(s.opts.URL)
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	req.Header.Set("User-Agent", "civmap basemap proxy")
	res, err := s.opts.Client.Do(req)
	if err != nil {
		slog.Default().WarnContext(r.Context(), "basemap tile fetch failed", "host", s.host, "z", z, "x", x, "y", y,
			"err", errors.Unwrap(err)) // the url.Error's URL holds the key: log the cause only
		httpx.WriteProblem(w, http.StatusBadGateway, "底图服务 "+s.host+" 无法访问 (basemap host unreachable)")
		return
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusNoContent:
		w.WriteHeader(http.StatusNoContent)
		return
	case res.StatusCode != http.StatusOK:
		httpx.WriteProblem(w, http.StatusBadGateway, fmt.Sprintf("底图服务 %s 答复 HTTP %d (basemap host answered %d)",
			s.host, res.StatusCode, res.StatusCode))
		return
	}
	ct := res.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "image/") {
		// 天地图 answers an XML or HTML error page with 200 for a bad key.
		httpx.WriteProblem(w, http.StatusBadGateway, fmt.Sprintf("底图服务 %s 没有返回图片（%s）：请检查 --basemap-key 与图层 (no image: check the key)",
			s.host, httpx.Clip(ct)))
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", s.opts.CacheControl)
	if cl := res.Header.Get("Content-Length"); cl != "" {
		h.Set("Content-Length", cl)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, io.LimitReader(res.Body, 8<<20))
	}
}

// statFile is os.Stat, for tests.
var statFile = os.Stat
