package postgis

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"civmap/data"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// Doc returns the current document kind/id (edit.DocStore).
func (s *Store) Doc(ctx context.Context, kind edit.Kind, id string) (edit.Doc, error) {
	d := edit.Doc{Kind: kind, ID: id}
	var body string
	err := s.read(ctx).QueryRow(ctx, `SELECT version, updated_at, body::text FROM docs WHERE kind = $1 AND id = $2`,
		string(kind), id).Scan(&d.Version, &d.UpdatedAt, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, data.NotFound(kind, id)
	}
	if err != nil {
		return d, fmt.Errorf("postgis: document %s %q: %w", kind, id, err)
	}
	d.UpdatedAt, d.Body = d.UpdatedAt.UTC(), []byte(body)
	return d, nil
}

// Docs lists the current documents of kind whose id starts with prefix, in id order (edit.DocStore). The prefix is
// matched with a range on the C-collated key, so no LIKE pattern characters need escaping.
func (s *Store) Docs(ctx context.Context, kind edit.Kind, prefix string) ([]edit.Doc, error) {
	q := `SELECT id, version, updated_at, body::text FROM docs WHERE kind = $1 AND id >= $2`
	args := []any{string(kind), prefix}
	if prefix != "" {
		q += ` AND left(id, $3) = $2`
		args = append(args, len([]rune(prefix)))
	}
	rows, err := s.read(ctx).Query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgis: documents %s: %w", kind, err)
	}
	defer rows.Close()
	out := []edit.Doc{}
	for rows.Next() {
		d := edit.Doc{Kind: kind}
		var body string
		if err := rows.Scan(&d.ID, &d.Version, &d.UpdatedAt, &body); err != nil {
			return nil, fmt.Errorf("postgis: documents %s: %w", kind, err)
		}
		d.UpdatedAt, d.Body = d.UpdatedAt.UTC(), []byte(body)
		out = append(out, d)
	}
	return out, rows.Err()
}

// WriteDocs applies ws in one transaction (edit.DocStore); each document's row is locked before its version is read.
func (s *Store) WriteDocs(ctx context.Context, ws []edit.DocWrite, meta edit.Meta) ([]int64, error) {
	if err := edit.CheckDocWrites(ws); err != nil {
		return nil, err
	}
	out := make([]int64, len(ws))
	t := meta.Time
	if t.IsZero() {
		t = now()
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		for i, w := range ws {
			var cur *string
			err := tx.QueryRow(ctx, `SELECT body::text FROM docs WHERE kind = $1 AND id = $2 FOR UPDATE`,
				string(w.Kind), w.ID).Scan(&cur)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("postgis: lock %s %q: %w", w.Kind, w.ID, err)
			}
			exists := err == nil
			var head int64
			if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM versions WHERE kind = $1 AND id = $2`,
				string(w.Kind), w.ID).Scan(&head); err != nil {
				return fmt.Errorf("postgis: version of %s %q: %w", w.Kind, w.ID, err)
			}
			if err := data.CheckDocWrite(w, exists, head); err != nil {
				return fmt.Errorf("writes[%d]: %w", i, err)
			}
			body, err := edit.CompactDoc(w.Body)
			if err != nil && !w.IsDelete() {
				return fmt.Errorf("writes[%d]: %w", i, apierr.Field(fmt.Sprintf("writes[%d].body", i), "%v", err))
			}
			if !w.IsDelete() && exists && data.SameDoc([]byte(*cur), body) {
				out[i] = head
				continue
			}
			m := meta
			m.Time, m.Action = t, edit.DocAction(w, meta, head)
			v := head + 1
			row := verRow{kind: w.Kind, id: w.ID, version: v, meta: m}
			if w.IsDelete() {
				_, err = tx.Exec(ctx, `DELETE FROM docs WHERE kind = $1 AND id = $2`, string(w.Kind), w.ID)
			} else {
				row.record, row.hash = body, edit.Hash(body)
				_, err = tx.Exec(ctx, `INSERT INTO docs (kind, id, version, updated_at, body) VALUES ($1, $2, $3, $4, $5::json)
					ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at,
					body = excluded.body`, string(w.Kind), w.ID, v, t, string(body))
			}
			if err != nil {
				return versionErr(w.Kind, w.ID, err)
			}
			if err := appendVersion(ctx, tx, row); err != nil {
				return err
			}
			out[i] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.committed(ctx)
	return out, nil
}

var _ edit.DocStore = (*Store)(nil)
