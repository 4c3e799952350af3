// Package apierr holds the error kinds that the domain packages and both stores share, so that the HTTP layer can map each
// kind to one status code (RFC 9457 problem details) without knowing which store produced it.
package apierr

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Stores and services wrap them with fmt.Errorf("...: %w", ErrX) so callers test with errors.Is.
var (
	// ErrNotFound: the record does not exist (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a record with that key already exists (HTTP 409).
	ErrConflict = errors.New("conflict")
	// ErrVersionMismatch: the caller's version (If-Match) is not the record's current version (HTTP 412).
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrStoreBusy: another process holds the embedded store (exit or HTTP 503).
	ErrStoreBusy = errors.New("store in use")
)

// FieldError says what is wrong with one field of one input record. Location names where the record came from: a file line
// ("line 12"), a feature index ("feature 3"), or empty for a single request body.
type FieldError struct {
	Location string `json:"location,omitempty"`
	Field    string `json:"field"`
	Reason   string `json:"reason"`
}

func (e FieldError) Error() string {
	if e.Location != "" {
		return fmt.Sprintf("%s: %s: %s", e.Location, e.Field, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Reason)
}

// Invalid is a list of field errors; as an error it means "bad input, nothing written" (HTTP 400 or 422).
type Invalid []FieldError

func (v Invalid) Error() string {
	if len(v) == 0 {
		return "invalid input"
	}
	var b strings.Builder
	for i, e := range v {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(v)-10)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Field returns an Invalid holding one FieldError.
func Field(field, format string, args ...any) Invalid {
	return Invalid{{Field: field, Reason: fmt.Sprintf(format, args...)}}
}

// Add appends a FieldError for field with the reason fmt.Sprintf(format, args...).
func (v *Invalid) Add(field, format string, args ...any) {
	*v = append(*v, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// AsInvalid reports whether err is (or wraps) an Invalid and returns it.
func AsInvalid(err error) (Invalid, bool) {
	var v Invalid
	if errors.As(err, &v) {
		return v, true
	}
	return nil, false
}
