package auth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// rig is the middleware in front of a small API: reads, writes that check their role, body readers, and the auth routes.
type rig struct {
	t       *testing.T
	srv     *httptest.Server
	tokens  *memTokens
	audit   *memAudit
	reached atomic.Int32 // write handlers entered
	tok     map[edit.Role]string
	revoked string
}

func newRig(t *testing.T, anon Anonymous, maxBody int64) *rig {
	g := &rig{t: t, tokens: newMemTokens(), audit: &memAudit{}, tok: map[edit.Role]string{}}
	for _, role := range []edit.Role{edit.RoleEditor, edit.RoleReviewer, edit.RoleAdmin, edit.RoleViewer} {
		text, _, err := Create(context.Background(), g.tokens, "user-"+string(role), role)
		if err != nil {
			t.Fatal(err)
		}
		g.tok[role] = text
	}
	text, _, _ := Create(context.Background(), g.tokens, "gone", edit.RoleEditor)
	if _, err := g.tokens.RevokeToken(context.Background(), "gone", Now()); err != nil {
		t.Fatal(err)
	}
	g.revoked = text

	r := httpx.NewRouter()
	Routes(r, g.audit)
	ok := func(w http.ResponseWriter, r *http.Request) error {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"path": r.URL.Path})
		return nil
	}
	r.Handle("/api/places", httpx.HandlerFunc(ok)).Methods(http.MethodGet)
	r.Handle("/tiles/style.json", httpx.HandlerFunc(ok)).Methods(http.MethodGet)
	r.Handle("/healthz", httpx.HandlerFunc(ok))
	write := func(need edit.Role, status int, detail string) httpx.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			g.reached.Add(1)
			if err := edit.Require(r.Context(), need); err != nil {
				return err
			}
			var body map[string]any
			if err := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &body); err != nil {
				return err
			}
			if status >= 400 {
				return httpx.WithStatus(status, apierr.Field("status", "%s", detail))
			}
			httpx.WriteJSON(w, status, body)
			return nil
		}
	}
	r.Handle("/api/places", write(edit.RoleEditor, http.StatusCreated, "")).Methods(http.MethodPost)
	r.Handle("/api/places/{id}/approve", write(edit.RoleReviewer, http.StatusOK, "")).Methods(http.MethodPost)
	r.Handle("/api/places/{id}/conflict", write(edit.RoleEditor, http.StatusConflict, strings.Repeat("长", 2000))).Methods(http.MethodPost)
	// A handler that decodes the body straight from the request and calls every failure a 400.
	r.Handle("/api/raw", httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		var v any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			return httpx.BadParam("body", "cannot read: %v", err)
		}
		return nil
	})).Methods(http.MethodPut)
	// A query POST: it only reads, and answers 400 for a bad body.
	r.Handle("/api/names/check", httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		var body map[string]any
		if err := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &body); err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, body)
		return nil
	})).Methods(http.MethodPost)
	r.PathPrefix("/").Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "no", http.StatusMethodNotAllowed)
			return
		}
		io.WriteString(w, "<html>map</html>")
	}))
	g.srv = httptest.NewServer(Handler(r, Options{Tokens: g.tokens, Audit: g.audit, Anonymous: anon, MaxBody: maxBody,
		Queries: []string{"/api/names/check"}}))
	t.Cleanup(g.srv.Close)
	return g
}

type answer struct {
	status int
	header http.Header
	body   []byte
	prob   struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Errors []struct {
			Field, Reason string
		} `json:"errors"`
	}
}

func (g *rig) do(method, path string, body io.Reader, header ...string) answer {
	g.t.Helper()
	req, err := http.NewRequest(method, g.srv.URL+path, body)
	if err != nil {
		g.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	a := answer{status: res.StatusCode, header: res.Header}
	a.body, _ = io.ReadAll(res.Body)
	if strings.HasPrefix(res.Header.Get("Content-Type"), httpx.ProblemContentType) {
		if err := json.Unmarshal(a.body, &a.prob); err != nil {
			g.t.Fatalf("problem %s: %v", a.body, err)
		}
	}
	if !regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`).MatchString(res.Header.Get("X-Request-Id")) {
		g.t.Errorf("%s %s: X-Request-Id %q", method, path, res.Header.Get("X-Request-Id"))
	}
	return a
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// want checks a problem answer: status, problem+json, the named field.
func (a answer) want(t *testing.T, what string, status int, field string) {
	t.Helper()
	if a.status != status || a.prob.Status != status {
		t.Fatalf("%s: status %d %s, want %d problem", what, a.status, a.body, status)
	}
	if field != "" && (len(a.prob.Errors) == 0 || a.prob.Errors[0].Field != field) {
		t.Errorf("%s: problem %s does not name %q", what, a.body, field)
	}
}

// newEntries returns the audit entries appended since n entries, checking there is exactly one.
func (g *rig) one(what string, n int) edit.AuditEntry {
	g.t.Helper()
	all := g.audit.all()
	if len(all) != n+1 {
		g.t.Fatalf("%s: %d audit entries added, want exactly 1: %+v", what, len(all)-n, all[n:])
	}
	return all[n]
}

func TestFailedSignIns(t *testing.T) {
	g := newRig(t, AnonymousRead, 0)
	for _, c := range []struct {
		name, path, auth, field, wwwError, actor string
	}{
		{"revoked", "/api/places", "Bearer " + g.revoked, "Authorization", "invalid_token", "gone"},
		{"unknown", "/api/places", "Bearer civmap_0123456789abcdef_" + strings.Repeat("ab", 32), "Authorization", "invalid_token", "anonymous"},
		{"malformed", "/api/places", "Bearer not-a-token", "Authorization", "invalid_token", "anonymous"},
		{"wrong secret", "/tiles/style.json", "Bearer " + g.tok[edit.RoleAdmin][:len(g.tok[edit.RoleAdmin])-4] + "0000", "Authorization", "invalid_token", "anonymous"},
		{"basic scheme", "/api/places", "Basic dXNlcjpwYXNz", "Authorization", "invalid_request", "anonymous"},
		{"access_token", "/api/places?access_token=" + g.tok[edit.RoleAdmin], "", "access_token", "invalid_request", "anonymous"},
		{"api_key", "/api/places?api_key=x", "", "api_key", "invalid_request", "anonymous"},
		{"key", "/tiles/style.json?key=x", "", "key", "invalid_request", "anonymous"},
		{"bearer", "/api/places?bearer=x", "", "bearer", "invalid_request", "anonymous"},
		{"token in q with a good header", "/api/places?q=" + url.QueryEscape(g.tok[edit.RoleEditor]), "Bearer " + g.tok[edit.RoleEditor], "q", "invalid_request", "anonymous"},
		{"revoked write", "/api/places", "Bearer " + g.revoked, "Authorization", "invalid_token", "gone"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := len(g.audit.all())
			method := http.MethodGet
			var hdr []string
			if c.auth != "" {
				hdr = []string{"Authorization", c.auth}
			}
			var body io.Reader
			if strings.Contains(c.name, "write") {
				method, body = http.MethodPost, strings.NewReader(`{}`)
			}
			before := g.reached.Load()
			a := g.do(method, c.path, body, append(hdr, "X-Request-Id", "req-"+strings.ReplaceAll(c.name, " ", "-"))...)
			a.want(t, c.name, http.StatusUnauthorized, c.field)
			if w := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(w, "Bearer ") || !strings.Contains(w, `error="`+c.wwwError+`"`) {
				t.Errorf("WWW-Authenticate %q, want Bearer with error=%q", w, c.wwwError)
			}
			if g.reached.Load() != before {
				t.Error("a refused sign-in reached the handler")
			}
			e := g.one(c.name, n)
			if e.Outcome != edit.OutcomeDenied || e.Status != 401 || e.Actor != c.actor || e.Action != "sign-in" ||
				e.RequestID != "req-"+strings.ReplaceAll(c.name, " ", "-") || e.ClientAddr != "127.0.0.1" ||
				!strings.Contains(e.Message, c.field) || e.Time.IsZero() {
				t.Errorf("audit entry %+v", e)
			}
			if strings.Contains(e.Message, Prefix) && c.field != "Authorization" {
				t.Errorf("audit entry quotes the token: %q", e.Message)
			}
		})
	}
	if a := g.do("GET", "/api/places", nil, "Authorization", "Bearer "+g.tok[edit.RoleViewer], "Authorization", "Bearer x"); a.status != 401 {
		t.Errorf("two Authorization headers: %d", a.status)
	}
}

func TestRequestIDAndAnonymousReads(t *testing.T) {
	g := newRig(t, AnonymousRead, 0)
	a := g.do("GET", "/api/places", nil)
	if a.status != 200 || len(a.header.Get("X-Request-Id")) != 32 {
		t.Errorf("anonymous read: %d, request id %q", a.status, a.header.Get("X-Request-Id"))
	}
	if b := g.do("GET", "/api/places", nil); b.header.Get("X-Request-Id") == a.header.Get("X-Request-Id") {
		t.Error("two requests got the same id")
	}
	if a := g.do("GET", "/api/places", nil, "X-Request-Id", "abc-123"); a.header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("client's id not echoed: %q", a.header.Get("X-Request-Id"))
	}
	if a := g.do("GET", "/nope", nil, "X-Request-Id", "bad id"); a.header.Get("X-Request-Id") == "bad id" {
		t.Error("a bad request id was echoed")
	}
	if n := len(g.audit.all()); n != 0 {
		t.Errorf("%d audit entries for reads", n)
	}
}

// A POST to one of Options.Queries is a read: anonymous under AnonymousRead (a bad body is a 400 that is not audited
// as a refused write), refused under AnonymousNone; a POST elsewhere still needs a token.
func TestQueryPOSTs(t *testing.T) {
	g := newRig(t, AnonymousRead, 0)
	if a := g.do("POST", "/api/names/check", strings.NewReader(`{"name":"石浦镇"}`)); a.status != 200 {
		t.Errorf("anonymous query POST: %d %s", a.status, a.body)
	}
	g.do("POST", "/api/names/check", strings.NewReader(`{`)).want(t, "bad query body", http.StatusBadRequest, "")
	if n := len(g.audit.all()); n != 0 {
		t.Errorf("query POSTs left %d audit entries: %+v", n, g.audit.all())
	}
	g.do("POST", "/api/places", strings.NewReader(`{}`)).want(t, "anonymous write", http.StatusUnauthorized, "Authorization")
	none := newRig(t, AnonymousNone, 0)
	none.do("POST", "/api/names/check", strings.NewReader(`{}`)).want(t, "query POST under none", http.StatusUnauthorized, "Authorization")
}

func TestAnonymousNone(t *testing.T) {
	g := newRig(t, AnonymousNone, 0)
	for _, p := range []string{"/api/places", "/tiles/style.json", "/api", "/api/auth/me"} {
		n := len(g.audit.all())
		a := g.do("GET", p, nil)
		a.want(t, p, http.StatusUnauthorized, "Authorization")
		if w := a.header.Get("WWW-Authenticate"); w != `Bearer realm="civmap"` {
			t.Errorf("%s: WWW-Authenticate %q", p, w)
		}
		if e := g.one(p, n); e.Outcome != edit.OutcomeDenied || e.Actor != "anonymous" {
			t.Errorf("%s: %+v", p, e)
		}
	}
	for _, p := range []string{"/healthz", "/", "/assets/x.js"} {
		if a := g.do("GET", p, nil); a.status != 200 {
			t.Errorf("%s without a token under --anonymous none: %d %s", p, a.status, a.body)
		}
	}
	if a := g.do("GET", "/tiles/style.json", nil, bearer(g.tok[edit.RoleViewer])...); a.status != 200 {
		t.Errorf("viewer's tile request: %d", a.status)
	}
}

func TestRefusedWrites(t *testing.T) {
	g := newRig(t, AnonymousRead, 1000)

	// An anonymous write never reaches its handler, and leaves one refused entry naming the target.
	n := len(g.audit.all())
	a := g.do("POST", "/api/places/%E7%94%B2%201/approve", strings.NewReader(`{}`))
	a.want(t, "anonymous write", 401, "Authorization")
	if g.reached.Load() != 0 {
		t.Error("an anonymous write reached its handler")
	}
	e := g.one("anonymous write", n)
	if e.Outcome != edit.OutcomeRefused || e.Status != 401 || e.Actor != "anonymous" || e.Kind != edit.KindPlace ||
		e.TargetID != "甲 1" || e.Action != "approve" || e.Message == "" {
		t.Errorf("anonymous write entry %+v", e)
	}

	// An editor approving: 403 from edit.Require, one entry with the editor's name and role.
	n = len(g.audit.all())
	a = g.do("POST", "/api/places/P1/approve", strings.NewReader(`{}`), bearer(g.tok[edit.RoleEditor])...)
	a.want(t, "editor approving", 403, "Authorization")
	e = g.one("editor approving", n)
	if e.Outcome != edit.OutcomeRefused || e.Status != 403 || e.Actor != "user-editor" || e.Role != edit.RoleEditor ||
		e.TargetID != "P1" || !strings.Contains(e.Message, "reviewer") {
		t.Errorf("editor approving entry %+v", e)
	}
	// A reviewer may: no entry from the middleware (the store audits a committed write itself).
	n = len(g.audit.all())
	if a := g.do("POST", "/api/places/P1/approve", strings.NewReader(`{}`), bearer(g.tok[edit.RoleReviewer])...); a.status != 200 {
		t.Fatalf("reviewer approving: %d %s", a.status, a.body)
	}
	if len(g.audit.all()) != n {
		t.Error("an accepted write got a refused entry")
	}

	// The problem's detail is kept as answered (httpx cuts a detail to 1 KiB), and never over MaxDetail characters.
	n = len(g.audit.all())
	g.do("POST", "/api/places/P2/conflict", strings.NewReader(`{}`), bearer(g.tok[edit.RoleEditor])...).want(t, "conflict", 409, "status")
	e = g.one("conflict", n)
	if n := utf8.RuneCountInString(e.Message); n > MaxDetail || n < 300 || !strings.HasPrefix(e.Message, "status: 长长") || e.Status != 409 {
		t.Errorf("conflict entry: status %d, message of %d characters %q…", e.Status, utf8.RuneCountInString(e.Message), e.Message[:20])
	}

	// Bodies over the limit: known from Content-Length, found while DecodeJSON reads a chunked body, or found by a
	// handler that calls it a 400: 413 each time, with one entry.
	big := `{"x":"` + strings.Repeat("a", 2000) + `"}`
	for _, c := range []struct {
		name, method, path string
		body               io.Reader
	}{
		{"content-length", "POST", "/api/places", strings.NewReader(big)},
		{"chunked", "POST", "/api/places", io.MultiReader(strings.NewReader(big))},
		{"handler's 400", "PUT", "/api/raw", io.MultiReader(strings.NewReader(big))},
	} {
		n := len(g.audit.all())
		a := g.do(c.method, c.path, c.body, bearer(g.tok[edit.RoleEditor])...)
		a.want(t, c.name, http.StatusRequestEntityTooLarge, "body")
		if !strings.Contains(a.prob.Detail, "1000") {
			t.Errorf("%s: detail %q does not give the limit", c.name, a.prob.Detail)
		}
		if e := g.one(c.name, n); e.Status != 413 || e.Outcome != edit.OutcomeRefused || e.Actor != "user-editor" {
			t.Errorf("%s: entry %+v", c.name, e)
		}
	}
	// Under the limit it goes through.
	if a := g.do("POST", "/api/places", strings.NewReader(`{"x":"`+strings.Repeat("a", 900)+`"}`), bearer(g.tok[edit.RoleEditor])...); a.status != 201 {
		t.Errorf("a body under the limit: %d %s", a.status, a.body)
	}
	// A write answered 405 is refused too; a write outside /api is not audited.
	n = len(g.audit.all())
	g.do("DELETE", "/api/places", nil, bearer(g.tok[edit.RoleEditor])...).want(t, "DELETE /api/places", 405, "method")
	if e := g.one("405", n); e.Status != 405 || e.Kind != "places" || e.Action != "delete" {
		t.Errorf("405 entry %+v", e)
	}
	n = len(g.audit.all())
	g.do("POST", "/index.html", nil, bearer(g.tok[edit.RoleEditor])...).want(t, "POST /index.html", 405, "")
	if len(g.audit.all()) != n {
		t.Error("a refused write outside /api was audited")
	}
}

func TestMe(t *testing.T) {
	g := newRig(t, AnonymousRead, 0)
	a := g.do("GET", "/api/auth/me", nil, bearer(g.tok[edit.RoleReviewer])...)
	var p map[string]string
	if err := json.Unmarshal(a.body, &p); err != nil || a.status != 200 || p["name"] != "user-reviewer" ||
		p["role"] != "reviewer" || len(p) != 2 || a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("me: %d %s %v", a.status, a.body, a.header)
	}
	n := len(g.audit.all())
	a = g.do("GET", "/api/auth/me", nil)
	a.want(t, "me without a token", 401, "Authorization")
	if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("me: WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
	}
	if e := g.one("me", n); e.Status != 401 || e.Outcome != edit.OutcomeRefused {
		t.Errorf("me entry %+v", e)
	}
}

func TestAuditEndpoint(t *testing.T) {
	g := newRig(t, AnonymousRead, 0)
	admin := bearer(g.tok[edit.RoleAdmin])
	// Three refused writes by the editor on P1, P2, P3, and one failed sign-in.
	for _, id := range []string{"P1", "P2", "P3"} {
		g.do("POST", "/api/places/"+id+"/approve", strings.NewReader(`{}`), bearer(g.tok[edit.RoleEditor])...)
	}
	g.do("GET", "/api/places", nil, "Authorization", "Bearer nope")

	// An editor asking for the audit: 403, and that is an entry too.
	n := len(g.audit.all())
	g.do("GET", "/api/audit", nil, bearer(g.tok[edit.RoleEditor])...).want(t, "editor reading the audit", 403, "Authorization")
	if e := g.one("editor reading the audit", n); e.Status != 403 || e.Actor != "user-editor" || e.Kind != "audit" || e.Action != "read" {
		t.Errorf("entry %+v", e)
	}
	g.do("GET", "/api/audit", nil).want(t, "anonymous reading the audit", 401, "Authorization")

	type list struct {
		Items          []edit.AuditEntry `json:"items"`
		NumberMatched  int               `json:"numberMatched"`
		NumberReturned int               `json:"numberReturned"`
		Links          []httpx.Link      `json:"links"`
	}
	get := func(q string) list {
		t.Helper()
		a := g.do("GET", "/api/audit"+q, nil, admin...)
		if a.status != 200 || a.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("audit%s: %d %s", q, a.status, a.body)
		}
		var l list
		if err := json.Unmarshal(a.body, &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := get("?actor=user-editor&limit=2")
	if l.NumberMatched != 4 || l.NumberReturned != 2 || len(l.Items) != 2 || l.Items[0].TargetID != "P1" ||
		l.Items[1].TargetID != "P2" {
		t.Errorf("actor page 1: %+v", l)
	}
	var next string
	for _, k := range l.Links {
		if k.Rel == "next" {
			next = k.Href
		}
	}
	if !strings.Contains(next, "offset=2") || !strings.Contains(next, "actor=user-editor") {
		t.Errorf("next link %q", next)
	}
	if l := get("?target=P3"); l.NumberMatched != 1 || l.Items[0].TargetID != "P3" || l.Items[0].Status != 403 {
		t.Errorf("target: %+v", l)
	}
	all := g.audit.all()
	since, want := all[1].Time, 0
	for _, e := range all {
		if !e.Time.Before(since) {
			want++
		}
	}
	if l := get("?since=" + url.QueryEscape(since.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339Nano)) +
		"&until=2999-01-01T00:00:00%2B08:00"); l.NumberMatched != want || want == len(all) {
		t.Errorf("since/until matched %d of %d, want %d", l.NumberMatched, len(all), want)
	}
	if l := get("?until=2000-01-01T00:00:00Z"); l.NumberMatched != 0 || l.Items == nil {
		t.Errorf("until 2000: %+v (items must be [], not null)", l)
	}
	for _, c := range []struct{ q, field string }{
		{"?since=yesterday", "since"}, {"?until=2025-13-01T00:00:00Z", "until"}, {"?since=2025-03-01", "since"},
		{"?since=2025-03-02T00:00:00Z&until=2025-03-01T00:00:00Z", "until"}, {"?limit=0", "limit"}, {"?offset=-1", "offset"},
	} {
		g.do("GET", "/api/audit"+c.q, nil, admin...).want(t, c.q, 400, c.field)
	}
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		a := g.do(m, "/api/audit", strings.NewReader(`{}`), admin...)
		a.want(t, m+" /api/audit", 405, "method")
		if a.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /api/audit: Allow %q", m, a.header.Get("Allow"))
		}
	}
}
