package tiletest

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/paulmach/orb/maptile"
)

// CheckTiles renders every tile of ts with render (in parallel, one worker per CPU), checks each with Validate, and
// reports the problems as errors of two subtests: "ids" for RuleID (unique feature ids) and "geometry" for every other
// rule, at most 30 lines each and then a count. A render error fails t. It returns the number of tiles that had
// content, so the caller can tell an empty run from a clean one.
func CheckTiles(t *testing.T, ts []maptile.Tile, render func(maptile.Tile) ([]byte, error)) int {
	t.Helper()
	type result struct {
		tile     maptile.Tile
		problems []Problem
		err      error
		empty    bool
	}
	results := make([]result, len(ts))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Go(func() {
			for i := range next {
				r := result{tile: ts[i]}
				b, err := render(ts[i])
				switch {
				case err != nil:
					r.err = err
				case len(b) == 0:
					r.empty = true
				default:
					r.problems, r.err = Validate(b)
				}
				results[i] = r
			}
		})
	}
	for i := range ts {
		next <- i
	}
	close(next)
	wg.Wait()

	var ids, geometry []string
	bad := map[string]map[maptile.Tile]bool{"ids": {}, "geometry": {}}
	full := 0
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("tile %d/%d/%d: %v", r.tile.Z, r.tile.X, r.tile.Y, r.err)
		}
		if !r.empty {
			full++
		}
		for _, p := range r.problems {
			line := fmt.Sprintf("tile %d/%d/%d %v", r.tile.Z, r.tile.X, r.tile.Y, p)
			if p.Rule == RuleID {
				ids = append(ids, line)
				bad["ids"][r.tile] = true
			} else {
				geometry = append(geometry, line)
				bad["geometry"][r.tile] = true
			}
		}
	}
	report := func(name string, lines []string) {
		t.Run(name, func(t *testing.T) {
			for i, l := range lines {
				if i == 30 {
					t.Errorf("… %d problems in %d of %d tiles", len(lines), len(bad[name]), len(ts))
					break
				}
				t.Error(l)
			}
		})
	}
	report("geometry", geometry)
	report("ids", ids)
	return full
}
