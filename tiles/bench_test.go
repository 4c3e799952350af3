package tiles_test

import (
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/data/embedded"
	"civmap/data/sample"
	"civmap/tiles"
)

// sampleStore is an embedded store in a temporary folder with the bundled sample loaded, closed when b ends.
func sampleStore(b *testing.B) *embedded.Store {
	st, err := embedded.Open(b.TempDir(), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := sample.Load(context.Background(), st); err != nil {
		b.Fatal(err)
	}
	return st
}

// activeFeatures fetches, for each layer active at t's zoom, its features in t's buffered bound: the input the
// encoders are timed on.
func activeFeatures(b *testing.B, ctx context.Context, st *embedded.Store, t maptile.Tile) ([]string, [][]tiles.Feature) {
	var names []string
	var feats [][]tiles.Feature
	for _, l := range tiles.ActiveLayers(tiles.Layers, int(t.Z)) {
		fs, err := st.TileFeatures(ctx, l.Name, tiles.BufferedBound(t), int(t.Z))
		if err != nil {
			b.Fatal(err)
		}
		names, feats = append(names, l.Name), append(feats, fs)
	}
	return names, feats
}

// BenchmarkTiles measures tiles/s over tiles.BenchmarkTileSet (z8–z14 over Xiangshan, all layers): the embedded
// store uncached and cached, and the ceiling (fixed bytes through the same router). Cached/ceiling is the cache's
// efficiency; the target is at least 0.7.
func BenchmarkTiles(b *testing.B) {
	tiles.BenchStore(b, "embedded", sampleStore(b))
}

// BenchmarkEncoders compares the cost per tile of the polygon clipper (simplefeatures overlay, snap, make-valid) with
// the Sutherland–Hodgman one it replaced, over tiles.BenchmarkTileSet with the embedded sample's features fetched
// beforehand: each op encodes every active layer of one tile and marshals it, with one encoder and then the other; new/legacy is
// the ratio of their times.
func BenchmarkEncoders(b *testing.B) {
	st := sampleStore(b)
	ctx := context.Background()
	type job struct {
		tile  maptile.Tile
		names []string
		feats [][]tiles.Feature
	}
	var jobs []job
	for _, t := range tiles.BenchmarkTileSet() {
		j := job{tile: t}
		j.names, j.feats = activeFeatures(b, ctx, st, t)
		jobs = append(jobs, j)
	}
	encode := func(enc func(maptile.Tile, string, []tiles.Feature) *mvt.Layer, j job) time.Duration {
		start := time.Now()
		var ls mvt.Layers
		for k, name := range j.names {
			if l := enc(j.tile, name, j.feats[k]); l != nil {
				ls = append(ls, l)
			}
		}
		if _, err := mvt.Marshal(ls); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	// Both encoders take each tile in turn, so that a change in the machine's load falls on both alike.
	var fresh, legacy time.Duration
	n := 0
	for i := 0; b.Loop(); i++ {
		j := jobs[i%len(jobs)]
		fresh += encode(tiles.EncodeLayer, j)
		legacy += encode(tiles.LegacyEncodeLayer, j)
		n++
	}
	b.ReportMetric(float64(fresh.Nanoseconds())/float64(n), "new-ns/tile")
	b.ReportMetric(float64(legacy.Nanoseconds())/float64(n), "legacy-ns/tile")
	b.ReportMetric(float64(fresh)/float64(legacy), "new/legacy")
}

// BenchmarkEncodeLayer measures one layer's tiles alone on the embedded store (its TileFeatures, TileGeometry or the
// prepared Shape, and Marshal) over tiles.BenchmarkTileSet, without HTTP: ns/op is the time per tile.
func BenchmarkEncodeLayer(b *testing.B) {
	st := sampleStore(b)
	ctx := context.Background()
	ts := tiles.BenchmarkTileSet()
	for _, l := range tiles.Layers {
		if l.Name != "facilities" && l.Name != "divisions" {
			continue
		}
		b.Run(l.Name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := tiles.Encode(ctx, st, ts[i%len(ts)], []tiles.Layer{l}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMarshal compares tiles.Marshal with orb's mvt.Marshal on the layers of every tile of
// tiles.BenchmarkTileSet (all layers, cut beforehand): each op marshals one tile with both, taking turns, and
// orb/civmap-x is the ratio of their times.
func BenchmarkMarshal(b *testing.B) {
	st := sampleStore(b)
	ctx := context.Background()
	var set []mvt.Layers
	for _, t := range tiles.BenchmarkTileSet() {
		var ls mvt.Layers
		names, feats := activeFeatures(b, ctx, st, t)
		for k, name := range names {
			if ml := tiles.EncodeLayer(t, name, feats[k]); ml != nil {
				ls = append(ls, ml)
			}
		}
		if len(ls) > 0 {
			set = append(set, ls)
		}
	}
	var ours, orbs time.Duration
	for i := 0; b.Loop(); i++ {
		ls := set[i%len(set)]
		start := time.Now()
		if _, err := tiles.Marshal(ls); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := mvt.Marshal(ls); err != nil {
			b.Fatal(err)
		}
		ours, orbs = ours+mid.Sub(start), orbs+time.Since(mid)
	}
	b.ReportMetric(float64(orbs)/float64(ours), "orb/civmap-x")
}
