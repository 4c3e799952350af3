package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"civmap/internal/apierr"
	"civmap/internal/auth"
	"civmap/internal/edit"
)

// Tokens (auth.Store) live in two buckets, made by the first CreateToken: tokens, the stored token (JSON, never the
// secret) keyed by its public id, and token_names, the id keyed by name (names are unique, revoked tokens included).
var (
	bucketTokens     = []byte("tokens")
	bucketTokenNames = []byte("token_names")
)

var _ auth.Store = (*Store)(nil)

type tokenRecord struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      edit.Role `json:"role"`
	Salt      []byte    `json:"salt"`
	Hash      []byte    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at"`
}

func (r tokenRecord) token() auth.Token {
	return auth.Token{ID: r.ID, Name: r.Name, Role: r.Role, Salt: r.Salt, Hash: r.Hash, CreatedAt: r.CreatedAt.UTC(),
		RevokedAt: r.RevokedAt.UTC()}
}

func recordOf(t auth.Token) tokenRecord {
	return tokenRecord{ID: t.ID, Name: t.Name, Role: t.Role, Salt: t.Salt, Hash: t.Hash, CreatedAt: t.CreatedAt.UTC(),
		RevokedAt: t.RevokedAt.UTC()}
}

// CreateToken stores t; a taken name or id is apierr.ErrConflict, an empty one apierr.Invalid.
func (s *Store) CreateToken(ctx context.Context, t auth.Token) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if t.ID == "" || t.Name == "" {
		return apierr.Field("id", "a token needs an id and a name")
	}
	v, err := json.Marshal(recordOf(t))
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.db.Update(func(tx *bolt.Tx) error {
		toks, err := tx.CreateBucketIfNotExists(bucketTokens)
		if err != nil {
			return err
		}
		names, err := tx.CreateBucketIfNotExists(bucketTokenNames)
		if err != nil {
			return err
		}
		if names.Get([]byte(t.Name)) != nil {
			return fmt.Errorf("token name %q: %w", t.Name, apierr.ErrConflict)
		}
		if toks.Get([]byte(t.ID)) != nil {
			return fmt.Errorf("token id %q: %w", t.ID, apierr.ErrConflict)
		}
		if err := toks.Put([]byte(t.ID), v); err != nil {
			return err
		}
		return names.Put([]byte(t.Name), []byte(t.ID))
	})
}

// TokenByID returns the token with public id id, or apierr.ErrNotFound.
func (s *Store) TokenByID(ctx context.Context, id string) (auth.Token, error) {
	if err := s.check(ctx); err != nil {
		return auth.Token{}, err
	}
	var t auth.Token
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		t, err = getToken(tx.Bucket(bucketTokens), []byte(id))
		return err
	})
	return t, err
}

func getToken(b *bolt.Bucket, id []byte) (auth.Token, error) {
	var v []byte
	if b != nil && len(id) > 0 {
		v = b.Get(id)
	}
	if v == nil {
		return auth.Token{}, fmt.Errorf("token %q: %w", id, apierr.ErrNotFound)
	}
	var r tokenRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return auth.Token{}, fmt.Errorf("embedded store: token %q: %w", id, err)
	}
	return r.token(), nil
}

// Tokens lists every token, ordered by name (byte order).
func (s *Store) Tokens(ctx context.Context) ([]auth.Token, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []auth.Token
	err := s.db.View(func(tx *bolt.Tx) error {
		names := tx.Bucket(bucketTokenNames)
		if names == nil {
			return nil
		}
		toks := tx.Bucket(bucketTokens)
		return names.ForEach(func(_, id []byte) error { // keys in byte order
			t, err := getToken(toks, id)
			if err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// ForEach gives name order already; keep the contract explicit should the buckets ever diverge.
	slices.SortStableFunc(out, func(a, b auth.Token) int { return bytes.Compare([]byte(a.Name), []byte(b.Name)) })
	return out, nil
}

// RevokeToken sets the named token's RevokedAt to at (kept if already set); an unknown name is apierr.ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, name string, at time.Time) (auth.Token, error) {
	if err := s.check(ctx); err != nil {
		return auth.Token{}, err
	}
	var t auth.Token
	s.wmu.Lock()
	defer s.wmu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		var id []byte
		if names := tx.Bucket(bucketTokenNames); names != nil {
			id = names.Get([]byte(name))
		}
		if id == nil {
			return fmt.Errorf("token %q: %w", name, apierr.ErrNotFound)
		}
		toks := tx.Bucket(bucketTokens)
		var err error
		if t, err = getToken(toks, id); err != nil {
			return err
		}
		if t.Revoked() {
			return nil
		}
		t.RevokedAt = at.UTC().Truncate(time.Microsecond)
		v, err := json.Marshal(recordOf(t))
		if err != nil {
			return err
		}
		return toks.Put(id, v)
	})
	return t, err
}
