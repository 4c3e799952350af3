package search

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// refKey is one indexed string set of a doc as the reference ranking sees it (built from the Doc, not the segment).
type refKey struct {
	han, py, ini string
	starts       []int // syllable starts in py
	fc           int   // 0 current name or short name, 1 alias, 2 former
	field, text  string
}

func refKeys(d *Doc, syl Syllabler) []refKey {
	var out []refKey
	mk := func(han, py string, sy []uint16, fc int, field, text string) refKey {
		k := refKey{han: han, py: py, fc: fc, field: field, text: text}
		var ini []byte
		for _, o := range sy {
			k.starts = append(k.starts, int(o))
			ini = append(ini, py[o])
		}
		k.ini = string(ini)
		return k
	}
	for ni, n := range d.Names {
		if strings.TrimSpace(n.Text) == "" {
			continue
		}
		fc := map[Field]int{FieldName: 0, FieldShortName: 0, FieldAlias: 1, FieldFormer: 2}[n.Field]
		py, sy := syllables(n.Text, syl)
		out = append(out, mk(foldHan(n.Text), py, sy, fc, n.Field.String(), n.Text))
		if ni == 0 && d.Pinyin != "" {
			if opy, osy := ownPinyin(d.Pinyin); opy != "" && opy != py {
				k := mk("", opy, osy, 0, "name", d.Pinyin)
				k.ini = "" // a hand-set romanization has words: no initials
				out = append(out, k)
			}
		}
	}
	return out
}

// refMatch is one way a doc matched: its score parts, then the order the search meets it in (phase, then suffix and
// offset, as the suffix arrays list them), which decides between equal matches of one doc.
type refMatch struct {
	tier   tier
	fc     int
	phase  int
	suffix string
	ki     int // the key's index in the doc and the offset in its string: the order of the text arena
	pos    int
	key    *refKey
}

func (a refMatch) less(b refMatch) bool {
	return cmp.Or(cmp.Compare(a.tier, b.tier), cmp.Compare(a.fc, b.fc), cmp.Compare(a.phase, b.phase),
		strings.Compare(a.suffix, b.suffix), cmp.Compare(a.ki, b.ki), cmp.Compare(a.pos, b.pos)) < 0
}

func refKeep(d *Doc, q Query) bool {
	if q.Category != "" && d.Category != q.Category {
		return false
	}
	if len(q.Statuses) == 0 && d.Retired || len(q.Statuses) > 0 && !slices.Contains(q.Statuses, d.Status) {
		return false
	}
	return q.Division == "" || slices.ContainsFunc(d.Divisions, func(c string) bool { return strings.HasPrefix(c, q.Division) })
}

// refSearch ranks every doc by brute force: each doc's best match by (tier, field class), then retired last, feature
// rank, name length in characters, ID; homophones only while fewer than limit docs matched, then typos likewise.
func refSearch(docs []Doc, keys [][]refKey, pq *prepared, q Query) ([]string, int) {
	best := map[int]refMatch{}
	offer := func(di int, m refMatch) {
		if !refKeep(&docs[di], q) {
			return
		}
		if b, ok := best[di]; !ok || m.less(b) {
			best[di] = m
		}
	}
	phase := 0
	each := func(match func(di, ki int, k *refKey)) {
		for di := range docs {
			for ki := range keys[di] {
				match(di, ki, &keys[di][ki])
			}
		}
		phase++
	}
	for _, h := range pq.han {
		each(func(di, ki int, k *refKey) {
			for off := range k.han {
				if strings.HasPrefix(k.han[off:], h) {
					t := tierSubstring
					if off == 0 {
						t = tierPrefix
						if k.han == h {
							t = tierExact
						}
					}
					offer(di, refMatch{t, k.fc, phase, k.han[off:], ki, off, k})
				}
			}
		})
	}
	syllableMatch := func(p string, first, exact, inner tier, whole bool) func(di, ki int, k *refKey) {
		return func(di, ki int, k *refKey) {
			for i, o := range k.starts {
				rest := k.py[o:]
				if !strings.HasPrefix(rest, p) {
					continue
				}
				if whole && len(rest) != len(p) && !slices.Contains(k.starts[i+1:], o+len(p)) {
					continue
				}
				t := inner
				if o == 0 {
					t = first
					if len(rest) == len(p) {
						t = exact
					}
				}
				offer(di, refMatch{t, k.fc, phase, rest, ki, o, k})
			}
		}
	}
	for _, p := range pq.pinyin {
		each(syllableMatch(p, tierPinyinPrefix, tierPinyinExact, tierPinyinInner, false))
		each(func(di, ki int, k *refKey) {
			if k.ini != "" && strings.HasPrefix(k.ini, p) {
				t := tierInitialsPrefix
				if k.ini == p {
					t = tierInitialsExact
				}
				offer(di, refMatch{t, k.fc, phase, k.ini, ki, 0, k})
			}
		})
	}
	if pq.homophone != "" && len(best) < q.Limit {
		each(syllableMatch(pq.homophone, tierHomophone, tierHomophone, tierHomophoneInner, true))
	}
	if pq.typo != "" && len(best) < q.Limit {
		vs := typoVariants(pq.typo)
		each(func(di, ki int, k *refKey) {
			for i := range k.starts {
				end := len(k.py)
				if i+1 < len(k.starts) {
					end = k.starts[i+1]
				}
				if _, ok := slices.BinarySearch(vs, k.py[:end]); ok {
					offer(di, refMatch{tierTypo, k.fc, phase, k.py, ki, 0, k})
				}
			}
		})
	}
	order := make([]int, 0, len(best))
	for di := range best {
		order = append(order, di)
	}
	slices.SortFunc(order, func(a, b int) int {
		ma, mb, da, db := best[a], best[b], &docs[a], &docs[b]
		nl := func(d *Doc) int { return min(utf8.RuneCountInString(d.Names[0].Text), 1023) }
		retired := func(d *Doc) int { return map[bool]int{true: 1}[d.Retired] }
		return cmp.Or(cmp.Compare(ma.tier, mb.tier), cmp.Compare(ma.fc, mb.fc), cmp.Compare(retired(da), retired(db)),
			cmp.Compare(da.Rank, db.Rank), cmp.Compare(nl(da), nl(db)), strings.Compare(da.ID, db.ID))
	})
	var out []string
	for _, di := range order[:min(len(order), q.Limit)] {
		m := best[di]
		matched := map[tier]string{tierExact: "name", tierPrefix: "name", tierSubstring: "name", tierPinyinExact: "pinyin",
			tierPinyinPrefix: "pinyin", tierPinyinInner: "pinyin", tierInitialsExact: "initials",
			tierInitialsPrefix: "initials", tierHomophone: "homophone", tierHomophoneInner: "homophone", tierTypo: "typo"}[m.tier]
		if matched == "name" && m.key.field == "alias" || m.key.field == "former" && m.tier <= tierSubstring {
			matched = m.key.field
		}
		quality := map[tier]string{tierExact: "exact", tierPinyinExact: "exact", tierInitialsExact: "exact", tierPrefix: "prefix",
			tierPinyinPrefix: "prefix", tierInitialsPrefix: "prefix", tierHomophone: "prefix", tierTypo: "prefix"}[m.tier]
		out = append(out, fmt.Sprintf("%s/%s/%s/%s/%s", docs[di].ID, matched, m.key.field, m.key.text, cmp.Or(quality, "substring")))
	}
	return out, len(best)
}

// refDocs are generated place names (benchDocs) with what the ranking looks at varied: feature ranks, retired
// records, aliases, short names and hand-set pinyin.
func refDocs(n int, seed uint64) []Doc {
	docs := benchDocs(n, seed)
	r := rand.New(rand.NewPCG(seed, 99))
	for i := range docs {
		d := &docs[i]
		d.Rank = Rank(r.IntN(4))
		if r.IntN(8) == 0 {
			d.Retired, d.Status = true, "abolished"
		}
		if r.IntN(6) == 0 { // a short name: the 专名 alone
			rs := []rune(d.Names[0].Text)
			d.Names = append(d.Names, Name{Text: string(rs[:2]), Field: FieldShortName})
		}
		if r.IntN(6) == 0 {
			d.Names = append(d.Names, Name{Text: docs[r.IntN(n)].Names[0].Text, Field: FieldAlias})
		}
		if r.IntN(10) == 0 {
			d.Pinyin = []string{"Dandong Jiedao", "Huangbi'ao", "Shipu Zhen", "Xiangshan Gang"}[r.IntN(4)]
		}
		if r.IntN(3) == 0 {
			d.Category = "water"
		}
	}
	return docs
}

// TestSearchMatchesReference: over a few thousand generated names, the index gives the same hits (record, how
// matched, which name, quality, in order) and numberMatched as a brute-force ranking of every doc, for one and two
// Chinese characters, traditional characters, full pinyin, pinyin prefixes and later syllables, initials and typos,
// with and without filters, on small and large pages.
//
// It runs twice: as a small segment (every query matched by scanning, filters decided doc by doc) and with every
// shortcut: champions for every character and letter, filters decided for all docs first (prefilter).
func TestSearchMatchesReference(t *testing.T) {
	defer func(c, m, s int) { champMin, prefilterMin, prefilterShare = c, m, s }(champMin, prefilterMin, prefilterShare)
	t.Run("scan", testSearchMatchesReference)
	champMin, prefilterMin, prefilterShare = 1, 0, 1<<30
	t.Run("shortcuts", testSearchMatchesReference)
}

func testSearchMatchesReference(t *testing.T) {
	syl := romanizer(t)
	docs := refDocs(4000, 5)
	ix, err := NewIndex(syl, slices.Clone(docs))
	if err != nil {
		t.Fatal(err)
	}
	if s := ix.segs[KindPlace]; (champMin == 1) != (s.champ["村\x01"] != nil && s.champ["a\x01a"] != nil && s.champ["xi\x01xi"] != nil) {
		t.Fatalf("%d champions with champMin %d", len(s.champ), champMin)
	}
	docs = ix.segs[KindPlace].docs // sorted by ID, as the index holds them
	keys := make([][]refKey, len(docs))
	for i := range docs {
		keys[i] = refKeys(&docs[i], syl)
	}
	r := rand.New(rand.NewPCG(8, 13))
	pick := func() *refKey {
		for {
			ks := keys[r.IntN(len(keys))]
			if k := &ks[r.IntN(len(ks))]; k.han != "" {
				return k
			}
		}
	}
	classes := []struct {
		name string
		gen  func() string
	}{
		{"chinese-1", func() string { rs := []rune(pick().han); return string(rs[r.IntN(len(rs))]) }},
		{"chinese-2", func() string { rs := []rune(pick().han); i := r.IntN(len(rs) - 1); return string(rs[i : i+2]) }},
		{"traditional", func() string { return traditional(pick().han) }},
		{"pinyin", func() string { return pick().py }},
		{"pinyin-part", func() string { // one or two syllables from any syllable
			k := pick()
			i := r.IntN(len(k.starts))
			end := len(k.py)
			if i+2 < len(k.starts) {
				end = k.starts[i+2]
			}
			return k.py[k.starts[i]:end]
		}},
		{"initials", func() string { return pick().ini }},
		{"letter", func() string { // the first keys typed, one or two letters: the widest Latin queries
			c := string(rune('a' + r.IntN(26)))
			if r.IntN(2) == 0 {
				c += string(rune('a' + r.IntN(26)))
			}
			if r.IntN(2) == 0 {
				c = strings.ToUpper(c)
			}
			return c
		}},
		{"typo", func() string {
			v := typoVariants(pick().py)
			return v[r.IntN(len(v))]
		}},
	}
	filters := []Query{{}, {Statuses: []string{"current", "abolished"}}, {Division: "33022500"}, {Category: "water"}}
	tested := map[string]int{}
	for _, c := range classes {
		name, gen := c.name, c.gen
		for i := 0; i < 150; i++ {
			q := filters[i%len(filters)]
			q.Q, q.Kinds, q.Limit = gen(), []Kind{KindPlace}, []int{20, 5, 200}[i%3]
			if q.Q == "" {
				continue
			}
			res, err := ix.Search(q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			pq, _, err := prepare(q.Q, syl)
			if err != nil {
				t.Fatal(err)
			}
			want, wantN := refSearch(docs, keys, pq, q)
			var g []string
			for _, h := range res.Hits {
				g = append(g, fmt.Sprintf("%s/%s/%s/%s/%s", h.Doc.ID, h.Matched, h.Field, h.Text, h.Quality))
			}
			if fmt.Sprint(g) != fmt.Sprint(want) || res.NumberMatched != wantN {
				t.Fatalf("%s %+v:\n got %d %v\nwant %d %v", name, q, res.NumberMatched, g, wantN, want)
			}
			tested[name] += len(g)
		}
	}
	for _, c := range classes {
		if name := c.name; tested[name] < 100 {
			t.Errorf("%s: only %d hits compared in all", name, tested[name])
		}
	}
}

// TestSortSA: the multikey sort gives the order of a plain sort by suffix then entry, with suffixes that share long
// prefixes, end inside or exactly at an 8-byte step, are remMax (127) bytes or longer, or held a 0 byte.
func TestSortSA(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var docs []Doc
	for i := range 3000 {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			b.WriteString([]string{"a", "ab", "丹", "东", "bbbbbbbb", "\x00"}[r.IntN(6)])
		}
		if i%100 == 0 {
			b.WriteString(strings.Repeat("长街", 50+r.IntN(3)))
		}
		docs = append(docs, Doc{Kind: KindPlace, ID: fmt.Sprintf("d%05d", i), Names: []Name{{Text: b.String()}}})
	}
	s, err := newSegment(KindPlace, docs, romanizer(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, sa := range map[string][]entry{"han": s.han, "py": s.py, "py0": s.py0, "ini": s.ini} {
		want := slices.Clone(sa)
		slices.SortFunc(want, func(a, b entry) int { return cmp.Or(strings.Compare(s.suffix(a), s.suffix(b)), cmp.Compare(a, b)) })
		if !slices.Equal(sa, want) {
			t.Errorf("%s: not in suffix order", name)
		}
	}
}

// TestEntryFields: every field of a suffix-array entry reads back as packed at its extremes (the last doc of a
// MaxDocs segment, the last text byte, every length class), so a province-sized kind indexes without aliasing.
func TestEntryFields(t *testing.T) {
	for _, c := range []struct {
		doc      uint32
		fc       uint64
		start    bool
		rem, pos int
		wantRem  int
	}{
		{MaxDocs - 1, 3, true, remMax, maxText - 1, remMax},
		{MaxDocs - 1, 2, false, 1000, 0, remMax},
		{0, 0, false, 0, maxText - 1, 0},
		{1 << 23, 1, true, remMax - 1, 1 << 29, remMax - 1},
		{5_504_900, 0, true, 17, 123_456_789, 17},
	} {
		e := mkEntry(c.doc, c.fc, c.start, c.rem, c.pos)
		if e.doc() != c.doc || e.fc() != c.fc || e.start() != c.start || e.rem() != c.wantRem || e.pos() != uint32(c.pos) {
			t.Errorf("%+v: doc %d fc %d start %v rem %d pos %d", c, e.doc(), e.fc(), e.start(), e.rem(), e.pos())
		}
	}
}

// TestLongNames: names whose strings run past remMax bytes (a 60-character name: 180 bytes of Han, 300 of pinyin)
// are found by their last characters, a late syllable and whole, as short ones are; a 0 byte in a name is dropped.
func TestLongNames(t *testing.T) {
	long := strings.Repeat("长街", 29) + "东港"
	docs := []Doc{
		{Kind: KindPlace, ID: "long", Names: []Name{{Text: long}}},
		{Kind: KindPlace, ID: "nul", Names: []Name{{Text: strings.Repeat("丹", 50) + "\x00" + "城"}}},
		{Kind: KindPlace, ID: "short", Names: []Name{{Text: "东港路"}}},
	}
	ix, err := NewIndex(romanizer(t), docs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ q, want string }{
		{"街东港", "long"}, {"donggang", "long"}, {long, "long"}, {"丹城", "nul"}, {"东港路", "short"},
	} {
		res, err := ix.Search(Query{Q: c.q, Kinds: []Kind{KindPlace}, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, h := range res.Hits {
			found = found || h.Doc.ID == c.want
		}
		if !found {
			t.Errorf("%q: %d hits, none is %s", c.q, len(res.Hits), c.want)
		}
	}
}
