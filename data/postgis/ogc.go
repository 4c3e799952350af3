package postgis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/ogc"
	"civmap/ogc/cql2"
)

var _ ogc.FeatureStore = (*Store)(nil)

// ogcTable is how one OGC collection maps onto its table: the key column, the columns and scan of its records, a
// condition every row must meet (places: published only) and the SQL expression of each queryable. Identifiers come
// only from these fixed maps; every value of a filter is a bind parameter.
type ogcTable struct {
	table, key, cols, base string
	scan                   func(pgx.Row) (ogc.Feature, error)
	props                  map[string]string
	temporal               string // column of the temporal extent, or ""
}

func scanAs[T any](scan func(pgx.Row) (T, error), feature func(T) ogc.Feature) func(pgx.Row) (ogc.Feature, error) {
	return func(row pgx.Row) (ogc.Feature, error) {
		r, err := scan(row)
		if err != nil {
			return ogc.Feature{}, err
		}
		return feature(r), nil
	}
}

// ogcTables: numbers are compared as double precision and the empty strings and zeros that the features leave out
// (ogc.*Feature) are NULL here too, so both stores answer a filter alike.
var ogcTables = map[string]ogcTable{
	ogc.Divisions: {table: "divisions", key: "code", cols: divisionCols, scan: scanAs(scanDivision, ogc.DivisionFeature),
		props: map[string]string{"code": "code", "name": "name", "level": "level", "kind": "kind",
			"parent_code": "NULLIF(parent_code, '')"}},
	ogc.Places: {table: "places", key: "id", cols: placeOGCCols, scan: scanAs(scanPlaceOGC, ogc.PlaceFeature),
		base: "status IN ('current', 'historical')", temporal: "updated_at",
		props: map[string]string{"id": "id", "name": "name", "category": "category", "status": "status",
			"pinyin": "NULLIF(doc->>'pinyin', '')", "heritage": "(doc->>'heritage')::boolean",
			"year_established": "NULLIF((doc->>'year_established')::float8, 0)", "version": "version::float8",
			"created_at": "created_at", "updated_at": "updated_at"}},
	ogc.BoundaryLines: {table: "boundary_lines", key: "id", cols: lineCols, scan: scanAs(scanLine, ogc.LineFeature),
		props: map[string]string{"id": "id", "name": "name", "left_code": "left_code", "right_code": "right_code",
			"right_name": "NULLIF(right_name, '')", "registered_length_m": "NULLIF(registered_length_m, 0)"}},
	ogc.Markers: {table: "markers", key: "number", cols: markerCols, scan: scanAs(scanMarker, ogc.MarkerFeature),
		props: map[string]string{"number": "number", "line_id": "line_id", "type": "type",
			"pair_letter": "NULLIF(pair_letter, '')", "material": "NULLIF(material, '')",
			"registered_year": "NULLIF(registered_year, 0)::float8"}},
	ogc.Facilities: {table: "facilities", key: "id", cols: facilityCols, temporal: "updated_at",
		scan: scanAs(scanFacility, ogc.FacilityFeature),
		props: map[string]string{"id": "id", "name": "name", "type": "type", "status": "status",
			"township_code": "township_code", "capacity_beds": "capacity_beds::float8",
			"capacity_meals_per_day": "capacity_meals_per_day::float8", "smart_terminal": "smart_terminal",
			"version": "version::float8", "updated_at": "updated_at"}},
	ogc.Demand: {table: "demand_units", key: "code", cols: demandCols, scan: scanAs(scanDemand, ogc.DemandFeature),
		props: map[string]string{"code": "code", "name": "name", "township_code": "township_code",
			"elderly_population": "elderly_population::float8"}},
}

// placeOGCCols are the place fields ogc.PlaceFeature reads: the doc's members picked out in SQL, so the long texts and
// attribute maps are neither sent nor decoded.
const placeOGCCols = `id, name, category, status, division_codes, ST_AsBinary(geom), COALESCE(doc->>'specific', ''),
	COALESCE(doc->>'generic', ''), COALESCE(doc->>'pinyin', ''), COALESCE((doc->>'heritage')::boolean, false),
	COALESCE((doc->>'year_established')::bigint, 0), COALESCE(doc->>'date_named', ''), version, created_at, updated_at`

func scanPlaceOGC(row pgx.Row) (gazetteer.Place, error) {
	var p gazetteer.Place
	var geom []byte
	var year int64
	if err := row.Scan(&p.ID, &p.Name, &p.Category, &p.Status, &p.DivisionCodes, &geom, &p.Specific, &p.Generic,
		&p.Pinyin, &p.Heritage, &year, &p.DateNamed, &p.Version, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return p, err
	}
	p.YearEstablished = int(year)
	if len(p.DivisionCodes) == 0 {
		p.DivisionCodes = nil
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	var err error
	p.Geometry, err = fromWKB(geom)
	return p, err
}

func tableOf(collection string) (ogcTable, error) {
	t, ok := ogcTables[collection]
	if !ok {
		return t, fmt.Errorf("collection %q: %w", collection, apierr.ErrNotFound)
	}
	return t, nil
}

// sqlFilter translates a checked CQL2 expression to a SQL condition with "?" for each parameter (where.add numbers
// them). Strings compare in byte order (COLLATE "C"), as the Go evaluator does.
type sqlFilter struct {
	t    ogcTable
	b    strings.Builder
	args []any
	err  error
}

func (f *sqlFilter) fail(format string, a ...any) {
	if f.err == nil {
		f.err = fmt.Errorf(format, a...)
	}
}

func (f *sqlFilter) scalar(s cql2.Scalar) {
	switch x := s.(type) {
	case cql2.Property:
		col, ok := f.t.props[x.Name]
		if !ok {
			f.fail("postgis: unknown queryable %q", x.Name)
			return
		}
		f.b.WriteString("(" + col + ")")
		if isText(f.t, x.Name) {
			f.b.WriteString(` COLLATE "C"`)
		}
	case cql2.Literal:
		f.args = append(f.args, literalArg(x.Value))
		switch x.Value.(type) {
		case string:
			f.b.WriteString(`?::text COLLATE "C"`)
		case float64:
			f.b.WriteString("?::float8")
		case bool:
			f.b.WriteString("?::boolean")
		case cql2.Time:
			f.b.WriteString("?::timestamptz")
		default:
			f.fail("postgis: literal %T", x.Value)
		}
	}
}

// isText reports whether a queryable is a text column (from the collection's queryable types).
func isText(t ogcTable, name string) bool {
	for _, c := range ogc.AllCollections() {
		if ogcTables[c.ID].table == t.table {
			q, ok := c.Queryable(name)
			return ok && q.Type == cql2.TypeString
		}
	}
	return false
}

func literalArg(v any) any {
	if t, ok := v.(cql2.Time); ok {
		return t.T
	}
	return v
}

func (f *sqlFilter) spatialArg(a cql2.SpatialArg) {
	switch x := a.(type) {
	case cql2.Property:
		f.b.WriteString("geom")
	case cql2.Geometry:
		g := x.G
		if bd, ok := g.(orb.Bound); ok {
			g = cql2.BoundGeometry(bd)
		}
		raw, err := wkb.Marshal(g)
		if err != nil {
			f.fail("postgis: geometry literal: %v", err)
			return
		}
		f.args = append(f.args, raw)
		f.b.WriteString("ST_GeomFromWKB(?::bytea, 4490)")
	}
}

func (f *sqlFilter) expr(e cql2.Expr) {
	w := func(s string) { f.b.WriteString(s) }
	join := func(args []cql2.Expr, op string) {
		w("(")
		for i, a := range args {
			if i > 0 {
				w(" " + op + " ")
			}
			f.expr(a)
		}
		w(")")
	}
	not := func(n bool) {
		if n {
			w(" NOT")
		}
	}
	switch x := e.(type) {
	case cql2.And:
		join(x.Args, "AND")
	case cql2.Or:
		join(x.Args, "OR")
	case cql2.Not:
		w("(NOT ")
		f.expr(x.Arg)
		w(")")
	case cql2.Bool:
		if x.Value {
			w("TRUE")
		} else {
			w("FALSE")
		}
	case cql2.Compare:
		if !slices.Contains([]string{"=", "<>", "<", "<=", ">", ">="}, x.Op) {
			f.fail("postgis: operator %q", x.Op)
			return
		}
		w("(")
		f.scalar(x.Left)
		w(" " + x.Op + " ")
		f.scalar(x.Right)
		w(")")
	case cql2.Like:
		w("(")
		f.scalar(x.Value)
		not(x.Not)
		f.args = append(f.args, x.Pattern)
		w(` LIKE ?::text ESCAPE '\')`)
	case cql2.In:
		w("(")
		f.scalar(x.Value)
		not(x.Not)
		w(" IN (")
		for i, it := range x.List {
			if i > 0 {
				w(", ")
			}
			f.scalar(it)
		}
		w("))")
	case cql2.Between:
		w("(")
		f.scalar(x.Value)
		not(x.Not)
		w(" BETWEEN ")
		f.scalar(x.Low)
		w(" AND ")
		f.scalar(x.High)
		w(")")
	case cql2.IsNull:
		w("(")
		f.scalar(x.Value)
		w(" IS")
		not(x.Not)
		w(" NULL)")
	case cql2.Spatial:
		fn := map[string]string{"s_intersects": "ST_Intersects", "s_within": "ST_Within"}[x.Op]
		if fn == "" {
			f.fail("postgis: spatial operator %q", x.Op)
			return
		}
		w(fn + "(")
		f.spatialArg(x.Left)
		w(", ")
		f.spatialArg(x.Right)
		w(")")
	default:
		f.fail("postgis: expression %T", e)
	}
}

// ogcWhere is the condition of q on t: the base condition and the filter.
func ogcWhere(t ogcTable, q ogc.Query) (where, error) {
	var w where
	if t.base != "" {
		w.add(t.base)
	}
	if q.Filter != nil {
		f := sqlFilter{t: t}
		f.expr(q.Filter)
		if f.err != nil {
			return w, f.err
		}
		w.add(f.b.String(), f.args...)
	}
	return w, nil
}

// Items answers an OGC API items query (ogc.FeatureStore) in SQL: the CQL2 filter translated to a parameterised
// condition, keyset paging on the key column (byte order, the primary key's index), the count and the page in one
// statement: the count is an uncorrelated subquery beside the page's columns (an InitPlan, run once), so both see one
// snapshot in one round trip. An empty page carries no count, so it is counted by itself.
func (s *Store) Items(ctx context.Context, q ogc.Query) (ogc.Page, error) {
	t, err := tableOf(q.Collection)
	if err != nil {
		return ogc.Page{}, err
	}
	w, err := ogcWhere(t, q)
	if err != nil {
		return ogc.Page{}, err
	}
	limit := max(q.Limit, 1)
	// The count's condition is the filter's alone; it reuses the page's parameters $1… (the cursor and limit follow).
	countSQL, countArgs := `SELECT count(*) FROM `+t.table+w.sql(), append([]any(nil), w.args...)
	order := " ORDER BY " + t.key + ` COLLATE "C"`
	switch {
	case q.Before != "":
		w.add(t.key+` COLLATE "C" < ?::text COLLATE "C"`, q.Before)
		order += " DESC"
	case q.After != "":
		w.add(t.key+` COLLATE "C" > ?::text COLLATE "C"`, q.After)
	}
	w.args = append(w.args, limit+1)
	pageSQL := fmt.Sprintf(`SELECT (%s), %s FROM %s%s%s LIMIT $%d`, countSQL, t.cols, t.table, w.sql(), order, len(w.args))
	var p ogc.Page
	rows, err := s.pool.Query(ctx, pageSQL, w.args...)
	if err == nil {
		p.Features, err = collect(rows, func(r pgx.Row) (ogc.Feature, error) {
			return t.scan(countedRow{r, &p.NumberMatched})
		})
	}
	if err == nil && len(p.Features) == 0 {
		err = s.pool.QueryRow(ctx, countSQL, countArgs...).Scan(&p.NumberMatched)
	}
	if err != nil {
		return ogc.Page{}, fmt.Errorf("postgis: %s items: %w", q.Collection, err)
	}
	if len(p.Features) > limit {
		p.More, p.Features = true, p.Features[:limit]
	}
	if q.Before != "" {
		slices.Reverse(p.Features)
	}
	return p, nil
}

// countedRow is a row of Items' page: the count first, into n, then the table's columns for its scan.
type countedRow struct {
	pgx.Row
	n *int
}

func (r countedRow) Scan(dest ...any) error { return r.Row.Scan(append([]any{r.n}, dest...)...) }

var _ ogc.NearestFinder = (*Store)(nil)

// nearestSQL is NearestFacilities' one statement ($1, $2: lon, lat; $3, $4: types and statuses, NULL for all; $5: k).
// The k nearest by the GiST index's distance in degrees (<->, an index scan) are k facilities, so the k nearest in
// geodesic metres lie no farther than the farthest of them, D. Sphere distances (ST_DistanceSphere) differ from
// geodesic ones on the ellipsoid by under 0.6% either way, so the farthest sphere distance of the k, times 1.02 plus
// 1 m, bounds D in sphere metres with room to spare; every facility within that bound (after a lon/lat box for the
// index: a degree of latitude is over 110 km, one of longitude over 111 km × cos φ at the box's far latitude) comes
// back (ST_Expand's dx in longitude, dy in latitude). With fewer than k facilities all come back.
const nearestSQL = `WITH pt AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4490) AS g),
	knn AS (SELECT geom FROM facilities, pt WHERE ($3::text[] IS NULL OR type = ANY($3))
		AND ($4::text[] IS NULL OR status = ANY($4)) ORDER BY geom <-> pt.g LIMIT $5),
	r AS (SELECT CASE WHEN count(*) < $5 THEN NULL ELSE max(ST_DistanceSphere(knn.geom, pt.g)) * 1.02 + 1 END AS m
		FROM knn, pt)
	SELECT ` + facilityCols + ` FROM facilities, pt, r
	WHERE ($3::text[] IS NULL OR type = ANY($3)) AND ($4::text[] IS NULL OR status = ANY($4))
		AND (r.m IS NULL OR geom && ST_Expand(pt.g, r.m / (111000.0 * cos(radians(least(89.0, abs($2) + r.m / 110000.0)))),
			r.m / 110000.0) AND ST_DistanceSphere(geom, pt.g) <= r.m)`

// NearestFacilities answers ogc.Nearest in one statement (ogc.NearestFinder, nearestSQL): the facilities that can be
// among the k nearest, measured in Go (ogc.NearestAmong) as ogc.NearestScan measures them.
func (s *Store) NearestFacilities(ctx context.Context, p orb.Point, k int, types, statuses []string) ([]ogc.Near, error) {
	rows, err := s.pool.Query(ctx, nearestSQL, p[0], p[1], types, statuses, k)
	if err == nil {
		var fs []ogc.Feature
		if fs, err = collect(rows, ogcTables[ogc.Facilities].scan); err == nil {
			return ogc.NearestAmong(p, k, fs), nil
		}
	}
	return nil, fmt.Errorf("postgis: nearest facilities: %w", err)
}

// Item returns one feature by its collection's key (ogc.FeatureStore); a place that is not published is not one.
func (s *Store) Item(ctx context.Context, collection, id string) (ogc.Feature, error) {
	t, err := tableOf(collection)
	if err != nil {
		return ogc.Feature{}, err
	}
	cond := t.key + " = $1"
	if t.base != "" {
		cond += " AND " + t.base
	}
	f, err := t.scan(s.pool.QueryRow(ctx, `SELECT `+t.cols+` FROM `+t.table+` WHERE `+cond, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("%s %q: %w", collection, id, apierr.ErrNotFound)
	}
	return f, err
}

// Extent returns a collection's bound (ST_Extent, lon/lat) and its span of updated_at when dated (ogc.FeatureStore).
func (s *Store) Extent(ctx context.Context, collection string) (ogc.Extent, error) {
	t, err := tableOf(collection)
	if err != nil {
		return ogc.Extent{}, err
	}
	times := "NULL::timestamptz, NULL::timestamptz"
	if t.temporal != "" {
		times = "min(" + t.temporal + "), max(" + t.temporal + ")"
	}
	cond := ""
	if t.base != "" {
		cond = " WHERE " + t.base
	}
	var x0, y0, x1, y1 *float64
	var start, end *time.Time
	err = s.pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1
		FROM (SELECT ST_Extent(geom)::geometry AS e, `+times+` FROM `+t.table+cond+`) AS x(e, t0, t1)`).
		Scan(&x0, &y0, &x1, &y1, &start, &end)
	if err != nil {
		return ogc.Extent{}, fmt.Errorf("postgis: %s extent: %w", collection, err)
	}
	var ext ogc.Extent
	if x0 != nil {
		ext.BBox = &orb.Bound{Min: orb.Point{*x0, *y0}, Max: orb.Point{*x1, *y1}}
	}
	if start != nil {
		a, b := start.UTC(), end.UTC()
		ext.Start, ext.End = &a, &b
	}
	return ext, nil
}
