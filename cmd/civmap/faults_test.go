package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"civmap/data/ingest"
	"civmap/internal/edit"
)

// TestNumbersKeptExactly: numbers in attributes come back as sent through the API (POST then GET) and through an
// import, on both stores; a text field given as a number in an import keeps the number's text.
func TestNumbersKeptExactly(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := sampleServer(t, sf)
		body := `{"type":"Feature","id":"num-api","geometry":{"type":"Point","coordinates":[121.87,29.47]},` +
			`"properties":{"name":"天安路","category":"road","division_codes":["330225002"],` +
			`"attributes":{"big":12345678901234567890,"dec":1.10,"exp":1.5e-3}}}`
		if r := do(t, "POST", ts.URL+"/api/places", body, "Content-Type", "application/geo+json"); r.status != http.StatusCreated {
			t.Fatalf("POST: %d %s", r.status, r.body)
		}
		r := do(t, "GET", ts.URL+"/api/places/num-api", "")
		if !strings.Contains(string(r.body), `"attributes":{"big":12345678901234567890,"dec":1.10,"exp":0.0015}`) {
			t.Errorf("GET after POST: %s", r.body)
		}
		file := `{"type":"FeatureCollection","features":[{"type":"Feature","id":"num-import",` +
			`"geometry":{"type":"Point","coordinates":[121.871,29.471]},"properties":{"name":"天安路","category":1.10,` +
			`"division_codes":["330225002"],"big":12345678901234567890}}]}`
		res, err := ingest.Read(strings.NewReader(file), ingest.Options{Kind: ingest.Places,
			KnownDivision: func(string) bool { return true }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Import(context.Background(), res.Batch, edit.Meta{Actor: "test", Action: "import"}); err != nil {
			t.Fatal(err)
		}
		r = do(t, "GET", ts.URL+"/api/places/num-import", "")
		if !strings.Contains(string(r.body), `"category":"1.10"`) || !strings.Contains(string(r.body), `"big":12345678901234567890`) {
			t.Errorf("GET after import: %s", r.body)
		}
	})
}

// TestAPICORS: /api answers carry CORS headers and preflights are answered, as the tiles' are; other paths are not
// touched.
func TestAPICORS(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		r := do(t, "GET", ts.URL+"/api/places?limit=1", "", "Origin", "https://planner.example.org")
		if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "ETag") ||
			!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Location") {
			t.Errorf("GET: %d %v", r.status, r.header)
		}
		if r := do(t, "GET", ts.URL+"/api/places/nope", ""); r.status != 404 || r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("404: %d %v", r.status, r.header)
		}
		for _, p := range []string{"/api/places", "/api/places/x", "/api"} {
			r := do(t, "OPTIONS", ts.URL+p, "", "Origin", "https://planner.example.org",
				"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "authorization, if-match, content-type")
			allowH := strings.ToLower(r.header.Get("Access-Control-Allow-Headers"))
			if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" ||
				!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "PUT") ||
				!strings.Contains(allowH, "authorization") || !strings.Contains(allowH, "if-match") ||
				!strings.Contains(allowH, "content-type") {
				t.Errorf("preflight %s: %d %v", p, r.status, r.header)
			}
		}
		if r := do(t, "GET", ts.URL+"/healthz", ""); r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("/healthz got CORS headers: %v", r.header)
		}
	})
}

// TestHugeInputNotEchoed: 100 KB of input in an id, a query value, a layer name or a body member is answered with a
// short problem, on both stores.
func TestHugeInputNotEchoed(t *testing.T) {
	huge := strings.Repeat("长", 35_000) // ~100 KB of UTF-8
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/api/places/" + huge, ""},
			{"GET", "/api/facilities/" + huge, ""},
			{"GET", "/api/places?limit=" + huge, ""},
			{"GET", "/api/places?status=" + huge, ""},
			{"GET", "/tiles/" + huge + "/10/856/425.mvt", ""},
			{"GET", "/nothing/" + huge, ""},
			{"POST", "/api/places", `{"type":"Feature","geometry":null,"properties":{"` + huge + `":1}}`},
		} {
			r := do(t, c.method, ts.URL+c.path, c.body, "Content-Type", "application/geo+json")
			if r.status < 400 || len(r.body) > 2000 {
				t.Errorf("%s %.30s…: %d with %d bytes, want a short problem", c.method, c.path, r.status, len(r.body))
			}
		}
	})
}
