package main

import (
	"bytes"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap/data/postgis/pgtest"
)

// tcpProxy forwards connections from a loopback port to target until Close, which also cuts every open connection:
// a database that goes away under a running server.
type tcpProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(d, c); d.Close() }()
			go func() { _, _ = io.Copy(c, d); c.Close() }()
		}
	}()
	t.Cleanup(p.Close)
	return p
}

func (p *tcpProxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// /readyz pings the store: it answers 503 problem+json, within a few seconds, once the store stops answering — the
// embedded store closed, PostGIS cut off (the server reaches it through a proxy that is then closed).
func TestReadyzPingsTheStore(t *testing.T) {
	check := func(t *testing.T, url string, cut func()) {
		if r := do(t, "GET", url+"/readyz", ""); r.status != http.StatusOK {
			t.Fatalf("before: %d %s", r.status, r.body)
		}
		cut()
		start := time.Now()
		r := do(t, "GET", url+"/readyz", "")
		if r.status != http.StatusServiceUnavailable || r.header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(string(r.body), "does not answer") {
			t.Errorf("store gone: %d %s %s; want 503 problem+json", r.status, r.header.Get("Content-Type"), r.body)
		}
		if d := time.Since(start); d > readyTimeout+3*time.Second {
			t.Errorf("/readyz took %v", d)
		}
	}
	t.Run("embedded", func(t *testing.T) {
		ts, st := sampleServer(t, &storeFlags{dataDir: t.TempDir()})
		check(t, ts.URL, func() { st.Close() })
	})
	t.Run("postgis", func(t *testing.T) {
		dbURL := pgtest.NewDatabase(t)
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		proxy := newTCPProxy(t, u.Host)
		u.Host = proxy.ln.Addr().String()
		ts, _ := sampleServer(t, &storeFlags{databaseURL: u.String()})
		check(t, ts.URL, proxy.Close)
	})
}

// A lock or database error stops `civmap serve` before it logs "listening".
func TestNoListeningBeforeTheStoreOpens(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		sf := &storeFlags{dataDir: t.TempDir()}
		st, _, err := sf.open(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		code, _, errOut := cli(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", sf.dataDir, "--lock-timeout", "100ms")
		if code == 0 || !strings.Contains(errOut, "in use") || strings.Contains(errOut, "listening") {
			t.Errorf("exit %d, %q; want a lock error and no \"listening\"", code, errOut)
		}
	})
	t.Run("postgis", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := ln.Addr().String()
		ln.Close()
		code, _, errOut := cli(t, "serve", "--addr", "127.0.0.1:0", "--database-url", "postgres://civmap@"+closed+"/civmap?connect_timeout=2")
		if code == 0 || strings.Contains(errOut, "listening") {
			t.Errorf("exit %d, %q; want a database error and no \"listening\"", code, errOut)
		}
	})
}

// One log format: what libraries print with the log package (goose does) comes out through slog's handler.
func TestOneLogFormat(t *testing.T) {
	var buf bytes.Buffer
	restore := useLogger(newLogger(&buf, slog.LevelInfo))
	log.Printf("goose: no migrations to run")
	restore()
	if got := buf.String(); !strings.HasPrefix(got, "time=") || !strings.Contains(got, `level=INFO msg="goose: no migrations to run"`) {
		t.Errorf("log package output: %q; want slog's text format", got)
	}
	// Every line `civmap migrate` prints to stderr on a fresh database is slog's.
	dbURL := pgtest.NewDatabase(t)
	code, _, errOut := cli(t, "migrate", "--database-url", dbURL)
	if code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if line != "" && !strings.HasPrefix(line, "time=") {
			t.Errorf("stderr line not in slog's format: %q", line)
		}
	}
}

// The 428 without If-Match says where to get the record's current ETag, not a fixed example.
func TestPreconditionRequiredSaysWhere(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		r := do(t, "POST", ts.URL+"/api/places", `{"type":"Feature","geometry":{"type":"Point","coordinates":[121.87,29.47]},`+
			`"properties":{"name":"天安路","category":"road","division_codes":["330225002"]}}`, "Content-Type", "application/geo+json")
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		loc := r.header.Get("Location")
		for _, method := range []string{"PATCH", "DELETE"} {
			r := do(t, method, ts.URL+loc, `{"properties":{"history":"x"}}`, "Content-Type", "application/merge-patch+json")
			p := decode[problem](t, r)
			if r.status != http.StatusPreconditionRequired || !strings.Contains(p.Detail, "GET "+loc) || strings.Contains(p.Detail, `"3"`) {
				t.Errorf("%s without If-Match: %d %s; want 428 naming GET %s", method, r.status, r.body, loc)
			}
		}
	})
}

// `civmap version` names the version and the commit: from the Makefile's -ldflags, else from go build's VCS stamp.
func TestVersionString(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	for _, c := range []struct {
		version, commit string
		info            *debug.BuildInfo
		want            string
	}{
		{"v1.2.0-3-gabc1234-dirty", "abc1234def5678abc", vcs, "v1.2.0-3-gabc1234-dirty (commit abc1234def56)"},
		{"", "", vcs, "devel (commit 0123456789ab, modified)"},
		{"", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "v1.3.0 (commit unknown: build with `make build` to stamp it)"},
		{"", "", nil, "devel (commit unknown: build with `make build` to stamp it)"},
	} {
		if got := versionString(c.version, c.commit, c.info); got != c.want {
			t.Errorf("versionString(%q, %q): %q, want %q", c.version, c.commit, got, c.want)
		}
	}
}

// A GBK CSV (名称 and a village name saved by Excel on Chinese Windows) is named GBK/GB 18030, with the iconv command,
// on both stores, and nothing is written.
func TestImportGBK(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		loadSample(t, sf)
		before := placeCount(t, sf)
		// "name,category,division_codes,lon,lat\n东陈村,village,330225002,121.87,29.47\n" with 东陈村 in GBK.
		content := "name,category,division_codes,lon,lat\n\xb6\xab\xb3\xc2\xb4\xe5,village,330225002,121.87,29.47\n"
		args := append(append([]string{"import"}, storeArgs(sf)...), "--kind", "places", writeFile(t, "gbk.csv", content))
		code, _, errOut := cli(t, args...)
		for _, w := range []string{"line 2", "GBK/GB 18030, not UTF-8", "iconv -f GB18030 -t UTF-8"} {
			if code == 0 || !strings.Contains(errOut, w) {
				t.Errorf("exit %d, %q; want a failure mentioning %q", code, errOut, w)
			}
		}
		if n := placeCount(t, sf); n != before {
			t.Errorf("%d places after a failed import, want %d", n, before)
		}
	})
}
