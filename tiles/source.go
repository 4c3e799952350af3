// Package tiles serves the county's layers as Mapbox Vector Tiles (MVT 2.1): tile math, the layer registry, MVT encoding
// of in-memory features, the tile cache, TileJSON 3.0.0 and the MapLibre style, and their HTTP handlers.
//
// Tiles are in Web Mercator (EPSG:3857), z/x/y as in the XYZ scheme, extent 4096, buffer 64. Features come from the store:
// PostGIS encodes whole tiles in SQL (MVTSource, ST_AsMVT); the embedded store hands over features (FeatureSource) that
// this package clips, simplifies and encodes with the same layer schema, so the same request decodes to the same
// features and properties on both stores.
package tiles

import (
	"context"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Feature is one feature of a layer as a store hands it over: geometry in EPSG:4490 lon/lat, its MVT id (the record's
// stored tile id: unique within the layer, never 0, at most MaxTileID, kept across edits) and properties already mapped
// by the property rule (MapProperties): string, float64, int64, bool only. Which features a zoom draws is the store's
// TileFeatures' choice, by the label grid of GridRegion.
type Feature struct {
	ID         uint64
	Geometry   orb.Geometry
	Properties map[string]any
	// Shape, when set, is Geometry prepared for tiles (NewShape), which a store that keeps the feature in memory
	// can attach so that its tiles are cut from it.
	Shape *Shape
	// Sorted, when set, is Properties in the order tiles write them (SortProperties), which a store that keeps the
	// feature in memory can attach so that its tiles do not walk and sort the map each time. It must hold the same
	// properties as Properties.
	Sorted []Property
}

// FeatureSource is implemented by stores that let this package encode tiles (the embedded store).
type FeatureSource interface {
	// TileFeatures returns the features of layer drawn at zoom whose geometry bound intersects bound (lon/lat degrees,
	// the tile's bound grown by the buffer), ordered by ID. A layer that is Thinned at zoom is thinned by the label
	// grid: the features of RankRegion(bound, zoom) are ranked with GridRegion.Keep, and those kept are drawn with
	// the big ones (SizeZoom <= zoom); the others are drawn whole. Unknown layer names are an error.
	//
	// "ID" is the record's text key in byte order (COLLATE "C"): division code, place ID, line ID, marker number,
	// facility ID, demand-unit code; a division's polygon comes before its label point. Features are built with
	// DivisionFeatures, PlaceFeature, LineFeature, MarkerFeature, FacilityFeature and DemandFeature.
	TileFeatures(ctx context.Context, layer string, bound orb.Bound, zoom int) ([]Feature, error)
}

// MVTSource is implemented by stores that encode whole tiles themselves (PostGIS with ST_AsMVT).
type MVTSource interface {
	// MVT returns the uncompressed MVT bytes of tile t holding the given layers (in that order) with the features drawn
	// at zoom (t.Z, or less when the byte cap thins a tile), or an empty slice when no layer has a feature there.
	//
	// To decode to what Encode makes from a FeatureSource: candidates are the rows whose geometry && BufferedBound(t),
	// thinned by the label grid at zoom, ordered and built as FeatureSource says, before ST_AsMVTGeom(ST_Transform(geom, 3857),
	// ST_TileEnvelope(z, x, y), 4096, 64, true); rows whose geometry comes back NULL are dropped; properties follow
	// MapProperties (NULL and '' omitted); layers without features are left out.
	MVT(ctx context.Context, t maptile.Tile, layers []Layer, zoom int) ([]byte, error)
}

// Change tells the tile cache what an edit or import touched: the layers and the lon/lat bounds of the old and new
// geometries. All means "anything may have changed" (a large import): the cache drops those layers' tiles.
type Change struct {
	Layers []string
	Bounds []orb.Bound
	All    bool
}

// Notifier is implemented by stores that report their writes after commit, so the cache never serves a stale tile.
type Notifier interface {
	// Subscribe registers f; it is called after every committed write, synchronously, before the write returns.
	Subscribe(f func(Change))
}

// Subscribers is the list of callbacks behind a store's Notifier; the zero value is ready and it is safe for concurrent
// use. Both stores keep theirs in one, so they notify alike.
type Subscribers struct {
	mu sync.Mutex
	fs []func(Change)
}

// Add registers f.
func (s *Subscribers) Add(f func(Change)) {
	s.mu.Lock()
	s.fs = append(s.fs, f)
	s.mu.Unlock()
}

// Notify calls every registered f with c, outside the lock (f may take its time or subscribe); a change without layers
// is dropped.
func (s *Subscribers) Notify(c Change) {
	if len(c.Layers) == 0 {
		return
	}
	s.mu.Lock()
	fs := slices.Clone(s.fs)
	s.mu.Unlock()
	for _, f := range fs {
		f(c)
	}
}
