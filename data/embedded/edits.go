package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/tiles"
)

// Single-record writes of the kinds other than places: a Put is a one-record import (write) with a version check in
// its transaction, a Delete removes the record and records a null version. Both append a version and an audit entry in
// the same bbolt transaction.

// put writes the one record of b (of kind, key id, in bucket) after checking expect, and returns its new version.
func (s *Store) put(ctx context.Context, kind edit.Kind, bucket []byte, id string, b data.Batch, expect int64,
	meta edit.Meta) (int64, error) {
	meta.Action = data.PutAction(meta.Action, expect)
	st, err := s.write(ctx, b, meta, writeOpts{force: true, guard: func(tx *bolt.Tx) error {
		h, err := headOf(tx, kind, id)
		if err != nil {
			return err
		}
		return data.CheckWrite(kind, id, tx.Bucket(bucket).Get([]byte(id)) != nil, h.version, expect)
	}})
	if err != nil {
		return 0, err
	}
	if len(st.Results) != 1 {
		return 0, fmt.Errorf("embedded store: put %s %q wrote %d records", kind, id, len(st.Results))
	}
	return st.Results[0].Version, nil
}

// PutDivision creates (expect 0) or replaces a division (see gazetteer.Store).
func (s *Store) PutDivision(ctx context.Context, d gazetteer.Division, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindDivision, bucketDivisions, d.Code, data.Batch{Divisions: []gazetteer.Division{d}}, expect, meta)
}

// PutBoundaryLine creates (expect 0) or replaces a boundary line.
func (s *Store) PutBoundaryLine(ctx context.Context, l gazetteer.BoundaryLine, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindLine, bucketLines, l.ID, data.Batch{Lines: []gazetteer.BoundaryLine{l}}, expect, meta)
}

// PutMarker creates (expect 0) or replaces a boundary marker; its line must be stored.
func (s *Store) PutMarker(ctx context.Context, m gazetteer.Marker, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindMarker, bucketMarkers, m.Number, data.Batch{Markers: []gazetteer.Marker{m}}, expect, meta)
}

// PutFacility creates (expect 0) or replaces a facility (Version and UpdatedAt set by the store).
func (s *Store) PutFacility(ctx context.Context, f facilities.Facility, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindFacility, bucketFacilities, f.ID, data.Batch{Facilities: []facilities.Facility{f}}, expect, meta)
}

// PutDemandUnit creates (expect 0) or replaces a demand unit.
func (s *Store) PutDemandUnit(ctx context.Context, d facilities.DemandUnit, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindDemand, bucketDemand, d.Code, data.Batch{Demand: []facilities.DemandUnit{d}}, expect, meta)
}

// Marker returns one marker by number, or an error wrapping apierr.ErrNotFound.
func (s *Store) Marker(ctx context.Context, number string) (gazetteer.Marker, error) {
	return getRecord(s, ctx, bucketMarkers, "marker", number, decodeMarker)
}

// DemandUnit returns one demand unit by code, or an error wrapping apierr.ErrNotFound.
func (s *Store) DemandUnit(ctx context.Context, code string) (facilities.DemandUnit, error) {
	return getRecord(s, ctx, bucketDemand, "demand unit", code, decodeDemand)
}

// del removes key id of bucket at version expect. batchOf gives the stored record as a batch (for the tile change),
// check refuses a delete (a line that has markers), after updates the indexes once committed.
func (s *Store) del(ctx context.Context, kind edit.Kind, bucket []byte, id string, expect int64, meta edit.Meta,
	batchOf func(v []byte) (data.Batch, error), check func(tx *bolt.Tx) error, after func()) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if meta.Action == "" {
		meta.Action = "delete"
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var change tiles.Change
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucket).Get([]byte(id)); v != nil {
			b, err := batchOf(v)
			if err != nil {
				return err
			}
			change = tiles.Change{Layers: b.ChangedLayers()}
			each(b.Divisions, func(d gazetteer.Division) {
				if d.Geometry != nil {
					change.Bounds = append(change.Bounds, d.Geometry.Bound())
				}
				if d.Seat != nil {
					change.Bounds = append(change.Bounds, d.Seat.Bound())
				}
			})
			each(b.Lines, func(l gazetteer.BoundaryLine) {
				if l.Geometry != nil {
					change.Bounds = append(change.Bounds, l.Geometry.Bound())
				}
			})
			each(b.Markers, func(m gazetteer.Marker) { change.Bounds = append(change.Bounds, m.Position.Bound()) })
			each(b.Facilities, func(f facilities.Facility) { change.Bounds = append(change.Bounds, f.Location.Bound()) })
			each(b.Demand, func(d facilities.DemandUnit) { change.Bounds = append(change.Bounds, d.Location.Bound()) })
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var v int64
	err = s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		cur := bk.Get([]byte(id))
		h, err := headOf(tx, kind, id)
		if err != nil {
			return err
		}
		if cur == nil {
			return data.NotFound(kind, id)
		}
		if err := data.CheckWrite(kind, id, true, h.version, expect); err != nil {
			return err
		}
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		if err := bk.Delete([]byte(id)); err != nil {
			return err
		}
		v = h.version + 1
		if meta.Time.IsZero() {
			meta.Time = now()
		}
		return appendVersion(tx, kind, id, v, h, nil, "", meta)
	})
	if err != nil {
		return 0, err
	}
	if after != nil {
		after()
	}
	s.notifyTiles(change)
	return v, nil
}

// DeleteDivision removes a division at version expect (see gazetteer.Store).
func (s *Store) DeleteDivision(ctx context.Context, code string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindDivision, bucketDivisions, code, expect, meta, func(v []byte) (data.Batch, error) {
		d, err := decodeDivision(v)
		return data.Batch{Divisions: []gazetteer.Division{d}}, err
	}, nil, func() {
		base := s.divs.Load()
		x := &divIndex{byCode: make(map[string]*divEntry, len(base.byCode))}
		for k, e := range base.byCode {
			if k != code {
				x.byCode[k] = e
			}
		}
		s.divs.Store(buildDivIndex(x, nil))
	})
}

// DeleteBoundaryLine removes a boundary line at version expect; a line that still has markers is ErrConflict.
func (s *Store) DeleteBoundaryLine(ctx context.Context, id string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindLine, bucketLines, id, expect, meta, func(v []byte) (data.Batch, error) {
		l, err := decodeLine(v)
		return data.Batch{Lines: []gazetteer.BoundaryLine{l}}, err
	}, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMarkers).ForEach(func(k, v []byte) error {
			var head struct {
				LineID string `json:"line_id"`
			}
			if err := json.Unmarshal(v, &head); err != nil {
				return err
			}
			if head.LineID == id {
				return fmt.Errorf("boundary line %q still has marker %q; delete its markers first: %w", id, k,
					apierr.ErrConflict)
			}
			return nil
		})
	}, nil)
}

// DeleteMarker removes a boundary marker at version expect.
func (s *Store) DeleteMarker(ctx context.Context, number string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindMarker, bucketMarkers, number, expect, meta, func(v []byte) (data.Batch, error) {
		m, err := decodeMarker(v)
		return data.Batch{Markers: []gazetteer.Marker{m}}, err
	}, nil, nil)
}

// DeleteFacility removes a facility at version expect.
func (s *Store) DeleteFacility(ctx context.Context, id string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindFacility, bucketFacilities, id, expect, meta, func(v []byte) (data.Batch, error) {
		f, err := decodeFacility(v)
		return data.Batch{Facilities: []facilities.Facility{f}}, err
	}, nil, func() {
		s.mu.Lock()
		s.facs.remove(id)
		s.mu.Unlock()
	})
}

// DeleteDemandUnit removes a demand unit at version expect.
func (s *Store) DeleteDemandUnit(ctx context.Context, code string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindDemand, bucketDemand, code, expect, meta, func(v []byte) (data.Batch, error) {
		d, err := decodeDemand(v)
		return data.Batch{Demand: []facilities.DemandUnit{d}}, err
	}, nil, nil)
}

func (x *facilityIndex) remove(id string) {
	i, ok := slices.BinarySearchFunc(x.sorted, id, func(e *facilityEntry, id string) int { return strings.Compare(e.id, id) })
	if !ok {
		return
	}
	e := x.sorted[i]
	x.tree.Delete(e.loc, e.loc, e)
	x.sorted = slices.Delete(x.sorted, i, i+1)
}
