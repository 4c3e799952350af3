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

// Import writes b in one bbolt transaction, upserting by natural key (division code, place ID, line ID, marker number,
// facility ID, demand-unit code). A record whose content (data.ContentHash) equals its stored version is left alone and
// counted Unchanged; every other record gets a new version (edit.Version with meta) and an OK audit entry in the same
// transaction. A replaced place keeps CreatedAt, gets Version+1 and UpdatedAt = now; a new place gets Version 1 and
// CreatedAt = UpdatedAt = now. A facility gets Version 1 or +1 and UpdatedAt = now. With b.DryRun the batch is only
// compared, in a read transaction, and every record's result listed.
//
// Before writing anything, Import rejects the whole batch for: an empty key (apierr.Invalid), a key repeated within
// one kind of record (apierr.ErrConflict), or a marker whose LineID is neither in the batch nor in the store
// (apierr.Invalid). ctx is checked as it goes; cancelling rolls the whole batch back.
func (s *Store) Import(ctx context.Context, b data.Batch, meta edit.Meta) (data.ImportStats, error) {
	if meta.Action == "" {
		meta.Action = "import"
	}
	return s.write(ctx, b, meta, writeOpts{merge: true})
}

// writeOpts adapt write to a single-record Put: guard runs first in the transaction (the version check), and force
// writes a version even when the content is unchanged (an explicit edit is always recorded). merge (imports) keeps a
// stored division's members that the batch leaves absent (data.MergeDivision).
type writeOpts struct {
	guard func(tx *bolt.Tx) error
	force bool
	merge bool
}

// importer carries one write's state through the per-kind steps.
type importer struct {
	tx      *bolt.Tx
	meta    edit.Meta
	dry     bool
	force   bool
	results bool
	st      data.ImportStats
	n       int
	ctx     context.Context
}

func (w *importer) tick() error { // cheap cancellation check
	w.n++
	if w.n%4096 == 0 {
		return w.ctx.Err()
	}
	return nil
}

// step writes (or, dry, compares) the records of one kind in key order. stamp sets the store-managed fields of a
// record that will get version v (old is the stored value, nil when new); put stores it; done is called for every
// record written.
func step[T any](w *importer, kind edit.Kind, bucket []byte, recs []T, ord []int, key func(*T) string,
	stamp func(r *T, old []byte, v int64) error, encode func(*T) ([]byte, error), put func(k []byte, r *T, v []byte) error,
	done func(r *T)) error {
	bk := w.tx.Bucket(bucket)
	for _, i := range ord {
		if err := w.tick(); err != nil {
			return err
		}
		r := recs[i] // a copy: the caller's batch is not changed
		id := key(&r)
		k := []byte(id)
		old := bk.Get(k)
		h, err := headOf(w.tx, kind, id)
		if err != nil {
			return err
		}
		hash, err := data.ContentHash(&r)
		if err != nil {
			return err
		}
		if old != nil && h.hash == hash && !w.force {
			w.st.Unchanged++
			if w.results {
				w.st.Results = append(w.st.Results, data.RecordResult{Kind: kind, ID: id, Result: data.ResultUnchanged})
			}
			continue
		}
		v := h.version + 1
		if stamp != nil {
			if err := stamp(&r, old, v); err != nil {
				return err
			}
		}
		doc, err := data.Document(&r)
		if err != nil {
			return err
		}
		res := data.RecordResult{Kind: kind, ID: id, Result: data.ResultCreated, Version: v}
		if old != nil {
			w.st.Updated++
			res.Result = data.ResultChanged
			if w.dry {
				var prev versionRec
				if pv := w.tx.Bucket(bucketVersions).Get(versionKey(kind, id, h.version)); pv != nil {
					_ = json.Unmarshal(pv, &prev)
				}
				res.Fields = data.ChangedFields(prev.Record, doc)
			}
		} else {
			w.st.Inserted++
		}
		if w.results {
			w.st.Results = append(w.st.Results, res)
		}
		if w.dry {
			continue
		}
		val, err := encode(&r)
		if err != nil {
			return err
		}
		if err := put(k, &r, val); err != nil {
			return err
		}
		if err := appendVersion(w.tx, kind, id, v, h, doc, hash, w.meta); err != nil {
			return err
		}
		if done != nil {
			done(&r)
		}
	}
	return nil
}

func (s *Store) write(ctx context.Context, b data.Batch, meta edit.Meta, opts writeOpts) (data.ImportStats, error) {
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
	var change tiles.Change
	if !b.DryRun {
		change = s.importChange(&b) // the stored bounds, before they are overwritten
	}
	t := now()
	if meta.Time.IsZero() {
		meta.Time = t
	}
	w := &importer{meta: meta, dry: b.DryRun, force: opts.force, ctx: ctx,
		results: b.DryRun || b.Len() <= data.ResultsLimit}
	var (
		divs   []*divEntry
		pIDs   []string
		pFs    []placeFields
		facs   []facilities.Facility
		others int // written records of the small layers
	)
	body := func(tx *bolt.Tx) error {
		w.tx = tx
		if opts.guard != nil {
			if err := opts.guard(tx); err != nil {
				return err
			}
		}
		// Markers refer to lines: check them first, so a bad batch fails before any work.
		lines := tx.Bucket(bucketLines)
		for i, m := range b.Markers {
			if m.LineID == "" || (!batchLines[m.LineID] && lines.Get([]byte(m.LineID)) == nil) {
				return apierr.Invalid{{Location: fmt.Sprintf("markers[%d]", i), Field: "line_id",
					Reason: fmt.Sprintf("marker %q refers to unknown boundary line %q", m.Number, m.LineID)}}
			}
		}
		// Every record written gets its tile id (tileids.go) in the same transaction.
		ids := newTileIDs(tx)
		putIn := func(bucket []byte, layer string) func(k []byte, _ any, v []byte) error {
			bk := tx.Bucket(bucket)
			return func(k []byte, _ any, v []byte) error {
				if err := bk.Put(k, v); err != nil {
					return err
				}
				_, err := ids.ensure(layer, string(k))
				return err
			}
		}
		if !w.dry {
			// Sorted inserts: pack pages instead of leaving them half full.
			for _, name := range [][]byte{bucketPlaces, bucketPlaceIdx, bucketVersions, bucketAudit} {
				tx.Bucket(name).FillPercent = 0.9
			}
		}
		if opts.merge && len(b.Divisions) > 0 {
			// Merged before the comparison, so that a file without polygons (divisions.csv) leaves them unchanged.
			bk := tx.Bucket(bucketDivisions)
			merged := make([]gazetteer.Division, len(b.Divisions)) // the caller's batch is not changed
			for i, d := range b.Divisions {
				var stored *gazetteer.Division
				if old := bk.Get([]byte(d.Code)); old != nil {
					od, err := decodeDivision(old)
					if err != nil {
						return err
					}
					stored = &od
				}
				merged[i] = data.MergeDivision(stored, d)
			}
			b.Divisions = merged
		}
		pd := putIn(bucketDivisions, "divisions")
		if err := step(w, edit.KindDivision, bucketDivisions, b.Divisions, divOrd,
			func(d *gazetteer.Division) string { return d.Code }, nil, encodeDivision,
			func(k []byte, r *gazetteer.Division, v []byte) error { return pd(k, r, v) },
			func(d *gazetteer.Division) { divs = append(divs, newDivEntry(d)) }); err != nil {
			return err
		}
		pidx := tx.Bucket(bucketPlaceIdx)
		pb := tx.Bucket(bucketPlaces)
		if err := step(w, edit.KindPlace, bucketPlaces, b.Places, plOrd,
			func(p *gazetteer.Place) string { return p.ID },
			func(p *gazetteer.Place, old []byte, v int64) error {
				if old == nil {
					p.Version, p.CreatedAt, p.UpdatedAt = v, t, t
					return nil
				}
				ps, err := decodeStamp(old)
				if err != nil {
					return err
				}
				stampReplaced(p, ps, t)
				p.Version = v
				return nil
			}, encodePlace,
			func(k []byte, p *gazetteer.Place, v []byte) error {
				if err := pb.Put(k, v); err != nil {
					return err
				}
				if _, err := ids.ensure("places", p.ID); err != nil {
					return err
				}
				f := fieldsOf(p)
				pIDs, pFs = append(pIDs, p.ID), append(pFs, f)
				return pidx.Put(k, f.appendBinary(nil))
			}, nil); err != nil {
			return err
		}
		pl := putIn(bucketLines, "boundary_lines")
		if err := step(w, edit.KindLine, bucketLines, b.Lines, lnOrd,
			func(l *gazetteer.BoundaryLine) string { return l.ID }, nil, encodeLine,
			func(k []byte, r *gazetteer.BoundaryLine, v []byte) error { return pl(k, r, v) },
			func(*gazetteer.BoundaryLine) { others++ }); err != nil {
			return err
		}
		pm := putIn(bucketMarkers, "markers")
		if err := step(w, edit.KindMarker, bucketMarkers, b.Markers, mkOrd,
			func(m *gazetteer.Marker) string { return m.Number }, nil, encodeMarker,
			func(k []byte, r *gazetteer.Marker, v []byte) error { return pm(k, r, v) },
			func(*gazetteer.Marker) { others++ }); err != nil {
			return err
		}
		pf := putIn(bucketFacilities, "facilities")
		if err := step(w, edit.KindFacility, bucketFacilities, b.Facilities, fcOrd,
			func(f *facilities.Facility) string { return f.ID },
			func(f *facilities.Facility, _ []byte, v int64) error {
				f.Version, f.UpdatedAt = v, t
				return nil
			}, encodeFacility,
			func(k []byte, r *facilities.Facility, v []byte) error { return pf(k, r, v) },
			func(f *facilities.Facility) { facs = append(facs, *f) }); err != nil {
			return err
		}
		pdm := putIn(bucketDemand, "demand")
		if err := step(w, edit.KindDemand, bucketDemand, b.Demand, dmOrd,
			func(d *facilities.DemandUnit) string { return d.Code }, nil, encodeDemand,
			func(k []byte, r *facilities.DemandUnit, v []byte) error { return pdm(k, r, v) },
			func(*facilities.DemandUnit) { others++ }); err != nil {
			return err
		}
		if !w.dry {
			if err := ids.flush(); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
	var err error
	if b.DryRun {
		err = s.db.View(body)
	} else {
		err = s.db.Update(body)
	}
	if err != nil {
		return data.ImportStats{}, err
	}
	if b.DryRun {
		return w.st, nil
	}

	// Committed: now the indexes.
	if len(divs) > 0 {
		s.divs.Store(buildDivIndex(s.divs.Load(), divs))
	}
	if len(pIDs) > 0 || len(facs) > 0 {
		s.mu.Lock()
		s.places.putSorted(pIDs, pFs)
		for i := range facs {
			s.facs.put(&facs[i])
		}
		s.mu.Unlock()
	}
	if len(divs)+len(pIDs)+len(facs)+others > 0 {
		s.notifyTiles(change)
	}
	return w.st, nil
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
