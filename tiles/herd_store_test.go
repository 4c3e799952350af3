package tiles_test

import (
	"context"
	"testing"

	"civmap/data/embedded"
	"civmap/data/sample"
	"civmap/tiles"
)

func sampleEmbedded(tb testing.TB) *embedded.Store {
	tb.Helper()
	st, err := embedded.Open(tb.TempDir(), embedded.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := sample.Load(context.Background(), st); err != nil {
		tb.Fatal(err)
	}
	return st
}

// TestHerdEmbedded: 150 concurrent requests for one uncached tile of the sample on the embedded store cost one render
// (counted by a wrapper around the store) and all answer 200 with the bytes a direct render makes.
func TestHerdEmbedded(t *testing.T) {
	st := sampleEmbedded(t)
	res, err := tiles.Herd(st, tiles.Options{}, tiles.HerdTile, tiles.Layers, 150)
	if err != nil {
		t.Fatal(err)
	}
	if res.Renders != 1 || !res.AllOK() || res.Stats.Renders != 1 || res.Stats.Coalesced+res.Stats.Hits != 149 {
		t.Fatalf("%v", res)
	}
	svc, err := tiles.NewService(st, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := svc.Render(context.Background(), tiles.HerdTile, tiles.Layers)
	if err != nil || string(want) != string(res.Bodies[0]) {
		t.Errorf("the herd got %d bytes, a render makes %d (%v)", len(res.Bodies[0]), len(want), err)
	}
}

// BenchmarkHerd: 200 concurrent requests for one uncached tile (tiles.HerdTile, all layers) on the embedded store
// holding the sample; renders/herd must be 1 and all-200 1.
func BenchmarkHerd(b *testing.B) {
	tiles.BenchHerd(b, sampleEmbedded(b), 200)
}
