// Package httpxtest holds test checks on internal/httpx's error answers, shared by the fuzz targets of the request
// parsers.
package httpxtest

import (
	"slices"
	"testing"

	"civmap/internal/httpx"
)

// RequireBadParam fails t unless err is answered with one of statuses (400 when none are given) and names at least one
// field: what every parser of a request's parameters must do with bad input, never a 5xx or an anonymous error.
func RequireBadParam(t testing.TB, input string, err error, statuses ...int) {
	t.Helper()
	if len(statuses) == 0 {
		statuses = []int{400}
	}
	status, fields := httpx.Classify(err)
	if !slices.Contains(statuses, status) {
		t.Fatalf("%q: %v answered %d, want one of %v", input, err, status, statuses)
	}
	if len(fields) == 0 || fields[0].Field == "" {
		t.Fatalf("%q: %v (%d) names no field", input, err, status)
	}
}
