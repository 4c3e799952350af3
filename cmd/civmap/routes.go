package main

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"civmap/data"
	"civmap/facilities"
	"civmap/facilities/coverage"
	"civmap/gazetteer"
	"civmap/gazetteer/inspection"
	"civmap/internal/auth"
	"civmap/internal/httpx"
	"civmap/tiles"
	"civmap/tiles/inspectiontiles"
	"civmap/web"
)

// newRouter wires the domain handlers and the tile service to one store, with request metrics at /metrics
// (Prometheus), an API index at /api and the map client at /, behind the auth middleware (tokens, request ids, the
// refused-attempt audit and the body limit of authOpts). /api answers CORS
// (httpx.APICORS) and /tiles (tiles.CORS), preflights included, before the auth middleware.
// extra registers more routes (the basemap's) before the map client's files.
func newRouter(st data.Store, tileOpts tiles.Options, authOpts auth.Options, log *slog.Logger, extra ...func(*mux.Router)) (http.Handler, error) {
	tsvc, err := tiles.NewService(st, tileOpts)
	if err != nil {
		return nil, err
	}
	r := httpx.NewRouter()
	gsvc := gazetteer.NewService(st, facilities.DivisionReferences(st))
	nsvc := namesRoutes(r, st)  // names.go: /api/names, /api/screenings
	gsvc.SetPinyin(nsvc.Pinyin) // derived pinyin for places
	gsvc.Routes(r)
	facilities.Routes(r, st, st)
	coverage.Routes(r, st)
	tiles.CoverageRoutes(r, coverage.NewService(st)) // before tiles.Routes, whose {layers} would match "coverage"
	tiles.Routes(r, tsvc)
	if err := searchRoutes(r, st, nsvc); err != nil {
		return nil, err
	}
	if err := gazetteerRoutes(r, st, nsvc); err != nil {
		return nil, err
	}
	inspection.Routes(r, st)
	inspectiontiles.Routes(r, st)
	ogcRoutes(r, st)
	spatialRoutes(r, st)
	if authOpts.Audit == nil {
		authOpts.Audit = st
	}
	auth.Routes(r, authOpts.Audit)
	backupRoutes(r, st)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "civmap_tile_renders_total",
			Help: "Tiles rendered for cache misses."}, func() float64 { return float64(tsvc.CacheStats().Renders) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "civmap_tile_coalesced_total",
			Help: "Tile requests answered by another request's concurrent render of the same tile."},
			func() float64 { return float64(tsvc.CacheStats().Coalesced) }))
	r.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{})).Methods(http.MethodGet)
	r.HandleFunc("/api", index).Methods(http.MethodGet, http.MethodHead)
	// An unknown /api path is a 404 for every method, not the map client's 405 (fault 12).
	r.PathPrefix("/api/").Handler(httpx.FallbackHandler(r))
	for _, add := range extra {
		add(r)
	}
	r.PathPrefix("/").Handler(web.Handler()) // last: the map client's files
	r.Use(m.middleware)
	authOpts.Tokens, authOpts.Log = st, log
	// POSTs that only read: checks, what-if runs and posted geometries need no token where reading needs none.
	authOpts.Queries = append(authOpts.Queries, "/api/names/check", "/api/names/sign-check", "/api/coverage",
		"/api/coverage/siting")
	// Tile requests in their usual form skip the router's matching, which walks every route's regular expression (a
	// third of a cached tile's CPU time, issue 14): the same handler and answer, with the route's metrics bound once.
	tileRoute := m.route("/tiles/{layers}/{z}/{x}/{y}", tsvc.TileHandler())
	routed := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if tiles.PlainTileRequest(req) {
			tileRoute.ServeHTTP(w, req)
			return
		}
		r.ServeHTTP(w, req)
	})
	// CORS before auth: a preflight carries no token, so with --anonymous none it must be answered before sign-in.
	h := httpx.PathCORS("/tiles", tiles.CORS, auth.Handler(routed, authOpts))
	h = readRouting(st, h) // PostGIS read replicas: the reads of writes on the primary, Civmap-LSN (replicas.go)
	return httpx.Recover(httpx.PathCORS("/api", httpx.APICORS, h)), nil
}

// index lists the API's entry points.
func index(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"name":    "civmap",
		"version": buildVersion(),
		"links": []map[string]string{
			{"rel": "divisions", "href": "/api/divisions"},
			{"rel": "locate", "href": "/api/locate?lon=121.87&lat=29.47"},
			{"rel": "places", "href": "/api/places"},
			{"rel": "search", "href": "/api/search?q=dandong"},
			{"rel": "gazetteer", "href": "/api/gazetteer?f=html"},
			{"rel": "facilities", "href": "/api/facilities"},
			{"rel": "demand", "href": "/api/demand"},
			{"rel": "coverage", "href": "/api/coverage"},
			{"rel": "plans", "href": "/api/plans"},
			{"rel": "boundary-lines", "href": "/api/boundary-lines"},
			{"rel": "inspections", "href": "/api/boundary-lines/{id}/inspections"},
			{"rel": "names-pinyin", "href": "/api/names/pinyin?name=石浦镇"},
			{"rel": "screenings", "href": "/api/screenings"},
			{"rel": "me", "href": "/api/auth/me"},
			{"rel": "audit", "href": "/api/audit"},
			{"rel": "ogc-api-features", "href": "/ogc"},
			{"rel": "style", "href": "/tiles/style.json"},
			{"rel": "tilejson", "href": "/tiles/" + tiles.AllLayers() + ".json"},
			{"rel": "health", "href": "/healthz"},
			{"rel": "ready", "href": "/readyz"},
			{"rel": "metrics", "href": "/metrics"},
		},
	})
}

// metrics counts requests and their durations by route template (not raw path, which would explode the label set).
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civmap_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "civmap_http_request_duration_seconds", Help: "HTTP request duration by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *metrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := newStatusWriter(w)
		defer sw.release()
		next.ServeHTTP(sw, r)
		route := "unmatched"
		if cr := mux.CurrentRoute(r); cr != nil {
			if t, err := cr.GetPathTemplate(); err == nil {
				route = t
			}
		}
		m.requests.WithLabelValues(route, r.Method, statusText(sw.status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// route counts the requests of a handler that serves the one route template, with its series looked up once: the
// usual methods and statuses cost no label lookup or allocation per request.
func (m *metrics) route(template string, next http.Handler) http.Handler {
	duration := m.duration.WithLabelValues(template)
	type series struct {
		method string
		code   int
	}
	bound := map[series]prometheus.Counter{}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		for _, code := range []int{200, 204, 304, 400, 404, 503} {
			bound[series{method, code}] = m.requests.WithLabelValues(template, method, statusText(code))
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := newStatusWriter(w)
		defer sw.release()
		next.ServeHTTP(sw, r)
		if c, ok := bound[series{r.Method, sw.status}]; ok {
			c.Inc()
		} else {
			m.requests.WithLabelValues(template, r.Method, statusText(sw.status)).Inc()
		}
		duration.Observe(time.Since(start).Seconds())
	})
}

// statusTexts are the decimal forms of the status codes 100–599, made once for the metrics' code label.
var statusTexts = func() (t [500]string) {
	for i := range t {
		t[i] = strconv.Itoa(100 + i)
	}
	return t
}()

func statusText(code int) string {
	if code >= 100 && code < 600 {
		return statusTexts[code-100]
	}
	return strconv.Itoa(code)
}

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// newStatusWriter wraps w to record the status; release returns it to the pool once the handler has returned.
func newStatusWriter(w http.ResponseWriter) *statusWriter {
	sw := statusWriters.Get().(*statusWriter)
	sw.ResponseWriter, sw.status = w, http.StatusOK
	return sw
}

func (w *statusWriter) release() {
	w.ResponseWriter = nil
	statusWriters.Put(w)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int)        { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
