package embedded

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/geo"
	"civmap/tiles"
)

// interner shares the backing of repeated strings (categories, statuses, division codes), which a million places repeat
// a few thousand distinct values of.
type interner map[string]string

func (in interner) get(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	s = strings.Clone(s) // do not pin a larger buffer
	in[s] = s
	return s
}

func (in interner) getBytes(b []byte) string {
	if v, ok := in[string(b)]; ok { // no allocation for the lookup
		return v
	}
	s := string(b)
	in[s] = s
	return s
}

// placeFields are the indexed fields of a place. They are also stored, in a compact binary form, in the place_index
// bucket, so that Open rebuilds the index without decoding a million JSON records and their geometries.
type placeFields struct {
	search   string // gazetteer.SearchText
	category string
	status   string
	divs     []string
	bound    orb.Bound
	hasBound bool
}

func fieldsOf(p *gazetteer.Place) placeFields {
	f := placeFields{search: gazetteer.SearchText(p), category: p.Category, status: p.Status, divs: p.DivisionCodes}
	if p.Geometry != nil {
		f.bound, f.hasBound = p.Geometry.Bound(), true
	}
	return f
}

// appendBinary encodes f as: flag byte (1 = has bound), [4 float64 LE bound], then uvarint-length-prefixed category,
// status, uvarint count of division codes and each code, and the search text.
func (f *placeFields) appendBinary(b []byte) []byte {
	if f.hasBound {
		b = append(b, 1)
		for _, v := range [4]float64{f.bound.Min[0], f.bound.Min[1], f.bound.Max[0], f.bound.Max[1]} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	} else {
		b = append(b, 0)
	}
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(f.category)
	str(f.status)
	b = binary.AppendUvarint(b, uint64(len(f.divs)))
	for _, d := range f.divs {
		str(d)
	}
	str(f.search)
	return b
}

var errIndexRecord = errors.New("corrupt place index record")

// parsePlaceFields decodes appendBinary's form; strings are copied (v is bbolt memory) and repeated ones interned.
func parsePlaceFields(v []byte, in interner) (placeFields, error) {
	var f placeFields
	if len(v) < 1 {
		return f, errIndexRecord
	}
	f.hasBound, v = v[0] == 1, v[1:]
	if f.hasBound {
		if len(v) < 32 {
			return f, errIndexRecord
		}
		var q [4]float64
		for i := range q {
			q[i] = math.Float64frombits(binary.LittleEndian.Uint64(v[8*i:]))
		}
		f.bound = orb.Bound{Min: orb.Point{q[0], q[1]}, Max: orb.Point{q[2], q[3]}}
		v = v[32:]
	}
	bad := false
	next := func() []byte {
		n, k := binary.Uvarint(v)
		if k <= 0 || uint64(len(v)-k) < n {
			bad = true
			return nil
		}
		s := v[k : k+int(n)]
		v = v[k+int(n):]
		return s
	}
	f.category = in.getBytes(next())
	f.status = in.getBytes(next())
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)) {
		return f, errIndexRecord
	}
	v = v[k:]
	if n > 0 {
		f.divs = make([]string, n)
		for i := range f.divs {
			f.divs[i] = in.getBytes(next())
		}
	}
	f.search = string(next())
	if bad || len(v) != 0 {
		return f, errIndexRecord
	}
	return f, nil
}

// placeEntry is what the index keeps of a place: enough to filter and order, not the record (which stays in bbolt).
type placeEntry struct {
	id string
	placeFields
	grid gridEntry
}

// gridEntry is what the label grid reads of a place or facility (tiles.GridRegion), computed when the entry is set.
type gridEntry struct {
	x, y     int32 // tiles.Anchor
	sizeZoom int16 // tiles.SizeZoom (at most tiles.NeverBig)
	class    int16 // tiles.Layer.ClassRankOf (the registry's ranks are small)
	// tileID caches the record's stored tile id (the rank's tie-break), read from bbolt by the first tile that ranks
	// the record; 0 until then. A record's tile id never changes, so the cache never goes stale.
	tileID atomic.Uint64
	// memo, when set (facilities), keeps the record's decoded tile feature between tiles.
	memo *featureMemo
}

// featureMemo is a record's decoded tile feature, valid while version has not moved since it was read: setGrid (every
// write of the record) moves it, and a memo read under an older version is never used.
type featureMemo struct {
	version atomic.Uint64
	cur     atomic.Pointer[memoFeature]
}

type memoFeature struct {
	version uint64
	tiles.Feature
}

// get returns the memoised feature if it is current.
func (m *featureMemo) get() (tiles.Feature, bool) {
	if c := m.cur.Load(); c != nil && c.version == m.version.Load() {
		return c.Feature, true
	}
	return tiles.Feature{}, false
}

// setGrid fills g for a feature of layer with that class and bound, keeping the cached tile id.
func (g *gridEntry) setGrid(layer, class string, b orb.Bound) {
	l, _ := tiles.LayerByName(layer)
	if g.memo != nil {
		g.memo.version.Add(1)
	}
	g.x, g.y = tiles.Anchor(b)
	g.sizeZoom, g.class = int16(tiles.SizeZoom(b)), int16(min(l.ClassRankOf(class), math.MaxInt16))
}

// placeIndex holds the places sorted by ID (byte order) and an R-tree of their bounds.
type placeIndex struct {
	sorted []*placeEntry
	tree   rtree.RTreeG[*placeEntry]
	strs   interner
	// published counts the entries whose status is published (gazetteer.Published): an unfiltered OGC page's
	// numberMatched, kept here so that a page does not walk every entry.
	published int
}

func newPlaceIndex() *placeIndex { return &placeIndex{strs: interner{}} }

func (x *placeIndex) find(id string) (int, bool) {
	return slices.BinarySearchFunc(x.sorted, id, func(e *placeEntry, id string) int { return strings.Compare(e.id, id) })
}

// set gives e new fields, moving it in the R-tree.
func (x *placeIndex) set(e *placeEntry, f placeFields) {
	if e.hasBound {
		x.tree.Delete(e.bound.Min, e.bound.Max, e)
	}
	f.category, f.status = x.strs.get(f.category), x.strs.get(f.status)
	if len(f.divs) > 0 {
		divs := make([]string, len(f.divs))
		for i, c := range f.divs {
			divs[i] = x.strs.get(c)
		}
		f.divs = divs
	} else {
		f.divs = nil
	}
	if gazetteer.Published(e.status) {
		x.published--
	}
	if gazetteer.Published(f.status) {
		x.published++
	}
	e.placeFields = f
	e.grid.setGrid("places", f.category, f.bound)
	if e.hasBound {
		x.tree.Insert(e.bound.Min, e.bound.Max, e)
	}
}

// appendLoaded adds an entry read at Open: ids arrive in byte order, fields already interned.
func (x *placeIndex) appendLoaded(id string, f placeFields) {
	e := &placeEntry{id: id, placeFields: f}
	if gazetteer.Published(f.status) {
		x.published++
	}
	e.grid.setGrid("places", f.category, f.bound)
	if e.hasBound {
		x.tree.Insert(e.bound.Min, e.bound.Max, e)
	}
	x.sorted = append(x.sorted, e)
}

// put inserts or replaces one place (used for single edits; O(n) pointer moves on insert).
func (x *placeIndex) put(id string, f placeFields) {
	i, ok := x.find(id)
	if ok {
		x.set(x.sorted[i], f)
		return
	}
	e := &placeEntry{id: strings.Clone(id)}
	x.set(e, f)
	x.sorted = slices.Insert(x.sorted, i, e)
}

// putSorted inserts or replaces many places: ids sorted with no repeats, fs their fields. New entries are merged into
// the sorted slice in one pass.
func (x *placeIndex) putSorted(ids []string, fs []placeFields) {
	var added []*placeEntry
	for i, id := range ids {
		if j, ok := x.find(id); ok {
			x.set(x.sorted[j], fs[i])
			continue
		}
		e := &placeEntry{id: strings.Clone(id)}
		x.set(e, fs[i])
		added = append(added, e)
	}
	if len(added) == 0 {
		return
	}
	if len(x.sorted) == 0 {
		x.sorted = added
		return
	}
	merged := make([]*placeEntry, 0, len(x.sorted)+len(added))
	a, b := x.sorted, added
	for len(a) > 0 && len(b) > 0 {
		if a[0].id < b[0].id {
			merged, a = append(merged, a[0]), a[1:]
		} else {
			merged, b = append(merged, b[0]), b[1:]
		}
	}
	x.sorted = append(append(merged, a...), b...)
}

// placeFilter is a PlaceQuery prepared for matching entries.
type placeFilter struct {
	q        string
	division string
	category string
	statuses []string
	// needBound: the query has a box that covers every bound, so only places with a geometry match.
	needBound bool
}

func newPlaceFilter(q gazetteer.PlaceQuery) placeFilter {
	f := placeFilter{q: gazetteer.FoldQuery(q.Q), division: q.Division, category: q.Category, statuses: q.Statuses}
	if len(f.statuses) == 0 {
		f.statuses = []string{gazetteer.StatusCurrent, gazetteer.StatusHistorical}
	}
	return f
}

func (f *placeFilter) match(e *placeEntry) bool {
	if f.category != "" && e.category != f.category {
		return false
	}
	if !slices.Contains(f.statuses, e.status) {
		return false
	}
	if f.division != "" && !slices.ContainsFunc(e.divs, func(c string) bool { return strings.HasPrefix(c, f.division) }) {
		return false
	}
	// Q is plain text: strings.Contains has no wildcards, so % and _ match themselves.
	return f.q == "" || strings.Contains(e.search, f.q)
}

// query returns the IDs of one page of matching places and the number matching in all.
func (x *placeIndex) query(q gazetteer.PlaceQuery) ([]string, int) {
	f := newPlaceFilter(q)
	cands := x.sorted
	if q.BBox != nil {
		min, max := x.tree.Bounds()
		covers := x.tree.Len() > 0 && q.BBox.Min[0] <= min[0] && q.BBox.Min[1] <= min[1] &&
			q.BBox.Max[0] >= max[0] && q.BBox.Max[1] >= max[1]
		if !covers {
			// Only places with a geometry can meet a box; the R-tree's intersection test is inclusive of edges.
			cands = searchSorted(&x.tree, q.BBox.Min, q.BBox.Max, placeID)
		} else {
			f.needBound = true
		}
	}
	return page(cands, q.Limit, q.Offset, func(e *placeEntry) (string, bool) { return e.id, f.matchBound(e) })
}

func (f *placeFilter) matchBound(e *placeEntry) bool {
	if f.needBound && !e.hasBound {
		return false
	}
	return f.match(e)
}

// page walks entries in order, counting matches and collecting the keys of those in [offset, offset+limit).
// limit <= 0 means no limit.
func page[E any](entries []E, limit, offset int, match func(E) (string, bool)) ([]string, int) {
	offset = max(offset, 0)
	var ids []string
	n := 0
	for _, e := range entries {
		id, ok := match(e)
		if !ok {
			continue
		}
		if n >= offset && (limit <= 0 || n < offset+limit) {
			ids = append(ids, id)
		}
		n++
	}
	return ids, n
}

// facilityEntry is what the index keeps of a facility.
type facilityEntry struct {
	id, typ, status, township string
	loc                       orb.Point
	grid                      gridEntry
}

type facilityIndex struct {
	sorted []*facilityEntry
	tree   rtree.RTreeG[*facilityEntry]
	strs   interner
}

func newFacilityIndex() *facilityIndex { return &facilityIndex{strs: interner{}} }

func (x *facilityIndex) put(f *facilities.Facility) {
	i, ok := slices.BinarySearchFunc(x.sorted, f.ID, func(e *facilityEntry, id string) int { return strings.Compare(e.id, id) })
	var e *facilityEntry
	if ok {
		e = x.sorted[i]
		x.tree.Delete(e.loc, e.loc, e)
	} else {
		e = &facilityEntry{id: strings.Clone(f.ID)}
		e.grid.memo = new(featureMemo)
		x.sorted = slices.Insert(x.sorted, i, e)
	}
	e.typ, e.status, e.township, e.loc = x.strs.get(f.Type), x.strs.get(f.Status), x.strs.get(f.TownshipCode), f.Location
	e.grid.setGrid("facilities", e.typ, e.loc.Bound())
	x.tree.Insert(e.loc, e.loc, e)
}

func (x *facilityIndex) query(q facilities.FacilityQuery) ([]string, int) {
	cands := x.sorted
	if q.BBox != nil {
		cands = searchSorted(&x.tree, q.BBox.Min, q.BBox.Max, facilityID)
	}
	return page(cands, q.Limit, q.Offset, func(e *facilityEntry) (string, bool) {
		ok := (q.Type == "" || e.typ == q.Type) && (q.Status == "" || e.status == q.Status) &&
			(q.Township == "" || e.township == q.Township)
		return e.id, ok
	})
}

// divEntry is what the Locate index keeps of a division.
type divEntry struct {
	ref    gazetteer.DivisionRef
	level  gazetteer.Level
	parent string
	poly   *geo.PreparedPolygon // townships with a (Multi)Polygon
	point  orb.Point            // villages: the Point geometry, else the seat
	hasPt  bool
}

// divIndex is immutable once built: a write builds a new one and swaps it in, so Locate reads it without locks.
type divIndex struct {
	byCode    map[string]*divEntry
	codes     []string // sorted
	townships rtree.RTreeG[*divEntry]
	villages  rtree.RTreeG[*divEntry]
	spacing   float64 // metres: the side of the square that each village would have if spread evenly over their bound
}

func newDivEntry(d *gazetteer.Division) *divEntry {
	e := &divEntry{ref: gazetteer.DivisionRef{Code: d.Code, Name: d.Name, Kind: d.Kind}, level: d.Level, parent: d.ParentCode}
	switch d.Level {
	case gazetteer.LevelTownship:
		switch d.Geometry.(type) {
		case orb.Polygon, orb.MultiPolygon:
			e.poly = geo.Prepare(d.Geometry)
		}
	case gazetteer.LevelVillage:
		if p, ok := d.Geometry.(orb.Point); ok {
			e.point, e.hasPt = p, true
		} else if d.Seat != nil {
			e.point, e.hasPt = *d.Seat, true
		}
	}
	return e
}

// buildDivIndex makes an index of base's entries with changed ones replacing them.
func buildDivIndex(base *divIndex, changed []*divEntry) *divIndex {
	x := &divIndex{byCode: make(map[string]*divEntry, len(changed)+len(base.codesOrEmpty()))}
	if base != nil {
		for k, v := range base.byCode {
			x.byCode[k] = v
		}
	}
	for _, e := range changed {
		x.byCode[e.ref.Code] = e
	}
	x.codes = make([]string, 0, len(x.byCode))
	for code, e := range x.byCode {
		x.codes = append(x.codes, code)
		if e.poly != nil {
			b := e.poly.Bound()
			x.townships.Insert(b.Min, b.Max, e)
		}
		if e.hasPt {
			x.villages.Insert(e.point, e.point, e)
		}
	}
	slices.Sort(x.codes)
	if n := x.villages.Len(); n > 0 {
		min, max := x.villages.Bounds()
		kx, ky := geo.MetresPerDegree((min[1] + max[1]) / 2)
		x.spacing = math.Max(math.Sqrt((max[0]-min[0])*kx*(max[1]-min[1])*ky/float64(n)), 100)
	}
	return x
}

func (x *divIndex) codesOrEmpty() []string {
	if x == nil {
		return nil
	}
	return x.codes
}

// locate finds the township containing p (the lowest code wins where polygons overlap), its parent, and the nearest
// village by geodesic distance.
func (x *divIndex) locate(p orb.Point) (gazetteer.Location, bool) {
	var tw *divEntry
	x.townships.Search(p, p, func(_, _ [2]float64, e *divEntry) bool {
		if (tw == nil || e.ref.Code < tw.ref.Code) && e.poly.Contains(p) {
			tw = e
		}
		return true
	})
	if tw == nil {
		return gazetteer.Location{}, false
	}
	loc := gazetteer.Location{Township: tw.ref}
	if c, ok := x.byCode[tw.parent]; ok {
		loc.County = c.ref
	}
	if v, d, ok := x.nearestVillage(p); ok {
		loc.Village = &gazetteer.NearestDivision{DivisionRef: v.ref, DistanceM: d}
	}
	return loc, true
}

// nearestVillage finds the village nearest to p by geodesic distance (geo.Distance). It ranks villages by planar
// distance in metres, scaled at p's latitude (geo.MetresPerDegree), searching the R-tree with a box of half-width r
// metres that doubles until it holds every village within 1.02 × the nearest scaled distance; those candidates are
// then measured on the ellipsoid. Over the few kilometres between neighbouring villages the scaled distance is within
// 0.1 % of the geodesic one, so the 2 % margin lets the geodesic distance decide near-ties (as PostGIS would) while
// measuring one or two candidates. A box search costs a fraction of rtree's Nearby, whose priority queue receives
// every item of each leaf it opens.
func (x *divIndex) nearestVillage(p orb.Point) (*divEntry, float64, bool) {
	if x.villages.Len() == 0 {
		return nil, 0, false
	}
	kx, ky := geo.MetresPerDegree(p[1])
	scaled := func(q orb.Point) float64 {
		dx, dy := (q[0]-p[0])*kx, (q[1]-p[1])*ky
		return math.Sqrt(dx*dx + dy*dy)
	}
	tmin, tmax := x.villages.Bounds()
	type cand struct {
		e *divEntry
		s float64
	}
	var buf [16]cand // candidates within r; a box rarely holds more, else a second search
	for r := x.spacing; ; r *= 2 {
		lo := [2]float64{p[0] - r/kx, p[1] - r/ky}
		hi := [2]float64{p[0] + r/kx, p[1] + r/ky}
		minS, n := math.Inf(1), 0
		x.villages.Search(lo, hi, func(_, _ [2]float64, e *divEntry) bool {
			s := scaled(e.point)
			minS = math.Min(minS, s)
			if n < len(buf) {
				buf[n] = cand{e, s}
			}
			n++
			return true
		})
		covers := lo[0] <= tmin[0] && lo[1] <= tmin[1] && hi[0] >= tmax[0] && hi[1] >= tmax[1]
		if minS*1.02 > r && !covers {
			if !math.IsInf(minS, 1) {
				r = minS * 1.02 / 2 // the next round's box is just big enough
			}
			continue
		}
		var best *divEntry
		bestD := math.Inf(1)
		limit := minS * 1.02
		consider := func(e *divEntry, s float64) {
			if s <= limit {
				if d := geo.Distance(p, e.point); d < bestD || (d == bestD && e.ref.Code < best.ref.Code) {
					best, bestD = e, d
				}
			}
		}
		if n <= len(buf) {
			for _, c := range buf[:n] {
				consider(c.e, c.s)
			}
		} else {
			x.villages.Search(lo, hi, func(_, _ [2]float64, e *divEntry) bool {
				consider(e, scaled(e.point))
				return true
			})
		}
		return best, bestD, best != nil
	}
}
