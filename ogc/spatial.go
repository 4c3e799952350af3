package ogc

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"

	"civmap/facilities"
	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/httpx"
	"civmap/ogc/cql2"
)

// Spatial query limits.
const (
	// MaxSpatialBody is the largest posted geometry (bytes); larger is a 413.
	MaxSpatialBody = 1 << 20
	// MaxSpatialVertices is the most vertices a posted geometry may have; more is a 413.
	MaxSpatialVertices = 50000
	// MaxNearest is the largest k of /api/spatial/nearest.
	MaxNearest = 100
	// MaxWithinM is the largest distance_m of /api/spatial/within (metres).
	MaxWithinM = 100000
)

// SpatialRoutes registers the map client's spatial queries on r. They are built on FeatureStore alone — each store's
// own spatial filter (R-tree and simplefeatures, or GiST and PostGIS) picks the candidates, and the distances and
// lengths are computed here in Go — so both stores answer alike. Points are lon/lat degrees (CRS84/EPSG:4490);
// distances and lengths are metres: point to point geodesic (geo.Distance, Vincenty on CGCS2000), point to line or
// polygon in a local plane at the point (geo.MetresPerDegree; within 0.1% at county scale).
//
//	GET  /api/spatial/nearest?lon=&lat=&k=5&types=a,b&statuses=x,y
//	     The k (1…100) nearest facilities of those types and statuses (all when absent), nearest first (ties by id),
//	     each with distance_m.
//	GET  /api/spatial/within?collection=&lon=&lat=&distance_m=   features within distance_m (≤ 100 km) of the point,
//	     nearest first, each with distance_m
//	GET  /api/spatial/within?collection=&division=CODE           features within the division's polygon (S_WITHIN)
//	POST /api/spatial/intersects?collection=   body: a GeoJSON geometry or Feature (≤ 1 MiB and 50,000 vertices,
//	     else 413; invalid, 400): features intersecting it
//	POST /api/spatial/crossings?level=township  body: a GeoJSON LineString or MultiLineString: the divisions of that
//	     level (township or county) it crosses, by code, with the length of the line inside each (length_m)
//
// Feature answers are FeatureCollections in key order (within-distance: by distance) with numberMatched.
func SpatialRoutes(r *mux.Router, st FeatureStore) {
	h := &spatialAPI{st: st}
	sub := httpx.Sub(r)
	sub.Handle("/api/spatial/nearest", httpx.HandlerFunc(h.nearest)).Methods(http.MethodGet, http.MethodHead)
	sub.Handle("/api/spatial/within", httpx.HandlerFunc(h.within)).Methods(http.MethodGet, http.MethodHead)
	sub.Handle("/api/spatial/intersects", httpx.HandlerFunc(h.intersects)).Methods(http.MethodPost)
	sub.Handle("/api/spatial/crossings", httpx.HandlerFunc(h.crossings)).Methods(http.MethodPost)
}

type spatialAPI struct{ st FeatureStore }

// All reads every feature of q (following the keyset cursor), in key order.
func All(ctx context.Context, st FeatureStore, q Query) ([]Feature, error) {
	q.Limit = MaxLimit
	var out []Feature
	for {
		p, err := st.Items(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Features...)
		if !p.More || len(p.Features) == 0 {
			return out, nil
		}
		q.After, q.Before = p.Features[len(p.Features)-1].ID, ""
	}
}

// Near is a feature and its distance in metres from the queried point.
type Near struct {
	Feature
	DistanceM float64
}

// circleBound is a lon/lat box holding every point within r metres of p (1% margin), clamped to the globe.
func circleBound(p orb.Point, r float64) orb.Bound {
	kx, ky := geo.MetresPerDegree(p[1])
	// MetresPerDegree shrinks with latitude: take the smaller of the two edges' lon scales.
	dLat := r / ky * 1.01
	kx2, _ := geo.MetresPerDegree(math.Min(89.9, math.Abs(p[1])+dLat))
	dLon := r / math.Min(kx, kx2) * 1.01
	return orb.Bound{Min: orb.Point{math.Max(-180, p[0]-dLon), math.Max(-90, p[1]-dLat)},
		Max: orb.Point{math.Min(180, p[0]+dLon), math.Min(90, p[1]+dLat)}}
}

func bboxFilter(b orb.Bound) cql2.Expr {
	return cql2.Spatial{Op: "s_intersects", Left: cql2.Property{Name: GeometryProperty}, Right: cql2.Geometry{G: cql2.BoundGeometry(b)}}
}

func inList(prop string, vals []string) cql2.Expr {
	if len(vals) == 0 {
		return nil
	}
	list := make([]cql2.Scalar, len(vals))
	for i, v := range vals {
		list[i] = cql2.Literal{Value: v}
	}
	return cql2.In{Value: cql2.Property{Name: prop}, List: list}
}

// DistanceTo is the distance in metres from p to g: geodesic to points, in p's local plane to lines and polygons (0
// inside a polygon). +Inf for nil.
func DistanceTo(p orb.Point, g orb.Geometry) float64 {
	kx, ky := geo.MetresPerDegree(p[1])
	line := func(ls []orb.Point) float64 {
		best := math.Inf(1)
		for i := 0; i+1 < len(ls); i++ {
			best = math.Min(best, segDist(p, ls[i], ls[i+1], kx, ky))
		}
		if len(ls) == 1 {
			best = geo.Distance(p, ls[0])
		}
		return best
	}
	switch g := g.(type) {
	case orb.Point:
		return geo.Distance(p, g)
	case orb.MultiPoint:
		best := math.Inf(1)
		for _, q := range g {
			best = math.Min(best, geo.Distance(p, q))
		}
		return best
	case orb.LineString:
		return line(g)
	case orb.MultiLineString:
		best := math.Inf(1)
		for _, l := range g {
			best = math.Min(best, line(l))
		}
		return best
	case orb.Polygon, orb.MultiPolygon:
		return geo.DistanceToPolygon(p, g)
	case orb.Collection:
		best := math.Inf(1)
		for _, m := range g {
			best = math.Min(best, DistanceTo(p, m))
		}
		return best
	}
	return math.Inf(1)
}

func segDist(p, a, b orb.Point, kx, ky float64) float64 {
	ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
	bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

func sortNear(ns []Near) {
	slices.SortFunc(ns, func(a, b Near) int {
		if c := cmp.Compare(a.DistanceM, b.DistanceM); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// WithinDistance returns the features of collection (with filter, may be nil) within r metres of p, nearest first.
func WithinDistance(ctx context.Context, st FeatureStore, collection string, p orb.Point, r float64, filter cql2.Expr) ([]Near, error) {
	b := circleBound(p, r)
	fs, err := All(ctx, st, Query{Collection: collection, BBox: &b, Filter: cql2.Conj(filter, bboxFilter(b))})
	if err != nil {
		return nil, err
	}
	var out []Near
	for _, f := range fs {
		if d := DistanceTo(p, f.Geometry); d <= r {
			out = append(out, Near{f, d})
		}
	}
	sortNear(out)
	return out, nil
}

// Nearest returns the k facilities nearest p (geodesic metres) among those of the given types and statuses (all
// when empty), nearest first, ties by id. It searches circles of growing radius (500 m, doubling) until k facilities
// lie inside one, so the answer is exact: any facility nearer than the k-th lies in that circle too. Doubling keeps
// the last circle's area within 4× of the one that first holds k, so few records beyond the k are read. A store that
// is a NearestFinder answers from its own index instead (with the same answer).
func Nearest(ctx context.Context, st FeatureStore, p orb.Point, k int, types, statuses []string) ([]Near, error) {
	if nf, ok := st.(NearestFinder); ok {
		return nf.NearestFacilities(ctx, p, k, types, statuses)
	}
	return NearestScan(ctx, st, p, k, types, statuses)
}

// NearestScan is Nearest through FeatureStore.Items alone (what a store without a NearestFinder gets; tests compare
// a NearestFinder with it).
func NearestScan(ctx context.Context, st FeatureStore, p orb.Point, k int, types, statuses []string) ([]Near, error) {
	filter := cql2.Conj(inList("type", types), inList("status", statuses))
	return growCircles(k, func(r float64) ([]Near, error) {
		return WithinDistance(ctx, st, Facilities, p, r, filter)
	})
}

// NearestAmong returns the k of fs nearest p (geodesic metres), nearest first, ties by id: Nearest's answer when fs
// holds every facility (of the wanted types and statuses) that is as near as the k-th nearest, or all of them.
func NearestAmong(p orb.Point, k int, fs []Feature) []Near {
	var ns []Near // nil when none, as NearestScan's
	for _, f := range fs {
		ns = append(ns, Near{f, DistanceTo(p, f.Geometry)})
	}
	sortNear(ns)
	return ns[:min(k, len(ns))]
}

// NearestFinder is a FeatureStore that finds the k nearest facilities from its own spatial index, in fewer reads than
// NearestScan's circles of Items pages (the embedded store: its R-tree of facility locations, reading only the k
// records; PostGIS: one statement on the GiST index). Its answer must be NearestScan's: the same features in the
// same order with the same distances (geodesic metres).
type NearestFinder interface {
	NearestFacilities(ctx context.Context, p orb.Point, k int, types, statuses []string) ([]Near, error)
}

// NearestIndexed is Nearest's circle search over an index of point locations: search(b, yield) must call yield with
// the key and location of every candidate (of the wanted types and statuses) located in b. It returns the k nearest
// to p, nearest first, ties by key, each Feature with only its ID and Geometry (the location) set: the caller reads
// the records.
func NearestIndexed(p orb.Point, k int, search func(b orb.Bound, yield func(id string, loc orb.Point))) []Near {
	ns, _ := growCircles(k, func(r float64) ([]Near, error) {
		var out []Near
		search(circleBound(p, r), func(id string, loc orb.Point) {
			if d := DistanceTo(p, loc); d <= r {
				out = append(out, Near{Feature{ID: id, Geometry: loc}, d})
			}
		})
		sortNear(out)
		return out, nil
	})
	return ns
}

// growCircles calls within with radii of 500 m, doubling, until it returns at least k (or the circle covers the
// globe), and returns the first k of that answer (within answers nearest first).
func growCircles(k int, within func(r float64) ([]Near, error)) ([]Near, error) {
	for r := 500.0; ; r *= 2 {
		ns, err := within(r)
		if err != nil {
			return nil, err
		}
		if len(ns) >= k || r > 2.1e7 { // a half meridian: the whole globe is inside
			return ns[:min(k, len(ns))], nil
		}
	}
}

func parseFloat(r *http.Request, name string) (float64, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return 0, httpx.BadParam(name, "required")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, httpx.BadParam(name, "%q is not a number", s)
	}
	return f, nil
}

func parsePoint(r *http.Request) (orb.Point, error) {
	lon, err := parseFloat(r, "lon")
	if err != nil {
		return orb.Point{}, err
	}
	lat, err := parseFloat(r, "lat")
	if err != nil {
		return orb.Point{}, err
	}
	p := orb.Point{lon, lat}
	if err := geo.ValidatePoint(p); err != nil {
		return p, httpx.BadParam("lon", "%s", strings.TrimPrefix(err.Error(), "geo: "))
	}
	return p, nil
}

func parseList(r *http.Request, name string, allowed map[string]string) ([]string, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if _, ok := allowed[v]; !ok {
			return nil, httpx.BadParam(name, "unknown value %q (want some of %s)", v, strings.Join(keys(allowed), ", "))
		}
		out = append(out, v)
	}
	return out, nil
}

func writeNear(w http.ResponseWriter, ns []Near) error {
	p := Page{NumberMatched: len(ns), Features: make([]Feature, len(ns))}
	for i, n := range ns {
		f := n.Feature
		props := make(map[string]any, len(f.Properties)+1)
		for k, v := range f.Properties {
			props[k] = v
		}
		props["distance_m"] = math.Round(n.DistanceM*1000) / 1000
		f.Properties = props
		p.Features[i] = f
	}
	return writePage(w, p)
}

func writePage(w http.ResponseWriter, p Page) error {
	body, err := encodeCollection(p, []Link{}, SupportedCRS[0], timeNow())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", httpx.GeoJSONContentType)
	_, err = w.Write(body)
	return err
}

func (h *spatialAPI) nearest(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePoint(r)
	if err != nil {
		return err
	}
	k := 5
	if s := r.URL.Query().Get("k"); s != "" {
		if k, err = strconv.Atoi(s); err != nil || k < 1 || k > MaxNearest {
			return httpx.BadParam("k", "must be an integer between 1 and %d, got %q", MaxNearest, s)
		}
	}
	types, err := parseList(r, "types", facilities.Types)
	if err != nil {
		return err
	}
	statuses, err := parseList(r, "statuses", facilities.Statuses)
	if err != nil {
		return err
	}
	ns, err := Nearest(r.Context(), h.st, p, k, types, statuses)
	if err != nil {
		return err
	}
	return writeNear(w, ns)
}

func collectionParam(r *http.Request) (*Collection, error) {
	id := r.URL.Query().Get("collection")
	c, ok := CollectionByID(id)
	if !ok {
		names := make([]string, 0, len(registry))
		for _, c := range registry {
			names = append(names, c.ID)
		}
		return nil, httpx.BadParam("collection", "unknown collection %q (want one of %s)", id, strings.Join(names, ", "))
	}
	return c, nil
}

func (h *spatialAPI) within(w http.ResponseWriter, r *http.Request) error {
	c, err := collectionParam(r)
	if err != nil {
		return err
	}
	if code := r.URL.Query().Get("division"); code != "" {
		d, err := h.st.Item(r.Context(), Divisions, code)
		if errors.Is(err, apierr.ErrNotFound) {
			return httpx.BadParam("division", "unknown division %q", code)
		}
		if err != nil {
			return err
		}
		if _, ok := geo.AsMultiPolygon(d.Geometry); !ok {
			return httpx.BadParam("division", "division %s has no polygon (village-level units are points)", code)
		}
		b := d.Geometry.Bound()
		fs, err := All(r.Context(), h.st, Query{Collection: c.ID, BBox: &b, Filter: cql2.Spatial{Op: "s_within",
			Left: cql2.Property{Name: GeometryProperty}, Right: cql2.Geometry{G: d.Geometry}}})
		if err != nil {
			return err
		}
		return writePage(w, Page{Features: fs, NumberMatched: len(fs)})
	}
	p, err := parsePoint(r)
	if err != nil {
		return err
	}
	d, err := parseFloat(r, "distance_m")
	if err != nil {
		return err
	}
	if d < 0 || d > MaxWithinM {
		return httpx.BadParam("distance_m", "must be between 0 and %d metres, got %v", MaxWithinM, d)
	}
	ns, err := WithinDistance(r.Context(), h.st, c.ID, p, d, nil)
	if err != nil {
		return err
	}
	return writeNear(w, ns)
}

// readGeometry reads a posted GeoJSON geometry or Feature (lon/lat), refusing one over MaxSpatialBody or
// MaxSpatialVertices (413) or one that is not valid OGC simple features (400, the reason named).
func readGeometry(w http.ResponseWriter, r *http.Request) (orb.Geometry, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxSpatialBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, httpx.WithStatus(http.StatusRequestEntityTooLarge,
				apierr.Field("body", "the geometry is larger than %d bytes", MaxSpatialBody))
		}
		return nil, httpx.BadParam("body", "reading the request body: %v", err)
	}
	var probe struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, httpx.BadParam("body", "not a GeoJSON geometry: %v", err)
	}
	if probe.Type == "Feature" {
		body = probe.Geometry
	}
	g, err := geo.DecodeGeometry(body)
	if err != nil {
		return nil, httpx.BadParam("body", "%s", strings.TrimPrefix(err.Error(), "geo: "))
	}
	n := countVertices(g)
	if n > MaxSpatialVertices {
		return nil, httpx.WithStatus(http.StatusRequestEntityTooLarge,
			apierr.Field("body", "the geometry has %d vertices; at most %d", n, MaxSpatialVertices))
	}
	if _, err := cql2.Compile(cql2.Spatial{Op: "s_intersects", Left: cql2.Property{Name: GeometryProperty},
		Right: cql2.Geometry{G: g}}); err != nil {
		return nil, httpx.BadParam("body", "%v", err)
	}
	return g, nil
}

func (h *spatialAPI) intersects(w http.ResponseWriter, r *http.Request) error {
	c, err := collectionParam(r)
	if err != nil {
		return err
	}
	g, err := readGeometry(w, r)
	if err != nil {
		return err
	}
	b := g.Bound()
	fs, err := All(r.Context(), h.st, Query{Collection: c.ID, BBox: &b, Filter: cql2.Spatial{Op: "s_intersects",
		Left: cql2.Property{Name: GeometryProperty}, Right: cql2.Geometry{G: g}}})
	if err != nil {
		return err
	}
	return writePage(w, Page{Features: fs, NumberMatched: len(fs)})
}

// Crossing is a division a line crosses and the length of the line inside it (metres).
type Crossing struct {
	Code    string  `json:"code"`
	Name    string  `json:"name"`
	Level   string  `json:"level"`
	LengthM float64 `json:"length_m"`
}

// Crossings returns the divisions of level whose polygon the line meets, by code, with the geodesic length of the
// line inside each (the simplefeatures intersection, its segments measured with geo.Distance); a division the line
// only touches has length 0.
func Crossings(ctx context.Context, st FeatureStore, line orb.Geometry, level string) ([]Crossing, float64, error) {
	b := line.Bound()
	fs, err := All(ctx, st, Query{Collection: Divisions, BBox: &b, Filter: cql2.Conj(
		cql2.Compare{Op: "=", Left: cql2.Property{Name: "level"}, Right: cql2.Literal{Value: level}},
		cql2.Spatial{Op: "s_intersects", Left: cql2.Property{Name: GeometryProperty}, Right: cql2.Geometry{G: line}})})
	if err != nil {
		return nil, 0, err
	}
	ls, err := cql2.ToSF(line)
	if err != nil {
		return nil, 0, err
	}
	out := []Crossing{}
	for _, f := range fs {
		if _, ok := geo.AsMultiPolygon(f.Geometry); !ok {
			continue
		}
		pg, err := cql2.ToSF(f.Geometry)
		if err != nil {
			return nil, 0, err
		}
		in, err := sf.Intersection(ls, pg)
		if err != nil {
			return nil, 0, fmt.Errorf("ogc: crossing %s: %w", f.ID, err)
		}
		name, _ := f.Properties["name"].(string)
		out = append(out, Crossing{Code: f.ID, Name: name, Level: level, LengthM: round3(sfLength(in))})
	}
	return out, round3(orbLength(line)), nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// sfLength is the geodesic length (metres) of the linear parts of g.
func sfLength(g sf.Geometry) float64 {
	total := 0.0
	line := func(l sf.LineString) {
		seq := l.Coordinates()
		for i := 1; i < seq.Length(); i++ {
			a, b := seq.GetXY(i-1), seq.GetXY(i)
			total += geo.Distance(orb.Point{a.X, a.Y}, orb.Point{b.X, b.Y})
		}
	}
	switch g.Type() {
	case sf.TypeLineString:
		line(g.MustAsLineString())
	case sf.TypeMultiLineString:
		m := g.MustAsMultiLineString()
		for i := 0; i < m.NumLineStrings(); i++ {
			line(m.LineStringN(i))
		}
	case sf.TypeGeometryCollection:
		c := g.MustAsGeometryCollection()
		for i := 0; i < c.NumGeometries(); i++ {
			total += sfLength(c.GeometryN(i))
		}
	}
	return total
}

func orbLength(g orb.Geometry) float64 {
	total := 0.0
	line := func(l orb.LineString) {
		for i := 1; i < len(l); i++ {
			total += geo.Distance(l[i-1], l[i])
		}
	}
	switch g := g.(type) {
	case orb.LineString:
		line(g)
	case orb.MultiLineString:
		for _, l := range g {
			line(l)
		}
	}
	return total
}

func (h *spatialAPI) crossings(w http.ResponseWriter, r *http.Request) error {
	level := r.URL.Query().Get("level")
	if level == "" {
		level = "township"
	}
	if level != "township" && level != "county" {
		return httpx.BadParam("level", "want township or county (village-level units are points), got %q", level)
	}
	g, err := readGeometry(w, r)
	if err != nil {
		return err
	}
	switch g.(type) {
	case orb.LineString, orb.MultiLineString:
	default:
		return httpx.BadParam("body", "want a LineString or MultiLineString, got a %s", g.GeoJSONType())
	}
	cs, total, err := Crossings(r.Context(), h.st, g, level)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"line_length_m": total, "divisions": cs})
	return nil
}

func countVertices(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.LineString:
		return len(g)
	case orb.MultiLineString:
		n := 0
		for _, l := range g {
			n += len(l)
		}
		return n
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += countVertices(p)
		}
		return n
	case orb.Collection:
		n := 0
		for _, m := range g {
			n += countVertices(m)
		}
		return n
	}
	return 0
}
