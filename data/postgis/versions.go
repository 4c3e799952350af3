package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"civmap/data"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// verRow is one version to append, with the content hash of the version before it (for the audit entry).
type verRow struct {
	kind    edit.Kind
	id      string
	version int64
	meta    edit.Meta
	record  []byte // nil: a delete
	hash    string
	before  string
}

func auditStatus(action string) int {
	if action == "create" {
		return 201
	}
	return 200
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// appendVersion appends one version and its OK audit entry in one statement; the before hash is the latest stored
// version's.
func appendVersion(ctx context.Context, tx pgx.Tx, v verRow) error {
	sql, args, err := appendVersionSQL(v)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, sql, args...)
	return versionErr(v.kind, v.id, err)
}

// appendVersionSQL is appendVersion's statement and arguments, for a caller that pipelines it with others (pgx.Batch).
func appendVersionSQL(v verRow) (string, []any, error) {
	if v.meta.Time.IsZero() {
		v.meta.Time = now()
	}
	meta, err := json.Marshal(v.meta)
	if err != nil {
		return "", nil, err
	}
	var rec any
	if v.record != nil {
		rec = string(v.record)
	}
	m := v.meta
	return `
		WITH b AS (SELECT coalesce((SELECT hash FROM versions WHERE kind = $1 AND id = $2 ORDER BY version DESC LIMIT 1), '') AS h),
		v AS (INSERT INTO versions (kind, id, version, meta, record, hash) VALUES ($1, $2, $3, $4, $5::json, $6))
		INSERT INTO audit (time, actor, role, action, outcome, status, kind, target_id, version, request_id, client_addr,
			before_hash, after_hash, message)
		SELECT $7, $8, $9, $10, 'ok', $11, $1, $2, $3, $12, $13, b.h, $6, $14 FROM b`,
		[]any{string(v.kind), v.id, v.version, meta, rec, v.hash, m.Time, m.Actor, string(m.Role), m.Action,
			auditStatus(m.Action), m.RequestID, m.ClientAddr, cut(m.Reason, edit.MaxReason)}, nil
}

// versionErr maps a unique violation on versions (a concurrent write made the same version first) to a conflict.
func versionErr(kind edit.Kind, id string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%s %q was written concurrently; GET it again and retry: %w", kind, id, apierr.ErrVersionMismatch)
	}
	if err != nil {
		return fmt.Errorf("postgis: append version of %s %q: %w", kind, id, err)
	}
	return nil
}

// copyVersions appends many versions and their audit entries (an import), with COPY.
func copyVersions(ctx context.Context, tx pgx.Tx, rows []verRow) error {
	if len(rows) == 0 {
		return nil
	}
	i := 0
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"versions"}, []string{"kind", "id", "version", "meta", "record", "hash"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(rows) {
				return nil, nil
			}
			r := &rows[i]
			i++
			meta, err := json.Marshal(r.meta)
			if err != nil {
				return nil, err
			}
			var rec any
			if r.record != nil {
				rec = json.RawMessage(r.record)
			}
			return []any{string(r.kind), r.id, r.version, json.RawMessage(meta), rec, r.hash}, nil
		}))
	if err != nil {
		return versionErr("records", "of the import", err)
	}
	i = 0
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"audit"}, []string{"time", "actor", "role", "action", "outcome", "status",
		"kind", "target_id", "version", "request_id", "client_addr", "before_hash", "after_hash", "message"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(rows) {
				return nil, nil
			}
			r := &rows[i]
			i++
			m := r.meta
			return []any{m.Time, m.Actor, string(m.Role), m.Action, edit.OutcomeOK, auditStatus(m.Action), string(r.kind),
				r.id, r.version, m.RequestID, m.ClientAddr, r.before, r.hash, cut(m.Reason, edit.MaxReason)}, nil
		}))
	if err != nil {
		return fmt.Errorf("postgis: import audit: %w", err)
	}
	return nil
}

// headInfo is the latest version of a record: number, content hash and (when asked) its document.
type headInfo struct {
	version int64
	hash    string
	record  []byte
}

// heads reads the latest version of each id of kind.
func heads(ctx context.Context, tx pgx.Tx, kind edit.Kind, ids []string, withRecord bool) (map[string]headInfo, error) {
	out := make(map[string]headInfo, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rec := `NULL::text`
	if withRecord {
		rec = `record::text`
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT ON (id) id, version, hash, `+rec+` FROM versions
		WHERE kind = $1 AND id = ANY($2) ORDER BY id, version DESC`, string(kind), ids)
	if err != nil {
		return nil, fmt.Errorf("postgis: versions of %s: %w", kind, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var h headInfo
		var r *string
		if err := rows.Scan(&id, &h.version, &h.hash, &r); err != nil {
			return nil, err
		}
		if r != nil {
			h.record = []byte(*r)
		}
		out[id] = h
	}
	return out, rows.Err()
}

const versionCols = `kind, id, version, meta, record::text`

func scanVersion(row pgx.Row) (edit.Version, error) {
	var v edit.Version
	var kind string
	var meta []byte
	var rec *string
	if err := row.Scan(&kind, &v.ID, &v.Version, &meta, &rec); err != nil {
		return v, err
	}
	v.Kind = edit.Kind(kind)
	if err := json.Unmarshal(meta, &v.Meta); err != nil {
		return v, fmt.Errorf("version meta: %w", err)
	}
	v.Meta.Time = v.Meta.Time.UTC()
	v.Record = json.RawMessage("null")
	if rec != nil {
		v.Record = json.RawMessage(*rec)
	}
	return v, nil
}

// History returns every version of a record, oldest first, or apierr.ErrNotFound.
func (s *Store) History(ctx context.Context, kind edit.Kind, id string) ([]edit.Version, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+versionCols+` FROM versions WHERE kind = $1 AND id = $2 ORDER BY version`,
		string(kind), id)
	if err != nil {
		return nil, fmt.Errorf("postgis: history: %w", err)
	}
	out, err := collect(rows, scanVersion)
	if err != nil {
		return nil, fmt.Errorf("postgis: history: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s %q has no history: %w", kind, id, apierr.ErrNotFound)
	}
	return out, nil
}

// Current returns the latest version of a record, or apierr.ErrNotFound when it has none or was deleted.
func (s *Store) Current(ctx context.Context, kind edit.Kind, id string) (edit.Version, error) {
	v, err := scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionCols+` FROM versions WHERE kind = $1 AND id = $2
		ORDER BY version DESC LIMIT 1`, string(kind), id))
	if err != nil {
		return v, noRows(err, fmt.Errorf("%s %q: %w", kind, id, apierr.ErrNotFound), "current version")
	}
	if v.Deleted() {
		return edit.Version{}, fmt.Errorf("%s %q was deleted (version %d): %w", kind, id, v.Version, apierr.ErrNotFound)
	}
	return v, nil
}

// AppendAudit appends one entry; Seq is assigned by the database and Time, when zero, by the store.
func (s *Store) AppendAudit(ctx context.Context, e edit.AuditEntry) error {
	if e.Time.IsZero() {
		e.Time = now()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (time, actor, role, action, outcome, status, kind, target_id, version,
			request_id, client_addr, before_hash, after_hash, message)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		e.Time, e.Actor, string(e.Role), e.Action, e.Outcome, e.Status, string(e.Kind), e.TargetID, e.Version, e.RequestID,
		e.ClientAddr, e.BeforeHash, e.AfterHash, e.Message)
	if err != nil {
		return fmt.Errorf("postgis: append audit: %w", err)
	}
	return nil
}

// Audit lists the entries matching q in Seq order, paged (Limit <= 0: no limit).
func (s *Store) Audit(ctx context.Context, q edit.AuditQuery) (edit.AuditPage, error) {
	var w where
	if q.Actor != "" {
		w.add(`actor = ?`, q.Actor)
	}
	if q.Target != "" {
		w.add(`target_id = ?`, q.Target)
	}
	if !q.Since.IsZero() {
		w.add(`time >= ?`, q.Since)
	}
	if !q.Until.IsZero() {
		w.add(`time < ?`, q.Until)
	}
	filter := w.sql()
	countArgs := append([]any(nil), w.args...)
	pageSQL := `SELECT seq, time, actor, role, action, outcome, status, kind, target_id, version, request_id, client_addr,
		before_hash, after_hash, message FROM audit` + filter + ` ORDER BY seq` + w.page(q.Limit, max(q.Offset, 0))
	var page edit.AuditPage
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit`+filter, countArgs...).Scan(&page.NumberMatched); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, pageSQL, w.args...)
			if err != nil {
				return err
			}
			page.Items, err = collect(rows, func(row pgx.Row) (edit.AuditEntry, error) {
				var e edit.AuditEntry
				var role, kind string
				err := row.Scan(&e.Seq, &e.Time, &e.Actor, &role, &e.Action, &e.Outcome, &e.Status, &kind, &e.TargetID,
					&e.Version, &e.RequestID, &e.ClientAddr, &e.BeforeHash, &e.AfterHash, &e.Message)
				e.Role, e.Kind, e.Time = edit.Role(role), edit.Kind(kind), e.Time.UTC()
				return e, err
			})
			return err
		})
	if err != nil {
		return edit.AuditPage{}, fmt.Errorf("postgis: audit: %w", err)
	}
	return page, nil
}

// backfillVersions gives every record written before migration 00004 its versions, once (store_upgrades
// "versions"): a place its superseded versions from place_versions (then emptied) and its current one, any other
// record version 1 (a facility its stored Version), with actor "system" and action "migrate".
func (s *Store) backfillVersions(ctx context.Context) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		// Open's own work: not bound by the statement timeout of reads (a large store takes a while, once).
		if _, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', '0', true)`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(4490004)`); err != nil {
			return err
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM store_upgrades WHERE name = 'versions')`).
			Scan(&done); err != nil {
			return fmt.Errorf("postgis: backfill versions: %w", err)
		}
		if done {
			return nil
		}
		meta := edit.Meta{Actor: "system", Action: "migrate", Reason: "migration 00004: versions of every record",
			Time: now()}
		var rows []verRow
		add := func(kind edit.Kind, id string, v int64, rec any) error {
			doc, hash, err := data.DocumentAndHash(rec)
			if err != nil {
				return err
			}
			before := ""
			if n := len(rows); n > 0 && rows[n-1].kind == kind && rows[n-1].id == id {
				before = rows[n-1].hash
			}
			rows = append(rows, verRow{kind: kind, id: id, version: v, meta: meta, record: doc, hash: hash, before: before})
			return nil
		}
		scanAll := func(sql string, each func(pgx.Row) error) error {
			r, err := tx.Query(ctx, sql)
			if err != nil {
				return err
			}
			defer r.Close()
			for r.Next() {
				if err := each(r); err != nil {
					return err
				}
			}
			return r.Err()
		}
		steps := []struct {
			sql  string
			each func(pgx.Row) error
		}{
			{`SELECT ` + divisionCols + ` FROM divisions ORDER BY code`, func(r pgx.Row) error {
				d, err := scanDivision(r)
				if err != nil {
					return err
				}
				return add(edit.KindDivision, d.Code, 1, &d)
			}},
			{`SELECT ` + placeCols + ` FROM (SELECT id, name, category, status, division_codes, geom, doc, version,
					created_at, updated_at FROM place_versions UNION ALL SELECT id, name, category, status, division_codes,
					geom, doc, version, created_at, updated_at FROM places) v ORDER BY id, version`, func(r pgx.Row) error {
				p, err := scanPlace(r)
				if err != nil {
					return err
				}
				return add(edit.KindPlace, p.ID, p.Version, &p)
			}},
			{`SELECT ` + lineCols + ` FROM boundary_lines ORDER BY id`, func(r pgx.Row) error {
				l, err := scanLine(r)
				if err != nil {
					return err
				}
				return add(edit.KindLine, l.ID, 1, &l)
			}},
			{`SELECT ` + markerCols + ` FROM markers ORDER BY number`, func(r pgx.Row) error {
				m, err := scanMarker(r)
				if err != nil {
					return err
				}
				return add(edit.KindMarker, m.Number, 1, &m)
			}},
			{`SELECT ` + facilityCols + ` FROM facilities ORDER BY id`, func(r pgx.Row) error {
				f, err := scanFacility(r)
				if err != nil {
					return err
				}
				return add(edit.KindFacility, f.ID, max(f.Version, 1), &f)
			}},
			{`SELECT ` + demandCols + ` FROM demand_units ORDER BY code`, func(r pgx.Row) error {
				d, err := scanDemand(r)
				if err != nil {
					return err
				}
				return add(edit.KindDemand, d.Code, 1, &d)
			}},
		}
		for _, st := range steps {
			if err := scanAll(st.sql, st.each); err != nil {
				return fmt.Errorf("postgis: backfill versions: %w", err)
			}
		}
		if err := copyVersions(ctx, tx, rows); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM place_versions; INSERT INTO store_upgrades (name) VALUES ('versions')`); err != nil {
			return fmt.Errorf("postgis: backfill versions: %w", err)
		}
		return nil
	})
}

// keysOf returns the keys of recs.
func keysOf[T any](recs []T, key func(*T) string) []string {
	out := make([]string, len(recs))
	for i := range recs {
		out[i] = key(&recs[i])
	}
	return out
}

// benchMode is what UpdatePlace leaves out, for BenchmarkEditPlace's baselines: benchNoAudit writes the version but
// no audit entry (a no-op audit), benchBare neither version nor audit entry (the bare write of the record).
type benchMode int

const (
	benchFull benchMode = iota
	benchNoAudit
	benchBare
)

// EachVersion calls fn with every stored version, grouped by record and oldest first within one (data.Store), from one
// query in primary-key order.
func (s *Store) EachVersion(ctx context.Context, fn func(edit.Version) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+versionCols+` FROM versions ORDER BY kind, id, version`)
	if err != nil {
		return fmt.Errorf("postgis: versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return fmt.Errorf("postgis: versions: %w", err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}
