package httpx

import (
	"net/http/httptest"
	"testing"
)

func TestAcceptsEncoding(t *testing.T) {
	for _, tc := range []struct {
		header         string
		gzip, identity bool
	}{
		{"", false, true},
		{"gzip", true, true},
		{"GZIP", true, true},
		{"x-gzip", true, true},
		{"gzip;q=0", false, true},
		{"gzip; q=0.000", false, true},
		{"gzip;q=0, *", false, true}, // the named entry beats "*"
		{"*, gzip;q=0", false, true},
		{"*", true, true},
		{"*;q=0", false, false},
		{"*;q=0, identity", false, true},
		{"identity;q=0", false, false},
		{"br;q=1, gzip;q=0.8", true, true},
		{"br", false, true},
		{"deflate, gzip;q=0.5;foo=bar", true, true},
		{"gzip;Q=0", false, true},
		{"gzip;q=abc", true, true}, // malformed q: 1
		{"gzipx, xgzip", false, true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set("Accept-Encoding", tc.header)
		}
		if got := AcceptsEncoding(r, "gzip"); got != tc.gzip {
			t.Errorf("%q: gzip %v, want %v", tc.header, got, tc.gzip)
		}
		if got := AcceptsEncoding(r, "identity"); got != tc.identity {
			t.Errorf("%q: identity %v, want %v", tc.header, got, tc.identity)
		}
	}
	// Two header lines are one list.
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Accept-Encoding", "*")
	r.Header.Add("Accept-Encoding", "gzip;q=0")
	if AcceptsEncoding(r, "gzip") {
		t.Error("gzip;q=0 on a second line ignored")
	}
}
