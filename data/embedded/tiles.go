package embedded

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	bolt "go.etcd.io/bbolt"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/tiles"
)

var (
	_ tiles.FeatureSource = (*Store)(nil)
	_ tiles.Notifier      = (*Store)(nil)
)

// tileState is the store's tile support: the subscribers of tiles.Notifier, and the features of the small layers
// (divisions, boundary lines, markers, demand: hundreds of records), decoded once and kept until a write changes them.
type tileState struct {
	subs tiles.Subscribers
	// gen counts committed writes to the small layers; a snapshot built under another gen is stale.
	gen   atomic.Uint64
	small atomic.Pointer[smallLayers]
}

// smallLayers holds the small layers' features in key order, each with its bound.
type smallLayers struct {
	gen    uint64
	layers map[string][]boundFeature
}

type boundFeature struct {
	tiles.Feature
	bound orb.Bound
}

// Subscribe registers f to be called after every committed write (CreatePlace, UpdatePlace, Import), synchronously,
// before the write returns, with the layers it touched and the lon/lat bounds of the old and new geometries.
func (s *Store) Subscribe(f func(tiles.Change)) {
	s.tiles.subs.Add(f)
}

// notifyTiles tells the subscribers about a committed write. Writers call it holding wmu, so changes arrive in commit
// order.
func (s *Store) notifyTiles(c tiles.Change) {
	if len(c.Layers) == 0 {
		return
	}
	for _, l := range c.Layers {
		if l != "places" && l != "facilities" {
			s.tiles.gen.Add(1)
			break
		}
	}
	s.tiles.subs.Notify(c)
}

// placeBound returns the indexed bound of a place's current geometry. Callers hold wmu, so it is the committed one.
func (s *Store) placeBound(id string) (orb.Bound, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if i, ok := s.places.find(id); ok && s.places.sorted[i].hasBound {
		return s.places.sorted[i].bound, true
	}
	return orb.Bound{}, false
}

// placeChange is the change of a place write: its old bound (if it had one) and its new one.
func placeChange(old orb.Bound, hadOld bool, f *placeFields) tiles.Change {
	c := tiles.Change{Layers: []string{"places"}}
	if hadOld {
		c.Bounds = append(c.Bounds, old)
	}
	if f.hasBound {
		c.Bounds = append(c.Bounds, f.bound)
	}
	return c
}

// importChange describes what importing b will touch: the layers, and for a batch of at most data.ChangeBoundsLimit records
// the bounds of each record's stored geometry (read now: call it holding wmu, before the write) and of its new one.
func (s *Store) importChange(b *data.Batch) tiles.Change {
	var c tiles.Change
	c.Layers = b.ChangedLayers()
	if b.Len() > data.ChangeBoundsLimit {
		c.All = true
		return c
	}
	bound := func(g orb.Geometry) {
		if g != nil {
			c.Bounds = append(c.Bounds, g.Bound())
		}
	}
	divBound := func(d gazetteer.Division) {
		bound(d.Geometry)
		if d.Seat != nil {
			bound(*d.Seat)
		}
	}
	lineBound := func(l gazetteer.BoundaryLine) { bound(l.Geometry) }
	markerBound := func(m gazetteer.Marker) { bound(m.Position) }
	facBound := func(f facilities.Facility) { bound(f.Location) }
	demandBound := func(d facilities.DemandUnit) { bound(d.Location) }
	each(b.Divisions, divBound)
	for _, p := range b.Places {
		bound(p.Geometry)
	}
	each(b.Lines, lineBound)
	each(b.Markers, markerBound)
	each(b.Facilities, facBound)
	each(b.Demand, demandBound)
	// The stored versions: decoding fails only on a corrupt record, and then All is the safe answer.
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := eachStored(tx, bucketDivisions, b.Divisions, func(d *gazetteer.Division) string { return d.Code },
			decodeDivision, divBound); err != nil {
			return err
		}
		for _, p := range b.Places {
			if bd, ok := s.placeBound(p.ID); ok {
				c.Bounds = append(c.Bounds, bd)
			}
		}
		if err := eachStored(tx, bucketLines, b.Lines, func(l *gazetteer.BoundaryLine) string { return l.ID },
			decodeLine, lineBound); err != nil {
			return err
		}
		if err := eachStored(tx, bucketMarkers, b.Markers, func(m *gazetteer.Marker) string { return m.Number },
			decodeMarker, markerBound); err != nil {
			return err
		}
		if err := eachStored(tx, bucketFacilities, b.Facilities, func(f *facilities.Facility) string { return f.ID },
			decodeFacility, facBound); err != nil {
			return err
		}
		return eachStored(tx, bucketDemand, b.Demand, func(d *facilities.DemandUnit) string { return d.Code },
			decodeDemand, demandBound)
	})
	if err != nil {
		c.All, c.Bounds = true, nil
	}
	return c
}

// TileFeatures returns the features of one layer (tiles.Layers) drawn at zoom whose geometry bound meets bound
// (lon/lat, edges included), built by the tiles feature builders with the stored tile ids, ordered by the record's
// key in byte order (division code — each division's polygon before its label point —, place ID, line ID, marker
// number, facility ID, demand-unit code). Abolished places are left out. Places and facilities are found with their
// R-trees and, below their FullZoom, thinned by the label grid (tiles.RankRegion: the cells around the tile are ranked
// over all their members, so a feature is kept or dropped in every tile alike); the small layers are scanned in
// memory. An unknown layer is an error.
func (s *Store) TileFeatures(ctx context.Context, layer string, bound orb.Bound, zoom int) ([]tiles.Feature, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	switch layer {
	case "places":
		return s.tilePlaces(ctx, bound, zoom)
	case "facilities":
		return s.tileFacilities(ctx, bound, zoom)
	case "divisions", "boundary_lines", "markers", "demand":
		small, err := s.smallLayers()
		if err != nil {
			return nil, err
		}
		var out []tiles.Feature
		for _, f := range small.layers[layer] {
			if f.bound.Intersects(bound) {
				out = append(out, f.Feature)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("embedded store: unknown tile layer %q", layer)
}

// gridCandidate is one small feature a tile ranks in the label grid, copied out of the index under its lock.
type gridCandidate struct {
	id    string
	bound orb.Bound
	item  tiles.GridItem
	grid  *gridEntry
}

// tileKey is one record a tile draws: its key and its index entry's grid, whose cached tile id spares a read.
type tileKey struct {
	id   string
	grid *gridEntry
}

// tileSearch collects what a tile of layer draws from an R-tree search (search calls visit for every entry whose bound
// meets the bound it is given, holding s.mu): the keys of the features drawn whole and the small ones to rank.
type tileSearch struct {
	layer   tiles.Layer
	bound   orb.Bound
	zoom    int
	thinned bool
	region  tiles.GridRegion
	keys    []tileKey
	small   []gridCandidate
	items   []tiles.GridItem // rank's scratch
}

// tileSearches are reused: growing keys and small again for every tile was a tenth of an uncached tile's garbage.
var tileSearches = sync.Pool{New: func() any { return new(tileSearch) }}

// newTileSearch returns an empty search from the pool; give it back with release once its keys are used.
func newTileSearch(layer string, bound orb.Bound, zoom int) *tileSearch {
	l, _ := tiles.LayerByName(layer)
	ts := tileSearches.Get().(*tileSearch)
	ts.layer, ts.bound, ts.zoom, ts.thinned, ts.region = l, bound, zoom, l.Thinned(zoom), tiles.GridRegion{}
	if ts.thinned {
		ts.region = tiles.RankRegion(bound, zoom)
	}
	return ts
}

// release empties ts (dropping what it points to) and puts it back in the pool.
func (ts *tileSearch) release() {
	clear(ts.keys)
	clear(ts.small)
	ts.keys, ts.small, ts.items = ts.keys[:0], ts.small[:0], ts.items[:0]
	tileSearches.Put(ts)
}

// searchBound is the bound to search: the tile's, or the ranked region's when the layer is thinned.
func (ts *tileSearch) searchBound() orb.Bound {
	if ts.thinned {
		return ts.region.Bound
	}
	return ts.bound
}

// visit takes one entry found by the search.
func (ts *tileSearch) visit(id string, b orb.Bound, g *gridEntry) {
	if !ts.thinned || int(g.sizeZoom) <= ts.zoom {
		if b.Intersects(ts.bound) {
			ts.keys = append(ts.keys, tileKey{id, g})
		}
		return
	}
	if _, _, in := ts.region.Cell(g.x, g.y); in {
		ts.small = append(ts.small, gridCandidate{id: id, bound: b,
			item: tiles.GridItem{X: g.x, Y: g.y, Class: int(g.class)}, grid: g})
	}
}

// rank adds the small features the label grid keeps that meet the tile's bound to keys, reading the tile ids not yet
// cached, and returns the keys sorted.
func (s *Store) rank(ts *tileSearch, bucketLayer string) ([]tileKey, error) {
	if len(ts.small) > 0 {
		var missing []int
		ts.items = slices.Grow(ts.items[:0], len(ts.small))[:len(ts.small)]
		items := ts.items
		for i := range ts.small {
			c := &ts.small[i]
			if c.item.ID = c.grid.tileID.Load(); c.item.ID == 0 {
				missing = append(missing, i)
			}
		}
		if len(missing) > 0 {
			err := s.db.View(func(tx *bolt.Tx) error {
				ids := readTileIDs(tx)
				for _, i := range missing {
					c := &ts.small[i]
					c.item.ID = ids.get(bucketLayer, c.id)
					c.grid.tileID.Store(c.item.ID)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		for i := range ts.small {
			items[i] = ts.small[i].item
		}
		for i, k := range ts.region.Keep(items) {
			if k && ts.small[i].bound.Intersects(ts.bound) {
				ts.keys = append(ts.keys, tileKey{ts.small[i].id, ts.small[i].grid})
			}
		}
	}
	slices.SortFunc(ts.keys, func(a, b tileKey) int { return strings.Compare(a.id, b.id) })
	return ts.keys, nil
}

func (s *Store) tilePlaces(ctx context.Context, bound orb.Bound, zoom int) ([]tiles.Feature, error) {
	ts := newTileSearch("places", bound, zoom)
	defer ts.release()
	sb := ts.searchBound()
	s.mu.RLock()
	s.places.tree.Search(sb.Min, sb.Max, func(_, _ [2]float64, e *placeEntry) bool {
		if gazetteer.Published(e.status) {
			ts.visit(e.id, e.bound, &e.grid)
		}
		return true
	})
	s.mu.RUnlock()
	ids, err := s.rank(ts, "places")
	if err != nil {
		return nil, err
	}
	out := make([]tiles.Feature, 0, len(ids))
	err = readTileRecords(ctx, s.db, bucketPlaces, "places", ids, decodePlaceTile, func(p gazetteer.Place, id uint64) {
		// The index is updated after the commit: a record read in between may differ from its entry.
		if p.Geometry != nil && gazetteer.Published(p.Status) && p.Geometry.Bound().Intersects(bound) {
			out = append(out, tiles.PlaceFeatures(p, id)...)
		}
	})
	return out, err
}

func (s *Store) tileFacilities(ctx context.Context, bound orb.Bound, zoom int) ([]tiles.Feature, error) {
	ts := newTileSearch("facilities", bound, zoom)
	defer ts.release()
	sb := ts.searchBound()
	s.mu.RLock()
	s.facs.tree.Search(sb.Min, sb.Max, func(_, _ [2]float64, e *facilityEntry) bool {
		ts.visit(e.id, e.loc.Bound(), &e.grid)
		return true
	})
	s.mu.RUnlock()
	ids, err := s.rank(ts, "facilities")
	if err != nil {
		return nil, err
	}
	// Facilities are few enough to keep each decoded feature (featureMemo) instead of decoding its JSON record for
	// every tile; only the records written since they were last drawn are read.
	out := make([]tiles.Feature, 0, len(ids))
	var read []tileKey
	var versions []uint64 // read before the records are, so that a write in between leaves the memo unused
	for _, k := range ids {
		if f, ok := k.grid.memo.get(); ok {
			out = append(out, f)
			continue
		}
		read = append(read, k)
		versions = append(versions, k.grid.memo.version.Load())
	}
	if len(read) > 0 {
		i := 0
		err = readTileRecords(ctx, s.db, bucketFacilities, "facilities", read, decodeFacility, func(f facilities.Facility, id uint64) {
			for read[i].id != f.ID { // readTileRecords skips keys whose record is gone
				i++
			}
			feat := tiles.FacilityFeature(f, id)
			feat.Sorted = tiles.SortProperties(feat.Properties)
			read[i].grid.memo.cur.Store(&memoFeature{versions[i], feat})
			out = append(out, feat)
		})
		if err != nil {
			return nil, err
		}
		slices.SortFunc(out, func(a, b tiles.Feature) int { return strings.Compare(featureKey(a), featureKey(b)) })
	}
	kept := out[:0]
	for _, f := range out {
		if f.Geometry.Bound().Intersects(bound) {
			kept = append(kept, f)
		}
	}
	return kept, nil
}

// featureKey is a facility feature's record key (its "id" property): the layer's feature order.
func featureKey(f tiles.Feature) string {
	id, _ := f.Properties["id"].(string)
	return id
}

// readTileRecords is readKeys that also hands each record's tile id in layer to each, in the same read transaction:
// the one its grid entry caches, else the stored one (then cached).
func readTileRecords[T any](ctx context.Context, db *bolt.DB, bucket []byte, layer string, keys []tileKey,
	decode func([]byte) (T, error), each func(T, uint64)) error {
	return db.View(func(tx *bolt.Tx) error {
		b, ids := tx.Bucket(bucket), readTileIDs(tx)
		for i, k := range keys {
			if ctx != nil && i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v := b.Get([]byte(k.id))
			if v == nil {
				continue
			}
			rec, err := decode(v)
			if err != nil {
				return err
			}
			id := k.grid.tileID.Load()
			if id == 0 {
				id = ids.get(layer, k.id)
				k.grid.tileID.Store(id)
			}
			each(rec, id)
		}
		return nil
	})
}

// smallLayers returns the decoded small layers, rebuilding them after a write that touched them.
func (s *Store) smallLayers() (*smallLayers, error) {
	gen := s.tiles.gen.Load()
	if sl := s.tiles.small.Load(); sl != nil && sl.gen == gen {
		return sl, nil
	}
	sl := &smallLayers{gen: gen, layers: map[string][]boundFeature{}}
	add := func(layer string, fs ...tiles.Feature) {
		for _, f := range fs {
			if f.Geometry != nil {
				// The snapshot lives until the next write to these layers: long enough to prepare polygons once.
				f.Shape, f.Sorted = tiles.NewShape(f.Geometry), tiles.SortProperties(f.Properties)
				sl.layers[layer] = append(sl.layers[layer], boundFeature{f, f.Geometry.Bound()})
			}
		}
	}
	// Buckets iterate in key order, which is the layers' feature order.
	err := s.db.View(func(tx *bolt.Tx) error {
		ids := readTileIDs(tx)
		if err := forEach(tx, bucketDivisions, decodeDivision, func(d gazetteer.Division) {
			add("divisions", tiles.DivisionFeatures(d, ids.get("divisions", d.Code))...)
		}); err != nil {
			return err
		}
		if err := forEach(tx, bucketLines, decodeLine, func(l gazetteer.BoundaryLine) {
			add("boundary_lines", tiles.LineFeature(l, ids.get("boundary_lines", l.ID)))
		}); err != nil {
			return err
		}
		if err := forEach(tx, bucketMarkers, decodeMarker, func(m gazetteer.Marker) {
			add("markers", tiles.MarkerFeature(m, ids.get("markers", m.Number)))
		}); err != nil {
			return err
		}
		return forEach(tx, bucketDemand, decodeDemand, func(d facilities.DemandUnit) {
			add("demand", tiles.DemandFeature(d, ids.get("demand", d.Code)))
		})
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: tile layers: %w", err)
	}
	// A write that committed while this was read bumped gen: the snapshot is then stored under the old gen and the
	// next call rebuilds.
	s.tiles.small.Store(sl)
	return sl, nil
}
