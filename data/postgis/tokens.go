package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"civmap/internal/apierr"
	"civmap/internal/auth"
)

var _ auth.Store = (*Store)(nil)

const tokenCols = `id, name, role, salt, hash, created_at, revoked_at`

func scanToken(row pgx.Row) (auth.Token, error) {
	var t auth.Token
	var revoked *time.Time
	if err := row.Scan(&t.ID, &t.Name, &t.Role, &t.Salt, &t.Hash, &t.CreatedAt, &revoked); err != nil {
		return t, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if revoked != nil {
		t.RevokedAt = revoked.UTC()
	}
	return t, nil
}

// CreateToken stores t (table api_tokens, migration 00005); a taken name or id is apierr.ErrConflict, an empty one
// apierr.Invalid.
func (s *Store) CreateToken(ctx context.Context, t auth.Token) error {
	if t.ID == "" || t.Name == "" {
		return apierr.Field("id", "a token needs an id and a name")
	}
	var revoked *time.Time
	if !t.RevokedAt.IsZero() {
		r := t.RevokedAt.UTC()
		revoked = &r
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, string(t.Role), t.Salt, t.Hash, t.CreatedAt.UTC(), revoked)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		return fmt.Errorf("token %q: %w", t.Name, apierr.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgis: create token: %w", err)
	}
	return nil
}

// TokenByID returns the token with public id id, or apierr.ErrNotFound.
func (s *Store) TokenByID(ctx context.Context, id string) (auth.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = $1`, id))
	if err != nil {
		return t, noRows(err, fmt.Errorf("token %q: %w", id, apierr.ErrNotFound), "token")
	}
	return t, nil
}

// Tokens lists every token, ordered by name (byte order).
func (s *Store) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgis: tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.Token, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("postgis: tokens: %w", err)
	}
	return out, nil
}

// RevokeToken sets the named token's RevokedAt to at (kept if already set); an unknown name is apierr.ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, name string, at time.Time) (auth.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2)
		WHERE name = $1 RETURNING `+tokenCols, name, at.UTC().Truncate(time.Microsecond)))
	if err != nil {
		return t, noRows(err, fmt.Errorf("token %q: %w", name, apierr.ErrNotFound), "revoke token")
	}
	return t, nil
}
