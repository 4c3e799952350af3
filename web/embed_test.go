package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerBuilt(t *testing.T) {
	h := newHandler(fstest.MapFS{
		"README.md":              {Data: []byte("placeholder")},
		"index.html":             {Data: []byte("<!doctype html><title>civmap</title>")},
		"assets/index-abc.js":    {Data: []byte("console.log(1)")},
		"assets/index-abc.css":   {Data: []byte("body{}")},
		"assets/worker-abc.mjs":  {Data: []byte("self.onmessage=null")},
		"assets/data-abc.wasm":   {Data: []byte{0, 'a', 's', 'm'}},
		"assets/font-abc.woff2":  {Data: []byte("wOF2")},
		"assets/unknown-abc.xyz": {Data: []byte("?")},
	})
	tests := []struct {
		target       string
		status       int
		ctype, cache string
	}{
		{"/", 200, "text/html; charset=utf-8", "no-cache"},
		{"/index.html", 200, "text/html; charset=utf-8", "no-cache"},
		{"/assets/index-abc.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/assets/index-abc.css", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/assets/worker-abc.mjs", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/assets/data-abc.wasm", 200, "application/wasm", "public, max-age=31536000, immutable"},
		{"/assets/font-abc.woff2", 200, "font/woff2", "public, max-age=31536000, immutable"},
		{"/assets/unknown-abc.xyz", 200, "", "public, max-age=31536000, immutable"},
		{"/assets/../index.html", 200, "text/html; charset=utf-8", "no-cache"},
		{"/README.md", 404, "", ""},
		{"/nope.js", 404, "", ""},
		{"/assets/", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := get(t, h, http.MethodGet, tt.target, nil)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if tt.status != http.StatusOK {
				return
			}
			if tt.ctype != "" && rec.Header().Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", rec.Header().Get("Content-Type"), tt.ctype)
			}
			if rec.Header().Get("Content-Type") == "" {
				t.Errorf("no Content-Type")
			}
			if rec.Header().Get("Cache-Control") != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", rec.Header().Get("Cache-Control"), tt.cache)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", rec.Header().Get("X-Content-Type-Options"))
			}
		})
	}

	t.Run("etag", func(t *testing.T) {
		rec := get(t, h, http.MethodGet, "/assets/index-abc.js", nil)
		etag := rec.Header().Get("ETag")
		if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
			t.Fatalf("ETag = %q", etag)
		}
		rec = get(t, h, http.MethodGet, "/assets/index-abc.js", map[string]string{"If-None-Match": etag})
		if rec.Code != http.StatusNotModified {
			t.Fatalf("If-None-Match: status = %d, want 304", rec.Code)
		}
	})
	t.Run("head", func(t *testing.T) {
		rec := get(t, h, http.MethodHead, "/", nil)
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("HEAD /: status %d, %d body bytes", rec.Code, rec.Body.Len())
		}
	})
	t.Run("post", func(t *testing.T) {
		rec := get(t, h, http.MethodPost, "/", nil)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Fatalf("POST /: status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
		}
	})
}

func TestHandlerNotBuilt(t *testing.T) {
	h := newHandler(fstest.MapFS{"README.md": {Data: []byte("placeholder")}})
	for _, target := range []string{"/", "/index.html"} {
		rec := get(t, h, http.MethodGet, target, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d", target, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		body := rec.Body.String()
		for _, want := range []string{"make run", "npm ci &amp;&amp; npm run build", "go build", "地图客户端尚未构建", "Map client not built"} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s: page lacks %q", target, want)
			}
		}
	}
	if rec := get(t, h, http.MethodGet, "/assets/index.js", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET /assets/index.js: status %d, want 404", rec.Code)
	}
}

// TestEmbedded checks the files this binary really embeds: the built page when dist/ was built, else the fallback page.
func TestEmbedded(t *testing.T) {
	h := Handler()
	rec := get(t, h, http.MethodGet, "/", nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	if !Built() {
		t.Logf("client not built into this binary: / serves the build instructions")
		if !strings.Contains(body, "npm run build") {
			t.Fatalf("fallback page lacks the build command:\n%s", body)
		}
		return
	}
	if !strings.Contains(body, `<div id="map"`) {
		t.Fatalf("built index.html lacks the map container:\n%s", body)
	}
	// Every script and stylesheet the page links must be served with a JavaScript or CSS type.
	for _, ref := range append(between(body, `src="`, `"`), between(body, `href="`, `"`)...) {
		if !strings.HasPrefix(ref, "/assets/") {
			continue
		}
		rec := get(t, h, http.MethodGet, ref, nil)
		ct := rec.Header().Get("Content-Type")
		if rec.Code != http.StatusOK || !(strings.HasPrefix(ct, "text/javascript") || strings.HasPrefix(ct, "text/css")) {
			t.Errorf("GET %s: status %d, Content-Type %q", ref, rec.Code, ct)
		}
	}
}

func between(s, start, end string) []string {
	var out []string
	for {
		i := strings.Index(s, start)
		if i < 0 {
			return out
		}
		s = s[i+len(start):]
		j := strings.Index(s, end)
		if j < 0 {
			return out
		}
		out = append(out, s[:j])
		s = s[j+len(end):]
	}
}
