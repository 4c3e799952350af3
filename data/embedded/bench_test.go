package embedded

import (
	"civmap/internal/edit"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"civmap/data"
	"civmap/gazetteer"
	"civmap/geo"
)

// xiangshan loads the real township polygons and the 408 villages from testdata. densify > 1 inserts densify-1
// points into every edge, to test polygons of the 1–5k-vertex size that authoritative boundaries have.
func xiangshan(tb testing.TB, densify int) data.Batch {
	tb.Helper()
	read := func(name string) *geojson.FeatureCollection {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			tb.Fatal(err)
		}
		return fc
	}
	b := data.Batch{Divisions: []gazetteer.Division{{Code: "330225", Name: "象山县", Level: gazetteer.LevelCounty,
		Kind: "county", ParentCode: "330200"}}}
	for _, f := range read("townships.geojson").Features {
		g := f.Geometry
		if densify > 1 {
			g = densifyGeom(g, densify)
		}
		b.Divisions = append(b.Divisions, gazetteer.Division{Code: f.Properties.MustString("adcode"),
			Name: f.Properties.MustString("name"), Level: gazetteer.LevelTownship, Kind: f.Properties.MustString("kind"),
			ParentCode: "330225", Geometry: g})
	}
	for _, f := range read("villages.synthetic.geojson").Features {
		b.Divisions = append(b.Divisions, gazetteer.Division{Code: f.Properties.MustString("code"),
			Name: f.Properties.MustString("name"), Level: gazetteer.LevelVillage, Kind: f.Properties.MustString("level"),
			ParentCode: f.Properties.MustString("township_code"), Geometry: f.Geometry})
	}
	return b
}

func densifyGeom(g orb.Geometry, k int) orb.Geometry {
	ring := func(r orb.Ring) orb.Ring {
		out := make(orb.Ring, 0, len(r)*k)
		for i := 0; i+1 < len(r); i++ {
			a, c := r[i], r[i+1]
			for j := range k {
				t := float64(j) / float64(k)
				out = append(out, orb.Point{a[0] + t*(c[0]-a[0]), a[1] + t*(c[1]-a[1])})
			}
		}
		return append(out, r[len(r)-1])
	}
	poly := func(p orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			out[i] = ring(r)
		}
		return out
	}
	switch g := g.(type) {
	case orb.Polygon:
		return poly(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = poly(p)
		}
		return out
	}
	return g
}

// BenchmarkLocate measures Locate (township polygon + nearest village with its geodesic distance) on the real
// Xiangshan townships at points drawn uniformly over the county's bound and kept if some township contains them.
func BenchmarkLocate(b *testing.B) {
	for _, densify := range []int{1, 4} {
		batch := xiangshan(b, densify)
		verts := 0
		var polys []*geo.PreparedPolygon
		var bound orb.Bound
		for _, d := range batch.Divisions {
			if d.Level == gazetteer.LevelTownship {
				verts += countVertices(d.Geometry)
				if len(polys) == 0 {
					bound = d.Geometry.Bound()
				}
				polys = append(polys, geo.Prepare(d.Geometry))
				bound = bound.Union(d.Geometry.Bound())
			}
		}
		b.Run(fmt.Sprintf("vertices=%d", verts/len(polys)), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Import(b.Context(), batch, edit.Meta{Actor: "test", Action: "import"}); err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			pts := make([]orb.Point, 0, 4096)
			for len(pts) < cap(pts) {
				p := orb.Point{bound.Min[0] + rng.Float64()*(bound.Max[0]-bound.Min[0]),
					bound.Min[1] + rng.Float64()*(bound.Max[1]-bound.Min[1])}
				for _, pp := range polys {
					if pp.Contains(p) {
						pts = append(pts, p)
						break
					}
				}
			}
			ctx := b.Context()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := s.Locate(ctx, pts[i&4095]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}

func countVertices(g orb.Geometry) int {
	n := 0
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			n += len(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			n += countVertices(p)
		}
	}
	return n
}

// syntheticPlaces makes n place records like a census table: CJK names with pinyin, a village division code, mostly
// points and some small polygons and lines, in shuffled ID order.
func syntheticPlaces(n int, seed uint64) []gazetteer.Place {
	rng := rand.New(rand.NewPCG(seed, 7))
	syll := []string{"丹", "城", "西", "周", "石", "浦", "鹤", "爵", "溪", "新", "桥", "东", "陈", "茅", "洋", "晓", "塘", "墙", "头"}
	pin := []string{"dan", "cheng", "xi", "zhou", "shi", "pu", "he", "jue", "xi", "xin", "qiao", "dong", "chen", "mao",
		"yang", "xiao", "tang", "qiang", "tou"}
	generic := []string{"路", "村", "桥", "山", "岛", "港", "小区", "公园", "学校", "庙"}
	cats := []string{"road", "village", "bridge", "mountain", "island", "harbour", "residential", "park", "school", "temple"}
	out := make([]gazetteer.Place, n)
	for i := range out {
		var name, py strings.Builder
		for range 2 + rng.IntN(2) {
			k := rng.IntN(len(syll))
			name.WriteString(syll[k])
			py.WriteString(pin[k])
		}
		g := rng.IntN(len(generic))
		x, y := 121.6+rng.Float64()*0.5, 28.9+rng.Float64()*0.6
		var geom orb.Geometry = orb.Point{x, y}
		switch rng.IntN(10) {
		case 0:
			geom = orb.Polygon{{{x, y}, {x + 0.001, y}, {x + 0.001, y + 0.001}, {x, y + 0.001}, {x, y}}}
		case 1:
			geom = orb.LineString{{x, y}, {x + 0.002, y + 0.001}, {x + 0.004, y}}
		}
		status := gazetteer.StatusCurrent
		if rng.IntN(20) == 0 {
			status = gazetteer.StatusHistorical
		}
		out[i] = gazetteer.Place{
			ID:   "330225" + strconv.Itoa(100+rng.IntN(300)) + "-" + strconv.Itoa(1000000+i),
			Name: name.String() + generic[g], Specific: name.String(), Generic: generic[g], Pinyin: py.String(),
			Category: cats[g], Status: status, DivisionCodes: []string{"330225" + strconv.Itoa(100+rng.IntN(300)) + "201"},
			Geometry: geom, Source: "synthetic",
		}
	}
	rng.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// BenchmarkImportPlaces imports 100,000 new places into an empty store per op, in one transaction, synced.
func BenchmarkImportPlaces(b *testing.B) {
	const n = 100_000
	places := syntheticPlaces(n, 1)
	for b.Loop() {
		b.StopTimer()
		s, err := Open(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		st, err := s.Import(b.Context(), data.Batch{Places: places}, edit.Meta{Actor: "test", Action: "import"})
		if err != nil || st.Inserted != n {
			b.Fatal(st, err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "places/s")
}

// BenchmarkMillionPlaces imports 1,000,000 places per op, then reports what the store costs at that size: resident
// memory and live heap after a GC with the store open, the time to reopen (index rebuild), and a Q query over all.
// Run it alone: go test -run=NONE -bench=MillionPlaces -benchtime=1x ./data/embedded/
func BenchmarkMillionPlaces(b *testing.B) {
	const n = 1_000_000
	var importSec, openSec, qSec, heapMB, anonMB, fileMB float64
	for b.Loop() {
		b.StopTimer()
		places := syntheticPlaces(n, 2)
		dir := b.TempDir()
		s, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		if _, err := s.Import(b.Context(), data.Batch{Places: places}, edit.Meta{Actor: "test", Action: "import"}); err != nil {
			b.Fatal(err)
		}
		importSec += time.Since(t0).Seconds()
		b.StopTimer()
		s.Close()
		places = nil
		runtime.GC()
		t0 = time.Now()
		debug.FreeOSMemory()
		s, err = Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		openSec += time.Since(t0).Seconds()
		t0 = time.Now()
		page, err := s.Places(b.Context(), gazetteer.PlaceQuery{Q: "shipu", Limit: 20})
		if err != nil || page.NumberMatched == 0 {
			b.Fatal(page.NumberMatched, err)
		}
		qSec += time.Since(t0).Seconds()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heapMB += float64(ms.HeapInuse) / (1 << 20)
		anonMB += procStatus("RssAnon") / (1 << 20)
		if fi, err := os.Stat(dir + "/" + DBFile); err == nil {
			fileMB += float64(fi.Size()) / (1 << 20)
		}
		s.Close()
		b.StartTimer()
	}
	k := float64(b.N)
	b.ReportMetric(n/(importSec/k), "places/s")
	b.ReportMetric(importSec/k, "import-s")
	b.ReportMetric(openSec/k, "reopen-s")
	b.ReportMetric(qSec/k*1000, "Q-ms")
	b.ReportMetric(heapMB/k, "heap-MB")
	b.ReportMetric(anonMB/k, "rss-anon-MB")
	b.ReportMetric(procStatus("VmHWM")/(1<<20), "peak-rss-MB")
	b.ReportMetric(fileMB/k, "file-MB")
}

// procStatus reads a size field of /proc/self/status (Linux) in bytes, or 0: RssAnon is the heap and stacks resident
// (the mmapped store file is RssFile, shared page cache), VmHWM the peak resident size.
func procStatus(field string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}
