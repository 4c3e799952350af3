package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"civmap/data"
	"civmap/data/sample"
	"civmap/internal/auth"
	"civmap/internal/httpx"
	"civmap/tiles"
)

// cmdServe binds the address at once (so a taken port fails first, and /healthz answers while a large store opens),
// opens the store, loads the sample into an empty store, then serves the API and logs "listening": a lock or database
// error that stops the process comes before it. /readyz answers 200 while the store is open and answers its ping.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("serve", "serve [--addr HOST:PORT] [--data-dir DIR | --database-url URL] [--no-sample]", stderr)
	var addr, cacheControl, publicURL string
	var trustProxy bool
	var logLevel slog.Level
	var noSample bool
	var cacheMB int
	var pprofAddr string
	stringVar(fs, &addr, "addr", "CIVMAP_ADDR", "127.0.0.1:8080", "address to listen on")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "debug, info, warn or error ($CIVMAP_LOG_LEVEL)")
	boolVar(fs, &noSample, "no-sample", "CIVMAP_NO_SAMPLE", "start with an empty store instead of loading the bundled Xiangshan sample")
	intVar(fs, &cacheMB, "tile-cache-mb", "CIVMAP_TILE_CACHE_MB", tiles.DefaultCacheMB, "tile cache size in MiB (LRU; negative turns it off)")
	stringVar(fs, &publicURL, "public-url", "CIVMAP_PUBLIC_URL", "", "base URL that clients reach civmap at (e.g. https://map.example.gov.cn), used in TileJSON and the style; empty: the request's Host")
	boolVar(fs, &trustProxy, "trust-proxy", "CIVMAP_TRUST_PROXY", "build TileJSON and style URLs from X-Forwarded-Host/Proto (only behind a proxy that sets them)")
	stringVar(fs, &cacheControl, "tile-cache-control", "CIVMAP_TILE_CACHE_CONTROL", tiles.DefaultCacheControl, "Cache-Control header of tiles, TileJSON and style")
	stringVar(fs, &pprofAddr, "pprof-addr", "CIVMAP_PPROF_ADDR", "", "serve Go's profiles (net/http/pprof, /debug/pprof/) on this loopback address, apart from the API; empty: off")
	var authOpts auth.Options
	fs.TextVar(&authOpts.Anonymous, "anonymous", auth.AnonymousRead, "what requests without a token may do: read, or none (every /api and /tiles request needs a token) ($CIVMAP_ANONYMOUS)")
	fs.Int64Var(&authOpts.MaxBody, "max-body", auth.DefaultMaxBody, "largest request body in bytes; a larger one is answered 413 ($CIVMAP_MAX_BODY)")
	var lim serveLimits
	lim.register(fs)
	bmFlags := addBasemapFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := lim.check(); err != nil {
		return err
	}
	if authOpts.MaxBody <= 0 {
		return fmt.Errorf("--max-body ($CIVMAP_MAX_BODY) must be positive, got %d", authOpts.MaxBody)
	}
	log := newLogger(stderr, logLevel)
	slog.SetDefault(log) // one format: the log package's output (goose, libraries) goes through this handler too
	if pprofAddr != "" {
		stop, err := servePprof(pprofAddr, log)
		if err != nil {
			return err
		}
		defer stop()
	}

	tileOpts := tiles.Options{CacheMB: cacheMB, CacheControl: cacheControl, PublicURL: publicURL, TrustProxy: trustProxy}
	bm, err := bmFlags.open(&tileOpts) // a refused or unreadable basemap stops serve before it listens
	if err != nil {
		return err
	}
	defer bm.Close()
	srv := newServer(log, tileOpts)
	srv.auth, srv.limits = authOpts, lim.http
	srv.limits.Bounded = tiles.PlainTileRequest
	srv.extra = append(srv.extra, basemapRoutes(bm))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: auth.RequestID(srv), ReadHeaderTimeout: lim.readHeader, ReadTimeout: lim.read,
		WriteTimeout: lim.write, IdleTimeout: lim.idle, MaxHeaderBytes: lim.maxHeader,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()

	st, err := openAndLoad(ctx, sf, noSample, log)
	if err != nil {
		_ = httpSrv.Close()
		return err
	}
	defer st.Close()
	if err := firstAdminToken(ctx, st, sf, log); err != nil {
		_ = httpSrv.Close()
		return err
	}
	if err := srv.setStore(st); err != nil {
		_ = httpSrv.Close()
		return err
	}
	log.Info("listening", "url", "http://"+ln.Addr().String()+"/", "version", buildVersion())

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-served:
		return err
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openAndLoad opens the store and, when it is empty and the sample is wanted, loads the bundled Xiangshan dataset.
func openAndLoad(ctx context.Context, sf *storeFlags, noSample bool, log *slog.Logger) (data.Store, error) {
	start := time.Now()
	st, kind, err := sf.open(ctx)
	if err != nil {
		return nil, err
	}
	log.Info("store open", "store", kind, "took", time.Since(start).Round(time.Millisecond))
	empty, err := st.Empty(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if empty && !noSample {
		stats, err := sample.Load(ctx, st)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("loading the Xiangshan sample: %w", err)
		}
		log.Info("loaded the bundled Xiangshan sample into the empty store (use --no-sample to start empty)",
			"records", stats.Inserted, "county", sample.CountyCode)
		// The neighbouring counties' polygons, for the boundary inspections' gap/overlap check.
		if _, err := sample.LoadNeighbours(ctx, st); err != nil {
			st.Close()
			return nil, fmt.Errorf("loading the sample's neighbour polygons: %w", err)
		}
	}
	if err := st.Ready(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// readyTimeout bounds the store's ping in /readyz: a probe must answer quickly, even when the database does not.
const readyTimeout = 2 * time.Second

// server routes requests: health checks always, the API once a store is set.
type server struct {
	log   *slog.Logger
	tiles tiles.Options
	auth  auth.Options        // Anonymous and MaxBody; the stores are set by setStore
	extra []func(*mux.Router) // more routes (the basemap), registered before the map client's
	// limits guard everything but /healthz and /readyz, which must answer under overload too.
	limits httpx.Limits
	api    atomic.Pointer[http.Handler]
	store  atomic.Pointer[data.Store]
}

func newServer(log *slog.Logger, tileOpts tiles.Options) *server {
	return &server{log: log, tiles: tileOpts}
}

func (s *server) setStore(st data.Store) error {
	h, err := newRouter(st, s.tiles, s.auth, s.log, s.extra...)
	if err != nil {
		return err
	}
	h = httpx.Limit(s.limits, h)
	s.api.Store(&h)
	s.store.Store(&st)
	return nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.URL.Path == "/healthz" || r.URL.Path == "/readyz") && r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpx.WriteProblem(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
		return
	}
	switch r.URL.Path {
	case "/healthz":
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	case "/readyz":
		s.serveReady(w, r)
		return
	}
	h := s.api.Load()
	if h == nil {
		w.Header().Set("Retry-After", "5")
		httpx.WriteProblem(w, http.StatusServiceUnavailable, "the store is still opening; try again shortly")
		return
	}
	(*h).ServeHTTP(w, r)
}

// serveReady answers /readyz: 503 while the store opens or when it does not answer a ping within readyTimeout
// (PostGIS down or unreachable), 200 otherwise. The ping's error goes to the log, not to the client (it may name hosts
// and users).
func (s *server) serveReady(w http.ResponseWriter, r *http.Request) {
	st := s.store.Load()
	if st == nil {
		w.Header().Set("Retry-After", "5")
		httpx.WriteProblem(w, http.StatusServiceUnavailable, "the store is still opening")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := (*st).Ready(ctx); err != nil {
		s.log.Warn("readiness check failed: the store does not answer", "err", err)
		w.Header().Set("Retry-After", "5")
		httpx.WriteProblem(w, http.StatusServiceUnavailable, "the store does not answer (the server log says why)")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
