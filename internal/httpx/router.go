package httpx

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"civmap/internal/apierr"
)

// NewRouter returns a gorilla/mux router that matches on the encoded path (so an ID holding %2F or percent-encoded
// Chinese, e.g. /api/boundary-lines/%E8%B1%A1%E5%AE%81%E7%BA%BF, is one path segment; read it with PathVar), and
// installs, for every route matched on it or on any subrouter of it however made (Sub, PathPrefix(…).Subrouter(), …):
//   - Recover: a panic becomes a 500 problem;
//   - ValidQuery: a query parameter that is not well-formed UTF-8 or is repeated is a 400 problem naming it;
//   - Problems: any error answer (status >= 400) that is not already a problem becomes one, so that a catch-all route
//     registered after the API (the map client's files) cannot answer an API path with text/plain; a 405 from such a
//     route lists in Allow the methods the router's other routes take at that path.
//
// Unknown paths are a 404 problem and known paths with the wrong method a 405 problem with an Allow header. Serve it
// wrapped in Recover too, so that nothing outside a route can panic through.
func NewRouter() *mux.Router {
	r := mux.NewRouter().UseEncodedPath()
	r.NotFoundHandler = NotFoundHandler()
	r.MethodNotAllowedHandler = MethodNotAllowedHandler(r)
	r.Use(Recover, Problems(r), ValidQuery)
	return r
}

// Sub returns a subrouter of r, matching every request r passes to it, that matches its routes on the encoded path
// whatever r does. Register routes whose variables are read with PathVar on it. A subrouter answers nothing itself
// when none of its routes match (mux gives subrouters no 404/405 handlers): r's routes after it, then r's NotFound and
// MethodNotAllowed handlers, do; NewRouter's Problems middleware keeps those answers problems.
func Sub(r *mux.Router) *mux.Router {
	return r.NewRoute().Subrouter().UseEncodedPath()
}

// PathVar returns the mux path variable name, percent-decoded. Routes must match on the encoded path (NewRouter, Sub).
// A malformed escape, invalid UTF-8 or a control character (NUL included) is a 400 naming the variable, so no store
// ever sees such an id.
func PathVar(r *http.Request, name string) (string, error) {
	raw := mux.Vars(r)[name]
	v, err := url.PathUnescape(raw)
	if err != nil {
		return "", BadParam(name, "bad percent-encoding in %q", raw)
	}
	if why := badText(v); why != "" {
		return "", BadParam(name, "%q %s", raw, why)
	}
	return v, nil
}

// NotFoundHandler answers 404 with a problem naming the path.
func NotFoundHandler() http.Handler {
	return http.HandlerFunc(writeNotFound)
}

func writeNotFound(w http.ResponseWriter, r *http.Request) {
	WriteProblem(w, http.StatusNotFound, "no resource at "+Quote(r.URL.Path),
		apierr.FieldError{Field: "path", Reason: "unknown path"})
}

var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions}

// MethodNotAllowedHandler answers 405 with a problem and an Allow header listing the methods that router accepts at the
// path.
func MethodNotAllowedHandler(router *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeMethodNotAllowed(w, r, allowedMethods(router, r, nil))
	})
}

// FallbackHandler answers a request that no route of router but the one serving this handler takes: 405 with an
// Allow header when router's other routes take the path with other methods, else a 404 problem naming the path.
// Register it on a path prefix (e.g. /api/) after that prefix's routes and before a catch-all, so that an unknown path
// under the prefix is a 404 for every method rather than the catch-all's 405 (whose Allow would imply it exists).
func FallbackHandler(router *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := allowedMethods(router, r, mux.CurrentRoute(r))
		if len(allow) == 0 {
			writeNotFound(w, r)
			return
		}
		writeMethodNotAllowed(w, r, allow)
	})
}

// allowedMethods lists, sorted, the methods for which router matches r's path with a route other than except.
func allowedMethods(router *mux.Router, r *http.Request, except *mux.Route) []string {
	var allow []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if router.Match(probe, &match) && match.MatchErr == nil && (except == nil || match.Route != except) {
			allow = append(allow, m)
		}
	}
	sort.Strings(allow)
	return allow
}

func writeMethodNotAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	list := strings.Join(allow, ", ")
	w.Header().Set("Allow", list)
	WriteProblem(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s; allowed: %s", Clip(r.Method), Quote(r.URL.Path), list),
		apierr.FieldError{Field: "method", Reason: "allowed: " + list})
}

// Problems returns middleware that keeps every error answer of the routes of router an RFC 9457 problem: when a
// handler starts a response with a status >= 400 and a Content-Type other than application/problem+json (http.Error,
// http.NotFound, a file server's 416, …), its body is dropped and a problem with that status is written instead. A 404
// names the path, as NotFoundHandler does; a 405 gets an Allow header listing the methods the handler allowed (its own
// Allow header) and those router's other routes take at the path (so a catch-all route's 405 on PUT /api/places still
// lists POST). Other headers the handler set stay, but for Content-Length and Content-Encoding.
func Problems(router *mux.Router) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&problemWriter{ResponseWriter: w, r: r, router: router}, r)
		})
	}
}

type problemWriter struct {
	http.ResponseWriter
	r        *http.Request
	router   *mux.Router
	started  bool // the status line is written
	replaced bool // the handler's body is being dropped: a problem was written instead
}

func (w *problemWriter) WriteHeader(code int) {
	if w.started || code < 200 { // informational responses (103 Early Hints) pass through
		if !w.replaced {
			w.ResponseWriter.WriteHeader(code)
		}
		return
	}
	w.started = true
	if code < 400 || isProblem(w.Header().Get("Content-Type")) {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Content-Encoding")
	switch code {
	case http.StatusNotFound:
		writeNotFound(w.ResponseWriter, w.r)
	case http.StatusMethodNotAllowed:
		allow := allowedMethods(w.router, w.r, mux.CurrentRoute(w.r))
		for _, v := range h.Values("Allow") {
			for m := range strings.SplitSeq(v, ",") {
				if m = strings.ToUpper(strings.TrimSpace(m)); m != "" && !slices.Contains(allow, m) {
					allow = append(allow, m)
				}
			}
		}
		sort.Strings(allow)
		writeMethodNotAllowed(w.ResponseWriter, w.r, allow)
	default:
		WriteProblem(w.ResponseWriter, code, http.StatusText(code))
	}
}

func (w *problemWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *problemWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func isProblem(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), ProblemContentType)
}

// Recover is middleware that turns a panic in next into a 500 problem (if nothing was written yet) and logs the panic
// value and stack with slog.Default. http.ErrAbortHandler is re-panicked, as net/http expects.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &recordingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			ref := newRef()
			slog.Default().ErrorContext(r.Context(), "panic serving a request", "ref", ref, "method", r.Method,
				"url", r.URL.String(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !rw.wrote {
				WriteProblem(w, http.StatusInternalServerError,
					"internal error (reference "+ref+"); the server log has the details")
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

type recordingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *recordingWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
