package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"civmap/data"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/jsonx"
	"civmap/tiles"
)

// ---- divisions ----------------------------------------------------------------------------------------------------------

const divisionCols = `code, name, level, kind, parent_code, ST_AsBinary(geom), ST_AsBinary(seat)`

func scanDivision(row pgx.Row) (gazetteer.Division, error) {
	var d gazetteer.Division
	var geom, seat []byte
	if err := row.Scan(&d.Code, &d.Name, &d.Level, &d.Kind, &d.ParentCode, &geom, &seat); err != nil {
		return d, err
	}
	var err error
	if d.Geometry, err = fromWKB(geom); err != nil {
		return d, err
	}
	if seat != nil {
		p, err := pointFromWKB(seat)
		if err != nil {
			return d, err
		}
		d.Seat = &p
	}
	return d, nil
}

// Division returns one division by code, or apierr.ErrNotFound.
func (s *Store) Division(ctx context.Context, code string) (gazetteer.Division, error) {
	d, err := scanDivision(s.read(ctx).QueryRow(ctx, `SELECT `+divisionCols+` FROM divisions WHERE code = $1`, code))
	if err != nil {
		return d, noRows(err, fmt.Errorf("division %q: %w", code, apierr.ErrNotFound), "division")
	}
	return d, nil
}

// Divisions lists the divisions matching q, ordered by code (byte order).
func (s *Store) Divisions(ctx context.Context, q gazetteer.DivisionQuery) ([]gazetteer.Division, error) {
	var w where
	if q.Level != "" {
		w.add(`level = ?`, string(q.Level))
	}
	if q.Parent != "" {
		w.add(`parent_code = ?`, q.Parent)
	}
	rows, err := s.read(ctx).Query(ctx, `SELECT `+divisionCols+` FROM divisions`+w.sql()+` ORDER BY code COLLATE "C"`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("postgis: divisions: %w", err)
	}
	out, err := collect(rows, scanDivision)
	if err != nil {
		return nil, fmt.Errorf("postgis: divisions: %w", err)
	}
	return out, nil
}

// ---- places -------------------------------------------------------------------------------------------------------------

// placeDoc is what places.doc holds: the Place as JSON without the fields that are columns. The outer fields shadow the
// embedded Place's fields of the same JSON name and, being nil, are omitted; a field added to Place later is kept in doc
// without a schema change.
type placeDoc struct {
	*gazetteer.Place
	ID            *struct{} `json:"id,omitempty"`
	Name          *struct{} `json:"name,omitempty"`
	Category      *struct{} `json:"category,omitempty"`
	Status        *struct{} `json:"status,omitempty"`
	DivisionCodes *struct{} `json:"division_codes,omitempty"`
	Version       *struct{} `json:"version,omitempty"`
	CreatedAt     *struct{} `json:"created_at,omitempty"`
	UpdatedAt     *struct{} `json:"updated_at,omitempty"`
	// LabelPoint is where the places tile layer labels an area place (tiles.LabelPoint, lon/lat), computed here at
	// every write so that the tile SQL draws the very point the embedded store computes; not part of the Place.
	LabelPoint *[2]float64 `json:"label_point,omitempty"`
}

func placeDocJSON(p *gazetteer.Place) ([]byte, error) {
	d := placeDoc{Place: p}
	if lp, ok := tiles.LabelPoint(p.Geometry); ok {
		d.LabelPoint = &[2]float64{lp[0], lp[1]}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("place %q: encode: %w", p.ID, err)
	}
	return b, nil
}

// codesArg stores an empty list as NULL (read back as nil, as JSON's omitempty does in the embedded store).
func codesArg(codes []string) any {
	if len(codes) == 0 {
		return nil
	}
	return codes
}

const placeCols = `id, name, category, status, division_codes, ST_AsBinary(geom), doc, version, created_at, updated_at`

func scanPlace(row pgx.Row) (gazetteer.Place, error) {
	var p gazetteer.Place
	var geom, doc []byte
	if err := row.Scan(&p.ID, &p.Name, &p.Category, &p.Status, &p.DivisionCodes, &geom, &doc, &p.Version,
		&p.CreatedAt, &p.UpdatedAt); err != nil {
		return p, err
	}
	if err := jsonx.Unmarshal(doc, &placeDoc{Place: &p}); err != nil {
		return p, fmt.Errorf("place %q: decode doc: %w", p.ID, err)
	}
	if len(p.DivisionCodes) == 0 {
		p.DivisionCodes = nil
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	var err error
	p.Geometry, err = fromWKB(geom)
	return p, err
}

// Place returns the current version of one place, or apierr.ErrNotFound.
func (s *Store) Place(ctx context.Context, id string) (gazetteer.Place, error) {
	p, err := scanPlace(s.read(ctx).QueryRow(ctx, `SELECT `+placeCols+` FROM places WHERE id = $1`, id))
	if err != nil {
		return p, noRows(err, fmt.Errorf("place %q: %w", id, apierr.ErrNotFound), "place")
	}
	return p, nil
}

// likeContains is a LIKE pattern matching s as a literal substring (%, _ and the escape \ in s are escaped).
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// where accumulates SQL conditions with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// add appends cond, where each "?" is replaced by the next parameter number, binding args in order.
func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' && i < len(args) {
			w.args = append(w.args, args[i])
			i++
			b.WriteString("$" + strconv.Itoa(len(w.args)))
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page appends LIMIT/OFFSET; a Limit ≤ 0 means no limit.
func (w *where) page(limit, offset int) string {
	var b strings.Builder
	if limit > 0 {
		w.args = append(w.args, limit)
		b.WriteString(" LIMIT $" + strconv.Itoa(len(w.args)))
	}
	if offset > 0 {
		w.args = append(w.args, offset)
		b.WriteString(" OFFSET $" + strconv.Itoa(len(w.args)))
	}
	return b.String()
}

// bboxCond filters rows whose geometry's bound intersects [minx, miny, maxx, maxy] (edges included). && uses the GiST
// index but compares float4-rounded boxes, so the exact bound (ST_XMin etc. on the doubles) decides.
const bboxCond = `geom && ST_MakeEnvelope(?, ?, ?, ?, 4490)
	AND ST_XMax(geom) >= ? AND ST_XMin(geom) <= ? AND ST_YMax(geom) >= ? AND ST_YMin(geom) <= ?`

// Places lists the places matching q (see gazetteer.PlaceQuery), ordered by ID in byte order; Limit ≤ 0 means all.
// NumberMatched and the page are read in one snapshot.
func (s *Store) Places(ctx context.Context, q gazetteer.PlaceQuery) (gazetteer.PlacePage, error) {
	var w where
	if fq := gazetteer.FoldQuery(q.Q); fq != "" {
		w.add(`search_text LIKE ? ESCAPE '\'`, likeContains(fq))
	}
	if b := q.BBox; b != nil {
		w.add(bboxCond, b.Min[0], b.Min[1], b.Max[0], b.Max[1], b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	}
	if q.Division != "" {
		if prefixIndexed(q.Division) {
			w.add(`division_prefixes @> ARRAY[?::text]`, q.Division)
		} else {
			w.add(`EXISTS (SELECT 1 FROM unnest(division_codes) c WHERE starts_with(c, ?))`, q.Division)
		}
	}
	if q.Category != "" {
		w.add(`category = ?`, q.Category)
	}
	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = []string{gazetteer.StatusCurrent, gazetteer.StatusHistorical}
	}
	w.add(`status = ANY(?)`, statuses)

	items, n, err := queryPage(ctx, s.read(ctx), "places", placeCols, &w, q.Limit, q.Offset, scanPlace)
	if err != nil {
		return gazetteer.PlacePage{}, fmt.Errorf("postgis: places: %w", err)
	}
	return gazetteer.PlacePage{Items: items, NumberMatched: n}, nil
}

// queryPage counts the rows of table that w selects and reads one page of them ordered by id in byte order, both in
// one read-only repeatable-read transaction so that the count and the page agree. A read without a limit (the whole
// table: loading the search index, the coverage engine's facilities) grows with the data, not with a request, so it
// runs without Options.StatementTimeout (5.5 M places take longer than its 30 s); ctx still bounds it.
func queryPage[T any](ctx context.Context, pool txStarter, table, cols string, w *where, limit, offset int,
	scan func(pgx.Row) (T, error)) ([]T, int, error) {
	filter := w.sql()
	countArgs := append([]any(nil), w.args...)
	pageSQL := `SELECT ` + cols + ` FROM ` + table + filter + ` ORDER BY id COLLATE "C"` + w.page(limit, offset)
	var items []T
	var matched int
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			if limit <= 0 {
				if _, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', '0', true)`); err != nil {
					return err
				}
			}
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table+filter, countArgs...).Scan(&matched); err != nil {
				return err
			}
			if matched <= offset && offset > 0 {
				return nil
			}
			rows, err := tx.Query(ctx, pageSQL, w.args...)
			if err != nil {
				return err
			}
			items, err = collect(rows, scan)
			return err
		})
	return items, matched, err
}

// placeArgs are the values of the place columns written by CreatePlace and UpdatePlace, in placeWriteCols order
// ($1..$8; geometry as WKB).
func placeArgs(p *gazetteer.Place) ([]any, error) {
	doc, err := placeDocJSON(p)
	if err != nil {
		return nil, err
	}
	geom, err := toWKB(p.Geometry)
	if err != nil {
		return nil, fmt.Errorf("place %q: %w", p.ID, err)
	}
	return []any{p.ID, p.Name, p.Category, p.Status, codesArg(p.DivisionCodes), divisionPrefixes(p.DivisionCodes),
		gazetteer.SearchText(p), geom, doc}, nil
}

// CreatePlace stores a new place with Version 1 and CreatedAt = UpdatedAt = now (apierr.ErrConflict if the ID exists).
func (s *Store) CreatePlace(ctx context.Context, p gazetteer.Place, meta edit.Meta) (gazetteer.Place, error) {
	p.Version, p.CreatedAt = 1, now()
	p.UpdatedAt = p.CreatedAt
	args, err := placeArgs(&p)
	if err != nil {
		return gazetteer.Place{}, err
	}
	change := placeChange(nil, p.Geometry)
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		tileID, err := nextTileID(ctx, tx, "places") // rolled back with the insert if the ID exists
		if err != nil {
			return fmt.Errorf("postgis: create place %q: %w", p.ID, err)
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO places (id, name, category, status, division_codes, division_prefixes, search_text, geom, doc,
				version, created_at, updated_at, tile_id, grid_x, grid_y, size_zoom)
			VALUES ($1, $2, $3, $4, $5, $6, $7, ST_GeomFromWKB($8, 4490), $9, $10, $11, $11, $12, $13, $14, $15)
			ON CONFLICT (id) DO NOTHING`, append(append(args, p.Version, p.CreatedAt, tileID), placeGridArgs(&p)...)...)
		if err != nil {
			return fmt.Errorf("postgis: create place %q: %w", p.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("place %q: %w", p.ID, apierr.ErrConflict)
		}
		if err := appendPlaceVersion(ctx, tx, &p, meta); err != nil {
			return err
		}
		return s.publishTiles(ctx, tx, change)
	})
	if err != nil {
		return gazetteer.Place{}, err
	}
	s.committed(ctx)
	s.notifyTiles(change)
	return p, nil
}

// UpdatePlace replaces a place whose current version is expectVersion (else apierr.ErrVersionMismatch; apierr.ErrNotFound
// if absent): the old version goes to the history, Version+1, CreatedAt kept, UpdatedAt = now.
func (s *Store) UpdatePlace(ctx context.Context, p gazetteer.Place, expectVersion int64, meta edit.Meta) (gazetteer.Place, error) {
	p.UpdatedAt = now()
	args, err := placeArgs(&p)
	if err != nil {
		return gazetteer.Place{}, err
	}
	var oldBox []float64 // the replaced geometry's bound, for the tile cache
	change := func() tiles.Change { return placeChange(boxBound(oldBox), p.Geometry) }
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var version int64
		if err := tx.QueryRow(ctx, `SELECT version, created_at, `+boxSQL("geom")+` FROM places WHERE id = $1 FOR UPDATE`, p.ID).
			Scan(&version, &p.CreatedAt, &oldBox); err != nil {
			return noRows(err, fmt.Errorf("place %q: %w", p.ID, apierr.ErrNotFound), "update place")
		}
		if version != expectVersion {
			return fmt.Errorf("place %q is at version %d, not %d: %w", p.ID, version, expectVersion, apierr.ErrVersionMismatch)
		}
		// The row is locked at expectVersion, so the new version and its document are known before the UPDATE: the
		// UPDATE, the version with its audit entry and the tile notification go to the server in one round trip.
		p.Version, p.CreatedAt = version+1, p.CreatedAt.UTC()
		batch := &pgx.Batch{}
		batch.Queue(`
			UPDATE places SET name = $2, category = $3, status = $4, division_codes = $5, division_prefixes = $6,
				search_text = $7, geom = ST_GeomFromWKB($8, 4490), doc = $9, version = version + 1, updated_at = $10,
				grid_x = $11, grid_y = $12, size_zoom = $13
			WHERE id = $1`, append(append(args, p.UpdatedAt), placeGridArgs(&p)...)...)
		if s.bench != benchBare {
			v, err := placeVersionRow(&p, meta)
			if err != nil {
				return err
			}
			sql, vargs := `INSERT INTO versions (kind, id, version, meta, record, hash) VALUES ($1, $2, $3, $4, $5::json, $6)`, []any(nil)
			if s.bench == benchNoAudit {
				m, err := json.Marshal(v.meta)
				if err != nil {
					return err
				}
				vargs = []any{string(v.kind), v.id, v.version, m, string(v.record), v.hash}
			} else if sql, vargs, err = appendVersionSQL(v); err != nil {
				return err
			}
			batch.Queue(sql, vargs...)
		}
		notify := len(change().Layers) > 0
		if notify {
			batch.Queue(`SELECT pg_notify($1, $2)`, notifyChannel, notifyPayload(s.originID(), change()))
		}
		br := tx.SendBatch(ctx, batch)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("postgis: update place %q: %w", p.ID, err)
		}
		if s.bench != benchBare {
			if _, err := br.Exec(); err != nil {
				return versionErr(edit.KindPlace, p.ID, err)
			}
		}
		if notify {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("postgis: notify %s: %w", notifyChannel, err)
			}
		}
		return br.Close()
	})
	if err != nil {
		return gazetteer.Place{}, err
	}
	s.committed(ctx)
	s.notifyTiles(change())
	return p, nil
}

// appendPlaceVersion records p as its version p.Version, with its audit entry, in tx.
func appendPlaceVersion(ctx context.Context, tx pgx.Tx, p *gazetteer.Place, meta edit.Meta) error {
	v, err := placeVersionRow(p, meta)
	if err != nil {
		return err
	}
	return appendVersion(ctx, tx, v)
}

// placeVersionRow is the version row of p as its version p.Version: its document, content hash and meta (time p's
// UpdatedAt when unset).
func placeVersionRow(p *gazetteer.Place, meta edit.Meta) (verRow, error) {
	doc, hash, err := data.DocumentAndHash(p)
	if err != nil {
		return verRow{}, err
	}
	if meta.Time.IsZero() {
		meta.Time = p.UpdatedAt
	}
	return verRow{kind: edit.KindPlace, id: p.ID, version: p.Version, meta: meta, record: doc, hash: hash}, nil
}

// ---- boundary lines and markers -----------------------------------------------------------------------------------------

const lineCols = `id, name, left_code, right_code, right_name, ST_AsBinary(geom), registered_length_m`

func scanLine(row pgx.Row) (gazetteer.BoundaryLine, error) {
	var l gazetteer.BoundaryLine
	var geom []byte
	if err := row.Scan(&l.ID, &l.Name, &l.LeftCode, &l.RightCode, &l.RightName, &geom, &l.RegisteredLengthM); err != nil {
		return l, err
	}
	var err error
	l.Geometry, err = fromWKB(geom)
	return l, err
}

// BoundaryLines lists the boundary lines ordered by ID (byte order).
func (s *Store) BoundaryLines(ctx context.Context) ([]gazetteer.BoundaryLine, error) {
	rows, err := s.read(ctx).Query(ctx, `SELECT `+lineCols+` FROM boundary_lines ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgis: boundary lines: %w", err)
	}
	out, err := collect(rows, scanLine)
	if err != nil {
		return nil, fmt.Errorf("postgis: boundary lines: %w", err)
	}
	return out, nil
}

// BoundaryLine returns one boundary line, or apierr.ErrNotFound.
func (s *Store) BoundaryLine(ctx context.Context, id string) (gazetteer.BoundaryLine, error) {
	l, err := scanLine(s.read(ctx).QueryRow(ctx, `SELECT `+lineCols+` FROM boundary_lines WHERE id = $1`, id))
	if err != nil {
		return l, noRows(err, fmt.Errorf("boundary line %q: %w", id, apierr.ErrNotFound), "boundary line")
	}
	return l, nil
}

const markerCols = `number, line_id, type, pair_letter, material, reg_crs, reg_axis_order, reg_first, reg_second,
	registered_year, ST_AsBinary(geom)`

func scanMarker(row pgx.Row) (gazetteer.Marker, error) {
	var m gazetteer.Marker
	var geom []byte
	if err := row.Scan(&m.Number, &m.LineID, &m.Type, &m.PairLetter, &m.Material, &m.Registered.CRS,
		&m.Registered.AxisOrder, &m.Registered.First, &m.Registered.Second, &m.RegisteredYear, &geom); err != nil {
		return m, err
	}
	var err error
	m.Position, err = pointFromWKB(geom)
	return m, err
}

// Markers lists a line's markers ordered by number (byte order), or apierr.ErrNotFound if the line does not exist.
func (s *Store) Markers(ctx context.Context, lineID string) ([]gazetteer.Marker, error) {
	var out []gazetteer.Marker
	err := pgx.BeginTxFunc(ctx, s.read(ctx), pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM boundary_lines WHERE id = $1)`, lineID).
				Scan(&exists); err != nil {
				return fmt.Errorf("postgis: markers: %w", err)
			}
			if !exists {
				return fmt.Errorf("boundary line %q: %w", lineID, apierr.ErrNotFound)
			}
			rows, err := tx.Query(ctx, `SELECT `+markerCols+`
				FROM markers WHERE line_id = $1 ORDER BY number COLLATE "C"`, lineID)
			if err != nil {
				return fmt.Errorf("postgis: markers: %w", err)
			}
			if out, err = collect(rows, scanMarker); err != nil {
				return fmt.Errorf("postgis: markers: %w", err)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
