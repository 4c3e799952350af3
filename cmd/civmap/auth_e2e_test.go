package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"civmap/data"
	"civmap/gazetteer"
	"civmap/internal/auth"
	"civmap/internal/edit"
	"civmap/tiles"
)

// auditedStore opens the store with the sample and returns it with its audit log (the store itself).
func auditedStore(t *testing.T, sf *storeFlags) (data.Store, edit.Store) {
	t.Helper()
	st, err := openAndLoad(context.Background(), sf, false, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, st
}

// serveWith serves st's API with the given auth options and audit log.
func serveWith(t *testing.T, st data.Store, audit edit.Store, o auth.Options) *httptest.Server {
	t.Helper()
	srv := newServer(slog.New(slog.NewTextHandler(io.Discard, nil)), tiles.Options{})
	o.Audit = audit
	srv.auth = o
	if err := srv.setStore(st); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(auth.RequestID(srv))
	t.Cleanup(ts.Close)
	return ts
}

func auditCount(t *testing.T, a edit.Store) int {
	t.Helper()
	p, err := a.Audit(context.Background(), edit.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return p.NumberMatched
}

// Each 401, 403 and 413 of issue 6's "Bad input" that the auth layer answers, over HTTP on both stores: a problem
// naming the header, parameter or body, and exactly one audit entry with the request's id; nothing written.
func TestAuthRefusalsAudited(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		st, audit := auditedStore(t, sf)
		ctx := context.Background()
		editor := newToken(t, st, edit.RoleEditor)
		admin := newToken(t, st, edit.RoleAdmin)
		gone := newToken(t, st, edit.RoleReviewer)
		if _, err := st.RevokeToken(ctx, "test-reviewer", auth.Now()); err != nil {
			t.Fatal(err)
		}
		read := serveWith(t, st, audit, auth.Options{})
		closed := serveWith(t, st, audit, auth.Options{Anonymous: auth.AnonymousNone})
		placeCount := func() int {
			p, err := st.Places(ctx, placeQueryAll)
			if err != nil {
				t.Fatal(err)
			}
			return p.NumberMatched
		}
		places := placeCount()
		newPlace := `{"type":"Feature","geometry":{"type":"Point","coordinates":[121.87,29.47]},` +
			`"properties":{"name":"天安路","category":"road","division_codes":["330225001"]}}`
		big := `{"type":"Feature","geometry":null,"properties":{"name":"` + strings.Repeat("大", auth.DefaultMaxBody/3+10) + `"}}`

		for _, c := range []struct {
			name, method, url, body, auth string
			status                        int
			field, outcome, actor         string
		}{
			{"revoked token", "GET", read.URL + "/api/places", "", gone, 401, "Authorization", edit.OutcomeDenied, "test-reviewer"},
			{"unknown token", "GET", read.URL + "/api/places", "", "Bearer civmap_0123456789abcdef_" + strings.Repeat("0", 64), 401, "Authorization", edit.OutcomeDenied, "anonymous"},
			{"malformed token", "GET", read.URL + "/tiles/style.json", "", "Bearer 12345", 401, "Authorization", edit.OutcomeDenied, "anonymous"},
			{"token in the query string", "GET", read.URL + "/api/places?access_token=" + strings.TrimPrefix(editor, "Bearer "), "", "", 401, "access_token", edit.OutcomeDenied, "anonymous"},
			{"body over the limit", "POST", read.URL + "/api/places", big, editor, 413, "body", edit.OutcomeRefused, "test-editor"},
			{"editor on an admin endpoint", "GET", read.URL + "/api/audit", "", editor, 403, "Authorization", edit.OutcomeRefused, "test-editor"},
			{"anonymous write", "POST", read.URL + "/api/places", newPlace, "", 401, "Authorization", edit.OutcomeRefused, "anonymous"},
			{"--anonymous none", "GET", closed.URL + "/api/places", "", "", 401, "Authorization", edit.OutcomeDenied, "anonymous"},
			{"--anonymous none, tiles", "GET", closed.URL + "/tiles/style.json", "", "", 401, "Authorization", edit.OutcomeDenied, "anonymous"},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := auditCount(t, audit)
				rid := "rid-" + strings.NewReplacer(" ", "-", ",", "").Replace(strings.TrimLeft(c.name, "-"))
				hdr := []string{"X-Request-Id", rid, "Content-Type", "application/geo+json"}
				if c.auth != "" {
					hdr = append(hdr, "Authorization", c.auth)
				}
				r := do(t, c.method, c.url, c.body, hdr...)
				p := decode[problem](t, r)
				if r.status != c.status || p.Status != c.status || len(p.Errors) == 0 || p.Errors[0].Field != c.field ||
					!strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
					t.Fatalf("%d %s; want a %d problem naming %s", r.status, r.body, c.status, c.field)
				}
				if r.header.Get("X-Request-Id") != rid {
					t.Errorf("X-Request-Id %q, want %q echoed", r.header.Get("X-Request-Id"), rid)
				}
				if c.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
				}
				page, err := audit.Audit(ctx, edit.AuditQuery{Offset: before})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) != 1 || page.NumberMatched != before+1 {
					t.Fatalf("%d audit entries added, want exactly 1: %+v", page.NumberMatched-before, page.Items)
				}
				e := page.Items[0]
				if e.Outcome != c.outcome || e.Status != c.status || e.Actor != c.actor || e.RequestID != rid ||
					e.ClientAddr != "127.0.0.1" || e.Message == "" {
					t.Errorf("audit entry %+v; want outcome %s, status %d, actor %s, request id %s", e, c.outcome, c.status, c.actor, rid)
				}
			})
		}
		if n := placeCount(); n != places {
			t.Errorf("%d places after the refused writes, want %d", n, places)
		}

		// The admin reads those entries back over HTTP, newest last, filtered by actor.
		r := do(t, "GET", read.URL+"/api/audit?actor=test-editor&limit=1", "", "Authorization", admin)
		var l struct {
			Items          []edit.AuditEntry `json:"items"`
			NumberMatched  int               `json:"numberMatched"`
			NumberReturned int               `json:"numberReturned"`
			Links          []struct{ Rel, Href string }
		}
		if err := json.Unmarshal(r.body, &l); err != nil || r.status != 200 {
			t.Fatalf("GET /api/audit: %d %s", r.status, r.body)
		}
		if l.NumberMatched != 2 || l.NumberReturned != 1 || l.Items[0].Status != 413 || len(l.Links) < 2 ||
			l.Links[1].Rel != "next" {
			t.Errorf("GET /api/audit?actor=test-editor&limit=1: %s", r.body)
		}
		// The editor's token works; /api/auth/me says who it is.
		if r := do(t, "GET", closed.URL+"/api/auth/me", "", "Authorization", editor); r.status != 200 ||
			!strings.Contains(string(r.body), `"name":"test-editor","role":"editor"`) {
			t.Errorf("me: %d %s", r.status, r.body)
		}
		// Open paths stay open under --anonymous none.
		for _, p := range []string{"/metrics", "/"} {
			if r := do(t, "GET", closed.URL+p, ""); r.status != http.StatusOK {
				t.Errorf("GET %s under --anonymous none: %d", p, r.status)
			}
		}
	})
}

var placeQueryAll = gazetteer.PlaceQuery{Limit: 1, Statuses: []string{"draft", "submitted", "current", "historical", "abolished"}}
