package httpx

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"civmap/internal/apierr"
)

// ETag is the strong entity tag of a record version: the version in double quotes, e.g. "3".
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// SetETag sets the ETag header to ETag(version).
func SetETag(w http.ResponseWriter, version int64) { w.Header().Set("ETag", ETag(version)) }

// NotModified handles If-None-Match for a GET or HEAD of a record at version (RFC 9110 §13.1.2, weak comparison: W/"3"
// matches "3"; * matches any). When it matches it sets ETag, writes 304 Not Modified and returns true; the caller then
// writes nothing more.
func NotModified(w http.ResponseWriter, r *http.Request, version int64) bool {
	h := r.Header.Values("If-None-Match")
	if len(h) == 0 {
		return false
	}
	want := ETag(version)
	for _, tag := range splitTags(h) {
		if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
			SetETag(w, version)
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

// IfMatch is a parsed If-Match header (RFC 9110 §13.1.1).
type IfMatch struct {
	Any      bool    // If-Match: *
	Versions []int64 // the strong tags that are record versions; weak or foreign tags never match
}

// ParseIfMatch reads If-Match. Without one it returns a 428 whose message says how to get the record's current ETag:
// GET the request's own path.
func ParseIfMatch(r *http.Request) (IfMatch, error) {
	h := r.Header.Values("If-Match")
	if len(h) == 0 {
		return IfMatch{}, preconditionRequired(r.URL.EscapedPath())
	}
	var m IfMatch
	for _, tag := range splitTags(h) {
		if tag == "*" {
			m.Any = true
			continue
		}
		if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
			continue // weak (W/"…") or malformed: strong comparison never matches it
		}
		if v, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64); err == nil && v > 0 {
			m.Versions = append(m.Versions, v)
		}
	}
	return m, nil
}

// Matches reports whether the record version satisfies the precondition.
func (m IfMatch) Matches(version int64) bool {
	if m.Any {
		return true
	}
	for _, v := range m.Versions {
		if v == version {
			return true
		}
	}
	return false
}

// Expect resolves the precondition to the one version an edit must find: the single tag when there is exactly one,
// otherwise current() (the record's version now) if it matches. A precondition that cannot match is an
// apierr.ErrVersionMismatch (412); current's errors (e.g. apierr.ErrNotFound) pass through.
func (m IfMatch) Expect(current func() (int64, error)) (int64, error) {
	if !m.Any && len(m.Versions) == 1 {
		return m.Versions[0], nil
	}
	if !m.Any && len(m.Versions) == 0 {
		// Still report a missing record as 404 rather than 412.
		v, err := current()
		if err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("If-Match holds no strong ETag of this record (it is at %s): %w", ETag(v), apierr.ErrVersionMismatch)
	}
	v, err := current()
	if err != nil {
		return 0, err
	}
	if !m.Matches(v) {
		return 0, fmt.Errorf("If-Match does not list the record's current ETag %s: %w", ETag(v), apierr.ErrVersionMismatch)
	}
	return v, nil
}

// splitTags splits entity-tag list headers at commas outside quotes and trims each tag.
func splitTags(values []string) []string {
	var tags []string
	for _, h := range values {
		inQuote, start := false, 0
		for i := 0; i <= len(h); i++ {
			if i == len(h) || (h[i] == ',' && !inQuote) {
				if t := strings.TrimSpace(h[start:i]); t != "" {
					tags = append(tags, t)
				}
				start = i + 1
				continue
			}
			if h[i] == '"' {
				inQuote = !inQuote
			}
		}
	}
	return tags
}
