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
	"civmap/gazetteer"
	"civmap/tiles"
)

var (
	_ tiles.FeatureSource = (*Store)(nil)
	_ tiles.Notifier      = (*Store)(nil)
)

// importBoundsLimit is the largest import whose change is told record by record; a larger one invalidates the touched
// layers whole (tiles.Change.All).
const importBoundsLimit = 10000

// tileState is the store's tile support: the subscribers of tiles.Notifier, and the features of the small layers
// (divisions, boundary lines, markers, demand: hundreds of records), decoded once and kept until a write changes them.
type tileState struct {
	mu   sync.Mutex
	subs []func(tiles.Change)
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
	s.tiles.mu.Lock()
	s.tiles.subs = append(s.tiles.subs, f)
	s.tiles.mu.Unlock()
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
	s.tiles.mu.Lock()
	subs := slices.Clone(s.tiles.subs)
	s.tiles.mu.Unlock()
	for _, f := range subs {
		f(c)
	}
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

// importChange describes what importing b will touch: the layers, and for a batch of at most importBoundsLimit records
// the bounds of each record's stored geometry (read now: call it holding wmu, before the write) and of its new one.
func (s *Store) importChange(b *data.Batch) tiles.Change {
	var c tiles.Change
	add := func(layer string, n int) {
		if n > 0 {
			c.Layers = append(c.Layers, layer)
		}
	}
	add("divisions", len(b.Divisions))
	add("places", len(b.Places))
	add("boundary_lines", len(b.Lines))
	add("markers", len(b.Markers))
	add("facilities", len(b.Facilities))
	add("demand", len(b.Demand))
	if b.Len() > importBoundsLimit {
		c.All = true
		return c
	}
	bound := func(g orb.Geometry) {
		if g != nil {
			c.Bounds = append(c.Bounds, g.Bound())
		}
	}
	for _, d := range b.Divisions {
		bound(d.Geometry)
		if d.Seat != nil {
			bound(*d.Seat)
		}
	}
	for _, p := range b.Places {
		bound(p.Geometry)
	}
	for _, l := range b.Lines {
		bound(l.Geometry)
	}
	for _, m := range b.Markers {
		bound(m.Position)
	}
	for _, f := range b.Facilities {
		bound(f.Location)
	}
	for _, d := range b.Demand {
		bound(d.Location)
	}
	// The stored versions: decoding fails only on a corrupt record, and then All is the safe answer.
	err := s.db.View(func(tx *bolt.Tx) error {
		get := func(bucket []byte, key string) []byte { return tx.Bucket(bucket).Get([]byte(key)) }
		for _, d := range b.Divisions {
			if v := get(bucketDivisions, d.Code); v != nil {
				old, err := decodeDivision(v)
				if err != nil {
					return err
				}
				bound(old.Geometry)
				if old.Seat != nil {
					bound(*old.Seat)
				}
			}
		}
		for _, p := range b.Places {
			if bd, ok := s.placeBound(p.ID); ok {
				c.Bounds = append(c.Bounds, bd)
			}
		}
		for _, l := range b.Lines {
			if v := get(bucketLines, l.ID); v != nil {
				old, err := decodeLine(v)
				if err != nil {
					return err
				}
				bound(old.Geometry)
			}
		}
		for _, m := range b.Markers {
			if v := get(bucketMarkers, m.Number); v != nil {
				old, err := decodeMarker(v)
				if err != nil {
					return err
				}
				bound(old.Position)
			}
		}
		for _, f := range b.Facilities {
			if v := get(bucketFacilities, f.ID); v != nil {
				old, err := decodeFacility(v)
				if err != nil {
					return err
				}
				bound(old.Location)
			}
		}
		for _, d := range b.Demand {
			if v := get(bucketDemand, d.Code); v != nil {
				old, err := decodeDemand(v)
				if err != nil {
					return err
				}
				bound(old.Location)
			}
		}
		return nil
	})
	if err != nil {
		c.All, c.Bounds = true, nil
	}
	return c
}

// TileFeatures returns the features of one layer (tiles.Layers) whose geometry bound meets bound (lon/lat, edges
// included), built by the tiles feature builders, ordered by the record's key in byte order (division code — each
// division's polygon before its label point —, place ID, line ID, marker number, facility ID, demand-unit code), at
// most limit (<= 0: no limit). Abolished places are left out. Places and facilities are found with their R-trees;
// the small layers are scanned in memory. An unknown layer is an error.
func (s *Store) TileFeatures(ctx context.Context, layer string, bound orb.Bound, limit int) ([]tiles.Feature, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	switch layer {
	case "places":
		return s.tilePlaces(ctx, bound, limit)
	case "facilities":
		return s.tileFacilities(bound, limit)
	case "divisions", "boundary_lines", "markers", "demand":
		small, err := s.smallLayers()
		if err != nil {
			return nil, err
		}
		var out []tiles.Feature
		for _, f := range small.layers[layer] {
			if limit > 0 && len(out) == limit {
				break
			}
			if f.bound.Intersects(bound) {
				out = append(out, f.Feature)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("embedded store: unknown tile layer %q", layer)
}

func (s *Store) tilePlaces(ctx context.Context, bound orb.Bound, limit int) ([]tiles.Feature, error) {
	var ids []string
	s.mu.RLock()
	s.places.tree.Search(bound.Min, bound.Max, func(_, _ [2]float64, e *placeEntry) bool {
		if e.status != gazetteer.StatusAbolished {
			ids = append(ids, e.id)
		}
		return true
	})
	s.mu.RUnlock()
	slices.SortFunc(ids, strings.Compare)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]tiles.Feature, 0, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPlaces)
		for i, id := range ids {
			if i%1024 == 1023 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			p, err := decodePlace(v)
			if err != nil {
				return err
			}
			// The index is updated after the commit: a record read in between may differ from its entry.
			if p.Geometry == nil || p.Status == gazetteer.StatusAbolished || !p.Geometry.Bound().Intersects(bound) {
				continue
			}
			out = append(out, tiles.PlaceFeature(p))
		}
		return nil
	})
	return out, err
}

func (s *Store) tileFacilities(bound orb.Bound, limit int) ([]tiles.Feature, error) {
	var ids []string
	s.mu.RLock()
	s.facs.tree.Search(bound.Min, bound.Max, func(_, _ [2]float64, e *facilityEntry) bool {
		ids = append(ids, e.id)
		return true
	})
	s.mu.RUnlock()
	slices.SortFunc(ids, strings.Compare)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]tiles.Feature, 0, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFacilities)
		for _, id := range ids {
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			f, err := decodeFacility(v)
			if err != nil {
				return err
			}
			if !f.Location.Bound().Intersects(bound) {
				continue
			}
			out = append(out, tiles.FacilityFeature(f))
		}
		return nil
	})
	return out, err
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
				sl.layers[layer] = append(sl.layers[layer], boundFeature{f, f.Geometry.Bound()})
			}
		}
	}
	// Buckets iterate in key order, which is the layers' feature order.
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketDivisions).ForEach(func(_, v []byte) error {
			d, err := decodeDivision(v)
			if err == nil {
				add("divisions", tiles.DivisionFeatures(d)...)
			}
			return err
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketLines).ForEach(func(_, v []byte) error {
			l, err := decodeLine(v)
			if err == nil {
				add("boundary_lines", tiles.LineFeature(l))
			}
			return err
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketMarkers).ForEach(func(_, v []byte) error {
			m, err := decodeMarker(v)
			if err == nil {
				add("markers", tiles.MarkerFeature(m))
			}
			return err
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketDemand).ForEach(func(_, v []byte) error {
			d, err := decodeDemand(v)
			if err == nil {
				add("demand", tiles.DemandFeature(d))
			}
			return err
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
