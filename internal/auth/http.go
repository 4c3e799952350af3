package auth

import (
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// Routes registers, on r (before any catch-all route):
//
//	GET /api/auth/me  → {"name","role"} of the request's token; 401 problem+json without one.
//	GET /api/audit?actor=&target=&since=&until=&limit=&offset=  (role admin)
//	    → {"items":[edit.AuditEntry…],"numberMatched","numberReturned","links"}, ordered by seq. actor is a token name
//	      (or "anonymous"), target a record's id, since (inclusive) and until (exclusive) RFC 3339 times; limit 1–1000
//	      (default 100), offset ≥ 0. A bad value is a 400 naming its parameter; no token 401, another role 403.
//
// Both answer GET and HEAD only (405 otherwise) with Cache-Control: no-store. The API has no way to change or delete an
// audit entry.
func Routes(r *mux.Router, audit edit.Store) {
	r.Handle("/api/auth/me", httpx.HandlerFunc(me)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/api/audit", httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return auditList(w, r, audit)
	})).Methods(http.MethodGet, http.MethodHead)
}

func me(w http.ResponseWriter, r *http.Request) error {
	if err := edit.Require(r.Context(), edit.RoleViewer); err != nil {
		return err
	}
	p, _ := edit.PrincipalFrom(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

// AuditList is the answer of GET /api/audit.
type AuditList struct {
	Items          []edit.AuditEntry `json:"items"`
	NumberMatched  int               `json:"numberMatched"`
	NumberReturned int               `json:"numberReturned"`
	Links          []httpx.Link      `json:"links"`
}

func auditList(w http.ResponseWriter, r *http.Request, audit edit.Store) error {
	if err := edit.Require(r.Context(), edit.RoleAdmin); err != nil {
		return err
	}
	q, page, err := ParseAuditQuery(r)
	if err != nil {
		return err
	}
	res, err := audit.Audit(r.Context(), q)
	if err != nil {
		return err
	}
	items := res.Items
	if items == nil {
		items = []edit.AuditEntry{}
	}
	links := httpx.PageLinks(r, page, len(items), res.NumberMatched)
	for i := range links {
		links[i].Type = httpx.JSONContentType
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, AuditList{Items: items, NumberMatched: res.NumberMatched,
		NumberReturned: len(items), Links: links})
	return nil
}

// ParseAuditQuery reads GET /api/audit's parameters (see Routes). Errors are 400 naming the parameter.
func ParseAuditQuery(r *http.Request) (edit.AuditQuery, httpx.Page, error) {
	page, err := httpx.ParsePage(r, httpx.DefaultLimit, httpx.MaxLimit)
	if err != nil {
		return edit.AuditQuery{}, page, err
	}
	v := r.URL.Query()
	q := edit.AuditQuery{Actor: strings.TrimSpace(v.Get("actor")), Target: strings.TrimSpace(v.Get("target")),
		Limit: page.Limit, Offset: page.Offset}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		s := strings.TrimSpace(v.Get(p.name))
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return edit.AuditQuery{}, page, httpx.BadParam(p.name,
				"%q is not an RFC 3339 time; want e.g. 2025-03-01T08:00:00+08:00", s)
		}
		*p.t = t.UTC()
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return edit.AuditQuery{}, page, httpx.BadParam("until", "must be after since (%s), got %s",
			q.Since.Format(time.RFC3339Nano), q.Until.Format(time.RFC3339Nano))
	}
	return q, page, nil
}
