package inspectiontiles_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paulmach/orb/maptile"

	"civmap/data"
	"civmap/data/postgis/pgtest"
	"civmap/gazetteer/inspection"
)

// noNotifier hides the store's tiles.Notifier, so that the memo keeps nothing and every tile builds the round's
// report (the behaviour before the memo).
type noNotifier struct{ inspection.Store }

// BenchmarkInspectionTile: one tile of a round of 象宁线 on the sample (its 16 markers, the gap/overlap check against
// 宁海县's polygon), served through the handler, cycling over 40 z10 tiles along the line: "memo" cuts it from the
// round's kept features (reading the round's document versions per tile), "rebuild" builds the report for every
// tile. The ratio of the two is what the memo saves per tile. The PostGIS pair runs when CIVMAP_TEST_DATABASE_URL is
// set.
func BenchmarkInspectionTile(b *testing.B) {
	run := func(b *testing.B, st data.Store) {
		loadSample(b, st)
		round := newRound(b, st)
		var tls []maptile.Tile
		for i := range 40 {
			tls = append(tls, maptile.Tile{X: roundTile.X - 3 + uint32(i%8), Y: roundTile.Y - 2 + uint32(i/8), Z: 10})
		}
		for _, c := range []struct {
			name string
			st   inspection.Store
		}{{"memo", st}, {"rebuild", noNotifier{st}}} {
			b.Run(c.name, func(b *testing.B) {
				h, _ := router(c.st)
				if a := getTile(b, h, round, roundTile, ""); a.status != http.StatusOK || len(a.markers) == 0 {
					b.Fatalf("tile: %d, markers %v", a.status, a.markers)
				}
				reqs := make([]*http.Request, len(tls))
				for i, t := range tls {
					reqs[i] = httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/inspections/%s/tiles/%d/%d/%d.mvt", round, t.Z, t.X, t.Y), nil)
				}
				i := 0
				for b.Loop() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, reqs[i%len(reqs)])
					if w.Code != http.StatusOK && w.Code != http.StatusNoContent {
						b.Fatalf("tile %v: %d %s", tls[i%len(tls)], w.Code, w.Body)
					}
					i++
				}
			})
		}
	}
	b.Run("embedded", func(b *testing.B) { run(b, openEmbedded(b)) })
	b.Run("postgis", func(b *testing.B) { run(b, openPostGIS(b, pgtest.NewDatabase(b))) })
}
