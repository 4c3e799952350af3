package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/data/postgis/pgtest"
	"civmap/gazetteer"
	"civmap/gazetteer/names"
	"civmap/gazetteer/names/search"
	"civmap/internal/edit"
)

// BenchmarkSearchFeed imports N generated current places (CIVMAP_BENCH_SEARCH_PLACES, default 100,000; 1,000,000 for
// the figure) into each store, then builds the search index from the store (search.PlaceLoader: one Places
// read) and reports the load-and-build time and the wall-clock p50/p99 of
// 2,000 Chinese, full-pinyin, initials and typo queries. The index is the same in-memory one on both stores: only the
// load differs; the query figures include nothing of the store.
func BenchmarkSearchFeed(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("CIVMAP_BENCH_SEARCH_PLACES")); err == nil && v > 0 {
		n = v
	}
	places := feedPlaces(n)
	rom, err := names.Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{"embedded", "postgis"} {
		b.Run(kind, func(b *testing.B) {
			sf := &storeFlags{dataDir: b.TempDir()}
			if kind == "postgis" {
				sf = &storeFlags{databaseURL: pgtest.NewDatabase(b)}
			}
			ctx := context.Background()
			st, err := openAndLoad(ctx, sf, true, newLogger(os.Stderr, slog.LevelError))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Import(ctx, data.Batch{Places: places}, edit.Meta{Actor: "bench", Action: "import"}); err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			live, err := search.NewLive(ctx, rom, map[search.Kind]search.Loader{search.KindPlace: search.PlaceLoader(st)})
			if err != nil {
				b.Fatal(err)
			}
			load := time.Since(t0)
			b.Logf("%s: %d places loaded and indexed in %v (memory per name: BenchmarkSearch in gazetteer/names/search)",
				kind, n, load.Round(time.Millisecond))
			r := rand.New(rand.NewPCG(5, 9))
			pick := func() string { return places[r.IntN(len(places))].Name }
			classes := map[string]func() string{
				"chinese":  func() string { rs := []rune(pick()); i := r.IntN(len(rs) - 1); return string(rs[i : i+2]) },
				"pinyin":   func() string { return fullPinyin(rom, pick()) },
				"initials": func() string { return initialsOf(rom, pick()) },
				"typo":     func() string { return typo(r, fullPinyin(rom, pick())) },
			}
			for _, c := range []string{"chinese", "pinyin", "initials", "typo"} {
				qs := make([]string, 2000)
				for i := range qs {
					qs[i] = classes[c]()
				}
				b.Run(c, func(b *testing.B) {
					lat := make([]time.Duration, 0, len(qs))
					for i := 0; b.Loop(); i++ {
						t0 := time.Now()
						if _, err := live.Search(ctx, search.Query{Q: qs[i%len(qs)]}); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
					b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
					b.ReportMetric(load.Seconds(), "load-s")
				})
			}
		})
	}
}

func fullPinyin(rom *names.Romanizer, name string) string {
	return strings.ReplaceAll(strings.Join(rom.Syllables(name), ""), "ü", "v")
}

func initialsOf(rom *names.Romanizer, name string) string {
	var b strings.Builder
	for _, s := range rom.Syllables(name) {
		b.WriteByte(s[0])
	}
	return b.String()
}

// typo makes one random edit (substitution, deletion, insertion or transposition) in p.
func typo(r *rand.Rand, p string) string {
	i := r.IntN(len(p) - 1)
	c := string(rune('a' + r.IntN(26)))
	switch r.IntN(4) {
	case 0:
		return p[:i] + c + p[i+1:]
	case 1:
		return p[:i] + p[i+1:]
	case 2:
		return p[:i] + c + p[i:]
	}
	return p[:i] + string(p[i+1]) + string(p[i]) + p[i+2:]
}

// feedPlaces generates n current places with a 2- or 3-character 专名 and a generic term, in 象山 around 丹东街道.
func feedPlaces(n int) []gazetteer.Place {
	chars := []rune("丹东西南北中上下前后大小新老金银石玉山水河溪江湖海港湾岙岛礁浦塘桥头门口坑岭岗坪田园林竹松梅兰花" +
		"龙凤鹤马牛羊鱼虾蟹沙泥黄白红青绿蓝紫高平长安宁定昌兴隆盛丰和顺泰康福寿吉祥春夏秋冬晓月星辰云雾雨雪王李张陈刘杨赵周吴徐孙")
	gens := []string{"村", "社区", "路", "街", "巷", "弄", "桥", "山", "岙", "湾", "港", "岛", "小区", "公园", "大道", "水库", "码头"}
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]gazetteer.Place, n)
	for i := range out {
		k := 2 + r.IntN(2)
		rs := make([]rune, k)
		for j := range rs {
			rs[j] = chars[r.IntN(len(chars))]
		}
		out[i] = gazetteer.Place{ID: fmt.Sprintf("S%07d", i), Name: string(rs) + gens[r.IntN(len(gens))], Category: "test",
			Status: gazetteer.StatusCurrent, DivisionCodes: []string{"330225001"},
			Geometry: orb.Point{121.86 + r.Float64()*0.03, 29.46 + r.Float64()*0.03}}
	}
	return out
}
