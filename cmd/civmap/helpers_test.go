package main

import (
	"civmap/internal/edit"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"civmap/data"
	"civmap/data/postgis/pgtest"
	"civmap/tiles"
)

// stores runs f once per store kind, each with its own fresh backing (a temp folder or a fresh PostGIS database).
func stores(t *testing.T, f func(t *testing.T, sf *storeFlags)) {
	t.Run("embedded", func(t *testing.T) {
		f(t, &storeFlags{dataDir: t.TempDir()})
	})
	t.Run("postgis", func(t *testing.T) {
		f(t, &storeFlags{databaseURL: pgtest.NewDatabase(t)})
	})
}

// sampleServer opens the store, loads the sample, and serves the API from an httptest server.
func sampleServer(t *testing.T, sf *storeFlags) (*httptest.Server, data.Store) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openAndLoad(context.Background(), sf, false, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := newServer(log, tiles.Options{})
	if err := srv.setStore(st); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(testPrincipal(srv))
	t.Cleanup(ts.Close)
	return ts, st
}

// testPrincipal signs every request in as a reviewer (until the token middleware of internal/auth is wired in, the
// API's writes need a principal in the context).
func testPrincipal(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := edit.WithPrincipal(r.Context(), edit.Principal{Name: "测试员", Role: edit.RoleReviewer})
		h.ServeHTTP(w, r.WithContext(edit.WithRequest(ctx, edit.Request{ClientAddr: r.RemoteAddr})))
	})
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return v
}

// featureCollection is the part of a GeoJSON answer the tests read.
type featureCollection struct {
	Type           string `json:"type"`
	NumberMatched  int    `json:"numberMatched"`
	NumberReturned int    `json:"numberReturned"`
	Links          []struct {
		Rel  string `json:"rel"`
		Href string `json:"href"`
	} `json:"links"`
	Features []struct {
		ID       any `json:"id"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Field    string `json:"field"`
		Reason   string `json:"reason"`
	} `json:"errors"`
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
func itoa(i int) string     { return strconv.Itoa(i) }
