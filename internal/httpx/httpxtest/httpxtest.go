// Package httpxtest holds test checks on internal/httpx's error answers, shared by the fuzz targets of the request
// parsers.
package httpxtest

import (
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"

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

// RequireBound fails t unless an accepted bbox b is finite with its minimum at or below its maximum on both axes.
func RequireBound(t testing.TB, input string, b orb.Bound) {
	t.Helper()
	for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%q: bbox %v accepted", input, b)
		}
	}
	if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		t.Fatalf("%q: bbox %v has its minimum above its maximum", input, b)
	}
}
