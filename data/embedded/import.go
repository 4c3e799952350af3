package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"civmap/data"
	"civmap/internal/apierr"
)

// Import writes b in one bbolt transaction, upserting by natural key (division code, place ID, line ID, marker number,
// facility ID, demand-unit code). A replaced place keeps CreatedAt, gets Version+1 and UpdatedAt = now, and its old
// version goes to the history; a new place gets Version 1 and CreatedAt = UpdatedAt = now. A facility gets Version 1 or
// +1 and UpdatedAt = now. Every record counts once in the stats, as inserted or updated.
//
// Before writing anything, Import rejects the whole batch for: an empty key (apierr.Invalid), a key repeated within
// one kind of record (apierr.ErrConflict), or a marker whose LineID is neither in the batch nor in the store
// (apierr.Invalid). ctx is checked as it goes; cancelling rolls the whole batch back.
func (s *Store) Import(ctx context.Context, b data.Batch) (data.ImportStats, error) {
	if err := s.check(ctx); err != nil {
		return data.ImportStats{}, err
	}
	// Keys in byte order: bbolt appends sequential keys far faster than random ones, and sorting finds repeats.
	var (
		divOrd, divErr = keyOrder("divisions", "code", len(b.Divisions), func(i int) string { return b.Divisions[i].Code })
		plOrd, plErr   = keyOrder("places", "id", len(b.Places), func(i int) string { return b.Places[i].ID })
		lnOrd, lnErr   = keyOrder("lines", "id", len(b.Lines), func(i int) string { return b.Lines[i].ID })
		mkOrd, mkErr   = keyOrder("markers", "number", len(b.Markers), func(i int) string { return b.Markers[i].Number })
		fcOrd, fcErr   = keyOrder("facilities", "id", len(b.Facilities), func(i int) string { return b.Facilities[i].ID })
		dmOrd, dmErr   = keyOrder("demand", "code", len(b.Demand), func(i int) string { return b.Demand[i].Code })
	)
	for _, err := range []error{divErr, plErr, lnErr, mkErr, fcErr, dmErr} {
		if err != nil {
			return data.ImportStats{}, err
		}
	}
	batchLines := make(map[string]bool, len(b.Lines))
	for _, l := range b.Lines {
		batchLines[l.ID] = true
	}

	s.wmu.Lock()
	defer s.wmu.Unlock()
	change := s.importChange(&b) // the stored bounds, before they are overwritten
	var st data.ImportStats
	t := now()
	n := 0
	tick := func() error { // cheap cancellation check
		n++
		if n%4096 == 0 {
			return ctx.Err()
		}
		return nil
	}
	count := func(existed bool) {
		if existed {
			st.Updated++
		} else {
			st.Inserted++
		}
	}
	fs := make([]placeFields, len(plOrd)) // index fields of the places, in plOrd order
	err := s.db.Update(func(tx *bolt.Tx) error {
		// Markers refer to lines: check them first, so a bad batch fails before any work.
		lines := tx.Bucket(bucketLines)
		for i, m := range b.Markers {
			if m.LineID == "" || (!batchLines[m.LineID] && lines.Get([]byte(m.LineID)) == nil) {
				return apierr.Invalid{{Location: fmt.Sprintf("markers[%d]", i), Field: "line_id",
					Reason: fmt.Sprintf("marker %q refers to unknown boundary line %q", m.Number, m.LineID)}}
			}
		}

		ids := newTileIDs(tx)
		bk := tx.Bucket(bucketDivisions)
		for _, i := range divOrd {
			d := &b.Divisions[i]
			v, err := encodeDivision(d)
			if err != nil {
				return err
			}
			count(bk.Get([]byte(d.Code)) != nil)
			if err := bk.Put([]byte(d.Code), v); err != nil {
				return err
			}
			if _, err := ids.ensure("divisions", d.Code); err != nil {
				return err
			}
		}

		bk, hist, pidx := tx.Bucket(bucketPlaces), tx.Bucket(bucketHistory), tx.Bucket(bucketPlaceIdx)
		// Sorted inserts: pack pages instead of leaving them half full.
		bk.FillPercent, hist.FillPercent, pidx.FillPercent = 0.9, 0.9, 0.9
		for j, i := range plOrd {
			if err := tick(); err != nil {
				return err
			}
			p := b.Places[i] // a copy: the caller's batch is not changed
			key := []byte(p.ID)
			if old := bk.Get(key); old != nil {
				ps, err := decodeStamp(old)
				if err != nil {
					return err
				}
				if err := hist.Put(historyKey(p.ID, ps.Version), bytes.Clone(old)); err != nil {
					return err
				}
				stampReplaced(&p, ps, t)
				st.Updated++
			} else {
				p.Version, p.CreatedAt, p.UpdatedAt = 1, t, t
				st.Inserted++
			}
			v, err := encodePlace(&p)
			if err != nil {
				return err
			}
			if err := bk.Put(key, v); err != nil {
				return err
			}
			if _, err := ids.ensure("places", p.ID); err != nil {
				return err
			}
			fs[j] = fieldsOf(&p)
			if err := pidx.Put(key, fs[j].appendBinary(nil)); err != nil {
				return err
			}
		}

		for _, i := range lnOrd {
			l := &b.Lines[i]
			v, err := encodeLine(l)
			if err != nil {
				return err
			}
			count(lines.Get([]byte(l.ID)) != nil)
			if err := lines.Put([]byte(l.ID), v); err != nil {
				return err
			}
			if _, err := ids.ensure("boundary_lines", l.ID); err != nil {
				return err
			}
		}

		bk = tx.Bucket(bucketMarkers)
		for _, i := range mkOrd {
			m := &b.Markers[i]
			v, err := encodeMarker(m)
			if err != nil {
				return err
			}
			count(bk.Get([]byte(m.Number)) != nil)
			if err := bk.Put([]byte(m.Number), v); err != nil {
				return err
			}
			if _, err := ids.ensure("markers", m.Number); err != nil {
				return err
			}
		}

		bk = tx.Bucket(bucketFacilities)
		for _, i := range fcOrd {
			if err := tick(); err != nil {
				return err
			}
			f := b.Facilities[i]
			f.Version, f.UpdatedAt = 1, t
			if old := bk.Get([]byte(f.ID)); old != nil {
				var fs facilityStamp
				if err := json.Unmarshal(old, &fs); err != nil {
					return fmt.Errorf("decode facility: %w", err)
				}
				f.Version = fs.Version + 1
				st.Updated++
			} else {
				st.Inserted++
			}
			v, err := encodeFacility(&f)
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(f.ID), v); err != nil {
				return err
			}
			if _, err := ids.ensure("facilities", f.ID); err != nil {
				return err
			}
		}

		bk = tx.Bucket(bucketDemand)
		for _, i := range dmOrd {
			if err := tick(); err != nil {
				return err
			}
			d := &b.Demand[i]
			v, err := encodeDemand(d)
			if err != nil {
				return err
			}
			count(bk.Get([]byte(d.Code)) != nil)
			if err := bk.Put([]byte(d.Code), v); err != nil {
				return err
			}
			if _, err := ids.ensure("demand", d.Code); err != nil {
				return err
			}
		}
		if err := ids.flush(); err != nil {
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		return data.ImportStats{}, err
	}

	// Committed: now the indexes.
	if len(b.Divisions) > 0 {
		changed := make([]*divEntry, len(b.Divisions))
		for i := range b.Divisions {
			changed[i] = newDivEntry(&b.Divisions[i])
		}
		s.divs.Store(buildDivIndex(s.divs.Load(), changed))
	}
	if len(b.Places) > 0 || len(b.Facilities) > 0 {
		s.mu.Lock()
		ids := make([]string, len(plOrd))
		for j, i := range plOrd {
			ids[j] = b.Places[i].ID
		}
		s.places.putSorted(ids, fs)
		for i := range b.Facilities {
			s.facs.put(&b.Facilities[i])
		}
		s.mu.Unlock()
	}
	s.notifyTiles(change)
	return st, nil
}

// keyOrder returns the indexes 0..n-1 ordered by key, or an error for an empty or repeated key.
func keyOrder(kind, field string, n int, key func(int) string) ([]int, error) {
	// Sort (key, index) pairs: comparing through key(i) would chase into the records, which are large.
	type ki struct {
		k string
		i int
	}
	pairs := make([]ki, n)
	sorted := true
	for i := range pairs {
		pairs[i] = ki{key(i), i}
		if pairs[i].k == "" {
			return nil, apierr.Invalid{{Location: fmt.Sprintf("%s[%d]", kind, i), Field: field, Reason: "is empty"}}
		}
		sorted = sorted && (i == 0 || pairs[i-1].k <= pairs[i].k)
	}
	if !sorted { // exports come back sorted
		slices.SortFunc(pairs, func(a, b ki) int { return strings.Compare(a.k, b.k) })
	}
	ord := make([]int, n)
	for j, p := range pairs {
		if j > 0 && p.k == pairs[j-1].k {
			a, b := min(p.i, pairs[j-1].i), max(p.i, pairs[j-1].i)
			return nil, fmt.Errorf("%s[%d] and %s[%d]: %s %q appears twice in the batch: %w", kind, a, kind, b, field, p.k,
				apierr.ErrConflict)
		}
		ord[j] = p.i
	}
	return ord, nil
}
