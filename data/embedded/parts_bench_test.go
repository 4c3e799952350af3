package embedded

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// BenchmarkLocateParts splits Locate into its two searches, to show where the time goes.
func BenchmarkLocateParts(b *testing.B) {
	batch := xiangshan(b, 1)
	var entries []*divEntry
	for i := range batch.Divisions {
		entries = append(entries, newDivEntry(&batch.Divisions[i]))
	}
	x := buildDivIndex(nil, entries)
	rng := rand.New(rand.NewPCG(1, 2))
	var pts []orb.Point
	for len(pts) < 4096 {
		p := orb.Point{121.7 + rng.Float64()*0.4, 29.0 + rng.Float64()*0.5}
		if _, ok := x.locate(p); ok {
			pts = append(pts, p)
		}
	}
	b.Run("township", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			p := pts[i&4095]
			var tw *divEntry
			x.townships.Search(p, p, func(_, _ [2]float64, e *divEntry) bool {
				if e.poly.Contains(p) {
					tw = e
				}
				return true
			})
			if tw == nil {
				b.Fatal("none")
			}
		}
	})
	b.Run("village", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, _, ok := x.nearestVillage(pts[i&4095]); !ok {
				b.Fatal("none")
			}
		}
	})
}
