package search

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"

	"civmap/gazetteer/names"
)

func romanizer(t testing.TB) Syllabler {
	t.Helper()
	r, err := names.Default()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func div(code, name string, rank Rank, kind string) Doc {
	return Doc{Kind: KindDivision, ID: code, Names: []Name{{Text: name}}, Rank: rank, Category: kind, Status: "current",
		Divisions: []string{code}, Location: &orb.Point{121.87, 29.47}}
}

// sampleDocs are records of the Xiangshan sample (names and codes as in divisions.csv) plus planted places.
func sampleDocs() []Doc {
	jx := div("330225003", "爵溪街道", RankTownship, "subdistrict")
	jx.Names = append(jx.Names, Name{Text: "爵溪镇", Field: FieldFormer})
	return []Doc{
		div("330225", "象山县", RankCounty, "county"),
		div("330225001", "丹东街道", RankTownship, "subdistrict"),
		div("330225002", "丹西街道", RankTownship, "subdistrict"),
		jx,
		div("330225101", "石浦镇", RankTownship, "town"),
		div("330225202", "黄避岙乡", RankTownship, "township"),
		div("330225001009", "丹河社区", RankVillage, "community"),
		div("330225101200", "东门渔村", RankVillage, "village"),
		{Kind: KindPlace, ID: "p-dandongcun", Names: []Name{{Text: "单东村"}}, Rank: RankPlace, Category: "natural_village",
			Status: "current", Divisions: []string{"330225202"}},
		{Kind: KindPlace, ID: "p-old", Names: []Name{{Text: "丹东旧码头"}, {Text: "老码头", Field: FieldAlias}}, Rank: RankPlace,
			Category: "wharf", Status: "abolished", Retired: true, Divisions: []string{"330225001"}},
		{Kind: KindPlace, ID: "p-tayuan", Names: []Name{{Text: "塔山公园"}, {Text: "丹山公园", Field: FieldFormer}},
			Pinyin: "Tashan Gongyuan", Rank: RankPlace, Category: "park", Status: "current", Divisions: []string{"330225001"}},
		{Kind: KindFacility, ID: "CT-1", Names: []Name{{Text: "丹东社区老年食堂"}}, Rank: RankFacility, Category: "canteen",
			Status: "existing", Divisions: []string{"330225001"}},
	}
}

type want struct {
	id, matched, field, quality string
}

func (w want) String() string { return fmt.Sprintf("%s/%s/%s/%s", w.id, w.matched, w.field, w.quality) }

func got(res Result) []want {
	out := make([]want, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = want{h.Doc.ID, h.Matched, h.Field, h.Quality}
	}
	return out
}

func TestSearchQueryClasses(t *testing.T) {
	ix, err := NewIndex(romanizer(t), sampleDocs())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		q          Query
		simplified string
		want       []want
		matched    int
	}{
		{name: "chinese prefix ranks township before village before facility", q: Query{Q: "丹"},
			want: []want{{"330225001", "name", "name", "prefix"}, {"330225002", "name", "name", "prefix"},
				{"330225001009", "name", "name", "prefix"}, {"CT-1", "name", "name", "prefix"},
				{"p-tayuan", "former", "former", "prefix"}}, // one character's homophones are not searched
			matched: 5},
		{name: "chinese exact before prefix", q: Query{Q: "丹东街道"},
			want: []want{{"330225001", "name", "name", "exact"}}, matched: 1},
		{name: "chinese substring and homophone", q: Query{Q: "东"},
			want: []want{{"330225101200", "name", "name", "prefix"}, {"330225001", "name", "name", "substring"},
				{"p-dandongcun", "name", "name", "substring"}, {"CT-1", "name", "name", "substring"}}, matched: 4},
		{name: "traditional characters", q: Query{Q: "丹東"}, simplified: "丹东",
			want: []want{{"330225001", "name", "name", "prefix"}, {"CT-1", "name", "name", "prefix"},
				{"p-dandongcun", "homophone", "name", "prefix"}}, matched: 3},
		{name: "traditional variant 嶴", q: Query{Q: "黃避嶴"}, simplified: "黄避岙",
			want: []want{{"330225202", "name", "name", "prefix"}}, matched: 1},
		{name: "full pinyin without spaces", q: Query{Q: "dandongjiedao"},
			want: []want{{"330225001", "pinyin", "name", "exact"}}, matched: 1},
		{name: "full pinyin with spaces, capitals and tone marks", q: Query{Q: "Dān Dōng"},
			want: []want{{"330225001", "pinyin", "name", "prefix"}, {"p-dandongcun", "pinyin", "name", "prefix"},
				{"CT-1", "pinyin", "name", "prefix"}}, matched: 3},
		{name: "tone numbers", q: Query{Q: "dan1dong1jie1dao4"},
			want: []want{{"330225001", "pinyin", "name", "exact"}}, matched: 1},
		{name: "initials", q: Query{Q: "dxjd"},
			want: []want{{"330225002", "initials", "name", "exact"}}, matched: 1},
		{name: "initials prefix", q: Query{Q: "DD"},
			want: []want{{"330225001", "initials", "name", "prefix"}, {"p-dandongcun", "initials", "name", "prefix"},
				{"CT-1", "initials", "name", "prefix"}}, matched: 3},
		{name: "pinyin from a later syllable", q: Query{Q: "yucun"},
			want: []want{{"330225101200", "pinyin", "name", "substring"}}, matched: 1},
		{name: "apostrophe syllable", q: Query{Q: "huangbi'ao"},
			want: []want{{"330225202", "pinyin", "name", "prefix"}}, matched: 1},
		{name: "typo: transposition", q: Query{Q: "dandongjiedoa"},
			want: []want{{"330225001", "typo", "name", "prefix"}}, matched: 1},
		{name: "typo: substitution", q: Query{Q: "xiangshen"},
			want: []want{{"330225", "typo", "name", "prefix"}}, matched: 1},
		{name: "typo: missing letter", q: Query{Q: "shiputhen"},
			want: []want{{"330225101", "typo", "name", "prefix"}}, matched: 1},
		{name: "typo only from the name's first syllable", q: Query{Q: "yucan"}, want: []want{}, matched: 0},
		{name: "former name", q: Query{Q: "爵溪镇"},
			want: []want{{"330225003", "former", "former", "exact"}}, matched: 1},
		{name: "current name before former name", q: Query{Q: "山公园"},
			want: []want{{"p-tayuan", "name", "name", "substring"}}, matched: 1},
		{name: "the record's own pinyin", q: Query{Q: "tashangongyuan"},
			want: []want{{"p-tayuan", "pinyin", "name", "exact"}}, matched: 1},
		{name: "retired records only when asked", q: Query{Q: "码头", Statuses: []string{"abolished"}},
			want: []want{{"p-old", "name", "name", "substring"}}, matched: 1},
		{name: "retired records hidden", q: Query{Q: "码头"}, want: []want{}, matched: 0},
		{name: "alias", q: Query{Q: "老码头", Statuses: []string{"abolished"}},
			want: []want{{"p-old", "alias", "alias", "exact"}}, matched: 1},
		{name: "kinds filter", q: Query{Q: "丹东", Kinds: []Kind{KindFacility}},
			want: []want{{"CT-1", "name", "name", "prefix"}}, matched: 1},
		{name: "division filter", q: Query{Q: "dan", Division: "330225001"},
			want: []want{{"330225001", "pinyin", "name", "prefix"}, {"330225001009", "pinyin", "name", "prefix"},
				{"CT-1", "pinyin", "name", "prefix"}, {"p-tayuan", "pinyin", "former", "prefix"}}, matched: 4},
		{name: "category filter", q: Query{Q: "街道", Category: "subdistrict", Limit: 2},
			want: []want{{"330225001", "name", "name", "substring"}, {"330225002", "name", "name", "substring"}}, matched: 3},
		{name: "no match", q: Query{Q: "杭州"}, want: []want{}, matched: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.Search(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			g := got(res)
			if fmt.Sprint(g) != fmt.Sprint(tc.want) {
				t.Errorf("hits\n got %v\nwant %v", g, tc.want)
			}
			if res.NumberMatched != tc.matched {
				t.Errorf("numberMatched = %d, want %d", res.NumberMatched, tc.matched)
			}
			if res.Simplified != tc.simplified {
				t.Errorf("simplified = %q, want %q", res.Simplified, tc.simplified)
			}
		})
	}
}

// TestFallbackOnlyWhenPageNotFull: homophones and typos rank last, so they are searched only while a kind's better
// matches do not fill the page; numberMatched then counts the better ones.
func TestFallbackOnlyWhenPageNotFull(t *testing.T) {
	place := func(id, name string) Doc {
		return Doc{Kind: KindPlace, ID: id, Names: []Name{{Text: name}}, Rank: RankPlace, Status: "current"}
	}
	ix, err := NewIndex(romanizer(t), []Doc{place("a", "丹东村"), place("b", "单东村"), place("c", "丹冬湾"),
		place("d", "丹东湾"), place("e", "旦洞湾")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q       Query
		want    string
		matched int
	}{
		{Query{Q: "丹东", Limit: 5}, "[a/name/name/prefix d/name/name/prefix b/homophone/name/prefix c/homophone/name/prefix e/homophone/name/prefix]", 5},
		{Query{Q: "丹东", Limit: 2}, "[a/name/name/prefix d/name/name/prefix]", 2},
		{Query{Q: "dandongwan", Limit: 5}, "[c/pinyin/name/exact d/pinyin/name/exact e/pinyin/name/exact]", 3},
		{Query{Q: "dandongwen", Limit: 5}, "[c/typo/name/prefix d/typo/name/prefix e/typo/name/prefix]", 3},
		{Query{Q: "dandongcun", Limit: 2}, "[a/pinyin/name/exact b/pinyin/name/exact]", 2},
		{Query{Q: "dandongcu", Limit: 1}, "[a/pinyin/name/prefix]", 2},
	} {
		res, err := ix.Search(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if g := fmt.Sprint(got(res)); g != tc.want || res.NumberMatched != tc.matched {
			t.Errorf("%+v: %s (%d), want %s (%d)", tc.q, g, res.NumberMatched, tc.want, tc.matched)
		}
	}
}

func TestSearchBadQueries(t *testing.T) {
	ix, err := NewIndex(romanizer(t), sampleDocs())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q     Query
		field string
	}{
		{Query{Q: "  "}, "q"},
		{Query{Q: strings.Repeat("丹", 101)}, "q"},
		{Query{Q: "丹\u202e"}, "q"},
		{Query{Q: "丹\x00"}, "q"},
		{Query{Q: "\xff"}, "q"},
		{Query{Q: "丹", Limit: 201}, "limit"},
		{Query{Q: "丹", Limit: -1}, "limit"},
		{Query{Q: "丹", Kinds: []Kind{"road"}}, "kinds"},
	} {
		_, err := ix.Search(tc.q)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Field != tc.field {
			t.Errorf("%+v: err = %v, want a QueryError naming %s", tc.q, err, tc.field)
		}
	}
	// Punctuation only, a 100-character name, rare characters: answered, not refused.
	for _, q := range []string{"·", "！？", strings.Repeat("丹", 100), "𬉼", "G228"} {
		if _, err := ix.Search(Query{Q: q}); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
}

func TestLiveReloadsInvalidatedKinds(t *testing.T) {
	var loads atomic.Int32
	name := "丹东街道"
	l, err := NewLive(context.Background(), romanizer(t), map[Kind]Loader{
		KindDivision: func(context.Context) ([]Doc, error) {
			loads.Add(1)
			return []Doc{div("330225001", name, RankTownship, "subdistrict")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	search := func(q string) int {
		res, err := l.Search(context.Background(), Query{Q: q})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Hits)
	}
	if search("丹东") != 1 || search("新丹") != 0 || loads.Load() != 1 {
		t.Fatalf("before the change: loads = %d", loads.Load())
	}
	name = "新丹东街道"
	if search("新丹") != 0 {
		t.Fatal("reloaded without an invalidation")
	}
	l.Invalidate(KindDivision, KindPlace) // KindPlace has no loader: ignored
	if search("新丹") != 1 || loads.Load() != 2 {
		t.Fatalf("after the change: loads = %d", loads.Load())
	}
	search("新丹")
	if loads.Load() != 2 {
		t.Fatalf("reloaded again without a change: loads = %d", loads.Load())
	}
}

func TestTypoVariants(t *testing.T) {
	v := typoVariants("abcde")
	// 5 deletions + 4 transpositions + 5×25 substitutions + 6×26 insertions, less duplicates (doubled letters absent
	// here; an insertion of a letter beside itself duplicates once per letter: 5 inserted copies equal to their
	// neighbours are counted once each).
	seen := map[string]bool{}
	for _, s := range v {
		if seen[s] {
			t.Fatalf("%q twice", s)
		}
		seen[s] = true
	}
	for _, s := range []string{"bcde", "bacde", "abdce", "abcdf", "xabcde", "abcdex", "abcxde"} {
		if !seen[s] {
			t.Errorf("%q missing", s)
		}
	}
	if seen["abcde"] || seen["abc"] {
		t.Error("the query itself or a two-edit variant is listed")
	}
	if len(v) != 5+4+125+156-5 {
		t.Errorf("%d variants, want %d", len(v), 5+4+125+156-5)
	}
}

// TestTyposMatchVariants: the pruned typo search finds exactly the docs that looking up every one-edit variant finds.
func TestTyposMatchVariants(t *testing.T) {
	docs := benchDocs(3000, 3)
	ix, err := NewIndex(romanizer(t), docs)
	if err != nil {
		t.Fatal(err)
	}
	s := ix.segs[KindPlace]
	for i := 0; i < 200; i++ {
		p := s.pyOf(&s.keys[(i*37)%len(s.keys)])
		if len(p) < minTypoLen {
			continue
		}
		for _, typo := range []string{p, p[:len(p)-1] + "x", p[1:], "q" + p} {
			fast := typoDocs(s, func(m *matcher) { m.typos(typo) })
			slow := typoDocs(s, func(m *matcher) {
				for _, v := range typoVariants(typo) {
					m.pinyinIn(s.prefixRange(s.py0, v), len(v), tierTypo, tierTypo, tierNone, true)
				}
			})
			if fmt.Sprint(fast) != fmt.Sprint(slow) {
				t.Fatalf("%q: pruned %v, every variant %v", typo, fast, slow)
			}
		}
	}
}

func typoDocs(s *segment, run func(*matcher)) []uint32 {
	sc := s.getScratch()
	defer s.putScratch(sc)
	run(&matcher{s: s, sc: sc, f: &filter{}, drop: s.retired, limit: MaxLimit})
	var out []uint32
	for _, w := range sc.words {
		for b := sc.seen[w]; b != 0; b &= b - 1 {
			out = append(out, w*64+uint32(bits.TrailingZeros64(b)))
		}
	}
	slices.Sort(out)
	return out
}

// countingSyllabler counts the names it reads.
type countingSyllabler struct {
	Syllabler
	n atomic.Int32
}

func (c *countingSyllabler) Syllables(text string) []string {
	c.n.Add(1)
	return c.Syllabler.Syllables(text)
}

// TestLiveReusesReadings: a reload asks the Syllabler only for names it has not read; a new Syllabler reads all again.
func TestLiveReusesReadings(t *testing.T) {
	syl := &countingSyllabler{Syllabler: romanizer(t)}
	docs := []Doc{div("330225001", "丹东街道", RankTownship, "subdistrict"), div("330225002", "丹西街道", RankTownship, "subdistrict")}
	l, err := NewLive(context.Background(), syl, map[Kind]Loader{
		KindDivision: func(context.Context) ([]Doc, error) { return slices.Clone(docs), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := syl.n.Load(); n != 2 {
		t.Fatalf("%d names read at start, want 2", n)
	}
	docs = append(docs, div("330225003", "爵溪街道", RankTownship, "subdistrict"))
	l.Invalidate(KindDivision)
	res, err := l.Search(context.Background(), Query{Q: "jxjd"})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].Doc.ID != "330225003" {
		t.Fatalf("after the reload: %+v %v", res, err)
	}
	if res, _ := l.Search(context.Background(), Query{Q: "dxjd"}); len(res.Hits) != 1 || res.Hits[0].Matched != "initials" {
		t.Fatalf("a reused reading: %+v", res)
	}
	if n := syl.n.Load(); n != 3 {
		t.Fatalf("%d names read after adding one, want 3", n)
	}
	other := &countingSyllabler{Syllabler: romanizer(t)}
	l.SetSyllabler(other)
	if _, err := l.Search(context.Background(), Query{Q: "dxjd"}); err != nil {
		t.Fatal(err)
	}
	if n := other.n.Load(); n != 3 {
		t.Fatalf("%d names read by the new Syllabler, want 3", n)
	}
}

// FuzzSearch: any query string is answered or refused with a QueryError, never a panic; hits are in score order.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"丹东", "dandongjiedao", "dxjd", "丹東", "Dān dōng", "dan1dong1", "dandongjiedoa", "ｄａｎ",
		"Lü", "u:", "G228", "'", "·", "\x00", "\xff\xfe", strings.Repeat("a", 101), "黃避嶴", "𬉼"} {
		f.Add(s)
	}
	ix, err := NewIndex(romanizer(f), sampleDocs())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		res, err := ix.Search(Query{Q: q, Statuses: []string{"current", "abolished", "existing"}})
		var qe *QueryError
		if err != nil && !errors.As(err, &qe) {
			t.Fatalf("%q: %v", q, err)
		}
		for i := 1; i < len(res.Hits); i++ {
			if cmpScore(res.Hits[i-1].score, res.Hits[i].score) > 0 {
				t.Fatalf("%q: hits out of order", q)
			}
		}
	})
}
