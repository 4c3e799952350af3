package httpx

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"civmap/internal/apierr"
)

// NewRouter returns a gorilla/mux router that matches on the encoded path (so an ID holding %2F or percent-encoded
// Chinese, e.g. /api/boundary-lines/%E8%B1%A1%E5%AE%81%E7%BA%BF, is one path segment; read it with PathVar), answers
// unknown paths with a 404 problem and known paths with the wrong method with a 405 problem and an Allow header, and
// recovers panics in matched routes (Recover). Serve it wrapped in Recover too, so that nothing outside a route can
// panic through.
func NewRouter() *mux.Router {
	r := mux.NewRouter().UseEncodedPath()
	r.NotFoundHandler = NotFoundHandler()
	r.MethodNotAllowedHandler = MethodNotAllowedHandler(r)
	r.Use(Recover)
	return r
}

// Sub returns a subrouter of r, matching every request r passes to it, that matches its routes on the encoded path
// whatever r does. Register routes whose variables are read with PathVar on it.
func Sub(r *mux.Router) *mux.Router {
	return r.NewRoute().Subrouter().UseEncodedPath()
}

// PathVar returns the mux path variable name, percent-decoded. Routes must match on the encoded path (NewRouter, Sub).
// A malformed escape is a 400 naming the variable.
func PathVar(r *http.Request, name string) (string, error) {
	raw := mux.Vars(r)[name]
	v, err := url.PathUnescape(raw)
	if err != nil {
		return "", BadParam(name, "bad percent-encoding in %q", raw)
	}
	return v, nil
}

// NotFoundHandler answers 404 with a problem naming the path.
func NotFoundHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, http.StatusNotFound, fmt.Sprintf("no resource at %s", r.URL.Path),
			apierr.FieldError{Field: "path", Reason: "unknown path"})
	})
}

var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions}

// MethodNotAllowedHandler answers 405 with a problem and an Allow header listing the methods that router accepts at the
// path.
func MethodNotAllowedHandler(router *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range methods {
			probe := r.Clone(r.Context())
			probe.Method = m
			var match mux.RouteMatch
			if router.Match(probe, &match) && match.MatchErr == nil {
				allow = append(allow, m)
			}
		}
		sort.Strings(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		WriteProblem(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allow, ", ")),
			apierr.FieldError{Field: "method", Reason: "allowed: " + strings.Join(allow, ", ")})
	})
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
