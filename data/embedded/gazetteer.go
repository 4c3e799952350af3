package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	bolt "go.etcd.io/bbolt"

	"civmap/data"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/tiles"
)

// Division returns one division by code, or an error wrapping apierr.ErrNotFound.
func (s *Store) Division(ctx context.Context, code string) (gazetteer.Division, error) {
	return getRecord(s, ctx, bucketDivisions, "division", code, decodeDivision)
}

// Divisions lists the divisions matching q (level and/or direct parent), ordered by code.
func (s *Store) Divisions(ctx context.Context, q gazetteer.DivisionQuery) ([]gazetteer.Division, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	// The index says which codes match, so only those records are decoded (township polygons are large).
	x := s.divs.Load()
	var codes []string
	for _, c := range x.codes {
		e := x.byCode[c]
		if (q.Level == "" || e.level == q.Level) && (q.Parent == "" || e.parent == q.Parent) {
			codes = append(codes, c)
		}
	}
	out := make([]gazetteer.Division, 0, len(codes))
	err := readKeys(nil, s.db, bucketDivisions, codes, decodeDivision, func(d gazetteer.Division) { out = append(out, d) })
	return out, err
}

// Locate finds the township-level division whose polygon contains p (lon/lat; where polygons overlap, the lowest code),
// its county (the township's parent), and the nearest village-level unit by geodesic distance in metres (geo.Distance,
// Vincenty on the CGCS2000 ellipsoid), measured to the village's Point geometry or, failing that, its seat. A point in
// no township polygon is apierr.ErrNotFound.
func (s *Store) Locate(ctx context.Context, p orb.Point) (gazetteer.Location, error) {
	if err := s.check(ctx); err != nil {
		return gazetteer.Location{}, err
	}
	loc, ok := s.divs.Load().locate(p)
	if !ok {
		return gazetteer.Location{}, fmt.Errorf("no township contains %v: %w", p, apierr.ErrNotFound)
	}
	return loc, nil
}

// Place returns the current version of one place, or an error wrapping apierr.ErrNotFound.
func (s *Store) Place(ctx context.Context, id string) (gazetteer.Place, error) {
	return getRecord(s, ctx, bucketPlaces, "place", id, decodePlace)
}

// Places lists the places matching q, ordered by ID (byte order); Limit <= 0 means no limit. Q is matched as a plain
// case-insensitive substring of gazetteer.SearchText (no wildcards), BBox against the geometry's bound with edges
// included.
func (s *Store) Places(ctx context.Context, q gazetteer.PlaceQuery) (gazetteer.PlacePage, error) {
	if err := s.check(ctx); err != nil {
		return gazetteer.PlacePage{}, err
	}
	s.mu.RLock()
	ids, n := s.places.query(q)
	s.mu.RUnlock()
	items := make([]gazetteer.Place, 0, len(ids))
	err := readKeys(ctx, s.db, bucketPlaces, ids, decodePlace, func(p gazetteer.Place) { items = append(items, p) })
	if err != nil {
		return gazetteer.PlacePage{}, err
	}
	return gazetteer.PlacePage{Items: items, NumberMatched: n}, nil
}

// CreatePlace stores a new place with Version 1 and CreatedAt = UpdatedAt = now (UTC, µs) and returns it as stored.
// An existing ID is apierr.ErrConflict; an empty ID is apierr.Invalid.
func (s *Store) CreatePlace(ctx context.Context, p gazetteer.Place, meta edit.Meta) (gazetteer.Place, error) {
	if err := s.check(ctx); err != nil {
		return gazetteer.Place{}, err
	}
	if p.ID == "" {
		return gazetteer.Place{}, apierr.Field("id", "is empty")
	}
	f := fieldsOf(&p)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPlaces)
		if b.Get([]byte(p.ID)) != nil {
			return fmt.Errorf("place %q: %w", p.ID, apierr.ErrConflict)
		}
		h, err := headOf(tx, edit.KindPlace, p.ID)
		if err != nil {
			return err
		}
		p.Version = h.version + 1
		p.CreatedAt = now()
		p.UpdatedAt = p.CreatedAt
		if err := putPlace(tx, b, &p, &f); err != nil {
			return err
		}
		return appendPlaceVersion(tx, &p, h, meta)
	})
	if err != nil {
		return gazetteer.Place{}, err
	}
	s.placeWritten(p.ID, f, placeChange(orb.Bound{}, false, &f))
	return p, nil
}

// UpdatePlace replaces a place whose current version is expectVersion (else apierr.ErrVersionMismatch; an unknown ID
// is apierr.ErrNotFound). The old version goes to the history; the new one gets Version+1, the old CreatedAt and
// UpdatedAt = now (UTC, µs, and always later than the old UpdatedAt).
func (s *Store) UpdatePlace(ctx context.Context, p gazetteer.Place, expectVersion int64, meta edit.Meta) (gazetteer.Place, error) {
	if err := s.check(ctx); err != nil {
		return gazetteer.Place{}, err
	}
	f := fieldsOf(&p)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	oldBound, hadOld := s.placeBound(p.ID)
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPlaces)
		old := b.Get([]byte(p.ID))
		if old == nil {
			return fmt.Errorf("place %q: %w", p.ID, apierr.ErrNotFound)
		}
		st, err := decodeStamp(old)
		if err != nil {
			return err
		}
		if st.Version != expectVersion {
			return fmt.Errorf("place %q is at version %d, not %d: %w", p.ID, st.Version, expectVersion,
				apierr.ErrVersionMismatch)
		}
		stampReplaced(&p, st, now())
		if err := putPlace(tx, b, &p, &f); err != nil {
			return err
		}
		if s.bench == benchBare {
			return nil
		}
		h, err := headOf(tx, edit.KindPlace, p.ID)
		if err != nil {
			return err
		}
		if s.bench == benchNoAudit {
			return putPlaceVersion(tx, &p, meta)
		}
		return appendPlaceVersion(tx, &p, h, meta)
	})
	if err != nil {
		return gazetteer.Place{}, err
	}
	s.placeWritten(p.ID, f, placeChange(oldBound, hadOld, &f))
	return p, nil
}

// appendPlaceVersion records p as its version p.Version (after h) with its audit entry.
func appendPlaceVersion(tx *bolt.Tx, p *gazetteer.Place, h head, meta edit.Meta) error {
	doc, hash, meta, err := placeVersion(p, meta)
	if err != nil {
		return err
	}
	return appendVersion(tx, edit.KindPlace, p.ID, p.Version, h, doc, hash, meta)
}

// putPlaceVersion is appendPlaceVersion without the audit entry (BenchmarkEditPlace's benchNoAudit only).
func putPlaceVersion(tx *bolt.Tx, p *gazetteer.Place, meta edit.Meta) error {
	doc, hash, meta, err := placeVersion(p, meta)
	if err != nil {
		return err
	}
	_, err = putVersion(tx, edit.KindPlace, p.ID, p.Version, doc, hash, meta)
	return err
}

// placeVersion is the document and content hash of p, and meta with its time (p's UpdatedAt when unset).
func placeVersion(p *gazetteer.Place, meta edit.Meta) ([]byte, string, edit.Meta, error) {
	doc, hash, err := data.DocumentAndHash(p)
	if err != nil {
		return nil, "", meta, err
	}
	if meta.Time.IsZero() {
		meta.Time = p.UpdatedAt
	}
	return doc, hash, meta, nil
}

// placeWritten puts a committed place write into the index, then tells the tile subscribers.
func (s *Store) placeWritten(id string, f placeFields, c tiles.Change) {
	s.mu.Lock()
	s.places.put(id, f)
	s.mu.Unlock()
	s.notifyTiles(c)
}

// putPlace writes a place's record to b (the places bucket) and its index fields to place_index.
func putPlace(tx *bolt.Tx, b *bolt.Bucket, p *gazetteer.Place, f *placeFields) error {
	v, err := encodePlace(p)
	if err != nil {
		return err
	}
	if err := b.Put([]byte(p.ID), v); err != nil {
		return err
	}
	if err := ensureTileID(tx, "places", p.ID); err != nil {
		return err
	}
	return tx.Bucket(bucketPlaceIdx).Put([]byte(p.ID), f.appendBinary(nil))
}

// stampReplaced sets the store-managed fields of a place that replaces the stored version st.
func stampReplaced(p *gazetteer.Place, st placeStamp, t time.Time) {
	p.Version = st.Version + 1
	p.CreatedAt = st.CreatedAt.UTC()
	if !t.After(st.UpdatedAt) { // a clock step back, or the same microsecond: UpdatedAt still grows
		t = st.UpdatedAt.UTC().Add(time.Microsecond)
	}
	p.UpdatedAt = t
}

// BoundaryLines lists the boundary lines ordered by ID (byte order).
func (s *Store) BoundaryLines(ctx context.Context) ([]gazetteer.BoundaryLine, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []gazetteer.BoundaryLine
	err := s.db.View(func(tx *bolt.Tx) error {
		return forEach(tx, bucketLines, decodeLine, func(l gazetteer.BoundaryLine) { out = append(out, l) })
	})
	return out, err
}

// BoundaryLine returns one line or an error wrapping apierr.ErrNotFound.
func (s *Store) BoundaryLine(ctx context.Context, id string) (gazetteer.BoundaryLine, error) {
	return getRecord(s, ctx, bucketLines, "boundary line", id, decodeLine)
}

// Markers lists a line's markers ordered by number (byte order), or an error wrapping apierr.ErrNotFound if the line
// does not exist.
func (s *Store) Markers(ctx context.Context, lineID string) ([]gazetteer.Marker, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []gazetteer.Marker
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketLines).Get([]byte(lineID)) == nil {
			return fmt.Errorf("boundary line %q: %w", lineID, apierr.ErrNotFound)
		}
		// Markers are few (tens per line); a scan in number order beats keeping a second key.
		return tx.Bucket(bucketMarkers).ForEach(func(_, v []byte) error {
			var head struct {
				LineID string `json:"line_id"`
			}
			if err := json.Unmarshal(v, &head); err != nil {
				return fmt.Errorf("decode marker: %w", err)
			}
			if head.LineID != lineID {
				return nil
			}
			m, err := decodeMarker(v)
			out = append(out, m)
			return err
		})
	})
	return out, err
}
