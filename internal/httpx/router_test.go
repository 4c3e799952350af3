package httpx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"civmap/internal/httpx"
)

// Two packages each registering on their own Sub of one router: both reachable, encoded IDs decoded, 404/405 problems.
func TestSubroutersShareARouter(t *testing.T) {
	r := httpx.NewRouter()
	echo := func(w http.ResponseWriter, r *http.Request) {
		id, err := httpx.PathVar(r, "id")
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, id)
	}
	httpx.Sub(r).HandleFunc("/api/a/{id}", echo).Methods(http.MethodGet)
	httpx.Sub(r).HandleFunc("/api/b/{id}", echo).Methods(http.MethodGet, http.MethodPut)
	// A route registered on the plain router before: untouched by the subrouters' encoded matching.
	r.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {}).Methods(http.MethodGet)
	tests := []struct {
		method, path string
		status       int
		body, allow  string
	}{
		{"GET", "/api/a/%E8%B1%A1%E5%AE%81%E7%BA%BF", 200, "\"象宁线\"\n", ""},
		{"GET", "/api/b/x%2Fy", 200, "\"x/y\"\n", ""},
		{"GET", "/healthz", 200, "", ""},
		{"DELETE", "/api/b/x", 405, "", "GET, PUT"},
		{"GET", "/api/c/x", 404, "", ""},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		httpx.Recover(r).ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.status || (tc.body != "" && rec.Body.String() != tc.body) || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %q Allow %q", tc.method, tc.path, rec.Code, rec.Body, rec.Header().Get("Allow"))
		}
		if tc.status >= 400 && rec.Header().Get("Content-Type") != httpx.ProblemContentType {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, rec.Header().Get("Content-Type"))
		}
	}
}

// A catch-all registered after the API (as civmap's map client is) answers text/plain 404 and 405: the router turns
// them into problems, and a 405's Allow lists the API's methods at the path. Query parameters are checked on every
// route, however its subrouter was made.
func TestProblemsBehindCatchAll(t *testing.T) {
	r := httpx.NewRouter()
	ok := func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, r.URL.Query().Get("q"))
	}
	a := httpx.Sub(r)
	a.HandleFunc("/api/places", ok).Methods(http.MethodGet, http.MethodHead)
	a.HandleFunc("/api/places", ok).Methods(http.MethodPost)
	b := r.PathPrefix("/tiles").Subrouter() // made without Sub
	b.HandleFunc("/{layers}.json", ok).Methods(http.MethodGet, http.MethodHead, http.MethodOptions)
	r.HandleFunc("/metrics", ok).Methods(http.MethodGet)
	r.PathPrefix("/").HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		case r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>"))
		case r.URL.Path == "/range":
			w.Header().Set("Content-Length", "99")
			http.Error(w, "bad range", http.StatusRequestedRangeNotSatisfiable)
		default:
			http.NotFound(w, r)
		}
	})
	tests := []struct {
		method, path string
		status       int
		ctype        string
		allow, field string
	}{
		{"GET", "/api/places?q=x", 200, "application/json", "", ""},
		{"POST", "/api/places", 200, "application/json", "", ""},
		{"PUT", "/api/places", 405, httpx.ProblemContentType, "GET, HEAD, POST", "method"},
		{"DELETE", "/api/places", 405, httpx.ProblemContentType, "GET, HEAD, POST", "method"},
		{"OPTIONS", "/api/places", 405, httpx.ProblemContentType, "GET, HEAD, POST", "method"},
		{"POST", "/tiles/places.json", 405, httpx.ProblemContentType, "GET, HEAD, OPTIONS", "method"},
		{"GET", "/api/nope", 404, httpx.ProblemContentType, "", "path"},
		{"GET", "/tiles/places.png", 404, httpx.ProblemContentType, "", "path"},
		{"GET", "/", 200, "text/html", "", ""},
		{"PUT", "/", 405, httpx.ProblemContentType, "GET, HEAD", "method"},
		{"GET", "/range", 416, httpx.ProblemContentType, "", ""},
		{"GET", "/api/places?q=%FF%FE", 400, httpx.ProblemContentType, "", "q"},
		{"GET", "/api/places?q=a&q=b", 400, httpx.ProblemContentType, "", "q"},
		{"GET", "/tiles/places.json?x=%FF", 400, httpx.ProblemContentType, "", "x"},
		{"GET", "/metrics?name[]=a&name[]=b", 200, "application/json", "", ""},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		httpx.Recover(r).ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.status || rec.Header().Get("Content-Type") != tc.ctype || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %q Allow %q; want %d %q Allow %q", tc.method, tc.path, rec.Code,
				rec.Header().Get("Content-Type"), rec.Header().Get("Allow"), tc.status, tc.ctype, tc.allow)
			continue
		}
		if tc.ctype != httpx.ProblemContentType {
			continue
		}
		var p httpx.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tc.status {
			t.Errorf("%s %s: problem %s: %v", tc.method, tc.path, rec.Body, err)
			continue
		}
		if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
			t.Errorf("%s %s: errors %+v, want one naming %s", tc.method, tc.path, p.Errors, tc.field)
		}
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
			t.Errorf("%s %s: Content-Length %s for a %d-byte body", tc.method, tc.path, cl, rec.Body.Len())
		}
	}
}
