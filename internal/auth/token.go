// Package auth is who may call civmap: API tokens (made, listed and revoked with `civmap token`, stored only as salted
// hashes), the HTTP middleware that verifies `Authorization: Bearer` tokens and puts the principal and the request id in
// the context, the audit of refused writes and failed sign-ins, the request body limit, and the handlers
// GET /api/auth/me and GET /api/audit. Roles and the audit log's types are internal/edit's.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// A token reads civmap_<id>_<secret>: Prefix, 16 hex digits of public id (8 random bytes, how the store finds the token
// without scanning) and 64 hex digits of secret (32 random bytes, of which the store keeps only a salted hash).
const (
	Prefix    = "civmap_"
	idLen     = 16
	secretLen = 64
	saltLen   = 16
	// TokenLen is the length of every token in bytes.
	TokenLen = len(Prefix) + idLen + 1 + secretLen
	// MaxNameLen is the longest token name, in characters.
	MaxNameLen = 100
)

// Token is a stored token: who it speaks for and the salted hash of its secret, never the secret itself. Hash is
// SHA-256(Salt ‖ secret); a 256-bit random secret needs no slow hash, and the per-token salt keeps equal hashes from
// revealing anything across stores. RevokedAt is zero while the token is valid.
type Token struct {
	ID        string    // public id, 16 hex digits
	Name      string    // unique among all tokens, revoked ones included (they stay for the audit log)
	Role      edit.Role // what the token may do
	Salt      []byte    // 16 random bytes
	Hash      []byte    // SHA-256(Salt ‖ secret), 32 bytes
	CreatedAt time.Time // UTC, microseconds
	RevokedAt time.Time // UTC, microseconds; zero while valid
}

// Revoked reports whether the token has been revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// Principal is who the token speaks for.
func (t Token) Principal() edit.Principal { return edit.Principal{Name: t.Name, Role: t.Role} }

// Store keeps tokens. Both stores implement it; data/storetest holds its contract.
type Store interface {
	// CreateToken stores t as given. A name or id already taken (by a valid or revoked token) is apierr.ErrConflict.
	CreateToken(ctx context.Context, t Token) error
	// TokenByID returns the token with that public id, revoked or not, or apierr.ErrNotFound.
	TokenByID(ctx context.Context, id string) (Token, error)
	// Tokens lists every token, revoked ones included, ordered by name (byte order).
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken sets the named token's RevokedAt to at (UTC, microseconds) and returns it; a token already revoked
	// keeps its first RevokedAt. An unknown name is apierr.ErrNotFound.
	RevokeToken(ctx context.Context, name string, at time.Time) (Token, error)
}

// Errors of Verify. Each wraps edit.ErrUnauthenticated, so httpx answers it 401.
var (
	ErrMalformed = fmt.Errorf("malformed token (want %s followed by %d hex digits, an underscore and %d hex digits): %w",
		Prefix, idLen, secretLen, edit.ErrUnauthenticated)
	ErrUnknown = fmt.Errorf("unknown token: %w", edit.ErrUnauthenticated)
	ErrRevoked = fmt.Errorf("revoked token: %w", edit.ErrUnauthenticated)
)

// Now is the stores' clock for tokens: UTC at microsecond precision (PostgreSQL's), so a stored time reads back equal.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// CheckName returns an apierr.Invalid naming "name" unless name is 1 to MaxNameLen characters of valid UTF-8 with no
// spaces or control or format characters.
func CheckName(name string) error {
	switch {
	case name == "":
		return apierr.Field("name", "a token needs a name (e.g. the holder's name or a service's)")
	case !utf8.ValidString(name):
		return apierr.Field("name", "%q is not valid UTF-8", name)
	case utf8.RuneCountInString(name) > MaxNameLen:
		return apierr.Field("name", "at most %d characters, got %d", MaxNameLen, utf8.RuneCountInString(name))
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return apierr.Field("name", "%q holds a space, control or invisible character (%U)", name, r)
		}
	}
	return nil
}

// CheckRole returns an apierr.Invalid naming "role" and listing the roles unless role is one of edit.Roles.
func CheckRole(role edit.Role) error {
	if role.Valid() {
		return nil
	}
	names := make([]string, len(edit.Roles))
	for i, r := range edit.Roles {
		names[i] = string(r)
	}
	return apierr.Field("role", "unknown role %q; want one of %s", role, strings.Join(names, ", "))
}

// Generate makes a new token for name and role: the token text, to be shown to its holder once, and the Token to store
// (with CreatedAt = Now()). Errors: an apierr.Invalid naming "name" or "role", or a failure of crypto/rand.
func Generate(name string, role edit.Role) (string, Token, error) {
	if err := errors.Join(CheckName(name), CheckRole(role)); err != nil {
		return "", Token{}, err
	}
	var id [idLen / 2]byte
	var secret [secretLen / 2]byte
	salt := make([]byte, saltLen)
	for _, b := range [][]byte{id[:], secret[:], salt} {
		if _, err := rand.Read(b); err != nil {
			return "", Token{}, fmt.Errorf("auth: random token: %w", err)
		}
	}
	secretHex := hex.EncodeToString(secret[:])
	t := Token{ID: hex.EncodeToString(id[:]), Name: name, Role: role, Salt: salt, Hash: hash(salt, secretHex),
		CreatedAt: Now()}
	return Prefix + t.ID + "_" + secretHex, t, nil
}

// Create generates a token and stores it, returning the token text (shown once) and what was stored. A taken name is
// apierr.ErrConflict (wrapped, naming it).
func Create(ctx context.Context, st Store, name string, role edit.Role) (string, Token, error) {
	text, t, err := Generate(name, role)
	if err != nil {
		return "", Token{}, err
	}
	if err := st.CreateToken(ctx, t); err != nil {
		if errors.Is(err, apierr.ErrConflict) {
			return "", Token{}, fmt.Errorf("a token named %q already exists (names are never reused, revoked ones "+
				"included): %w", name, err)
		}
		return "", Token{}, err
	}
	return text, t, nil
}

func hash(salt []byte, secret string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// Parse splits a token's text into its public id and secret, or returns ErrMalformed.
func Parse(text string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(text, Prefix)
	if !ok || len(text) != TokenLen || rest[idLen] != '_' {
		return "", "", ErrMalformed
	}
	id, secret = rest[:idLen], rest[idLen+1:]
	if !isLowerHex(id) || !isLowerHex(secret) {
		return "", "", ErrMalformed
	}
	return id, secret, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Verify finds the token text names and checks its secret in constant time. Errors: ErrMalformed, ErrUnknown (no such
// id, or a secret that does not match), ErrRevoked (with the revoked token returned, so that the refusal can name its
// holder), or the store's error.
func Verify(ctx context.Context, st Store, text string) (Token, error) {
	id, secret, err := Parse(text)
	if err != nil {
		return Token{}, err
	}
	t, err := st.TokenByID(ctx, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return Token{}, ErrUnknown
	}
	if err != nil {
		return Token{}, err
	}
	if subtle.ConstantTimeCompare(hash(t.Salt, secret), t.Hash) != 1 {
		return Token{}, ErrUnknown
	}
	if t.Revoked() {
		return t, ErrRevoked
	}
	return t, nil
}

// Looks reports whether s holds what may be a token (its prefix), so that a token put in a query parameter of any
// name is refused.
func Looks(s string) bool { return strings.Contains(s, Prefix) }
