package edit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"civmap/internal/apierr"
)

// ServerFields are the members of a document's "properties" that the store sets on every write (version and
// timestamps). They are left out of content hashes and of the patches in a history, which describe what a writer
// changed.
var ServerFields = []string{"version", "created_at", "updated_at"}

// Hash is the hex SHA-256 of a record's content document: its API document with ServerFields zeroed, as both stores
// encode it (encoding/json, struct field order). Two versions with the same Hash have the same content; AuditEntry's
// BeforeHash and AfterHash are such hashes.
func Hash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// Current reads the latest version of a record. Both stores implement it; a record that was never written or whose
// latest version is a delete is apierr.ErrNotFound.
type Current interface {
	Current(ctx context.Context, kind Kind, id string) (Version, error)
}

// Deleted reports whether v is a delete: its Record is JSON null or empty.
func (v Version) Deleted() bool {
	r := strings.TrimSpace(string(v.Record))
	return r == "" || r == "null"
}

// CheckReason returns reason trimmed, or an apierr.Invalid naming "reason" when it is longer than MaxReason characters
// or not valid UTF-8.
func CheckReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if !utf8.ValidString(reason) {
		return "", apierr.Field("reason", "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(reason); n > MaxReason {
		return "", apierr.Field("reason", "is %d characters long; at most %d are allowed", n, MaxReason)
	}
	return reason, nil
}

// ErrNoVersion is wrapped by the error for a version number a record does not have (404).
var ErrNoVersion = fmt.Errorf("no such version: %w", apierr.ErrNotFound)

// VersionOf returns version n of vs (History's answer, oldest first), or an error wrapping ErrNoVersion.
func VersionOf(vs []Version, kind Kind, id string, n int64) (Version, error) {
	for _, v := range vs {
		if v.Version == n {
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("%s %q has versions 1 to %d, not %d: %w", kind, id, len(vs), n, ErrNoVersion)
}

// IsNoVersion reports whether err is a missing version (rather than a missing record).
func IsNoVersion(err error) bool { return errors.Is(err, ErrNoVersion) }

type reasonKey struct{}

// WithReason returns ctx carrying the reason a request gave for its write (checked with CheckReason first).
func WithReason(ctx context.Context, reason string) context.Context {
	return context.WithValue(ctx, reasonKey{}, reason)
}

// ReasonFrom returns the reason ctx carries ("" when none).
func ReasonFrom(ctx context.Context) string {
	r, _ := ctx.Value(reasonKey{}).(string)
	return r
}

// MetaFor is NewMeta with the reason ctx carries (WithReason).
func MetaFor(ctx context.Context, action string) Meta {
	return NewMeta(ctx, action, ReasonFrom(ctx))
}
