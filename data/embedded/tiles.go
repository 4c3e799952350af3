package embedded

import (
	"context"
	"fmt"
	"slices"
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

// TileFeatures returns the features of one layer (tiles.Layers) whose geometry bound meets bound (lon/lat, edges
// included) and whose MinZoom (tiles.Layer.MinZoomOf) is at most zoom, built by the tiles feature builders with the
// stored tile ids, ordered by the record's key in byte order (division code — each division's polygon before its
// label point —, place ID, line ID, marker number, facility ID, demand-unit code). Abolished places are left out.
// Places and facilities are found with their R-trees; the small layers are scanned in memory. An unknown layer is an
// error.
func (s *Store) TileFeatures(ctx context.Context, layer string, bound orb.Bound, zoom int) ([]tiles.Feature, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	switch layer {
	case "places":
		return s.tilePlaces(ctx, bound, zoom)
	case "facilities":
		return s.tileFacilities(bound, zoom)
	case "divisions", "boundary_lines", "markers", "demand":
		small, err := s.smallLayers()
		if err != nil {
			return nil, err
		}
		var out []tiles.Feature
		for _, f := range small.layers[layer] {
			if f.MinZoom <= zoom && f.bound.Intersects(bound) {
				out = append(out, f.Feature)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("embedded store: unknown tile layer %q", layer)
}

func (s *Store) tilePlaces(ctx context.Context, bound orb.Bound, zoom int) ([]tiles.Feature, error) {
	var ids []string
	s.mu.RLock()
	s.places.tree.Search(bound.Min, bound.Max, func(_, _ [2]float64, e *placeEntry) bool {
		if e.minZoom <= zoom && gazetteer.Published(e.status) {
			ids = append(ids, e.id)
		}
		return true
	})
	s.mu.RUnlock()
	slices.Sort(ids)
	out := make([]tiles.Feature, 0, len(ids))
	err := readTileRecords(ctx, s.db, bucketPlaces, "places", ids, decodePlace, func(p gazetteer.Place, id uint64) {
		// The index is updated after the commit: a record read in between may differ from its entry.
		if p.Geometry != nil && gazetteer.Published(p.Status) && p.Geometry.Bound().Intersects(bound) {
			if f := tiles.PlaceFeature(p, id); f.MinZoom <= zoom {
				out = append(out, f)
			}
		}
	})
	return out, err
}

func (s *Store) tileFacilities(bound orb.Bound, zoom int) ([]tiles.Feature, error) {
	var ids []string
	s.mu.RLock()
	s.facs.tree.Search(bound.Min, bound.Max, func(_, _ [2]float64, e *facilityEntry) bool {
		if tiles.FacilityMinZoom(e.id, e.typ, e.loc) <= zoom {
			ids = append(ids, e.id)
		}
		return true
	})
	s.mu.RUnlock()
	slices.Sort(ids)
	out := make([]tiles.Feature, 0, len(ids))
	err := readTileRecords(nil, s.db, bucketFacilities, "facilities", ids, decodeFacility, func(f facilities.Facility, id uint64) {
		if f.Location.Bound().Intersects(bound) {
			if tf := tiles.FacilityFeature(f, id); tf.MinZoom <= zoom {
				out = append(out, tf)
			}
		}
	})
	return out, err
}

// readTileRecords is readKeys that also hands each record's tile id in layer to each, in the same read transaction.
func readTileRecords[T any](ctx context.Context, db *bolt.DB, bucket []byte, layer string, keys []string,
	decode func([]byte) (T, error), each func(T, uint64)) error {
	return db.View(func(tx *bolt.Tx) error {
		b, ids := tx.Bucket(bucket), readTileIDs(tx)
		for i, k := range keys {
			if ctx != nil && i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v := b.Get([]byte(k))
			if v == nil {
				continue
			}
			rec, err := decode(v)
			if err != nil {
				return err
			}
			each(rec, ids.get(layer, k))
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
