package search

import (
	"cmp"
	"container/heap"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// key is one indexed name of a doc.
type key struct {
	doc   uint32   // index in segment.docs
	name  uint8    // index in Doc.Names
	own   bool     // py is the record's own Pinyin (then han and ini are empty)
	han   string   // foldHan(name)
	py    string   // toneless pinyin of the name without separators, foldPinyin form ("dandongjiedao")
	sylls []uint16 // byte offsets in py where each syllable starts
	ini   string   // the first letter of each syllable ("ddjd")
}

// An entry of a suffix array: key index << 16 | byte offset of the suffix in the key's string.
type entry uint64

func mkEntry(k int, off int) entry { return entry(uint64(k)<<16 | uint64(off)) }
func (e entry) key() int           { return int(e >> 16) }
func (e entry) off() int           { return int(e & 0xffff) }

// segment is the index of one kind of record. Suffix arrays, sorted by suffix:
//   - han: every rune offset of every key's han string (Chinese substring and prefix);
//   - py: every syllable offset of every key's pinyin (full pinyin from the first or any later syllable);
//   - ini: offset 0 of every key's initials (initials match the name's start only: inner initials match too much).
type segment struct {
	kind Kind
	docs []Doc
	keys []key
	han  []entry
	py   []entry
	ini  []entry
	pool sync.Pool // *scratch
}

// maxOffset is the longest string prefix whose suffixes are indexed (an entry holds a 16-bit offset).
const maxOffset = 0xffff

func newSegment(kind Kind, docs []Doc, syl Syllabler) *segment {
	s := &segment{kind: kind, docs: docs}
	slices.SortFunc(s.docs, func(a, b Doc) int { return strings.Compare(a.ID, b.ID) })
	for di := range s.docs {
		d := &s.docs[di]
		for ni, n := range d.Names {
			if ni > 255 || strings.TrimSpace(n.Text) == "" {
				continue
			}
			k := key{doc: uint32(di), name: uint8(ni), han: foldHan(n.Text)}
			k.py, k.sylls = syllables(n.Text, syl)
			k.ini = initials(k.py, k.sylls)
			s.keys = append(s.keys, k)
			if ni == 0 && d.Pinyin != "" {
				if py, sy := ownPinyin(d.Pinyin); py != "" && py != k.py {
					s.keys = append(s.keys, key{doc: uint32(di), own: true, py: py, sylls: sy})
				}
			}
		}
	}
	for ki := range s.keys {
		k := &s.keys[ki]
		for off := range k.han {
			if off > maxOffset {
				break
			}
			if utf8.RuneStart(k.han[off]) {
				s.han = append(s.han, mkEntry(ki, off))
			}
		}
		for _, off := range k.sylls {
			s.py = append(s.py, mkEntry(ki, int(off)))
		}
		if k.ini != "" {
			s.ini = append(s.ini, mkEntry(ki, 0))
		}
	}
	s.sortSA(s.han, func(k *key) string { return k.han })
	s.sortSA(s.py, func(k *key) string { return k.py })
	s.sortSA(s.ini, func(k *key) string { return k.ini })
	s.pool.New = func() any { return newScratch(len(s.docs)) }
	return s
}

func (s *segment) sortSA(sa []entry, str func(*key) string) {
	slices.SortFunc(sa, func(a, b entry) int {
		if c := strings.Compare(str(&s.keys[a.key()])[a.off():], str(&s.keys[b.key()])[b.off():]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}

// prefixRange returns the entries of sa whose suffix starts with q.
func (s *segment) prefixRange(sa []entry, str func(*key) string, q string) []entry {
	suffix := func(i int) string { return str(&s.keys[sa[i].key()])[sa[i].off():] }
	lo := sort.Search(len(sa), func(i int) bool { return suffix(i) >= q })
	n := sort.Search(len(sa)-lo, func(i int) bool { return !strings.HasPrefix(suffix(lo+i), q) })
	return sa[lo : lo+n]
}

func hanOf(k *key) string { return k.han }
func pyOf(k *key) string  { return k.py }
func iniOf(k *key) string { return k.ini }

// syllables romanizes a name: the Syllabler's reading of each Han character and each run of ASCII letters or digits
// (lower-cased) as one syllable; other characters (punctuation, rare characters without a reading) are skipped. The
// Syllabler may return one reading per Han character only, or one per Han character and Latin run (names.Romanizer);
// any other count is read character by character.
func syllables(text string, syl Syllabler) (string, []uint16) {
	text = widthFold(text)
	type tok struct {
		han  bool
		text string
	}
	var toks []tok
	nHan := 0
	latinStart := -1
	for i, r := range text {
		isLatin := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if latinStart >= 0 && !isLatin {
			toks = append(toks, tok{text: strings.ToLower(text[latinStart:i])})
			latinStart = -1
		}
		switch {
		case isHan(r):
			toks = append(toks, tok{han: true, text: string(r)})
			nHan++
		case isLatin && latinStart < 0:
			latinStart = i
		}
	}
	if latinStart >= 0 {
		toks = append(toks, tok{text: strings.ToLower(text[latinStart:])})
	}
	if nHan > 0 && syl != nil {
		rd := syl.Syllables(text)
		switch len(rd) {
		case len(toks):
			for i := range toks {
				if toks[i].han {
					toks[i].text = rd[i]
				}
			}
		case nHan:
			j := 0
			for i := range toks {
				if toks[i].han {
					toks[i].text = rd[j]
					j++
				}
			}
		default:
			for i := range toks {
				if toks[i].han {
					if r := syl.Syllables(toks[i].text); len(r) > 0 {
						toks[i].text = r[0]
					}
				}
			}
		}
	}
	var py []byte
	var offs []uint16
	for _, t := range toks {
		f := t.text
		if t.han {
			f = foldPinyin(f)
		}
		if f == "" || len(py) > maxOffset {
			continue
		}
		offs = append(offs, uint16(len(py)))
		py = append(py, f...)
	}
	return string(py), offs
}

// widthFold is NFKC without the cost for plain text: full-width letters and digits become ASCII.
func widthFold(s string) string {
	for _, r := range s {
		if r >= 0xff00 && r <= 0xffef {
			return foldHanKeepSpace(s)
		}
	}
	return s
}

func foldHanKeepSpace(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xff01 && r <= 0xff5e {
			r -= 0xfee0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ownPinyin folds a record's own romanization ("Dandong Jiedao", "Huangbi'ao Xiang"); its syllable offsets are the
// starts of its words, split at spaces, apostrophes and hyphens.
func ownPinyin(p string) (string, []uint16) {
	var py strings.Builder
	var offs []uint16
	for _, w := range strings.FieldsFunc(p, func(r rune) bool { return r == ' ' || r == '\'' || r == '’' || r == '-' }) {
		f := foldPinyin(w)
		if f == "" || py.Len() > maxOffset {
			continue
		}
		offs = append(offs, uint16(py.Len()))
		py.WriteString(f)
	}
	return py.String(), offs
}

func initials(py string, offs []uint16) string {
	b := make([]byte, len(offs))
	for i, o := range offs {
		b[i] = py[o]
	}
	return string(b)
}

// ---- matching -----------------------------------------------------------------------------------------------------

// tier is a match's quality, best first.
type tier uint8

const (
	tierExact          tier = iota // the Chinese name equals the query
	tierPrefix                     // the Chinese name starts with the query
	tierSubstring                  // the Chinese name contains the query
	tierPinyinExact                // the full pinyin equals the query
	tierPinyinPrefix               // the full pinyin starts with the query
	tierInitialsExact              // the initials equal the query
	tierInitialsPrefix             // the initials start with the query
	tierPinyinInner                // the full pinyin from a later syllable starts with the query
	tierHomophone                  // the query's pinyin is the name's, or its start (whole syllables)
	tierHomophoneInner             // the query's pinyin is some later syllables of the name
	tierTypo                       // the full pinyin starts with the query after one edit
	tierNone
)

// scratch is one search's per-doc state in a segment: stamp[d] == gen marks doc d as seen in this search, with best[d]
// its best score so far (excluded: filtered out) and bestKey[d] the key that gave it.
type scratch struct {
	gen     uint32
	stamp   []uint32
	best    []uint64
	bestKey []uint32
	touched []uint32
}

func newScratch(n int) *scratch {
	return &scratch{stamp: make([]uint32, n), best: make([]uint64, n), bestKey: make([]uint32, n)}
}

const excluded = ^uint64(0)

// score packs the ranking of one doc's match, smaller first: match tier, name field class (current name, alias, former),
// retired (abolished/closed after current), feature rank, name length in runes, doc index (ID order).
func score(t tier, f Field, d *Doc, di uint32) uint64 {
	fc := uint64(0)
	switch f {
	case FieldAlias:
		fc = 1
	case FieldFormer:
		fc = 2
	}
	ret := uint64(0)
	if d.Retired {
		ret = 1
	}
	n := 0
	if len(d.Names) > 0 {
		n = min(utf8.RuneCountInString(d.Names[0].Text), 1023)
	}
	return uint64(t)<<60 | fc<<58 | ret<<57 | uint64(d.Rank&7)<<54 | uint64(n)<<44 | uint64(di)
}

func (t tier) of(s uint64) tier { return tier(s >> 60) }

// filter is a query's record filters.
type filter struct {
	division string
	category string
	statuses []string
}

func (f *filter) keep(d *Doc) bool {
	if f.category != "" && d.Category != f.category {
		return false
	}
	if len(f.statuses) == 0 {
		if d.Retired {
			return false
		}
	} else if !slices.Contains(f.statuses, d.Status) {
		return false
	}
	if f.division != "" && !slices.ContainsFunc(d.Divisions, func(c string) bool { return strings.HasPrefix(c, f.division) }) {
		return false
	}
	return true
}

// matcher is one query on one segment.
type matcher struct {
	s  *segment
	sc *scratch
	f  *filter
}

func (q *matcher) add(ki int, t tier) {
	k := &q.s.keys[ki]
	di := k.doc
	sc := q.sc
	if sc.stamp[di] != sc.gen {
		sc.stamp[di] = sc.gen
		sc.touched = append(sc.touched, di)
		if !q.f.keep(&q.s.docs[di]) {
			sc.best[di] = excluded
			return
		}
		sc.best[di] = excluded - 1
	}
	if sc.best[di] == excluded {
		return
	}
	d := &q.s.docs[di]
	f := FieldName
	if !k.own {
		f = d.Names[k.name].Field
	}
	if sv := score(t, f, d, di); sv < sc.best[di] {
		sc.best[di] = sv
		sc.bestKey[di] = uint32(ki)
	}
}

// han matches a folded Chinese (or Latin) string as a substring of the names.
func (q *matcher) han(text string) {
	for _, e := range q.s.prefixRange(q.s.han, hanOf, text) {
		k := &q.s.keys[e.key()]
		t := tierSubstring
		if e.off() == 0 {
			t = tierPrefix
			if len(k.han) == len(text) {
				t = tierExact
			}
		}
		q.add(e.key(), t)
	}
}

// pinyin matches folded pinyin from a syllable start (inner tierNone: from the first syllable only). Whole-syllable
// matching (homophones, typos) needs the match to end at a syllable boundary too.
func (q *matcher) pinyin(text string, first, exact, inner tier, whole bool) {
	for _, e := range q.s.prefixRange(q.s.py, pyOf, text) {
		k := &q.s.keys[e.key()]
		end := e.off() + len(text)
		if whole && end != len(k.py) && !slices.Contains(k.sylls, uint16(end)) {
			continue
		}
		t := inner
		if e.off() != 0 && inner == tierNone {
			continue
		}
		if e.off() == 0 {
			t = first
			if end == len(k.py) {
				t = exact
			}
		}
		q.add(e.key(), t)
	}
}

func (q *matcher) initials(text string) {
	for _, e := range q.s.prefixRange(q.s.ini, iniOf, text) {
		t := tierInitialsPrefix
		if len(q.s.keys[e.key()].ini) == len(text) {
			t = tierInitialsExact
		}
		q.add(e.key(), t)
	}
}

// hitHeap keeps the best scores (a max-heap of the limit smallest).
type hitHeap []uint64

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h hitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(x any)        { *h = append(*h, x.(uint64)) }
func (h *hitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// run matches the prepared query on the segment and returns its best limit hits (score order) and the number matched.
func (s *segment) run(pq *prepared, f *filter, limit int) ([]Hit, int) {
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	sc.gen++
	if sc.gen == 0 { // wrapped: clear the stamps
		clear(sc.stamp)
		sc.gen = 1
	}
	sc.touched = sc.touched[:0]
	q := &matcher{s: s, sc: sc, f: f}
	for _, h := range pq.han {
		q.han(h)
	}
	for _, p := range pq.pinyin {
		q.pinyin(p, tierPinyinPrefix, tierPinyinExact, tierPinyinInner, false)
		q.initials(p)
	}
	if pq.homophone != "" {
		q.pinyin(pq.homophone, tierHomophone, tierHomophone, tierHomophoneInner, true)
	}
	for _, v := range pq.typos {
		q.pinyin(v, tierTypo, tierTypo, tierNone, true)
	}
	h := make(hitHeap, 0, limit+1)
	n := 0
	for _, di := range sc.touched {
		b := sc.best[di]
		if b >= excluded-1 {
			continue
		}
		n++
		if len(h) < limit {
			heap.Push(&h, b)
		} else if limit > 0 && b < h[0] {
			h[0] = b
			heap.Fix(&h, 0)
		}
	}
	slices.Sort(h)
	hits := make([]Hit, len(h))
	for i, b := range h {
		di := uint32(b)
		hits[i] = s.hit(di, sc.bestKey[di], b)
	}
	return hits, n
}

func (s *segment) hit(di, ki uint32, b uint64) Hit {
	d := &s.docs[di]
	k := &s.keys[ki]
	n := d.Names[k.name]
	if k.own {
		n = Name{Text: d.Pinyin, Field: FieldName}
	}
	h := Hit{Doc: d, Field: n.Field.String(), Text: n.Text, score: b}
	t := tier(0).of(b)
	switch t {
	case tierExact, tierPrefix, tierSubstring:
		h.Matched = "name"
		switch n.Field {
		case FieldAlias:
			h.Matched = "alias"
		case FieldFormer:
			h.Matched = "former"
		}
	case tierPinyinExact, tierPinyinPrefix, tierPinyinInner:
		h.Matched = "pinyin"
	case tierInitialsExact, tierInitialsPrefix:
		h.Matched = "initials"
	case tierHomophone, tierHomophoneInner:
		h.Matched = "homophone"
	default:
		h.Matched = "typo"
	}
	switch t {
	case tierExact, tierPinyinExact, tierInitialsExact:
		h.Quality = "exact"
	case tierPrefix, tierPinyinPrefix, tierInitialsPrefix, tierHomophone, tierTypo:
		h.Quality = "prefix"
	default:
		h.Quality = "substring"
	}
	return h
}
