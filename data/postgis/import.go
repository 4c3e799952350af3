package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/tiles"
)

// analyzeAfter is the number of places from which Import vacuums and analyses places after committing (the other tables
// are small and analysed after every import that writes them).
const analyzeAfter = 10000

// upsert describes how one kind of record is imported: COPY into a temporary table (geometry as WKB bytea), then one
// INSERT … SELECT … ON CONFLICT DO UPDATE. Keys are unique within the batch (checkKeys), so no row is hit twice.
type upsert struct {
	what    string   // record kind, for errors
	tmp     string   // temporary table
	tmpDDL  string   // its column definitions
	cols    []string // COPY columns
	history string   // optional statement run before the upsert (to keep the replaced versions)
	bulk    bool     // the table's secondary indexes may be rebuilt instead (places, Options.BulkPlaces)
	// upsertSQL inserts the temporary table's rows ($1 = the import's timestamp if stamped) and returns one row of two
	// counts: inserted and updated (from RETURNING (xmax = 0), true for a freshly inserted row).
	upsertSQL string
	stamped   bool
	n         int
	row       func(i int) ([]any, error)
	// tileIDs: the layer, table and key column whose new rows get tile ids (assignTileIDs) between COPY and upsert.
	tileIDs tileIDTarget
}

func (u *upsert) run(ctx context.Context, tx pgx.Tx, at time.Time) (ins, upd int, err error) {
	if u.n == 0 {
		return 0, 0, nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE `+u.tmp+` (`+u.tmpDDL+`) ON COMMIT DROP`); err != nil {
		return 0, 0, fmt.Errorf("postgis: import %s: %w", u.what, err)
	}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == u.n {
			return nil, nil
		}
		i++
		return u.row(i - 1)
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{u.tmp}, u.cols, src); err != nil {
		return 0, 0, fmt.Errorf("postgis: import %s: copy: %w", u.what, err)
	}
	if err := assignTileIDs(ctx, tx, u.tmp, u.tileIDs); err != nil {
		return 0, 0, fmt.Errorf("postgis: import %s: %w", u.what, err)
	}
	if u.history != "" {
		if _, err := tx.Exec(ctx, u.history); err != nil {
			return 0, 0, fmt.Errorf("postgis: import %s: history: %w", u.what, err)
		}
	}
	var args []any
	if u.stamped {
		args = append(args, at)
	}
	if err := tx.QueryRow(ctx, u.upsertSQL, args...).Scan(&ins, &upd); err != nil {
		return 0, 0, importErr(u.what, err)
	}
	return ins, upd, nil
}

// checkKeys refuses a batch with an empty key (apierr.Invalid) or a key repeated within one kind of record
// (apierr.ErrConflict), before anything is written.
func checkKeys(b *data.Batch) error {
	var bad apierr.Invalid
	var conflict error
	check := func(kind, field string, n int, key func(i int) string) {
		seen := make(map[string]struct{}, n)
		for i := 0; i < n; i++ {
			k := key(i)
			if k == "" {
				bad = append(bad, apierr.FieldError{Location: fmt.Sprintf("%s %d", kind, i), Field: field, Reason: "empty"})
				continue
			}
			if _, dup := seen[k]; dup && conflict == nil {
				conflict = fmt.Errorf("%s %s %q appears twice in the batch: %w", kind, field, k, apierr.ErrConflict)
			}
			seen[k] = struct{}{}
		}
	}
	check("division", "code", len(b.Divisions), func(i int) string { return b.Divisions[i].Code })
	check("boundary line", "id", len(b.Lines), func(i int) string { return b.Lines[i].ID })
	check("marker", "number", len(b.Markers), func(i int) string { return b.Markers[i].Number })
	check("place", "id", len(b.Places), func(i int) string { return b.Places[i].ID })
	check("facility", "id", len(b.Facilities), func(i int) string { return b.Facilities[i].ID })
	check("demand unit", "code", len(b.Demand), func(i int) string { return b.Demand[i].Code })
	for i, m := range b.Markers {
		if m.LineID == "" {
			bad = append(bad, apierr.FieldError{Location: fmt.Sprintf("marker %d", i), Field: "line_id", Reason: "empty"})
		}
	}
	if len(bad) > 0 {
		return bad
	}
	return conflict
}

// defaultBulkPlaces is Options.BulkPlaces when unset.
const defaultBulkPlaces = 50000

// bulkMaintenanceWorkMem is the memory each index build of a bulk import may use (GIN builds are faster with more).
const bulkMaintenanceWorkMem = "512MB"

// dropPlaceIndexesForBulk drops the secondary indexes of places if an import of n places should rebuild them (see
// Options.BulkPlaces), and returns their definitions (pg_get_indexdef, so they always match the migrated schema). DDL is
// transactional: a failed import rolls the drop back.
func (s *Store) dropPlaceIndexesForBulk(ctx context.Context, tx pgx.Tx, n int) ([]string, error) {
	threshold := s.opts.BulkPlaces
	if threshold == 0 {
		threshold = defaultBulkPlaces
	}
	if threshold < 0 || n < threshold {
		return nil, nil
	}
	var stored float64
	if err := tx.QueryRow(ctx, `SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'places'::regclass`).
		Scan(&stored); err != nil {
		return nil, fmt.Errorf("postgis: import places: %w", err)
	}
	if float64(n) < stored/4 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
		WHERE indrelid = 'places'::regclass AND NOT indisprimary ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("postgis: import places: %w", err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, fmt.Errorf("postgis: import places: %w", err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgis: import places: %w", err)
	}
	if len(names) > 0 {
		if _, err := tx.Exec(ctx, `DROP INDEX `+strings.Join(names, ", ")); err != nil {
			return nil, fmt.Errorf("postgis: import places: drop indexes: %w", err)
		}
	}
	return defs, nil
}

// rebuildIndexes runs the CREATE INDEX statements that dropPlaceIndexesForBulk returned.
func rebuildIndexes(ctx context.Context, tx pgx.Tx, defs []string) error {
	if len(defs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('maintenance_work_mem', $1, true)`, bulkMaintenanceWorkMem); err != nil {
		return fmt.Errorf("postgis: import places: %w", err)
	}
	for _, def := range defs {
		if _, err := tx.Exec(ctx, def); err != nil {
			return fmt.Errorf("postgis: import places: rebuild index: %w", err)
		}
	}
	return nil
}

// importErr turns a foreign-key violation (a marker on a line that is neither stored nor in the batch) into bad input.
func importErr(what string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" {
		return apierr.Invalid{{Location: what, Field: "line_id", Reason: "no such boundary line: " + pe.Detail}}
	}
	return fmt.Errorf("postgis: import %s: %w", what, err)
}

// countInserted wraps an INSERT … RETURNING (xmax = 0) AS inserted into the two counts upsert.upsertSQL returns.
func countInserted(insert string) string {
	return `WITH u AS (` + insert + ` RETURNING (xmax = 0) AS inserted)
		SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM u`
}

// Import writes b in one transaction (all or nothing), upserting by natural key: division code, boundary line ID, marker
// number, place ID, facility ID, demand-unit code, in that order (divisions and lines before what refers to them). A
// record whose content (data.ContentHash) equals its latest version is left alone and counted Unchanged; every other
// record gets a new version (meta; Action "import" when empty) and an OK audit entry in the same transaction. A
// replaced place keeps CreatedAt, gets Version+1 and UpdatedAt = now; a new place gets Version 1 and CreatedAt =
// UpdatedAt = now. Facilities get Version 1 or +1 and UpdatedAt = now. With b.DryRun nothing is written.
//
// Errors, with nothing written: apierr.Invalid for an empty key or a marker whose line is neither in the batch nor in
// the store; apierr.ErrConflict for a key repeated within the batch. Options.ImportStatementTimeout bounds each statement.
func (s *Store) Import(ctx context.Context, b data.Batch, meta edit.Meta) (data.ImportStats, error) {
	if meta.Action == "" {
		meta.Action = "import"
	}
	return s.write(ctx, b, meta, writeOpts{merge: true})
}

// writeOpts adapt write to a single-record Put: guard runs first in the transaction (locks the record and checks its
// version), and force writes a version even when the content is unchanged. merge (imports) keeps a stored division's
// members that the batch leaves absent (data.MergeDivision).
type writeOpts struct {
	guard func(ctx context.Context, tx pgx.Tx) error
	force bool
	merge bool
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

func (s *Store) write(ctx context.Context, b data.Batch, meta edit.Meta, opts writeOpts) (data.ImportStats, error) {
	var st data.ImportStats
	if b.Len() == 0 {
		return st, nil
	}
	ctx = WithPrimary(ctx)
	if err := checkKeys(&b); err != nil {
		return st, err
	}
	at := now()
	if meta.Time.IsZero() {
		meta.Time = at
	}
	results := b.DryRun || b.Len() <= data.ResultsLimit
	var change tiles.Change
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		timeout := strconv.FormatInt(s.opts.ImportStatementTimeout.Milliseconds(), 10)
		if _, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', $1, true)`, timeout); err != nil {
			return fmt.Errorf("postgis: import: %w", err)
		}
		if opts.guard != nil {
			if err := opts.guard(ctx, tx); err != nil {
				return err
			}
		}
		if opts.merge {
			// Merged before the comparison, so that a file without polygons (divisions.csv) leaves them unchanged.
			if err := mergeDivisions(ctx, tx, &b); err != nil {
				return err
			}
		}
		// Compare with the latest versions: unchanged records leave the batch.
		w, rows, err := s.diffBatch(ctx, tx, &b, meta, at, opts.force, results, &st)
		if err != nil {
			return err
		}
		if b.DryRun {
			if err := checkMarkerLines(ctx, tx, &b); err != nil {
				return err
			}
			return errDryRun
		}
		if change, err = importChange(ctx, tx, w); err != nil {
			return err
		}
		if err := s.publishTiles(ctx, tx, change); err != nil { // delivered at commit, dropped if a step fails
			return err
		}
		for _, u := range importSteps(w) {
			var rebuild []string
			if u.bulk {
				var err error
				if rebuild, err = s.dropPlaceIndexesForBulk(ctx, tx, u.n); err != nil {
					return err
				}
			}
			if _, _, err := u.run(ctx, tx, at); err != nil {
				return err
			}
			if err := rebuildIndexes(ctx, tx, rebuild); err != nil {
				return err
			}
		}
		return copyVersions(ctx, tx, rows)
	})
	if errors.Is(err, errDryRun) {
		return st, nil
	}
	if err != nil {
		return data.ImportStats{}, err
	}
	s.committed(ctx)
	if len(change.Layers) == 0 {
		return st, nil
	}
	s.notifyTiles(change)
	// Fresh statistics, so that the first queries after a load get sane plans without waiting for autovacuum; after many
	// places also a VACUUM, whose visibility map lets counts (NumberMatched) use index-only scans (0.7 s → 0.08 s for a
	// million places). Best effort: the import is committed, and stale statistics only cost speed.
	var small []string
	for _, t := range []struct {
		name string
		n    int
	}{{"divisions", len(b.Divisions)}, {"boundary_lines", len(b.Lines)}, {"markers", len(b.Markers)},
		{"facilities", len(b.Facilities)}, {"demand_units", len(b.Demand)}} {
		if t.n > 0 {
			small = append(small, t.name)
		}
	}
	if len(small) > 0 && opts.guard == nil {
		_, _ = s.pool.Exec(ctx, `ANALYZE `+strings.Join(small, ", "))
	}
	if len(b.Places) >= analyzeAfter {
		_, _ = s.pool.Exec(ctx, `VACUUM (ANALYZE) places, versions`)
	}
	return st, nil
}

// mergeDivisions replaces b.Divisions (a new slice: the caller's batch is not changed) by data.MergeDivision of each
// with its stored row.
func mergeDivisions(ctx context.Context, tx pgx.Tx, b *data.Batch) error {
	if len(b.Divisions) == 0 {
		return nil
	}
	codes := keysOf(b.Divisions, func(d *gazetteer.Division) string { return d.Code })
	rows, err := tx.Query(ctx, `SELECT `+divisionCols+` FROM divisions WHERE code = ANY($1)`, codes)
	if err != nil {
		return fmt.Errorf("postgis: import divisions: %w", err)
	}
	stored := map[string]*gazetteer.Division{}
	for rows.Next() {
		d, err := scanDivision(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("postgis: import divisions: %w", err)
		}
		stored[d.Code] = &d
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgis: import divisions: %w", err)
	}
	merged := make([]gazetteer.Division, len(b.Divisions))
	for i, d := range b.Divisions {
		merged[i] = data.MergeDivision(stored[d.Code], d)
	}
	b.Divisions = merged
	return nil
}

// checkMarkerLines refuses, as the upsert's foreign key would, a marker whose line is neither in the batch nor stored.
func checkMarkerLines(ctx context.Context, tx pgx.Tx, b *data.Batch) error {
	in := map[string]bool{}
	for _, l := range b.Lines {
		in[l.ID] = true
	}
	for i, m := range b.Markers {
		if in[m.LineID] {
			continue
		}
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM boundary_lines WHERE id = $1)`, m.LineID).Scan(&ok); err != nil {
			return fmt.Errorf("postgis: import markers: %w", err)
		}
		if !ok {
			return apierr.Invalid{{Location: fmt.Sprintf("marker %d", i), Field: "line_id",
				Reason: fmt.Sprintf("marker %q refers to unknown boundary line %q", m.Number, m.LineID)}}
		}
		in[m.LineID] = true
	}
	return nil
}

// diffBatch compares every record of b with its latest version and returns the batch of those to write (stamped with
// their new Version, CreatedAt, UpdatedAt where the kind has them) and their versions; it counts and lists results in
// st.
func (s *Store) diffBatch(ctx context.Context, tx pgx.Tx, b *data.Batch, meta edit.Meta, at time.Time, force, results bool,
	st *data.ImportStats) (*data.Batch, []verRow, error) {
	w := &data.Batch{}
	var rows []verRow
	var err error
	exists := func(table, key string, ids []string) (map[string]time.Time, error) {
		out := map[string]time.Time{}
		if len(ids) == 0 {
			return out, nil
		}
		col := `NULL::timestamptz`
		if table == "places" {
			col = `created_at`
		}
		r, err := tx.Query(ctx, `SELECT `+key+`, `+col+` FROM `+table+` WHERE `+key+` = ANY($1)`, ids)
		if err != nil {
			return nil, fmt.Errorf("postgis: import %s: %w", table, err)
		}
		defer r.Close()
		for r.Next() {
			var k string
			var t *time.Time
			if err := r.Scan(&k, &t); err != nil {
				return nil, err
			}
			if t != nil {
				out[k] = t.UTC()
			} else {
				out[k] = time.Time{}
			}
		}
		return out, r.Err()
	}
	// one kind: keep appends the records to write to w.
	type kindPlan struct {
		kind  edit.Kind
		table string
		key   string
		ids   []string
		n     int
		rec   func(i int) any // pointer to a copy of record i, stamped by stamp
		stamp func(r any, v int64, created time.Time, existed bool)
		keep  func(r any)
	}
	plans := []kindPlan{
		{edit.KindDivision, "divisions", "code", keysOf(b.Divisions, func(d *gazetteer.Division) string { return d.Code }),
			len(b.Divisions), func(i int) any { d := b.Divisions[i]; return &d }, nil,
			func(r any) { w.Divisions = append(w.Divisions, *r.(*gazetteer.Division)) }},
		{edit.KindLine, "boundary_lines", "id", keysOf(b.Lines, func(l *gazetteer.BoundaryLine) string { return l.ID }),
			len(b.Lines), func(i int) any { l := b.Lines[i]; return &l }, nil,
			func(r any) { w.Lines = append(w.Lines, *r.(*gazetteer.BoundaryLine)) }},
		{edit.KindMarker, "markers", "number", keysOf(b.Markers, func(m *gazetteer.Marker) string { return m.Number }),
			len(b.Markers), func(i int) any { m := b.Markers[i]; return &m }, nil,
			func(r any) { w.Markers = append(w.Markers, *r.(*gazetteer.Marker)) }},
		{edit.KindPlace, "places", "id", keysOf(b.Places, func(p *gazetteer.Place) string { return p.ID }),
			len(b.Places), func(i int) any { p := b.Places[i]; return &p },
			func(r any, v int64, created time.Time, existed bool) {
				p := r.(*gazetteer.Place)
				p.Version, p.CreatedAt, p.UpdatedAt = v, at, at
				if existed {
					p.CreatedAt = created
				}
			},
			func(r any) { w.Places = append(w.Places, *r.(*gazetteer.Place)) }},
		{edit.KindFacility, "facilities", "id", keysOf(b.Facilities, func(f *facilities.Facility) string { return f.ID }),
			len(b.Facilities), func(i int) any { f := b.Facilities[i]; return &f },
			func(r any, v int64, _ time.Time, _ bool) {
				f := r.(*facilities.Facility)
				f.Version, f.UpdatedAt = v, at
			},
			func(r any) { w.Facilities = append(w.Facilities, *r.(*facilities.Facility)) }},
		{edit.KindDemand, "demand_units", "code", keysOf(b.Demand, func(d *facilities.DemandUnit) string { return d.Code }),
			len(b.Demand), func(i int) any { d := b.Demand[i]; return &d }, nil,
			func(r any) { w.Demand = append(w.Demand, *r.(*facilities.DemandUnit)) }},
	}
	for _, pl := range plans {
		if pl.n == 0 {
			continue
		}
		hs, err := heads(ctx, tx, pl.kind, pl.ids, b.DryRun)
		if err != nil {
			return nil, nil, err
		}
		ex, err := exists(pl.table, pl.key, pl.ids)
		if err != nil {
			return nil, nil, err
		}
		for i := 0; i < pl.n; i++ {
			r := pl.rec(i)
			id := pl.ids[i]
			h := hs[id]
			created, existed := ex[id]
			hash, err := data.ContentHash(r)
			if err != nil {
				return nil, nil, err
			}
			if existed && h.hash == hash && !force {
				st.Unchanged++
				if results {
					st.Results = append(st.Results, data.RecordResult{Kind: pl.kind, ID: id, Result: data.ResultUnchanged})
				}
				continue
			}
			v := h.version + 1
			if pl.stamp != nil {
				pl.stamp(r, v, created, existed)
			}
			doc, err := data.Document(r)
			if err != nil {
				return nil, nil, err
			}
			res := data.RecordResult{Kind: pl.kind, ID: id, Result: data.ResultCreated, Version: v}
			if existed {
				st.Updated++
				res.Result = data.ResultChanged
				if b.DryRun {
					res.Fields = data.ChangedFields(h.record, doc)
				}
			} else {
				st.Inserted++
			}
			if results {
				st.Results = append(st.Results, res)
			}
			pl.keep(r)
			rows = append(rows, verRow{kind: pl.kind, id: id, version: v, meta: meta, record: doc, hash: hash, before: h.hash})
		}
	}
	return w, rows, err
}

func importSteps(b *data.Batch) []*upsert {
	return []*upsert{
		divisionUpsert(b.Divisions),
		lineUpsert(b.Lines),
		markerUpsert(b.Markers),
		placeUpsert(b.Places),
		facilityUpsert(b.Facilities),
		demandUpsert(b.Demand),
	}
}

func divisionUpsert(ds []gazetteer.Division) *upsert {
	return &upsert{
		what: "divisions",
		tmp:  "import_divisions",
		tmpDDL: `code text, name text, level text, kind text, parent_code text, geom bytea, seat bytea, anchor bytea,
			tile_id bigint`,
		cols:    []string{"code", "name", "level", "kind", "parent_code", "geom", "seat", "anchor"},
		tileIDs: tileIDTarget{"divisions", "divisions", "code"},
		upsertSQL: countInserted(`
			INSERT INTO divisions AS d (code, name, level, kind, parent_code, geom, seat, anchor, tile_id)
			SELECT code, name, level, kind, parent_code, ST_GeomFromWKB(geom, 4490), ST_GeomFromWKB(seat, 4490),
				ST_GeomFromWKB(anchor, 4490), coalesce(tile_id, 0)
			FROM import_divisions
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, kind = EXCLUDED.kind,
				parent_code = EXCLUDED.parent_code, geom = EXCLUDED.geom, seat = EXCLUDED.seat, anchor = EXCLUDED.anchor`),
		n: len(ds),
		row: func(i int) ([]any, error) {
			d := &ds[i]
			geom, err := toWKB(d.Geometry)
			if err != nil {
				return nil, fmt.Errorf("division %q: %w", d.Code, err)
			}
			return []any{d.Code, d.Name, string(d.Level), d.Kind, d.ParentCode, geom, optPointWKB(d.Seat), anchorWKB(d)}, nil
		},
	}
}

// anchorWKB is the point a village-level unit is measured to in Locate: its geometry if that is a point, else its seat.
func anchorWKB(d *gazetteer.Division) []byte {
	if p, ok := d.Geometry.(orb.Point); ok {
		return pointWKB(p)
	}
	return optPointWKB(d.Seat)
}

func lineUpsert(ls []gazetteer.BoundaryLine) *upsert {
	return &upsert{
		what: "boundary lines",
		tmp:  "import_lines",
		tmpDDL: `id text, name text, left_code text, right_code text, right_name text, geom bytea, registered_length_m float8,
			tile_id bigint`,
		cols:    []string{"id", "name", "left_code", "right_code", "right_name", "geom", "registered_length_m"},
		tileIDs: tileIDTarget{"boundary_lines", "boundary_lines", "id"},
		upsertSQL: countInserted(`
			INSERT INTO boundary_lines AS l (id, name, left_code, right_code, right_name, geom, registered_length_m, tile_id)
			SELECT id, name, left_code, right_code, right_name, ST_GeomFromWKB(geom, 4490), registered_length_m,
				coalesce(tile_id, 0)
			FROM import_lines
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, left_code = EXCLUDED.left_code,
				right_code = EXCLUDED.right_code, right_name = EXCLUDED.right_name, geom = EXCLUDED.geom,
				registered_length_m = EXCLUDED.registered_length_m`),
		n: len(ls),
		row: func(i int) ([]any, error) {
			l := &ls[i]
			geom, err := toWKB(l.Geometry)
			if err != nil {
				return nil, fmt.Errorf("boundary line %q: %w", l.ID, err)
			}
			return []any{l.ID, l.Name, l.LeftCode, l.RightCode, l.RightName, geom, l.RegisteredLengthM}, nil
		},
	}
}

func markerUpsert(ms []gazetteer.Marker) *upsert {
	return &upsert{
		what: "markers",
		tmp:  "import_markers",
		tmpDDL: `number text, line_id text, type text, pair_letter text, material text, reg_crs text, reg_axis_order text,
			reg_first float8, reg_second float8, registered_year bigint, geom bytea, tile_id bigint`,
		cols: []string{"number", "line_id", "type", "pair_letter", "material", "reg_crs", "reg_axis_order", "reg_first",
			"reg_second", "registered_year", "geom"},
		tileIDs: tileIDTarget{"markers", "markers", "number"},
		upsertSQL: countInserted(`
			INSERT INTO markers AS m (number, line_id, type, pair_letter, material, reg_crs, reg_axis_order, reg_first,
				reg_second, registered_year, geom, tile_id)
			SELECT number, line_id, type, pair_letter, material, reg_crs, reg_axis_order, reg_first, reg_second,
				registered_year, ST_GeomFromWKB(geom, 4490), coalesce(tile_id, 0)
			FROM import_markers
			ON CONFLICT (number) DO UPDATE SET line_id = EXCLUDED.line_id, type = EXCLUDED.type,
				pair_letter = EXCLUDED.pair_letter, material = EXCLUDED.material, reg_crs = EXCLUDED.reg_crs,
				reg_axis_order = EXCLUDED.reg_axis_order, reg_first = EXCLUDED.reg_first, reg_second = EXCLUDED.reg_second,
				registered_year = EXCLUDED.registered_year, geom = EXCLUDED.geom`),
		n: len(ms),
		row: func(i int) ([]any, error) {
			m := &ms[i]
			r := &m.Registered
			return []any{m.Number, m.LineID, m.Type, m.PairLetter, m.Material, r.CRS, r.AxisOrder, r.First, r.Second,
				m.RegisteredYear, pointWKB(m.Position)}, nil
		},
	}
}

func placeUpsert(ps []gazetteer.Place) *upsert {
	return &upsert{
		what: "places",
		tmp:  "import_places",
		bulk: true,
		tmpDDL: `id text, name text, category text, status text, division_codes text[], division_prefixes text[],
			search_text text, geom bytea, doc jsonb, grid_x integer, grid_y integer, size_zoom smallint, tile_id bigint,
			version bigint`,
		cols: []string{"id", "name", "category", "status", "division_codes", "division_prefixes", "search_text", "geom",
			"doc", "grid_x", "grid_y", "size_zoom", "version"},
		tileIDs: tileIDTarget{"places", "places", "id"},
		upsertSQL: countInserted(`
			INSERT INTO places AS p (id, name, category, status, division_codes, division_prefixes, search_text, geom, doc,
				version, created_at, updated_at, grid_x, grid_y, size_zoom, tile_id)
			SELECT id, name, category, status, division_codes, division_prefixes, search_text, ST_GeomFromWKB(geom, 4490),
				doc, version, $1, $1, grid_x, grid_y, size_zoom, coalesce(tile_id, 0)
			FROM import_places
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category, status = EXCLUDED.status,
				division_codes = EXCLUDED.division_codes, division_prefixes = EXCLUDED.division_prefixes,
				search_text = EXCLUDED.search_text, geom = EXCLUDED.geom, doc = EXCLUDED.doc, version = EXCLUDED.version,
				updated_at = EXCLUDED.updated_at, grid_x = EXCLUDED.grid_x, grid_y = EXCLUDED.grid_y,
				size_zoom = EXCLUDED.size_zoom`),
		stamped: true,
		n:       len(ps),
		row: func(i int) ([]any, error) {
			args, err := placeArgs(&ps[i])
			return append(append(args, placeGridArgs(&ps[i])...), ps[i].Version), err
		},
	}
}

func facilityUpsert(fs []facilities.Facility) *upsert {
	return &upsert{
		what: "facilities",
		tmp:  "import_facilities",
		tmpDDL: `id text, name text, type text, status text, township_code text, capacity_beds bigint,
			capacity_meals_per_day bigint, smart_terminal boolean, attributes jsonb, geom bytea, grid_x integer,
			grid_y integer, tile_id bigint, version bigint`,
		cols: []string{"id", "name", "type", "status", "township_code", "capacity_beds", "capacity_meals_per_day",
			"smart_terminal", "attributes", "geom", "grid_x", "grid_y", "version"},
		tileIDs: tileIDTarget{"facilities", "facilities", "id"},
		upsertSQL: countInserted(`
			INSERT INTO facilities AS f (id, name, type, status, township_code, capacity_beds, capacity_meals_per_day,
				smart_terminal, attributes, geom, version, updated_at, grid_x, grid_y, tile_id)
			SELECT id, name, type, status, township_code, capacity_beds, capacity_meals_per_day, smart_terminal,
				attributes, ST_GeomFromWKB(geom, 4490), version, $1, grid_x, grid_y, coalesce(tile_id, 0)
			FROM import_facilities
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type, status = EXCLUDED.status,
				township_code = EXCLUDED.township_code, capacity_beds = EXCLUDED.capacity_beds,
				capacity_meals_per_day = EXCLUDED.capacity_meals_per_day, smart_terminal = EXCLUDED.smart_terminal,
				attributes = EXCLUDED.attributes, geom = EXCLUDED.geom, version = EXCLUDED.version,
				updated_at = EXCLUDED.updated_at, grid_x = EXCLUDED.grid_x, grid_y = EXCLUDED.grid_y`),
		stamped: true,
		n:       len(fs),
		row: func(i int) ([]any, error) {
			f := &fs[i]
			attrs, err := attributesJSON(f.Attributes)
			if err != nil {
				return nil, fmt.Errorf("facility %q: attributes: %w", f.ID, err)
			}
			x, y := tiles.Anchor(f.Location.Bound())
			return []any{f.ID, f.Name, f.Type, f.Status, f.TownshipCode, f.CapacityBeds, f.CapacityMealsPerDay,
				f.SmartTerminal, attrs, pointWKB(f.Location), x, y, f.Version}, nil
		},
	}
}

func demandUpsert(ds []facilities.DemandUnit) *upsert {
	return &upsert{
		what:    "demand units",
		tmp:     "import_demand",
		tmpDDL:  `code text, name text, township_code text, elderly_population bigint, geom bytea, tile_id bigint`,
		cols:    []string{"code", "name", "township_code", "elderly_population", "geom"},
		tileIDs: tileIDTarget{"demand", "demand_units", "code"},
		upsertSQL: countInserted(`
			INSERT INTO demand_units AS d (code, name, township_code, elderly_population, geom, tile_id)
			SELECT code, name, township_code, elderly_population, ST_GeomFromWKB(geom, 4490), coalesce(tile_id, 0)
			FROM import_demand
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, township_code = EXCLUDED.township_code,
				elderly_population = EXCLUDED.elderly_population, geom = EXCLUDED.geom`),
		n: len(ds),
		row: func(i int) ([]any, error) {
			d := &ds[i]
			return []any{d.Code, d.Name, d.TownshipCode, d.ElderlyPopulation, pointWKB(d.Location)}, nil
		},
	}
}
