package httpx_test

import (
	"net/http"
	"net/http/httptest"
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
