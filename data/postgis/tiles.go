package postgis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb/maptile"

	"civmap/gazetteer"
	"civmap/tiles"
)

var _ tiles.MVTSource = (*Store)(nil)

// Vector tiles are made in the database, one statement per tile:
//
//	WITH l0 AS (SELECT ST_AsMVT(q, 'divisions', 4096, 'geom', 'tile_id') AS mvt FROM (
//	         SELECT <properties>, tile_id,
//	                ST_AsMVTGeom(ST_Transform(c.geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
//	         FROM (<candidates: geom && bound AND exact bound test ORDER BY key COLLATE "C" LIMIT cap>) c) q),
//	     l1 AS (… the next requested layer …)
//	SELECT l0.mvt || l1.mvt … FROM l0, l1 …
//
// $1..$3 are z, x, y; $4..$7 the lon/lat bound tiles.BufferedBound(t) (xmin, ymin, xmax, ymax) computed in Go, so the
// candidates are exactly those of the embedded store (tiles.FeatureSource): && on the GiST index, then the exact test on
// the double-precision coordinates (&& compares float4-rounded boxes). Rows whose geometry clips away come back NULL
// and ST_AsMVT skips them, and a layer without features adds no bytes (ST_AsMVT of no rows is an empty bytea), so the
// concatenation is the tile with the non-empty layers in the requested order.
//
// A layer that is thinned at the zoom asked for (places, facilities below their FullZoom: tiles.Layer.Thinned) is
// thinned by the label grid in the same statement, as the embedded store does in Go (tiles.RankRegion,
// tiles.GridRegion.Keep):
//
//	SELECT … FROM (SELECT …, row_number() OVER (PARTITION BY grid_x >> $9, grid_y >> $9
//	                                            ORDER BY <class rank>, tile_id) AS grid_rank
//	               FROM places WHERE <not big at $8> AND geom && <region bound $10..$13>
//	                 AND grid_x >> $9 BETWEEN $14 AND $16 AND grid_y >> $9 BETWEEN $15 AND $17) r
//	WHERE grid_rank <= CellLimit AND <exact tile bound test>
//	UNION ALL SELECT … FROM places WHERE size_zoom <= $8 AND <tile bound test>      -- big: drawn whatever the density
//
// $8 is the zoom, $9 the shift from a grid anchor to its cell, $10..$13 the region's lon/lat bound and $14..$17 its
// cells (min x, min y, max x, max y): every member of those cells is ranked, so a feature is kept or dropped in every
// tile alike. The cell comes from grid_x, grid_y (tiles.Anchor, written with every row, migration 00006), never from
// coordinates projected in SQL, so both stores agree on a feature on a cell edge; the class rank is a CASE built from
// tiles.Layer.ClassRank. A layer drawn whole at the zoom uses the plain candidate query; the statement is memoised
// per layer list and thinned set.
// Properties follow tiles.MapProperties: '' becomes NULL (NULLIF) and ST_AsMVT leaves NULL out; bigint is an MVT
// integer, boolean a bool, text a string. Feature ids are the stored tile_id columns (allocated at insert, tileids.go;
// a division's label point is tile_id + 1, tiles.LabelID); ST_AsMVT drops the id column from the properties.

// tileBound is the candidate test on a geometry column: its bound meets [$4, $6] × [$5, $7], edges included.
func tileBound(col string) string {
	return col + ` && ST_MakeEnvelope($4, $5, $6, $7, 4490) AND ST_XMax(` + col + `) >= $4 AND ST_XMin(` + col +
		`) <= $6 AND ST_YMax(` + col + `) >= $5 AND ST_YMin(` + col + `) <= $7`
}

// tileLayer is how one layer's candidates are selected: a query returning the property columns, tile_id and geom,
// in feature order; and the property columns' names. A thinned layer (places, facilities) has grid instead, and its
// candidates are built by gridLayer.plain and gridLayer.ranked.
type tileLayer struct {
	candidates string
	props      string
	grid       *gridLayer
	// labels, when set, adds label points: a query over c (the candidates, with a doc column) appended to them.
	labels string
}

// gridLayer is a layer that the label grid thins: its table, the select list (property columns, tile_id, geom), the
// filter every row meets, its key, its class column, and whether it has size_zoom (features that can be big).
type gridLayer struct {
	layer, table, cols, where, key, class string
	sized                                 bool
}

// plain is the candidate query of the layer drawn whole.
func (g *gridLayer) plain() string {
	return `SELECT ` + g.cols + ` FROM ` + g.table + ` WHERE ` + g.where + ` AND ` + tileBound("geom") + `
			ORDER BY ` + g.key + ` COLLATE "C"`
}

// ranked is the candidate query of the layer thinned by the label grid (see above).
func (g *gridLayer) ranked() string {
	l, _ := tiles.LayerByName(g.layer)
	classes := make([]string, 0, len(l.ClassRank))
	for c := range l.ClassRank {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	var rank strings.Builder
	rank.WriteString(`CASE ` + g.class)
	for _, c := range classes {
		fmt.Fprintf(&rank, ` WHEN '%s' THEN %d`, strings.ReplaceAll(c, "'", "''"), l.ClassRank[c])
	}
	fmt.Fprintf(&rank, ` ELSE %d END`, tiles.UnlistedClassRank)
	// $8 must appear in every thinned statement, or PostgreSQL cannot type it ("could not determine data type of
	// parameter $8") when no layer of the statement has size_zoom: facilities alone below z16 were a 500.
	small, big := ` AND $8::smallint >= 0`, ""
	if g.sized {
		small = ` AND (size_zoom IS NULL OR size_zoom > $8)`
		big = `
			UNION ALL
			SELECT ` + g.cols + `, 0::bigint FROM ` + g.table + ` WHERE ` + g.where + ` AND size_zoom <= $8 AND ` +
			tileBound("geom")
	}
	return fmt.Sprintf(`SELECT * FROM (
			SELECT * FROM (
				SELECT %s, row_number() OVER (PARTITION BY grid_x >> $9, grid_y >> $9 ORDER BY %s, tile_id) AS grid_rank
				FROM %s
				WHERE %s%s AND geom && ST_MakeEnvelope($10, $11, $12, $13, 4490)
					AND grid_x >> $9 BETWEEN $14 AND $16 AND grid_y >> $9 BETWEEN $15 AND $17
			) r WHERE grid_rank <= %d AND %s%s
		) g ORDER BY %s COLLATE "C"`, g.cols, rank.String(), g.table, g.where, small, tiles.CellLimit, tileBound("geom"),
		big, g.key)
}

var tileLayers = map[string]tileLayer{
	"divisions": {
		// A division's polygon, then its label point at the seat (label_point false < true).
		candidates: `SELECT code, name, level, kind, parent_code, label_point, tile_id, geom FROM (
				SELECT code, NULLIF(name, '') AS name, NULLIF(level, '') AS level, NULLIF(kind, '') AS kind,
					NULLIF(parent_code, '') AS parent_code, false AS label_point, tile_id, geom
				FROM divisions
				WHERE level IN ('` + string(gazetteer.LevelCounty) + `', '` + string(gazetteer.LevelTownship) + `') AND ` +
			tileBound("geom") + `
				UNION ALL
				SELECT code, NULLIF(name, ''), NULLIF(level, ''), NULLIF(kind, ''), NULLIF(parent_code, ''), true,
					tile_id + 1, seat
				FROM divisions
				WHERE level IN ('` + string(gazetteer.LevelCounty) + `', '` + string(gazetteer.LevelTownship) + `') AND ` +
			tileBound("seat") + `
			) d ORDER BY code COLLATE "C", label_point`,
		props: `code, name, level, kind, parent_code, label_point`,
	},
	"places": {
		// pinyin and heritage live in doc; division_code is the first of division_codes.
		grid: &gridLayer{layer: "places", table: "places", key: "id", class: "category", sized: true,
			cols: `id, NULLIF(name, '') AS name, NULLIF(doc->>'pinyin', '') AS pinyin,
				NULLIF(category, '') AS category, NULLIF(status, '') AS status,
				coalesce((doc->'heritage')::boolean, false) AS heritage, NULLIF(division_codes[1], '') AS division_code,
				false AS label_point, doc, tile_id, geom`,
			where: `status IN ('` + gazetteer.StatusCurrent + `', '` + gazetteer.StatusHistorical + `')`},
		props: `id, name, pinyin, category, status, heritage, division_code, label_point`,
		// An area place's one label point (tiles.PlaceFeatures): the point its doc holds (written with the place), else
		// ST_PointOnSurface for a row written before label points; id tile_id | 2^52 (tiles.PlaceLabelID).
		labels: `SELECT id, name, pinyin, category, status, heritage, division_code, true AS label_point,
				tile_id | ` + strconv.FormatUint(tiles.PlaceLabelBit, 10) + ` AS tile_id,
				CASE WHEN jsonb_typeof(doc->'label_point') = 'array'
					THEN ST_SetSRID(ST_MakePoint((doc->'label_point'->>0)::float8, (doc->'label_point'->>1)::float8), 4490)
					ELSE ST_PointOnSurface(geom) END AS geom
			FROM c WHERE ST_GeometryType(geom) IN ('ST_Polygon', 'ST_MultiPolygon')`,
	},
	"boundary_lines": {
		candidates: `SELECT id, NULLIF(name, '') AS name, NULLIF(left_code, '') AS left_code,
				NULLIF(right_code, '') AS right_code, NULLIF(right_name, '') AS right_name, tile_id, geom
			FROM boundary_lines WHERE ` + tileBound("geom") + `
			ORDER BY id COLLATE "C"`,
		props: `id, name, left_code, right_code, right_name`,
	},
	"markers": {
		// registered_year 0 means unknown: omitted.
		candidates: `SELECT number, NULLIF(line_id, '') AS line_id, NULLIF(type, '') AS type,
				NULLIF(pair_letter, '') AS pair_letter, NULLIF(material, '') AS material,
				NULLIF(registered_year, 0) AS registered_year, tile_id, geom
			FROM markers WHERE ` + tileBound("geom") + `
			ORDER BY number COLLATE "C"`,
		props: `number, line_id, type, pair_letter, material, registered_year`,
	},
	"facilities": {
		// NULL capacities and smart_terminal (unknown) are omitted; 0 and false are kept. Facilities are points: never
		// big.
		grid: &gridLayer{layer: "facilities", table: "facilities", key: "id", class: "type",
			cols: `id, NULLIF(name, '') AS name, NULLIF(type, '') AS type, NULLIF(status, '') AS status,
				NULLIF(township_code, '') AS township_code, capacity_beds, capacity_meals_per_day, smart_terminal,
				tile_id, geom`,
			where: `true`},
		props: `id, name, type, status, township_code, capacity_beds, capacity_meals_per_day, smart_terminal`,
	},
	"demand": {
		candidates: `SELECT code, NULLIF(name, '') AS name, NULLIF(township_code, '') AS township_code,
				elderly_population, tile_id, geom
			FROM demand_units WHERE ` + tileBound("geom") + `
			ORDER BY code COLLATE "C"`,
		props: `code, name, township_code, elderly_population`,
	},
}

// tileStatement is a memoised tile statement and whether it thins a layer by the label grid (takes $8..$17).
type tileStatement struct {
	sql  string
	grid bool
}

// tileSQL returns the tile statement for layers (all registered; callers drop those outside the zoom range) at zoom,
// memoised per layer list and set of layers thinned at zoom.
func (s *Store) tileSQL(layers []tiles.Layer, zoom int) (tileStatement, error) {
	key, ok := statementKey(layers, zoom)
	if ok {
		if q, ok := s.tiles.sql.Load(key); ok {
			return q.(tileStatement), nil
		}
	}
	var b strings.Builder
	var st tileStatement
	b.WriteString("WITH ")
	for i, l := range layers {
		tl, ok := tileLayers[l.Name]
		if !ok {
			return tileStatement{}, fmt.Errorf("postgis: unknown tile layer %q", l.Name)
		}
		cands := tl.candidates
		if tl.grid != nil {
			cands = tl.grid.plain()
			if l.Thinned(zoom) {
				cands, st.grid = tl.grid.ranked(), true
			}
		}
		if tl.labels != "" {
			// Each label right after its place, as the embedded store lists them.
			cands = `WITH c AS (` + cands + `)
	SELECT * FROM (SELECT ` + tl.props + `, tile_id, geom FROM c UNION ALL ` + tl.labels + `) u
	ORDER BY id COLLATE "C", label_point`
		}
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `l%d AS (SELECT ST_AsMVT(q, '%s', %d, 'geom', 'tile_id') AS mvt FROM (
	SELECT %s, tile_id, ST_AsMVTGeom(ST_Transform(c.geom, 3857), ST_TileEnvelope($1, $2, $3), %d, %d, true) AS geom
	FROM (%s) c) q)`, i, strings.ReplaceAll(l.Name, "'", "''"), tiles.Extent, tl.props, tiles.Extent, tiles.Buffer,
			cands)
	}
	b.WriteString("\nSELECT ")
	for i := range layers {
		if i > 0 {
			b.WriteString(" || ")
		}
		fmt.Fprintf(&b, "l%d.mvt", i)
	}
	b.WriteString(" FROM ")
	for i := range layers {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "l%d", i)
	}
	st.sql = b.String()
	if ok {
		s.tiles.sql.Store(key, st)
	}
	return st, nil
}

// statementKey names a tile statement without allocating: four bits per layer in list order (its index in
// tiles.Layers plus one, and whether it is thinned at zoom). ok is false for an unregistered layer or a list too long to
// name, whose statement is built each time (and fails for the unregistered layer).
func statementKey(layers []tiles.Layer, zoom int) (key uint64, ok bool) {
	if len(layers) > 16 || len(tiles.Layers) > 7 {
		return 0, false
	}
	for _, l := range layers {
		i := slices.IndexFunc(tiles.Layers, func(r tiles.Layer) bool { return r.Name == l.Name })
		if i < 0 {
			return 0, false
		}
		code := uint64(i+1) << 1
		if l.Thinned(zoom) {
			code |= 1
		}
		key = key<<4 | code
	}
	return key, true
}

// tileArgs are the parameters of the tile statement: z, x, y, tiles.BufferedBound(t), and when it thins a layer the
// zoom and the label-grid region of the tile at that zoom (tiles.RankRegion).
func tileArgs(t maptile.Tile, st tileStatement, zoom int) []any {
	bb := tiles.BufferedBound(t)
	args := []any{int32(t.Z), int64(t.X), int64(t.Y), bb.Min[0], bb.Min[1], bb.Max[0], bb.Max[1]}
	if st.grid {
		r := tiles.RankRegion(bb, zoom)
		args = append(args, int16(zoom), int32(r.Shift), r.Bound.Min[0], r.Bound.Min[1], r.Bound.Max[0], r.Bound.Max[1],
			r.MinX, r.MinY, r.MaxX, r.MaxY)
	}
	return args
}

// MVT returns tile t of the given layers, with the features drawn at zoom (the label grid of zoom thins places and
// facilities below their FullZoom), as uncompressed MVT bytes made by ST_AsMVT in one statement (see above), or an
// empty slice when no layer has a feature there. Layers whose zoom range excludes t.Z are left out; an unknown layer
// is an error.
//
// The statement is prepared once per connection by pgx's statement cache and costs at most one round trip: alone, or
// in one pipeline with the tile statements of other requests that queued while every connection was busy
// (tileBatcher). When ctx ends first (the render Timeout of tiles.Service), the request stops waiting and the error
// wraps ctx's (context.DeadlineExceeded: 503); a statement still running alone is cancelled in the server
// (configurePool).
func (s *Store) MVT(ctx context.Context, t maptile.Tile, layers []tiles.Layer, zoom int) ([]byte, error) {
	active := tiles.ActiveLayers(layers, int(t.Z))
	if len(active) == 0 {
		return nil, nil
	}
	st, err := s.tileSQL(active, zoom)
	if err != nil {
		return nil, err
	}
	rd := s.read(ctx)
	out, err := s.tiles.batcher(rd.pool).query(ctx, rd, st.sql, tileArgs(t, st, zoom))
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, fmt.Errorf("postgis: tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// BareMVT runs exactly the statement MVT runs for tile t of layers at zoom t.Z, directly on the primary's pool: no
// statement_timeout, no replica choice, no tiles.Service. It is the baseline of the tile benchmarks (civmap's own
// statement without the server around it, internal/tools/tilebench and BenchmarkBareASMVT), not a serving path.
func (s *Store) BareMVT(ctx context.Context, t maptile.Tile, layers []tiles.Layer) ([]byte, error) {
	active := tiles.ActiveLayers(layers, int(t.Z))
	if len(active) == 0 {
		return nil, nil
	}
	st, err := s.tileSQL(active, int(t.Z))
	if err != nil {
		return nil, err
	}
	var out []byte
	err = s.pool.QueryRow(ctx, st.sql, tileArgs(t, st, int(t.Z))...).Scan(&out)
	return out, err
}
