package postgis_test

import (
	"civmap/internal/edit"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"civmap/data"
	"civmap/data/postgis"
	"civmap/gazetteer"
)

var generics = []string{"路", "街", "村", "桥", "山", "岛", "港", "湾", "公园", "小区"}

// syntheticPlaces makes n places spread over the Xiangshan villages: mostly points within about 1 km of a village, some
// lines and polygons, two division codes each (township and village), pinyin, some aliases, attributes and old names.
func syntheticPlaces(x *xiangshan, n int, seed uint64) []gazetteer.Place {
	r := rand.New(rand.NewPCG(seed, 99))
	statuses := []string{gazetteer.StatusCurrent, gazetteer.StatusCurrent, gazetteer.StatusCurrent, gazetteer.StatusHistorical,
		gazetteer.StatusAbolished}
	out := make([]gazetteer.Place, n)
	for i := range out {
		v := x.villages[r.IntN(len(x.villages))]
		c := v.Geometry.(orb.Point)
		at := orb.Point{c[0] + (r.Float64()-0.5)*0.02, c[1] + (r.Float64()-0.5)*0.02}
		g := generics[r.IntN(len(generics))]
		p := gazetteer.Place{
			ID: fmt.Sprintf("P%07d", i), Specific: fmt.Sprintf("%s%d", v.Name, i), Generic: g,
			Pinyin: fmt.Sprintf("Place %d Lu", i), Category: fmt.Sprintf("%02d", r.IntN(40)),
			Status: statuses[r.IntN(len(statuses))], DivisionCodes: []string{v.ParentCode, v.Code},
			Description: "合成的测试地名，用于导入基准。", Source: "benchmark", YearEstablished: 1900 + r.IntN(120),
		}
		p.Name = p.Specific + g
		switch k := r.IntN(100); {
		case k < 90:
			p.Geometry = at
		case k < 98:
			p.Geometry = orb.LineString{at, {at[0] + 0.001, at[1] + 0.0005}, {at[0] + 0.002, at[1] + 0.0004}}
		default:
			d := 0.0005
			p.Geometry = orb.Polygon{{at, {at[0] + d, at[1]}, {at[0] + d, at[1] + d}, {at[0], at[1] + d}, at}}
		}
		if i%10 == 0 {
			p.Aliases = []string{fmt.Sprintf("旧称%d", i)}
			p.FormerNames = []gazetteer.FormerName{{Name: fmt.Sprintf("旧称%d", i), From: "1950", To: "1984"}}
			p.Attributes = map[string]any{"survey": "2015", "sheet": i % 977}
		}
		out[i] = p
	}
	return out
}

// BenchmarkImportPlaces measures Import of n new places into an empty places table (and, for "replace", of n places
// that all exist, which also writes n history rows). From 50,000 places Import rebuilds the place indexes instead of
// growing them ("rowwise" turns that off, for the ratio). Run the million with
//
//	scripts/with-postgis.sh go test ./data/postgis/ -run '^$' -bench 'ImportPlaces/new-1000000' -benchtime 1x
func BenchmarkImportPlaces(b *testing.B) {
	x := loadXiangshan(b)
	for _, c := range []struct {
		name    string
		n       int
		replace bool
		bulk    int
	}{
		{"new-10000", 10000, false, 0},
		{"new-100000", 100000, false, 0},
		{"new-100000-rowwise", 100000, false, -1},
		{"replace-100000", 100000, true, 0},
		{"new-1000000", 1000000, false, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			s, _ := openFresh(b, postgis.Options{BulkPlaces: c.bulk})
			ps := syntheticPlaces(x, c.n, 1)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if _, err := s.Pool().Exec(ctx, `TRUNCATE places, place_versions`); err != nil {
					b.Fatal(err)
				}
				if c.replace {
					if _, err := s.Import(ctx, data.Batch{Places: ps}, edit.Meta{Actor: "test", Action: "import"}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				st, err := s.Import(ctx, data.Batch{Places: ps}, edit.Meta{Actor: "test", Action: "import"})
				if err != nil {
					b.Fatal(err)
				}
				if st.Inserted+st.Updated != c.n {
					b.Fatalf("import: %+v", st)
				}
			}
			b.ReportMetric(float64(c.n*b.N)/b.Elapsed().Seconds(), "places/s")
		})
	}
}

// BenchmarkLocate measures Locate at random points inside the real Xiangshan township polygons, with the 408 village
// points: serially, and from GOMAXPROCS goroutines sharing the pool.
func BenchmarkLocate(b *testing.B) {
	ctx := context.Background()
	x := loadXiangshan(b)
	s, _ := openFresh(b, postgis.Options{})
	if _, err := s.Import(ctx, x.batch(), edit.Meta{Actor: "test", Action: "import"}); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var pts []orb.Point
	for len(pts) < 1000 {
		p := orb.Point{x.bound.Min[0] + r.Float64()*(x.bound.Max[0]-x.bound.Min[0]),
			x.bound.Min[1] + r.Float64()*(x.bound.Max[1]-x.bound.Min[1])}
		for _, t := range x.townships {
			if planar.MultiPolygonContains(t.Geometry.(orb.MultiPolygon), p) {
				pts = append(pts, p)
				break
			}
		}
	}
	b.Run("serial", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Locate(ctx, pts[i%len(pts)]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := s.Locate(ctx, pts[i%len(pts)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
}
