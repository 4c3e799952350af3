package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/paulmach/orb"
	bolt "go.etcd.io/bbolt"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/ogc"
	"civmap/ogc/cql2"
)

var _ ogc.FeatureStore = (*Store)(nil)

// Items answers an OGC API items query (ogc.FeatureStore) by evaluating its filter in Go (package cql2) over the
// records: places and facilities take their candidates from the in-memory index (key order; the R-tree for a bbox),
// and only the page's records are decoded when there is no filter; the other collections are small and read whole.
// Paging is keyset on the collection's key (byte order).
func (s *Store) Items(ctx context.Context, q ogc.Query) (ogc.Page, error) {
	if err := s.check(ctx); err != nil {
		return ogc.Page{}, err
	}
	prog, err := ogc.Compile(q.Filter)
	if err != nil {
		return ogc.Page{}, err
	}
	switch q.Collection {
	case ogc.Places:
		if q.Filter == nil && q.BBox == nil {
			return s.placesPage(ctx, q)
		}
		s.mu.RLock()
		var keys []string
		add := func(e *placeEntry) {
			if gazetteer.Published(e.status) {
				keys = append(keys, e.id)
			}
		}
		if q.BBox != nil {
			each(searchSorted(&s.places.tree, q.BBox.Min, q.BBox.Max, placeID), add)
		} else {
			keys = make([]string, 0, len(s.places.sorted))
			each(s.places.sorted, add)
		}
		s.mu.RUnlock()
		return keyset(ctx, q, prog, keys, loaderOf(ctx, s, bucketPlaces, decodePlaceOGC, ogc.PlaceFeature))
	case ogc.Facilities:
		s.mu.RLock()
		cands := s.facs.sorted
		if q.BBox != nil {
			cands = searchSorted(&s.facs.tree, q.BBox.Min, q.BBox.Max, facilityID)
		}
		keys := make([]string, len(cands))
		for i, e := range cands {
			keys[i] = e.id
		}
		// A filter on the indexed fields only (the k-nearest search's type, status and box) is matched on the index:
		// no record is decoded but the page's.
		indexed := q.Filter != nil && onlyProps(q.Filter, "id", "type", "status", "township_code", ogc.GeometryProperty)
		var entries map[string]*facilityEntry
		if indexed {
			entries = make(map[string]*facilityEntry, len(cands))
			for _, e := range cands {
				entries[e.id] = e
			}
		}
		s.mu.RUnlock()
		load := loaderOf(ctx, s, bucketFacilities, decodeFacility, ogc.FacilityFeature)
		if !indexed {
			return keyset(ctx, q, prog, keys, load)
		}
		var matched []string
		for _, k := range keys {
			e := entries[k]
			f := ogc.Feature{ID: e.id, Geometry: e.loc, Properties: map[string]any{"id": e.id, "type": e.typ,
				"status": e.status, "township_code": e.township}}
			if prog.Match(f.Record()) {
				matched = append(matched, k)
			}
		}
		unfiltered := q
		unfiltered.Filter = nil
		return keyset(ctx, unfiltered, prog, matched, load)
	}
	feats, err := s.smallCollection(ctx, q.Collection)
	if err != nil {
		return ogc.Page{}, err
	}
	byKey := make(map[string]*ogc.Feature, len(feats))
	keys := make([]string, 0, len(feats))
	for i := range feats {
		f := &feats[i]
		if q.BBox != nil && (f.Geometry == nil || !f.Geometry.Bound().Intersects(*q.BBox)) {
			continue
		}
		byKey[f.ID] = f
		keys = append(keys, f.ID)
	}
	return keyset(ctx, q, prog, keys, func(ks []string, each func(ogc.Feature)) error {
		for _, k := range ks {
			each(*byKey[k])
		}
		return nil
	})
}

// placesPage is an unfiltered page of the published places, read off the sorted index without copying it: the count
// is the index's tally, the page a binary search and a walk, and the records one cursor walk over the page's keys.
func (s *Store) placesPage(ctx context.Context, q ogc.Query) (ogc.Page, error) {
	limit := max(q.Limit, 1)
	s.mu.RLock()
	sorted := s.places.sorted
	n := s.places.published
	var ids []string
	more := false
	if q.Before != "" {
		i, _ := s.places.find(q.Before)
		for i--; i >= 0; i-- {
			if gazetteer.Published(sorted[i].status) {
				if len(ids) == limit {
					more = true
					break
				}
				ids = append(ids, sorted[i].id)
			}
		}
		slices.Reverse(ids)
	} else {
		i := 0
		if q.After != "" {
			i = sort.Search(len(sorted), func(j int) bool { return sorted[j].id > q.After })
		}
		for ; i < len(sorted); i++ {
			if gazetteer.Published(sorted[i].status) {
				if len(ids) == limit {
					more = true
					break
				}
				ids = append(ids, sorted[i].id)
			}
		}
	}
	s.mu.RUnlock()
	p := ogc.Page{NumberMatched: n, More: more, Features: make([]ogc.Feature, 0, len(ids))}
	err := readSorted(ctx, s.db, bucketPlaces, ids, decodePlaceOGC, func(pl gazetteer.Place) {
		p.Features = append(p.Features, ogc.PlaceFeature(pl))
	})
	return p, err
}

// loaderOf reads the records of keys (ascending) from bucket, in one read transaction, as features.
func loaderOf[T any](ctx context.Context, s *Store, bucket []byte, decode func([]byte) (T, error),
	feature func(T) ogc.Feature) func([]string, func(ogc.Feature)) error {
	return func(keys []string, each func(ogc.Feature)) error {
		return readSorted(ctx, s.db, bucket, keys, decode, func(r T) { each(feature(r)) })
	}
}

// smallCollection reads every record of a collection that has no in-memory index (divisions, lines, markers,
// demand), in key order.
func (s *Store) smallCollection(ctx context.Context, id string) ([]ogc.Feature, error) {
	var out []ogc.Feature
	err := s.db.View(func(tx *bolt.Tx) error {
		switch id {
		case ogc.Divisions:
			return forEach(tx, bucketDivisions, decodeDivision, func(d gazetteer.Division) { out = append(out, ogc.DivisionFeature(d)) })
		case ogc.BoundaryLines:
			return forEach(tx, bucketLines, decodeLine, func(l gazetteer.BoundaryLine) { out = append(out, ogc.LineFeature(l)) })
		case ogc.Markers:
			return forEach(tx, bucketMarkers, decodeMarker, func(m gazetteer.Marker) { out = append(out, ogc.MarkerFeature(m)) })
		case ogc.Demand:
			return forEach(tx, bucketDemand, decodeDemand, func(d facilities.DemandUnit) { out = append(out, ogc.DemandFeature(d)) })
		}
		return fmt.Errorf("collection %q: %w", id, apierr.ErrNotFound)
	})
	// bbolt iterates in byte order of the key; the key is the collection's key, so out is sorted already. Sort
	// anyway (stable) in case a bucket's key ever differs from the feature id.
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// keyset pages through keys (sorted, every candidate of q) with q's cursor. Without a filter the count is len(keys)
// and only the page is loaded; with one, every candidate is loaded in chunks and matched, keeping only the page's
// features.
func keyset(ctx context.Context, q ogc.Query, prog *cql2.Program, keys []string,
	load func([]string, func(ogc.Feature)) error) (ogc.Page, error) {
	limit := max(q.Limit, 1)
	if q.Filter == nil {
		var lo, hi int
		more := false
		switch {
		case q.Before != "":
			hi, _ = slices.BinarySearch(keys, q.Before)
			lo = max(0, hi-limit)
			more = lo > 0
		default:
			if q.After != "" {
				lo = upperBound(keys, q.After)
			}
			hi = min(len(keys), lo+limit)
			more = hi < len(keys)
		}
		p := ogc.Page{NumberMatched: len(keys), More: more, Features: make([]ogc.Feature, 0, hi-lo)}
		err := load(keys[lo:hi], func(f ogc.Feature) { p.Features = append(p.Features, f) })
		return p, err
	}
	var p ogc.Page
	var win []ogc.Feature // the page's window: for Before, the last limit+1 matches below it
	const chunk = 1024
	for i := 0; i < len(keys); i += chunk {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		err := load(keys[i:min(i+chunk, len(keys))], func(f ogc.Feature) {
			if !prog.Match(f.Record()) {
				return
			}
			p.NumberMatched++
			switch {
			case q.Before != "":
				if f.ID < q.Before {
					win = append(win, f)
					if len(win) > 2*(limit+1) {
						win = append(win[:0], win[len(win)-(limit+1):]...)
					}
				}
			case f.ID > q.After && len(win) <= limit:
				win = append(win, f)
			}
		})
		if err != nil {
			return p, err
		}
	}
	if q.Before != "" {
		if len(win) > limit {
			p.More, win = true, win[len(win)-limit:]
		}
	} else if len(win) > limit {
		p.More, win = true, win[:limit]
	}
	p.Features = win
	return p, nil
}

var _ ogc.NearestFinder = (*Store)(nil)

// NearestFacilities answers ogc.Nearest from the facility index (ogc.NearestFinder): the circle search runs over the
// R-tree of locations with type and status matched on the index entries, and only the k records found are read
// and decoded. A facility deleted between the search and the read is left out.
func (s *Store) NearestFacilities(ctx context.Context, p orb.Point, k int, types, statuses []string) ([]ogc.Near, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	ns := ogc.NearestIndexed(p, k, func(b orb.Bound, yield func(string, orb.Point)) {
		s.facs.tree.Search(b.Min, b.Max, func(_, _ [2]float64, e *facilityEntry) bool {
			if (len(types) == 0 || slices.Contains(types, e.typ)) && (len(statuses) == 0 || slices.Contains(statuses, e.status)) {
				yield(e.id, e.loc)
			}
			return true
		})
	})
	s.mu.RUnlock()
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	out, j := ns[:0], 0
	err := readKeys(ctx, s.db, bucketFacilities, ids, decodeFacility, func(f facilities.Facility) {
		for j < len(ns) && ns[j].ID != f.ID { // records come in ns's order; one deleted meanwhile is skipped
			j++
		}
		if j < len(ns) {
			n := ns[j]
			n.Feature = ogc.FacilityFeature(f)
			out, j = append(out, n), j+1
		}
	})
	return out, err
}

// onlyProps reports whether e names no property but these.
func onlyProps(e cql2.Expr, names ...string) bool {
	ok := true
	scalar := func(s cql2.Scalar) {
		if p, isProp := s.(cql2.Property); isProp && !slices.Contains(names, p.Name) {
			ok = false
		}
	}
	spatial := func(a cql2.SpatialArg) {
		if p, isProp := a.(cql2.Property); isProp && !slices.Contains(names, p.Name) {
			ok = false
		}
	}
	cql2.Walk(e, func(e cql2.Expr) {
		switch x := e.(type) {
		case cql2.Compare:
			scalar(x.Left)
			scalar(x.Right)
		case cql2.Like:
			scalar(x.Value)
		case cql2.In:
			scalar(x.Value)
			for _, it := range x.List {
				scalar(it)
			}
		case cql2.Between:
			scalar(x.Value)
			scalar(x.Low)
			scalar(x.High)
		case cql2.IsNull:
			scalar(x.Value)
		case cql2.Spatial:
			spatial(x.Left)
			spatial(x.Right)
		}
	})
	return ok
}

// upperBound returns the index of the first key > k.
func upperBound(keys []string, k string) int {
	return sort.Search(len(keys), func(i int) bool { return keys[i] > k })
}

// Item returns one feature by its collection's key (ogc.FeatureStore). Places that are not published (drafts,
// submissions, abolished) are not features.
func (s *Store) Item(ctx context.Context, collection, id string) (ogc.Feature, error) {
	var f ogc.Feature
	var err error
	switch collection {
	case ogc.Places:
		var p gazetteer.Place
		if p, err = s.Place(ctx, id); err == nil {
			if !gazetteer.Published(p.Status) {
				return f, fmt.Errorf("place %q: %w", id, apierr.ErrNotFound)
			}
			f = ogc.PlaceFeature(p)
		}
	case ogc.Facilities:
		var x facilities.Facility
		if x, err = s.Facility(ctx, id); err == nil {
			f = ogc.FacilityFeature(x)
		}
	case ogc.Divisions:
		var d gazetteer.Division
		if d, err = s.Division(ctx, id); err == nil {
			f = ogc.DivisionFeature(d)
		}
	case ogc.BoundaryLines:
		var l gazetteer.BoundaryLine
		if l, err = s.BoundaryLine(ctx, id); err == nil {
			f = ogc.LineFeature(l)
		}
	case ogc.Markers:
		var m gazetteer.Marker
		if m, err = s.Marker(ctx, id); err == nil {
			f = ogc.MarkerFeature(m)
		}
	case ogc.Demand:
		var d facilities.DemandUnit
		if d, err = s.DemandUnit(ctx, id); err == nil {
			f = ogc.DemandFeature(d)
		}
	default:
		err = fmt.Errorf("collection %q: %w", collection, apierr.ErrNotFound)
	}
	return f, err
}

// Extent returns a collection's bound (lon/lat) and, for places and facilities, the span of updated_at
// (ogc.FeatureStore). Places count only when published, as in Items.
func (s *Store) Extent(ctx context.Context, collection string) (ogc.Extent, error) {
	if err := s.check(ctx); err != nil {
		return ogc.Extent{}, err
	}
	var ext ogc.Extent
	grow := func(b orb.Bound) {
		if ext.BBox == nil {
			ext.BBox = &b
		} else {
			u := ext.BBox.Union(b)
			ext.BBox = &u
		}
	}
	span := func(t time.Time) {
		if ext.Start == nil || t.Before(*ext.Start) {
			ext.Start = &t
		}
		if ext.End == nil || t.After(*ext.End) {
			ext.End = &t
		}
	}
	switch collection {
	case ogc.Places, ogc.Facilities:
		if collection == ogc.Places {
			s.mu.RLock()
			for _, e := range s.places.sorted {
				if e.hasBound && gazetteer.Published(e.status) {
					grow(e.bound)
				}
			}
			s.mu.RUnlock()
			// The time span needs the records: a pass decoding only status and updated_at.
			err := s.db.View(func(tx *bolt.Tx) error {
				return forEach(tx, bucketPlaces, decodePlaceSpan, func(p placeSpan) {
					if gazetteer.Published(p.Status) {
						span(p.UpdatedAt)
					}
				})
			})
			return ext, err
		}
		err := s.db.View(func(tx *bolt.Tx) error {
			return forEach(tx, bucketFacilities, decodeFacility, func(f facilities.Facility) {
				grow(f.Location.Bound())
				span(f.UpdatedAt)
			})
		})
		return ext, err
	}
	feats, err := s.smallCollection(ctx, collection)
	for _, f := range feats {
		if f.Geometry != nil {
			grow(f.Geometry.Bound())
		}
	}
	return ext, err
}

// placeSpan is the part of a stored place that Extent reads.
type placeSpan struct {
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updated_at"`
}

func decodePlaceSpan(b []byte) (placeSpan, error) {
	var p placeSpan
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("decode place: %w", err)
	}
	return p, nil
}

// placeOGCRec is the part of a stored place that ogc.PlaceFeature reads: decoding only these fields (with plain
// encoding/json: none is an attribute number) skips the long texts, former names and attribute maps.
type placeOGCRec struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Specific        string    `json:"specific"`
	Generic         string    `json:"generic"`
	Pinyin          string    `json:"pinyin"`
	Category        string    `json:"category"`
	Status          string    `json:"status"`
	DivisionCodes   []string  `json:"division_codes"`
	Heritage        bool      `json:"heritage"`
	YearEstablished int       `json:"year_established"`
	DateNamed       string    `json:"date_named"`
	Version         int64     `json:"version"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	Geom            []byte    `json:"geom"`
}

// decodePlaceOGC decodes a stored place's feature fields: by scanPlaceOGC, or by encoding/json where the scanner
// declines.
func decodePlaceOGC(b []byte) (gazetteer.Place, error) {
	var r placeOGCRec
	if !scanPlaceOGC(b, &r) {
		r = placeOGCRec{}
		if err := json.Unmarshal(b, &r); err != nil {
			return gazetteer.Place{}, fmt.Errorf("decode place: %w", err)
		}
	}
	g, err := decodeGeom(r.Geom)
	if err != nil {
		return gazetteer.Place{}, fmt.Errorf("decode place %q geometry: %w", r.ID, err)
	}
	return gazetteer.Place{ID: r.ID, Name: r.Name, Specific: r.Specific, Generic: r.Generic, Pinyin: r.Pinyin,
		Category: r.Category, Status: r.Status, DivisionCodes: r.DivisionCodes, Heritage: r.Heritage,
		YearEstablished: r.YearEstablished, DateNamed: r.DateNamed, Version: r.Version, CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt, Geometry: g}, nil
}
