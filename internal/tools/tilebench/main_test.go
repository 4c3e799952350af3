package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"civmap/tiles"
)

// TestLayersOf: the bare statement renders the layers the HTTP paths name.
func TestLayersOf(t *testing.T) {
	paths := tiles.BenchPaths("facilities")
	if ls := layersOf(paths[0]); len(ls) != 1 || ls[0].Name != "facilities" {
		t.Errorf("layers of %s: %v", paths[0], ls)
	}
}

// TestMedian: the middle run by tiles/s, its latencies with it.
func TestMedian(t *testing.T) {
	m := median([]result{{TilesPerS: 30, P99ms: 3}, {TilesPerS: 10, P99ms: 1}, {TilesPerS: 20, P99ms: 2}})
	if m.TilesPerS != 20 || m.P99ms != 2 {
		t.Errorf("median %+v, want the 20 tiles/s run", m)
	}
}

// TestFixedServer: the fixed-bytes server answers each path with its recorded size (204 for 0), encoding and ETag
// (a small tile goes out without Content-Encoding, as civmap sends it), a tile's other headers and 404 elsewhere;
// drive measures it and its CPU time.
func TestFixedServer(t *testing.T) {
	paths := tiles.BenchPaths("facilities")[:3]
	answers := map[string]answer{paths[0]: {N: 1000, ETag: `"a"`}, paths[1]: {}, paths[2]: {N: 70000, Encoding: "gzip",
		ETag: `"b-gz"`}}
	file := filepath.Join(t.TempDir(), "answers.json")
	b, _ := json.Marshal(answers)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = serveFixed(addr, file) }()
	base := "http://" + addr
	deadline := time.Now().Add(5 * time.Second)
	for {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("fixed server not ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := newClient(1)
	for _, p := range paths {
		a, code, err := get(c, base+p)
		want := http.StatusOK
		if answers[p].N == 0 {
			want = http.StatusNoContent
		}
		if err != nil || a != answers[p] || code != want {
			t.Errorf("%s: %+v, %d, %v; want %+v, %d", p, a, code, err, answers[p], want)
		}
	}
	if _, code, _ := get(c, base+"/tiles/places/1/1/1.mvt"); code != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", code)
	}
	r, err := drive(&target{name: "fixed", base: base, pid: os.Getpid()}, paths, 2, 0)
	if err != nil || r.TilesPerS <= 0 || r.P99ms < r.P50ms {
		t.Errorf("drive: %+v, %v", r, err)
	}
}
