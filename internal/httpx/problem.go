// Package httpx holds the HTTP helpers that civmap's handlers share: RFC 9457 problem responses, JSON and GeoJSON writing,
// JSON body decoding with a size limit, limit/offset paging with OGC API – Features links, entity tags (RFC 9110 §8.8.3,
// §13.1) and router plumbing (panic recovery, JSON 404/405).
//
// # Status codes
//
// WriteError maps an error to one status code by this rule:
//   - a *StatusError carries its own status; BadRequest wraps errors in the request's shape — query parameters, a
//     malformed or oversized JSON body, a body that is not a GeoJSON Feature, a geometry that is not GeoJSON — as 400;
//   - apierr.Invalid that is not so wrapped is 422 Unprocessable Content: the request was well formed but its content
//     breaks a domain rule (gazetteer.NormalizePlace: an unknown division code, a self-intersecting polygon, …);
//   - edit.ErrUnauthenticated 401 (with WWW-Authenticate: Bearer), edit.ErrForbidden 403, both naming Authorization;
//   - a request body over its limit (*http.MaxBytesError) 413;
//   - apierr.ErrNotFound 404, apierr.ErrConflict 409, apierr.ErrVersionMismatch 412, apierr.ErrStoreBusy 503,
//     context.DeadlineExceeded 503;
//   - anything else 500, logged with log/slog (slog.Default) under a reference that the response quotes; the error text
//     itself is never sent.
//
// Every problem with field errors lists them in an "errors" member, each an apierr.FieldError {location, field, reason}.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object. Type is "about:blank" (Title is then the HTTP status phrase); Errors
// is an extension member listing the offending fields.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Errors []apierr.FieldError `json:"errors,omitempty"`
}

// StatusError is an error answered with a given HTTP status. Err's text becomes the problem's detail, and when Err is
// (or wraps) an apierr.Invalid its field errors become the problem's "errors".
type StatusError struct {
	Status int
	Err    error
}

func (e *StatusError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *StatusError) Unwrap() error { return e.Err }

// WithStatus wraps err to be answered with status. A nil err stays nil.
func WithStatus(status int, err error) error {
	if err == nil {
		return nil
	}
	return &StatusError{Status: status, Err: err}
}

// BadRequest wraps err (typically an apierr.Invalid about a query parameter or the body's shape) to be answered 400.
// A nil err stays nil.
func BadRequest(err error) error { return WithStatus(http.StatusBadRequest, err) }

// BadParam is a 400 error naming one query parameter, path variable or body member.
func BadParam(field, format string, args ...any) error {
	return BadRequest(apierr.Field(field, format, args...))
}

// ErrPreconditionRequired is answered 428: an edit came without If-Match (ParseIfMatch returns the same error with a
// message naming the record's URL).
var ErrPreconditionRequired = &StatusError{
	Status: http.StatusPreconditionRequired,
	Err:    apierr.Field("If-Match", "this edit needs an If-Match header with the record's current ETag: GET the record and send its ETag header back"),
}

// preconditionRequired is ErrPreconditionRequired for the record at path (its URL path, as sent), saying how to get its
// current ETag.
func preconditionRequired(path string) error {
	if len(path) > 200 {
		path = Clip(path)
	}
	return &preconditionError{&StatusError{Status: http.StatusPreconditionRequired, Err: apierr.Field("If-Match",
		"this edit needs an If-Match header with the record's current ETag: GET %s answers it in its ETag header; "+
			"send that value back as If-Match (quotes included)", path)}}
}

// preconditionError is a 428 naming the record's URL that still matches ErrPreconditionRequired with errors.Is.
type preconditionError struct{ se *StatusError }

func (e *preconditionError) Error() string        { return e.se.Error() }
func (e *preconditionError) Unwrap() error        { return e.se }
func (e *preconditionError) Is(target error) bool { return target == ErrPreconditionRequired }

// WriteProblem writes an RFC 9457 problem with the given status, detail and field errors. Input echoed in them is cut:
// each Go-quoted string (as %q writes it) to MaxEcho runes with "…", each field name to 2×MaxEcho, and the detail and
// each reason to 1 KiB, so that no request makes a problem larger than a few KiB per field.
func WriteProblem(w http.ResponseWriter, status int, detail string, fields ...apierr.FieldError) {
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: clipMessage(detail),
		Errors: clipFields(fields)}
	writeJSON(w, status, ProblemContentType, p)
}

// WriteError answers err as a problem, mapping it to a status code by the rule in the package documentation. Errors
// answered 500 are logged with slog.Default and the response quotes only a reference to the log line.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, fields := Classify(err)
	switch {
	case status == http.StatusInternalServerError:
		ref := newRef()
		slog.Default().ErrorContext(r.Context(), "request failed", "ref", ref, "method", r.Method, "url", r.URL.String(),
			"err", err)
		WriteProblem(w, status, "internal error (reference "+ref+"); the server log has the details")
		return
	case errors.Is(err, context.DeadlineExceeded):
		WriteProblem(w, status, "the request took too long; try again")
		return
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "5")
	case status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "":
		w.Header().Set("WWW-Authenticate", `Bearer realm="civmap"`)
	}
	WriteProblem(w, status, err.Error(), fields...)
}

// Classify returns the status code WriteError answers err with and the field errors it lists.
func Classify(err error) (status int, fields []apierr.FieldError) {
	inv, _ := apierr.AsInvalid(err)
	var se *StatusError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe): // first: even a BadRequest wrapping it is about the size
		return http.StatusRequestEntityTooLarge, []apierr.FieldError{{Field: "body",
			Reason: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}}
	case errors.As(err, &se):
		return se.Status, inv
	case errors.Is(err, edit.ErrUnauthenticated):
		return http.StatusUnauthorized, []apierr.FieldError{{Field: "Authorization",
			Reason: "send a valid token: Authorization: Bearer TOKEN"}}
	case errors.Is(err, edit.ErrForbidden):
		return http.StatusForbidden, []apierr.FieldError{{Field: "Authorization",
			Reason: "the token's role does not allow this"}}
	case inv != nil:
		return http.StatusUnprocessableEntity, inv
	case errors.Is(err, edit.ErrUnauthenticated):
		return http.StatusUnauthorized, nil
	case errors.Is(err, edit.ErrForbidden):
		return http.StatusForbidden, nil
	case errors.Is(err, apierr.ErrNotFound):
		return http.StatusNotFound, nil
	case errors.Is(err, apierr.ErrConflict):
		return http.StatusConflict, nil
	case errors.Is(err, apierr.ErrVersionMismatch):
		return http.StatusPreconditionFailed, []apierr.FieldError{{Field: "If-Match",
			Reason: "the record has changed since you read it; GET it again and retry with its current ETag"}}
	case errors.Is(err, apierr.ErrStoreBusy), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, nil
	}
	return http.StatusInternalServerError, nil
}

func newRef() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "unknown"
	}
	return hex.EncodeToString(b[:])
}

// NotFound is a 404 error for the named resource, e.g. NotFound("place", id).
func NotFound(kind, id string) error {
	return fmt.Errorf("%s %q: %w", kind, id, apierr.ErrNotFound)
}

// HandlerFunc is an HTTP handler that returns its error instead of writing it: ServeHTTP answers a non-nil error with
// WriteError. A handler that returns an error must not have written a response.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP calls f and answers its error, if any, with WriteError.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		WriteError(w, r, err)
	}
}
