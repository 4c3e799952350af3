package tiles

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"civmap/gazetteer"
)

// Defaults of Options.
const (
	DefaultCacheMB      = 64
	DefaultCacheControl = "public, max-age=60"
	DefaultTimeout      = 10 * time.Second
	// DefaultTileJSONMaxZoom is the maxzoom TileJSON advertises: clients overzoom beyond it.
	DefaultTileJSONMaxZoom = 16
	// DefaultCenterZoom is the zoom of TileJSON's center.
	DefaultCenterZoom = 10
	// DefaultMaxTileBytes is the byte cap of one uncompressed tile (Options.MaxTileBytes).
	DefaultMaxTileBytes = 2 << 20
)

// DefaultBounds is Xiangshan county (象山县) with its islands, lon/lat degrees: the TileJSON bounds when the store
// cannot say.
var DefaultBounds = orb.Bound{Min: orb.Point{121.55, 28.85}, Max: orb.Point{122.2, 29.75}}

// Options configure a Service.
type Options struct {
	// CacheMB is the tile cache's budget in MiB (2^20 bytes); 0 means DefaultCacheMB, negative turns the cache off.
	CacheMB int
	// CacheBytes, when > 0, is the budget in bytes and overrides CacheMB.
	CacheBytes int64
	// CacheControl is the Cache-Control header of tiles, TileJSON and style; "" means DefaultCacheControl.
	CacheControl string
	// Bounds is TileJSON's bounds (lon/lat). Nil: the bound of the store's county-level divisions when the store lists
	// divisions (gazetteer.Store's Divisions), else DefaultBounds.
	Bounds *orb.Bound
	// Center is TileJSON's center (lon/lat). Nil: the county seat when the store has one, else the bounds' center.
	Center *orb.Point
	// Timeout bounds the rendering of one tile; 0 means DefaultTimeout. A render that runs out answers 503. Concurrent
	// requests for one uncached tile share one render (see Service), so a herd costs one Timeout, not one each.
	Timeout time.Duration
	// MaxTileBytes is the last guard on a tile's size (uncompressed bytes); 0 means DefaultMaxTileBytes, negative
	// turns it off. Which features a zoom draws is decided per feature by the label grid (GridRegion), the same in
	// every tile; only a tile still larger than this is thinned further, as if it were one zoom out at a time (down to
	// the highest MinZoom of its layers), and served as it then is.
	MaxTileBytes int
	// PublicURL, when set, is where clients reach the service — scheme, host and an optional path prefix, e.g.
	// "https://map.example.gov.cn" — and the base of every URL in TileJSON and the style, whatever the request says.
	// NewService refuses one that is not an absolute http or https URL without query or fragment; a trailing "/" is
	// dropped. Empty: the URLs are built from each request (see TrustProxy).
	PublicURL string
	// TrustProxy, when PublicURL is empty, builds those URLs from X-Forwarded-Proto and X-Forwarded-Host (first
	// values) when a request has them. Set it only behind a reverse proxy that sets or strips both: otherwise any client
	// could point the tile URLs that shared caches keep at a host of its choosing. False: the request's Host and TLS
	// state.
	TrustProxy bool
	// Basemap is what the style draws under the county's layers (land, sprite, local or online basemap; see
	// tiles/basemap). The zero value: sea only, facilities as circles.
	Basemap Basemap
}

// divisionLister is the part of gazetteer.Store that TileJSON uses for its bounds and center.
type divisionLister interface {
	Divisions(ctx context.Context, q gazetteer.DivisionQuery) ([]gazetteer.Division, error)
}

// Service renders and caches the tiles of one store and answers the tile endpoints (Routes).
//
// Requests for a tile that is not cached are coalesced: all that arrive while it renders wait for that one render
// (flights, keyed by layer list, z/x/y and the cache's change generation) and it is cached for
// the rest. A request that arrives after a write committed never joins a render begun before it, and such a render is
// not cached (see Change).
type Service struct {
	fs      FeatureSource
	ms      MVTSource
	divs    divisionLister
	cache   *tileCache
	flights flights
	// renders counts the renders of cache misses; coalesced, the misses answered by another request's render.
	renders, coalesced atomic.Uint64
	opts               Options
	// cacheControl is opts.CacheControl as a header value.
	cacheControl []string

	// lists memoises parsed layer lists (parseLayers); nlists counts them.
	lists  sync.Map
	nlists atomic.Int64

	extentMu sync.Mutex
	extent   *tileJSONExtent // memo of bounds and center; nil after a divisions change
}

type tileJSONExtent struct {
	bounds orb.Bound
	center orb.Point
}

// NewService serves the tiles of store, which implements MVTSource (used when it does) or FeatureSource (encoded here
// with Encode); if it implements Notifier too, the Service subscribes, so that each committed write removes the cached
// tiles it changes. Any other store is an error.
func NewService(store any, opts Options) (*Service, error) {
	s := &Service{opts: opts}
	s.ms, _ = store.(MVTSource)
	s.fs, _ = store.(FeatureSource)
	if s.ms == nil && s.fs == nil {
		return nil, fmt.Errorf("tiles: store %T implements neither MVTSource nor FeatureSource", store)
	}
	s.divs, _ = store.(divisionLister)
	if s.opts.PublicURL != "" {
		base, err := parsePublicURL(s.opts.PublicURL)
		if err != nil {
			return nil, err
		}
		s.opts.PublicURL = base
	}
	if s.opts.CacheControl == "" {
		s.opts.CacheControl = DefaultCacheControl
	}
	s.cacheControl = []string{s.opts.CacheControl}
	if s.opts.Timeout <= 0 {
		s.opts.Timeout = DefaultTimeout
	}
	if s.opts.MaxTileBytes == 0 {
		s.opts.MaxTileBytes = DefaultMaxTileBytes
	}
	budget := opts.CacheBytes
	if budget <= 0 {
		switch {
		case opts.CacheMB == 0:
			budget = DefaultCacheMB << 20
		case opts.CacheMB > 0:
			budget = int64(opts.CacheMB) << 20
		}
	}
	s.cache = newTileCache(budget)
	if n, ok := store.(Notifier); ok {
		n.Subscribe(s.Change)
	}
	return s, nil
}

// parsePublicURL checks Options.PublicURL and returns it without a trailing "/".
func parsePublicURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err != nil:
		return "", fmt.Errorf("tiles: PublicURL %q: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("tiles: PublicURL %q: want an http:// or https:// URL", s)
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("tiles: PublicURL %q: want scheme://host[:port][/path], without user, query or fragment", s)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// Change removes the cached tiles that a write may have altered: those holding one of c.Layers whose buffered bound
// meets one of c.Bounds, or every tile holding one of c.Layers when c.All. Unknown layer names are ignored. Stores
// that implement Notifier have it called after each commit; others (or their callers) call it themselves.
func (s *Service) Change(c Change) {
	mask := layerMask(c.Layers)
	if mask == 0 {
		return
	}
	s.cache.change(mask, c.Bounds, c.All)
	if mask&layerMask([]string{"divisions"}) != 0 {
		s.extentMu.Lock()
		s.extent = nil
		s.extentMu.Unlock()
	}
}

// CacheStats reports the tile cache's counters, and the renders and coalesced requests.
func (s *Service) CacheStats() CacheStats {
	st := s.cache.stats()
	st.Renders, st.Coalesced = s.renders.Load(), s.coalesced.Load()
	return st
}

func layerMask(names []string) uint64 {
	var m uint64
	for _, n := range names {
		for i, l := range Layers {
			if l.Name == n {
				m |= 1 << i
			}
		}
	}
	return m
}

// ActiveLayers are the layers whose zoom range holds z, in the given order.
func ActiveLayers(layers []Layer, z int) []Layer {
	all := true
	for _, l := range layers {
		all = all && z >= l.MinZoom && z <= l.MaxZoom
	}
	if all {
		return layers
	}
	out := make([]Layer, 0, len(layers))
	for _, l := range layers {
		if z >= l.MinZoom && z <= l.MaxZoom {
			out = append(out, l)
		}
	}
	return out
}

// Render makes tile t of the given layers without the cache: layers whose zoom range excludes t.Z are left out, the
// features are those drawn at t.Z (thinned further only past Options.MaxTileBytes), and an empty tile
// is nil. Errors are the store's, or context.DeadlineExceeded after Options.Timeout.
func (s *Service) Render(ctx context.Context, t maptile.Tile, layers []Layer) ([]byte, error) {
	active := ActiveLayers(layers, int(t.Z))
	if len(active) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	floor := 0 // thinning stops at the highest MinZoom of the layers, so that none drops out whole
	for _, l := range active {
		floor = max(floor, l.MinZoom)
	}
	var b []byte
	var err error
	for zoom := int(t.Z); ; zoom-- {
		if s.ms != nil {
			b, err = s.ms.MVT(ctx, t, active, zoom)
		} else {
			b, err = EncodeZoom(ctx, s.fs, t, active, zoom)
		}
		if err != nil || s.opts.MaxTileBytes < 0 || len(b) <= s.opts.MaxTileBytes || zoom <= floor {
			break
		}
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("tile %d/%d/%d: %w", t.Z, t.X, t.Y, context.DeadlineExceeded)
		}
		return nil, err
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// tile returns the cached entry for t and the zoom-active layers, and its gzip form if cached. On a miss it joins the
// render of that tile already under way for the same change generation, or starts one, which caches its result unless
// a write committed meanwhile. The render runs detached from ctx (bounded by Options.Timeout), so that the request that
// started it can go away without failing the others; each request stops waiting when its own ctx is done. active must
// be non-empty.
func (s *Service) tile(ctx context.Context, t maptile.Tile, active []Layer) (*cacheEntry, *representation, error) {
	var buf [128]byte
	keyBytes := appendTileKey(buf[:0], t, active)
	e, gz, gen := s.cache.get(keyBytes)
	if e != nil {
		return e, gz, nil
	}
	// The key goes on as a string: a closure holding keyBytes would move buf to the heap on the cached path too.
	e, err := s.shared(ctx, string(keyBytes), t, active, gen)
	return e, nil, err
}

// shared renders the tile of key, or waits for the render of it already under way in the same cache generation.
func (s *Service) shared(ctx context.Context, key string, t maptile.Tile, active []Layer, gen uint64) (*cacheEntry, error) {
	e, led, err := s.flights.do(ctx, flightKey{key, gen}, func() (e *cacheEntry, err error) {
		defer func() {
			// A panic becomes this render's error, for the leader's request and every one waiting on it.
			if p := recover(); p != nil {
				e, err = nil, fmt.Errorf("tile %s: render panicked: %v\n%s", key, p, debug.Stack())
			}
		}()
		// A request that missed just as the last render of this tile finished leads a flight of its own: the tile
		// is cached by then.
		if e, gen2 := s.cache.peek(key); e != nil && gen2 == gen {
			return e, nil
		}
		s.renders.Add(1)
		// Detached from the leader's request, so that its going away does not fail the others; bounded by Timeout.
		return s.renderEntry(context.WithoutCancel(ctx), key, t, active, gen)
	})
	if err != nil {
		return nil, err
	}
	if !led {
		s.coalesced.Add(1)
	}
	return e, nil
}

// renderEntry renders tile t and caches it unless the cache changed since generation gen.
func (s *Service) renderEntry(ctx context.Context, key string, t maptile.Tile, active []Layer, gen uint64) (*cacheEntry, error) {
	data, err := s.Render(ctx, t, active)
	if err != nil {
		return nil, err
	}
	e := &cacheEntry{key: key, bound: BufferedBound(t)}
	for _, l := range active {
		e.layers |= layerMask([]string{l.Name})
	}
	if len(data) > 0 {
		// A strong ETag needs only to tell this tile's versions apart: a 64-bit xxHash (several GB/s) does, where
		// SHA-256 cost more than the rest of a cached tile's serving.
		tag := strconv.AppendUint([]byte{'"'}, xxhash.Sum64(data), 16)
		e.plain = representation{body: data, etag: []string{string(append(tag, '"'))},
			length: []string{strconv.Itoa(len(data))}}
		e.gzTag = string(append(tag, `-gz"`...))
	}
	s.cache.put(e, gen)
	return e, nil
}

// appendTileKey appends the name of a tile of a layer list to b: "places,facilities/14/13733/6750".
func appendTileKey(b []byte, t maptile.Tile, layers []Layer) []byte {
	for i, l := range layers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l.Name...)
	}
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(t.Z), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(t.X), 10)
	b = append(b, '/')
	return strconv.AppendUint(b, uint64(t.Y), 10)
}

// tileJSONExtent returns TileJSON's bounds and center: the options', else the store's county-level divisions' bound and
// seat (memoised until the divisions change), else DefaultBounds and its center.
func (s *Service) tileJSONExtent(ctx context.Context) tileJSONExtent {
	s.extentMu.Lock()
	defer s.extentMu.Unlock()
	if s.extent != nil {
		return *s.extent
	}
	ext := tileJSONExtent{bounds: DefaultBounds}
	found, seat := false, false
	if s.divs != nil {
		if ds, err := s.divs.Divisions(ctx, gazetteer.DivisionQuery{Level: gazetteer.LevelCounty}); err == nil {
			for _, d := range ds {
				if d.Geometry == nil {
					continue
				}
				if !found {
					ext.bounds, found = d.Geometry.Bound(), true
				} else {
					ext.bounds = ext.bounds.Union(d.Geometry.Bound())
				}
				if d.Seat != nil && !seat {
					ext.center, seat = *d.Seat, true
				}
			}
		}
	}
	if s.opts.Bounds != nil {
		ext.bounds = *s.opts.Bounds
	}
	switch {
	case s.opts.Center != nil:
		ext.center = *s.opts.Center
	case !seat || !ext.bounds.Contains(ext.center):
		ext.center = ext.bounds.Center()
	}
	if found || s.opts.Bounds != nil {
		s.extent = &ext // the store answered: keep it until the divisions change
	}
	return ext
}
