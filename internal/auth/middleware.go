package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// Anonymous is what a request without a token may do: AnonymousRead (the default) reads, AnonymousNone nothing under
// /api and /tiles. No anonymous request may write either way.
type Anonymous string

// The --anonymous modes.
const (
	AnonymousRead Anonymous = "read"
	AnonymousNone Anonymous = "none"
)

// UnmarshalText accepts "read" and "none" (so Anonymous works with flag.TextVar).
func (a *Anonymous) UnmarshalText(b []byte) error {
	switch v := Anonymous(strings.TrimSpace(string(b))); v {
	case AnonymousRead, AnonymousNone:
		*a = v
		return nil
	}
	return fmt.Errorf("want read or none, got %q", b)
}

// MarshalText returns the mode's name ("read" when unset).
func (a Anonymous) MarshalText() ([]byte, error) {
	if a == "" {
		return []byte(AnonymousRead), nil
	}
	return []byte(a), nil
}

// DefaultMaxBody is the default request body limit: 2 MiB.
const DefaultMaxBody = 2 << 20

// MaxDetail is the longest problem detail, in characters, that an audit entry keeps.
const MaxDetail = 500

// queryTokenParams are the query parameters that conventionally carry a token (RFC 6750 §2.3 access_token and the
// usual others). Each is refused whatever its value; any other parameter is refused when its value looks like a token.
var queryTokenParams = []string{"access_token", "token", "api_key", "apikey", "key", "bearer", "auth", "authorization"}

// Options configure Handler.
type Options struct {
	Tokens    Store      // verifies tokens
	Audit     edit.Store // receives the entries of failed sign-ins and refused writes
	Anonymous Anonymous  // "" is AnonymousRead
	MaxBody   int64      // request body limit in bytes; <= 0 is DefaultMaxBody
	Log       *slog.Logger
	// Queries are the paths whose POST only reads: a query too large or too structured for a URL (a name check, a
	// what-if coverage run, a posted geometry). They are reads for the write guard and the refused-attempt audit, so
	// that with AnonymousRead they need no token.
	Queries []string
}

// Handler wraps next (the whole API, map client included) with, in order:
//   - the request id: the client's X-Request-Id when it is 1–128 characters of [A-Za-z0-9._:-], else a new random one,
//     echoed in X-Request-Id on every answer and, with the client address (the host of RemoteAddr), put in the
//     context (edit.WithRequest);
//   - sign-in: `Authorization: Bearer TOKEN` is verified and its principal put in the context (edit.WithPrincipal). A
//     token in the query string (access_token, token, api_key, key, bearer, … or any parameter whose value holds
//     "civmap_"), another scheme, or an unknown, revoked or malformed token is answered 401 problem+json naming the
//     parameter or Authorization, with WWW-Authenticate (RFC 6750 §3), and audited (edit.OutcomeDenied). With
//     AnonymousNone a request without a token under /api or /tiles is refused the same way;
//   - the refused-attempt audit: every POST, PUT, PATCH or DELETE under /api answered 4xx, and every /api request
//     answered 401 or 403, appends one edit.OutcomeRefused entry (status, the problem's detail cut to MaxDetail
//     characters, actor and role, the target kind and id from /api/{kind}/{id}…, request id and client address);
//   - the write guard: a write (POST, PUT, PATCH, DELETE; a POST to one of Queries is a read) without a token is
//     answered 401 before any handler sees it;
//   - the body limit: a body over MaxBytes is answered 413 problem+json, whether the Content-Length says so at once or
//     the handler finds out while reading (an error the handler answers then becomes the 413).
//
// /healthz, /readyz and /metrics get the request id only: probes and scrapers need no token.
func Handler(next http.Handler, o Options) http.Handler {
	if o.Anonymous == "" {
		o.Anonymous = AnonymousRead
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	m := &middleware{o: o}
	m.inner = m.refused(m.guard(m.limit(next)))
	m.open = next
	return m
}

type middleware struct {
	o     Options
	inner http.Handler // the chain after sign-in
	open  http.Handler // the chain of the open paths
}

// RequestID is the first step of Handler on its own, for what answers outside it (a server's /healthz before the API
// is ready): it gives r its request id (X-Request-Id, echoed) and client address, unless r already has them.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, withRequest(w, r))
	})
}

func withRequest(w http.ResponseWriter, r *http.Request) *http.Request {
	if edit.RequestFrom(r.Context()).ID != "" {
		return r
	}
	rid := r.Header.Get("X-Request-Id")
	if !goodRequestID(rid) {
		rid = newRequestID()
	}
	w.Header().Set("X-Request-Id", rid)
	return r.WithContext(edit.WithRequest(r.Context(), edit.Request{ID: rid, ClientAddr: clientAddr(r)}))
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = withRequest(w, r)
	ctx := r.Context()
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		m.open.ServeHTTP(w, r)
		return
	}

	if name := queryToken(r.URL.Query()); name != "" {
		m.deny(w, r, edit.Principal{}, `error="invalid_request", error_description="send the token in the Authorization header"`,
			apierr.FieldError{Field: name, Reason: "a token must not be sent in the query string (URLs end up in logs and " +
				"browser history); send it as Authorization: Bearer TOKEN"})
		return
	}
	hdr := r.Header.Values("Authorization")
	switch {
	case len(hdr) > 1:
		m.deny(w, r, edit.Principal{}, `error="invalid_request"`,
			apierr.FieldError{Field: "Authorization", Reason: "give one Authorization header, not several"})
		return
	case len(hdr) == 1:
		scheme, text, _ := strings.Cut(strings.TrimSpace(hdr[0]), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			m.deny(w, r, edit.Principal{}, `error="invalid_request"`,
				apierr.FieldError{Field: "Authorization", Reason: fmt.Sprintf("only the Bearer scheme is accepted "+
					"(Authorization: Bearer TOKEN), got %q", clip(scheme, 20))})
			return
		}
		t, err := Verify(ctx, m.o.Tokens, strings.TrimSpace(text))
		if err != nil {
			if !errors.Is(err, edit.ErrUnauthenticated) { // the store failed: not the client's fault
				httpx.WriteError(w, r, err)
				return
			}
			var who edit.Principal
			if errors.Is(err, ErrRevoked) {
				who = t.Principal()
			}
			m.deny(w, r, who, `error="invalid_token"`, apierr.FieldError{Field: "Authorization", Reason: tokenReason(err)})
			return
		}
		r = r.WithContext(edit.WithPrincipal(ctx, t.Principal()))
	case m.o.Anonymous == AnonymousNone && needsToken(r.URL.Path):
		m.deny(w, r, edit.Principal{}, "", apierr.FieldError{Field: "Authorization",
			Reason: "this server answers only signed-in requests (--anonymous none): send Authorization: Bearer TOKEN"})
		return
	}
	m.inner.ServeHTTP(w, r)
}

func tokenReason(err error) string {
	switch {
	case errors.Is(err, ErrRevoked):
		return "the token has been revoked"
	case errors.Is(err, ErrMalformed):
		return fmt.Sprintf("malformed token: want %s, %d hex digits, _ and %d hex digits", Prefix, idLen, secretLen)
	}
	return "unknown token"
}

// deny answers a failed sign-in 401 with WWW-Authenticate (params after the realm, may be empty) and audits it.
func (m *middleware) deny(w http.ResponseWriter, r *http.Request, who edit.Principal, params string, fe apierr.FieldError) {
	e := m.entry(r, who, http.StatusUnauthorized, edit.OutcomeDenied, fe.Error())
	e.Action = "sign-in"
	m.append(r.Context(), e)
	challenge := `Bearer realm="civmap"`
	if params != "" {
		challenge += ", " + params
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteProblem(w, http.StatusUnauthorized, fe.Error(), fe)
}

// entry is the audit entry of r: time, actor, role, action, target, request id and client address.
func (m *middleware) entry(r *http.Request, who edit.Principal, status int, outcome, detail string) edit.AuditEntry {
	req := edit.RequestFrom(r.Context())
	kind, id := target(r.URL)
	e := edit.AuditEntry{Time: Now(), Actor: "anonymous", Action: action(r.Method, r.URL.Path), Outcome: outcome,
		Status: status, Kind: kind, TargetID: id, RequestID: req.ID, ClientAddr: req.ClientAddr,
		Message: clip(detail, MaxDetail)}
	if who.Name != "" {
		e.Actor, e.Role = who.Name, who.Role
	}
	return e
}

// append writes e to the audit log. The answer does not wait on the log's health: a failure is logged as an error.
func (m *middleware) append(ctx context.Context, e edit.AuditEntry) {
	// The request may be cancelled (client gone) but the attempt still belongs in the log.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := m.o.Audit.AppendAudit(ctx, e); err != nil {
		m.o.Log.ErrorContext(ctx, "audit entry lost", "err", err, "outcome", e.Outcome, "actor", e.Actor,
			"status", e.Status, "request_id", e.RequestID)
	}
}

// refused audits every refused attempt under /api (see Handler). The answer is held back until its entry is appended,
// so that a client that has its answer finds the entry in the log.
func (m *middleware) refused(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !underAPI(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		write := m.isWrite(r)
		rec := &recorder{ResponseWriter: w, hold: func(s int) bool {
			return (write && s >= 400 && s < 500) || s == http.StatusUnauthorized || s == http.StatusForbidden
		}}
		next.ServeHTTP(rec, r)
		if !rec.held {
			return
		}
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &p)
		if p.Detail == "" {
			p.Detail = http.StatusText(rec.status)
		}
		who, _ := edit.PrincipalFrom(r.Context())
		m.append(r.Context(), m.entry(r, who, rec.status, edit.OutcomeRefused, p.Detail))
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	})
}

// guard answers a write without a token 401 (the services check roles with edit.Require; this makes sure that no
// write reaches a handler anonymously, whatever the handler checks).
func (m *middleware) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := edit.PrincipalFrom(r.Context()); !ok && m.isWrite(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="civmap"`)
			fe := apierr.FieldError{Field: "Authorization",
				Reason: "every write needs a token: send Authorization: Bearer TOKEN (civmap token create makes one)"}
			httpx.WriteProblem(w, http.StatusUnauthorized, r.Method+" needs a signed-in request", fe)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limit enforces the body limit (see Handler).
func (m *middleware) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > m.o.MaxBody {
			tooLarge(w, m.o.MaxBody)
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		lw := &limitWriter{ResponseWriter: w, max: m.o.MaxBody}
		lb := &limitBody{ReadCloser: http.MaxBytesReader(w, r.Body, m.o.MaxBody), w: lw}
		r2 := r.Clone(r.Context())
		r2.Body = lb
		next.ServeHTTP(lw, r2)
	})
}

func tooLarge(w http.ResponseWriter, max int64) {
	w.Header().Set("Connection", "close")
	httpx.WriteProblem(w, http.StatusRequestEntityTooLarge,
		fmt.Sprintf("the request body is larger than the limit of %d bytes (--max-body)", max),
		apierr.FieldError{Field: "body", Reason: fmt.Sprintf("at most %d bytes", max)})
}

type limitBody struct {
	io.ReadCloser
	w *limitWriter
}

func (b *limitBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.w.tripped = true
	}
	return n, err
}

// limitWriter turns an error answer given after the body limit tripped into the 413 it is.
type limitWriter struct {
	http.ResponseWriter
	max      int64
	tripped  bool
	started  bool
	replaced bool
}

func (w *limitWriter) WriteHeader(code int) {
	if w.started || code < 200 {
		if !w.replaced {
			w.ResponseWriter.WriteHeader(code)
		}
		return
	}
	w.started = true
	if w.tripped && code >= 400 && code != http.StatusRequestEntityTooLarge {
		w.replaced = true
		h := w.Header()
		for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Type", "ETag", "Location"} {
			h.Del(k)
		}
		tooLarge(w.ResponseWriter, w.max)
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *limitWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *limitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recorder holds back an answer whose status hold selects: its status and body are kept, not sent, for the caller to
// send. Other answers pass through.
type recorder struct {
	http.ResponseWriter
	hold    func(status int) bool
	started bool
	held    bool
	status  int
	body    bytes.Buffer
}

func (w *recorder) WriteHeader(code int) {
	if !w.started && code >= 200 {
		w.started = true
		if w.hold(code) {
			w.held, w.status = true, code
			return
		}
	}
	if !w.held {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.held {
		return w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// isWrite reports whether r may write: POST (but to one of Options.Queries), PUT, PATCH or DELETE.
func (m *middleware) isWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost:
		return !slices.Contains(m.o.Queries, r.URL.Path)
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

func underAPI(path string) bool { return path == "/api" || strings.HasPrefix(path, "/api/") }

func needsToken(path string) bool {
	return underAPI(path) || path == "/tiles" || strings.HasPrefix(path, "/tiles/")
}

// queryToken returns the name of a query parameter that carries a token, or "".
func queryToken(q url.Values) string {
	for name, vs := range q {
		for _, p := range queryTokenParams {
			if strings.EqualFold(name, p) {
				return name
			}
		}
		for _, v := range vs {
			if Looks(v) {
				return name
			}
		}
	}
	return ""
}

// target parses /api/{kind}/{id}… into the kind and the (percent-decoded) id; either may be empty.
func target(u *url.URL) (edit.Kind, string) {
	rest, ok := strings.CutPrefix(u.EscapedPath(), "/api/")
	if !ok {
		return "", ""
	}
	kind, rest, _ := strings.Cut(rest, "/")
	id, _, _ := strings.Cut(rest, "/")
	if k, err := url.PathUnescape(kind); err == nil {
		kind = k
	}
	if v, err := url.PathUnescape(id); err == nil {
		id = v
	}
	return edit.Kind(clip(kind, 100)), clip(id, 200)
}

// action names what a request tried: the verb after /api/{kind}/{id}/ (submit, approve, restore, …) for a POST there,
// else create, update, delete or read by method.
func action(method, path string) string {
	if parts := strings.Split(strings.TrimPrefix(path, "/api/"), "/"); method == http.MethodPost && len(parts) >= 3 &&
		underAPI(path) {
		return clip(parts[2], 40)
	}
	switch method {
	case http.MethodPost:
		return "create"
	case http.MethodPut, http.MethodPatch:
		return "update"
	case http.MethodDelete:
		return "delete"
	}
	return "read"
}

// clip cuts s to at most n characters (runes), on a character boundary.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

func goodRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._:-", c) >= 0) {
			return false
		}
	}
	return true
}

// requestIDPrefix is this process's random half of every request id it makes; requestSeq counts them. An id only has
// to be unique, not secret: a counter under a random prefix is, and costs no random read per request.
var (
	requestIDPrefix = func() (p [8]byte) {
		_, _ = rand.Read(p[:]) // crypto/rand.Read never fails (Go 1.24+)
		return p
	}()
	requestSeq atomic.Uint64
)

// newRequestID makes a request id of 32 hex digits: the process's random prefix, then a sequence number.
func newRequestID() string {
	var b [16]byte
	copy(b[:8], requestIDPrefix[:])
	binary.BigEndian.PutUint64(b[8:], requestSeq.Add(1))
	return hex.EncodeToString(b[:])
}

func clientAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
