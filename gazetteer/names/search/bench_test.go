package search

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Characters common in Zhejiang place names (专名), and generic terms (通名), for generated names.
const benchChars = "丹东西南北中上下前后大小新老金银石玉山水河溪江湖海港湾岙岛礁浦塘桥头门口坑岭岗坪田园林竹松梅兰花" +
	"龙凤鹤马牛羊鱼虾蟹沙泥黄白红青绿蓝紫高平长安宁定昌兴隆盛丰和顺泰康福寿吉祥春夏秋冬晓月星辰云雾雨雪" +
	"王李张陈刘杨赵周吴徐孙胡朱高林何郭罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎" +
	"爵泗洲墙涂茨贤庠茅洋晓鹤鸣钱仓昌国象乡村里堡寨营庄店铺埠渡湾汇泉涧潭湾圩埭畈垟墩屿嘴尖角岩洞"

var benchGenerics = []string{"村", "社区", "路", "街", "巷", "弄", "桥", "山", "岙", "湾", "港", "岛", "小区", "公园",
	"大道", "东路", "西路", "渔村", "自然村", "水库", "码头", "广场", "礁", "塘", "岭"}

// benchDocs generates n place docs: a 2- or 3-character 专名 and a generic term, one in ten with a former name.
func benchDocs(n int, seed uint64) []Doc {
	chars := []rune(benchChars)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	spec := func() string {
		k := 2 + r.IntN(2)
		b := make([]rune, k)
		for i := range b {
			b[i] = chars[r.IntN(len(chars))]
		}
		return string(b)
	}
	docs := make([]Doc, n)
	for i := range docs {
		d := Doc{Kind: KindPlace, ID: fmt.Sprintf("G%07d", i), Names: []Name{{Text: spec() + benchGenerics[r.IntN(len(benchGenerics))]}},
			Rank: RankPlace, Category: "test", Status: "current", Divisions: []string{"330225" + fmt.Sprintf("%03d", 1+r.IntN(18))}}
		if i%10 == 0 {
			d.Names = append(d.Names, Name{Text: spec() + benchGenerics[r.IntN(len(benchGenerics))], Field: FieldFormer})
		}
		docs[i] = d
	}
	return docs
}

func benchN(b *testing.B) int {
	if s := os.Getenv("CIVMAP_SEARCH_BENCH_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 1_000_000
}

// BenchmarkSearch indexes 1,000,000 generated names (CIVMAP_SEARCH_BENCH_N to change) and reports, per query class,
// the p50 and p99 latency of 2,000 queries drawn from the names (ms), and once the index's heap bytes per name (the
// docs it keeps included: runtime.ReadMemStats after GC, before generating the docs and after building) and the build
// time (wall, and the CPU time of all the process's threads). The index is the same whichever store feeds it (search.Live reloads a kind from its Loader): store latency is
// only in the load at start and after an edit, not in these figures.
//
// Query classes: chinese (2 characters from a name, anywhere in it), chinese-1 (one character: the widest), pinyin (the
// full toneless pinyin of a name, no spaces), pinyin-spaced (the same, syllables spaced, first letters capitalised),
// initials (a name's initials), letter (the first of a name's initials: the first key typed, the widest Latin query),
// traditional (a name's 专名 in traditional characters, OpenCC s2t), typo (a name's full pinyin with one random edit),
// chinese-1 and letter again with a division filter (one township of the 18 the names are spread over), and letters-2
// (the first two letters of a name's pinyin).
func BenchmarkSearch(b *testing.B) {
	syl := romanizer(b)
	n := benchN(b)
	var m0, m1, m2 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	docs := benchDocs(n, 1)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	start, cpu0 := time.Now(), processCPU()
	ix, err := NewIndex(syl, docs)
	if err != nil {
		b.Fatal(err)
	}
	build, buildCPU := time.Since(start), processCPU()-cpu0
	docs = nil
	runtime.GC()
	runtime.ReadMemStats(&m2)
	perName := float64(m2.HeapAlloc-m0.HeapAlloc) / float64(n)
	docBytes := float64(m1.HeapAlloc-m0.HeapAlloc) / float64(n)
	seg := ix.segs[KindPlace]
	b.Logf("%d names (%d keys, %d han / %d pinyin / %d initials suffixes): built in %v (CPU time of "+
		"all threads %v, GOMAXPROCS %d); heap bytes per name %.0f (docs %.0f, index structures %.0f)", n, len(seg.keys),
		len(seg.han), len(seg.py), len(seg.ini), build.Round(time.Millisecond), buildCPU.Round(time.Millisecond),
		runtime.GOMAXPROCS(0), perName, docBytes, perName-docBytes)

	r := rand.New(rand.NewPCG(7, 11))
	pick := func() *key { return &seg.keys[r.IntN(len(seg.keys))] }
	oneChar := func() string {
		rs := []rune(seg.hanOf(pick()))
		return string(rs[r.IntN(len(rs))])
	}
	classes := []struct {
		name     string
		gen      func() string
		division string // the query's division filter
	}{
		{name: "chinese", gen: func() string {
			rs := []rune(seg.hanOf(pick()))
			i := r.IntN(len(rs) - 1)
			return string(rs[i : i+2])
		}},
		{name: "chinese-1", gen: oneChar},
		{name: "pinyin", gen: func() string { return seg.pyOf(pick()) }},
		{name: "pinyin-spaced", gen: func() string {
			k := pick()
			py, sy := seg.pyOf(k), seg.syllableStarts(k)
			var parts []string
			for i, o := range sy {
				end := len(py)
				if i+1 < len(sy) {
					end = int(sy[i+1])
				}
				parts = append(parts, strings.ToUpper(py[o:o+1])+py[o+1:end])
			}
			return strings.Join(parts, " ")
		}},
		{name: "initials", gen: func() string { return seg.iniOf(pick()) }},
		{name: "letter", gen: func() string { return seg.iniOf(pick())[:1] }},
		{name: "traditional", gen: func() string { return traditional(seg.hanOf(pick())) }},
		{name: "typo", gen: func() string {
			for {
				p := seg.pyOf(pick())
				if len(p) >= minTypoLen {
					v := typoVariants(p)
					return v[r.IntN(len(v))]
				}
			}
		}},
		{name: "chinese-1-township", gen: oneChar, division: "330225007"},
		{name: "letter-township", gen: func() string { return seg.iniOf(pick())[:1] }, division: "330225007"},
		{name: "letters-2", gen: func() string { return seg.pyOf(pick())[:2] }},
	}
	for _, c := range classes {
		qs := make([]string, 2000)
		for i := range qs {
			qs[i] = c.gen()
		}
		b.Run(c.name, func(b *testing.B) {
			// Wall time, and the thread's CPU time (CLOCK_THREAD_CPUTIME_ID, the goroutine locked to its thread): on
			// a shared machine the wall-clock tail is mostly time spent descheduled.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			lat := make([]time.Duration, 0, len(qs))
			cpu := make([]time.Duration, 0, len(qs))
			hits := 0
			for i := 0; b.Loop(); i++ {
				q := qs[i%len(qs)]
				c0 := threadCPU()
				t0 := time.Now()
				res, err := ix.Search(Query{Q: q, Division: c.division})
				lat = append(lat, time.Since(t0))
				cpu = append(cpu, threadCPU()-c0)
				if err != nil {
					b.Fatal(err)
				}
				hits += res.NumberMatched
			}
			slices.Sort(lat)
			slices.Sort(cpu)
			ms := func(d []time.Duration, p float64) float64 { return float64(d[int(p*float64(len(d)-1))]) / 1e6 }
			b.ReportMetric(ms(lat, 0.50), "p50-ms")
			b.ReportMetric(ms(lat, 0.99), "p99-ms")
			b.ReportMetric(ms(cpu, 0.50), "cpu-p50-ms")
			b.ReportMetric(ms(cpu, 0.99), "cpu-p99-ms")
			b.ReportMetric(float64(hits)/float64(len(lat)), "matched/op")
			b.ReportMetric(perName, "heap-B/name")
		})
	}
}

// traditional writes a few common characters of the generated names in traditional form (the inverse of the t2s table
// the query goes through).
var traditionalReplacer = strings.NewReplacer("东", "東", "龙", "龍", "凤", "鳳", "鹤", "鶴", "马", "馬", "鱼", "魚",
	"虾", "蝦", "湾", "灣", "岭", "嶺", "岗", "崗", "园", "園", "兰", "蘭", "长", "長", "宁", "寧", "兴", "興",
	"丰", "豐", "顺", "順", "寿", "壽", "云", "雲", "绿", "綠", "蓝", "藍", "杨", "楊", "赵", "趙", "刘", "劉",
	"桥", "橋", "区", "區", "乡", "鄉", "庄", "莊", "铺", "鋪", "渡", "渡", "墙", "牆", "钱", "錢", "仓", "倉")

func traditional(s string) string { return traditionalReplacer.Replace(s) }

// processCPU is the CPU time the process has used, user and system, all threads (the garbage collector's included).
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is the CPU time the calling thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
