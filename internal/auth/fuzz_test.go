package auth

import (
	"net/http/httptest"
	"testing"

	"civmap/internal/httpx"
	"civmap/internal/httpx/httpxtest"
)

// FuzzParseAuditQuery: any GET /api/audit query string is a query or a 400 naming the parameter; an accepted query
// has a page within the limits, UTC times, and until after since when both are given.
func FuzzParseAuditQuery(f *testing.F) {
	for _, q := range []string{"actor=admin&target=place/1", "since=2025-03-01T08:00:00%2B08:00", "until=2025-03-01",
		"since=2025-03-02T00:00:00Z&until=2025-03-01T00:00:00Z", "limit=5&offset=10", "limit=x"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("GET", "/api/audit", nil)
		r.URL.RawQuery = s
		q, page, err := ParseAuditQuery(r)
		if err != nil {
			httpxtest.RequireBadParam(t, s, err)
			return
		}
		if page.Limit < 1 || page.Limit > httpx.MaxLimit || page.Offset < 0 || q.Limit != page.Limit || q.Offset != page.Offset {
			t.Fatalf("%q: page %+v, query limit %d offset %d", s, page, q.Limit, q.Offset)
		}
		if q.Since.Location() != q.Since.UTC().Location() || q.Until.Location() != q.Until.UTC().Location() {
			t.Fatalf("%q: times not in UTC: %v, %v", s, q.Since, q.Until)
		}
		if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
			t.Fatalf("%q: until %v not after since %v", s, q.Until, q.Since)
		}
	})
}
