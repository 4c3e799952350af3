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

// key is one indexed name of a doc. Its strings live in the segment's text arena and its syllable offsets in the
// sylls arena, so keys hold no pointers (the garbage collector need not scan a million of them).
type key struct {
	doc    uint32 // index in segment.docs
	name   uint8  // index in Doc.Names
	own    bool   // py is the record's own Pinyin (then han and ini are empty)
	hanLen uint16
	pyLen  uint16
	nSyl   uint16
	han    uint32 // offset in text of foldHan(name)
	py     uint32 // offset in text of the toneless pinyin without separators, foldPinyin form ("dandongjiedao")
	ini    uint32 // offset in text of the first letter of each syllable ("ddjd"), nSyl bytes
	syl    uint32 // offset in sylls of the byte offsets in py where each syllable starts
}

// An entry of a suffix array: key index << 16 | byte offset of the suffix in the key's string.
type entry uint64

func mkEntry(k int, off int) entry { return entry(uint64(k)<<16 | uint64(off)) }
func (e entry) key() int           { return int(e >> 16) }
func (e entry) off() int           { return int(e & 0xffff) }

// segment is the index of one kind of record. Suffix arrays, sorted by suffix:
//   - han: every rune offset of every key's han string (Chinese substring and prefix);
//   - py: every syllable offset of every key's pinyin (full pinyin from the first or any later syllable);
//   - py0: offset 0 of every key's pinyin (typos are matched from the name's start only);
//   - ini: offset 0 of every key's initials (initials match the name's start only: inner initials match too much).
type segment struct {
	kind  Kind
	docs  []Doc
	base  []uint64 // per doc: the score bits that do not depend on the match (score)
	keys  []key
	text  string
	sylls []uint16
	han   []entry
	py    []entry
	py0   []entry
	ini   []entry

	mu   sync.Mutex
	free []*scratch // scratch kept between searches (not a sync.Pool: a GC would drop megabytes of it)
}

// maxOffset is the longest string prefix whose suffixes are indexed (an entry holds a 16-bit offset).
const maxOffset = 0xffff

func (s *segment) hanOf(k *key) string { return s.text[k.han : k.han+uint32(k.hanLen)] }
func (s *segment) pyOf(k *key) string  { return s.text[k.py : k.py+uint32(k.pyLen)] }
func (s *segment) iniOf(k *key) string { return s.text[k.ini : k.ini+uint32(k.nSyl)] }
func (s *segment) syllsOf(k *key) []uint16 {
	return s.sylls[k.syl : k.syl+uint32(k.nSyl)]
}

func newSegment(kind Kind, docs []Doc, syl Syllabler) *segment {
	s := &segment{kind: kind, docs: docs}
	slices.SortFunc(s.docs, func(a, b Doc) int { return strings.Compare(a.ID, b.ID) })
	var text strings.Builder
	put := func(str string) (uint32, uint16) {
		if len(str) > maxOffset {
			str = str[:maxOffset]
		}
		off := uint32(text.Len())
		text.WriteString(str)
		return off, uint16(len(str))
	}
	addKey := func(di, ni int, own bool, han, py string, sy []uint16) {
		for len(sy) > 0 && int(sy[len(sy)-1]) >= maxOffset {
			sy = sy[:len(sy)-1]
		}
		k := key{doc: uint32(di), name: uint8(ni), own: own, nSyl: uint16(len(sy)), syl: uint32(len(s.sylls))}
		k.han, k.hanLen = put(han)
		k.py, k.pyLen = put(py)
		k.ini = uint32(text.Len())
		for _, o := range sy {
			text.WriteByte(py[o])
		}
		s.sylls = append(s.sylls, sy...)
		s.keys = append(s.keys, k)
	}
	s.base = make([]uint64, len(s.docs))
	for di := range s.docs {
		d := &s.docs[di]
		s.base[di] = baseScore(d, uint32(di))
		for ni, n := range d.Names {
			if ni > 255 || strings.TrimSpace(n.Text) == "" {
				continue
			}
			py, sy := syllables(n.Text, syl)
			addKey(di, ni, false, foldHan(n.Text), py, sy)
			if ni == 0 && d.Pinyin != "" {
				if opy, osy := ownPinyin(d.Pinyin); opy != "" && opy != py {
					addKey(di, 0, true, "", opy, osy)
				}
			}
		}
	}
	s.text = text.String()
	for ki := range s.keys {
		k := &s.keys[ki]
		h := s.hanOf(k)
		for off := range h {
			if utf8.RuneStart(h[off]) {
				s.han = append(s.han, mkEntry(ki, off))
			}
		}
		for _, off := range s.syllsOf(k) {
			s.py = append(s.py, mkEntry(ki, int(off)))
		}
		if k.pyLen > 0 {
			s.py0 = append(s.py0, mkEntry(ki, 0))
		}
		if k.nSyl > 0 {
			s.ini = append(s.ini, mkEntry(ki, 0))
		}
	}
	s.sortSA(s.han, s.hanOf)
	s.sortSA(s.py, s.pyOf)
	s.sortSA(s.py0, s.pyOf)
	s.sortSA(s.ini, s.iniOf)
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
	buf     []byte
}

func (s *segment) getScratch() *scratch {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		sc := s.free[n-1]
		s.free = s.free[:n-1]
		return sc
	}
	n := len(s.docs)
	return &scratch{stamp: make([]uint32, n), best: make([]uint64, n), bestKey: make([]uint32, n)}
}

// maxFree bounds the scratch kept per segment (one per concurrent search up to it).
const maxFree = 8

func (s *segment) putScratch(sc *scratch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.free) < maxFree {
		s.free = append(s.free, sc)
	}
}

const excluded = ^uint64(0)

// The score of one doc's match packs its ranking, smaller first: match tier (4 bits), name field class (2: current
// name, alias, former), retired (1: abolished/closed after current), feature rank (3), name length in runes (10), doc
// index (32: ID order). baseScore holds the last four.
func baseScore(d *Doc, di uint32) uint64 {
	ret := uint64(0)
	if d.Retired {
		ret = 1
	}
	n := 0
	if len(d.Names) > 0 {
		n = min(utf8.RuneCountInString(d.Names[0].Text), 1023)
	}
	return ret<<57 | uint64(d.Rank&7)<<54 | uint64(n)<<44 | uint64(di)
}

func score(t tier, f Field, base uint64) uint64 {
	fc := uint64(0)
	switch f {
	case FieldAlias:
		fc = 1
	case FieldFormer:
		fc = 2
	}
	return uint64(t)<<60 | fc<<58 | base
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
	f := FieldName
	if !k.own {
		f = q.s.docs[di].Names[k.name].Field
	}
	if sv := score(t, f, q.s.base[di]); sv < sc.best[di] {
		sc.best[di] = sv
		sc.bestKey[di] = uint32(ki)
	}
}

// han matches a folded Chinese (or Latin) string as a substring of the names.
func (q *matcher) han(text string) {
	for _, e := range q.s.prefixRange(q.s.han, q.s.hanOf, text) {
		k := &q.s.keys[e.key()]
		t := tierSubstring
		if e.off() == 0 {
			t = tierPrefix
			if int(k.hanLen) == len(text) {
				t = tierExact
			}
		}
		q.add(e.key(), t)
	}
}

// pinyin matches folded pinyin from any syllable start. Whole-syllable matching (homophones) needs the match to end at
// a syllable boundary too.
func (q *matcher) pinyin(text string, first, exact, inner tier, whole bool) {
	q.pinyinIn(q.s.prefixRange(q.s.py, q.s.pyOf, text), len(text), first, exact, inner, whole)
}

func (q *matcher) pinyinIn(es []entry, n int, first, exact, inner tier, whole bool) {
	for _, e := range es {
		k := &q.s.keys[e.key()]
		end := e.off() + n
		if whole && end != int(k.pyLen) && !slices.Contains(q.s.syllsOf(k), uint16(end)) {
			continue
		}
		t := inner
		if e.off() == 0 {
			t = first
			if end == int(k.pyLen) {
				t = exact
			}
		}
		q.add(e.key(), t)
	}
}

func (q *matcher) initials(text string) {
	for _, e := range q.s.prefixRange(q.s.ini, q.s.iniOf, text) {
		t := tierInitialsPrefix
		if int(q.s.keys[e.key()].nSyl) == len(text) {
			t = tierInitialsExact
		}
		q.add(e.key(), t)
	}
}

// typos matches the names whose pinyin, from its start and to a syllable end, is one edit from p (Damerau–Levenshtein
// distance 1 over a–z: a deletion, a transposition of neighbours, a substitution or an insertion). The variants that
// edit p at position j share its first j letters, so they are looked up within the range of names starting with
// p[:j], which narrows as j grows; when that range is empty no later edit can match.
func (q *matcher) typos(p string) {
	s := q.s
	buf := q.sc.buf[:0]
	r := s.py0
	try := func(v []byte) {
		if len(v) < minTypoLen-1 || string(v) == p {
			return
		}
		q.pinyinIn(s.prefixRange(r, s.pyOf, string(v)), len(v), tierTypo, tierTypo, tierNone, true)
	}
	for j := 0; j <= len(p); j++ {
		if j > 0 {
			r = s.prefixRange(r, s.pyOf, p[:j])
			if len(r) == 0 {
				break
			}
		}
		for c := byte('a'); c <= 'z'; c++ { // insertion before p[j]
			buf = append(append(append(buf[:0], p[:j]...), c), p[j:]...)
			try(buf)
		}
		if j == len(p) {
			break
		}
		buf = append(append(buf[:0], p[:j]...), p[j+1:]...) // deletion of p[j]
		try(buf)
		if j+1 < len(p) && p[j] != p[j+1] { // transposition of p[j] and p[j+1]
			buf = append(append(append(append(buf[:0], p[:j]...), p[j+1]), p[j]), p[j+2:]...)
			try(buf)
		}
		for c := byte('a'); c <= 'z'; c++ { // substitution of p[j]
			if c != p[j] {
				buf = append(append(append(buf[:0], p[:j]...), c), p[j+1:]...)
				try(buf)
			}
		}
	}
	q.sc.buf = buf
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
	sc := s.getScratch()
	defer s.putScratch(sc)
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
	if pq.typo != "" {
		q.typos(pq.typo)
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
