package search

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// key is one indexed name of a doc. Its strings live in the segment's text arena, each followed by a 0 byte; keys hold
// no pointers (the garbage collector need not scan a million of them). A doc's keys are contiguous (segment.docKeys).
type key struct {
	name   uint8 // index in Doc.Names
	own    bool  // py is the record's own Pinyin (then han and ini are empty)
	hanLen uint16
	pyLen  uint16
	nSyl   uint16
	han    uint32 // offset in text of foldHan(name)
	py     uint32 // offset in text of the toneless pinyin without separators, foldPinyin form ("dandongjiedao")
	ini    uint32 // offset in text of the first letter of each syllable ("ddjd"), nSyl bytes
}

// An entry of a suffix array packs all that matching needs without touching the key: the doc index (24 bits), the
// name's field class (2: current name, alias, former), whether the suffix starts the string (1), the bytes from the
// suffix to the string's end (7; 127 means 127 or more: then the 0 byte ends it) and the suffix's offset in the text
// arena (30).
type entry uint64

const (
	remShift   = 30
	startShift = 37
	fcShift    = 38
	docShift   = 40
	remMax     = 127
	// MaxDocs is the most docs one kind may hold, and maxText the largest text arena (both limits of an entry):
	// 16,777,216 places, three times a province's 5 M (Zhejiang), and 1 GiB of names (about 40 bytes a place).
	MaxDocs = 1 << 24
	maxText = 1 << 30
)

func mkEntry(doc uint32, fc uint64, start bool, rem, pos int) entry {
	st := uint64(0)
	if start {
		st = 1
	}
	return entry(uint64(doc)<<docShift | fc<<fcShift | st<<startShift | uint64(min(rem, remMax))<<remShift | uint64(pos))
}
func (e entry) doc() uint32 { return uint32(e >> docShift) }
func (e entry) fc() uint64  { return uint64(e>>fcShift) & 3 }
func (e entry) start() bool { return e>>startShift&1 == 1 }
func (e entry) rem() int    { return int(e>>remShift) & remMax }
func (e entry) pos() uint32 { return uint32(e) & (maxText - 1) }

// segment is the index of one kind of record. Suffix arrays, sorted by suffix:
//   - han: every rune offset of every key's han string (Chinese substring and prefix);
//   - py: every syllable offset of every key's pinyin (full pinyin from the first or any later syllable);
//   - py0: offset 0 of every key's pinyin (typos are matched from the name's start only);
//   - ini: offset 0 of every key's initials (initials match the name's start only: inner initials match too much).
//
// boundary has a bit per text byte: set where a pinyin syllable starts or a pinyin string ends (whole-syllable matches).
type segment struct {
	kind    Kind
	docs    []Doc
	base    []uint16 // per doc: the score bits above the doc index that do not depend on the match (baseOf)
	retired []uint64 // a bit per doc: Doc.Retired (the default filter reads these, not the docs)
	// A doc's profile is what a filter reads of it (category, status, retired, divisions); profile[d] is doc d's and
	// profileDoc[p] the first doc of profile p. A filter is decided once per profile a search meets (matcher.keep), not
	// at each of a common character's docs scattered over a million.
	profile    []uint32
	profileDoc []uint32
	keys       []key
	docKeys    []uint32 // doc d's keys are keys[docKeys[d]:docKeys[d+1]]
	text       string
	boundary   []uint64
	han        []entry
	py         []entry
	py0        []entry
	ini        []entry

	champ map[string]*champion // by champKey (champions)

	mu   sync.Mutex
	free []*scratch // scratch kept between searches (not a sync.Pool: a GC would drop megabytes of it)
}

// fieldClass ranks a name field: the current name and short name 0, aliases 1, former names 2.
func fieldClass(f Field) uint64 {
	switch f {
	case FieldAlias:
		return 1
	case FieldFormer:
		return 2
	}
	return 0
}

// newSegment indexes docs. prev, if not nil, is the segment it replaces: the pinyin of a name it already held is taken
// from it rather than asked of syl again (romanizing is a third of the cost of a build).
func newSegment(kind Kind, docs []Doc, syl Syllabler, prev *segment) (*segment, error) {
	if len(docs) > MaxDocs {
		return nil, fmt.Errorf("search: %d %ss: one kind holds at most %d", len(docs), kind, MaxDocs)
	}
	s := &segment{kind: kind, docs: docs}
	slices.SortFunc(s.docs, func(a, b Doc) int { return strings.Compare(a.ID, b.ID) })
	var text strings.Builder
	var bounds []int // text offsets of syllable starts and pinyin ends
	put := func(str string) (uint32, uint16) {
		if len(str) > maxOffset {
			str = str[:maxOffset]
		}
		off := uint32(text.Len())
		text.WriteString(str)
		text.WriteByte(0)
		return off, uint16(len(str))
	}
	addKey := func(ni int, own bool, han, py string, sy []uint16) {
		for len(sy) > 0 && int(sy[len(sy)-1]) >= maxOffset {
			sy = sy[:len(sy)-1]
		}
		k := key{name: uint8(ni), own: own, nSyl: uint16(len(sy))}
		k.han, k.hanLen = put(han)
		k.py, k.pyLen = put(py)
		for _, o := range sy {
			bounds = append(bounds, int(k.py)+int(o))
		}
		bounds = append(bounds, int(k.py)+int(k.pyLen))
		ini := make([]byte, len(sy))
		for i, o := range sy {
			ini[i] = py[o]
		}
		k.ini, _ = put(string(ini))
		s.keys = append(s.keys, k)
	}
	read := func(text string) (string, []uint16) { return syllables(text, syl) }
	if prev != nil {
		known := prev.readings()
		read = func(text string) (string, []uint16) {
			if k, ok := known[text]; ok {
				return prev.pyOf(k), prev.syllableOffsets(k)
			}
			return syllables(text, syl)
		}
	}
	rd := readAll(s.docs, read)
	nNames, nText := 0, 0
	for di := range s.docs {
		for ni, n := range s.docs[di].Names {
			if indexed(ni, n) {
				py, sy := rd.of(di, ni)
				nNames++
				nText += len(n.Text) + len(py) + len(sy) + 3 // han, pinyin, initials, each ended by a 0 byte
			}
		}
		if p := s.docs[di].Pinyin; p != "" {
			nText += 2*len(p) + 3 // at most: a hand-set pinyin and its initials
		}
	}
	s.keys = make([]key, 0, nNames+nNames/8)
	text.Grow(nText)
	bounds = make([]int, 0, nText/3)
	s.base = make([]uint16, len(s.docs))
	s.retired = make([]uint64, len(s.docs)/64+1)
	s.profile = make([]uint32, len(s.docs))
	profiles := map[string]uint32{}
	s.docKeys = make([]uint32, len(s.docs)+1)
	for di := range s.docs {
		d := &s.docs[di]
		s.base[di] = uint16(baseScore(d, uint32(di)) >> baseShift)
		if d.Retired {
			s.retired[di/64] |= 1 << (di % 64)
		}
		pk := fmt.Sprintf("%t\x00%s\x00%s\x00%s", d.Retired, d.Category, d.Status, strings.Join(d.Divisions, "\x00"))
		p, ok := profiles[pk]
		if !ok {
			p = uint32(len(s.profileDoc))
			profiles[pk] = p
			s.profileDoc = append(s.profileDoc, uint32(di))
		}
		s.profile[di] = p
		s.docKeys[di] = uint32(len(s.keys))
		for ni, n := range d.Names {
			if !indexed(ni, n) {
				continue
			}
			py, sy := rd.of(di, ni)
			addKey(ni, false, foldHan(n.Text), py, sy)
			if ni == 0 && d.Pinyin != "" {
				if opy, osy := ownPinyin(d.Pinyin); opy != "" && opy != py {
					addKey(0, true, "", opy, osy)
				}
			}
		}
		if text.Len() >= maxText {
			return nil, fmt.Errorf("search: the %ss' names exceed %d bytes", kind, maxText)
		}
	}
	s.docKeys[len(s.docs)] = uint32(len(s.keys))
	s.text = text.String()
	s.boundary = make([]uint64, len(s.text)/64+1)
	for _, b := range bounds {
		s.boundary[b/64] |= 1 << (b % 64)
	}
	nHan, nSyl := 0, 0
	for ki := range s.keys {
		k := &s.keys[ki]
		nHan += utf8.RuneCountInString(s.hanOf(k))
		nSyl += int(k.nSyl)
	}
	s.han, s.py = make([]entry, 0, nHan), make([]entry, 0, nSyl)
	s.py0, s.ini = make([]entry, 0, len(s.keys)), make([]entry, 0, len(s.keys))
	for di := range s.docs {
		for ki := s.docKeys[di]; ki < s.docKeys[di+1]; ki++ {
			k := &s.keys[ki]
			fc := uint64(0)
			if !k.own {
				fc = fieldClass(s.docs[di].Names[k.name].Field)
			}
			h := s.text[k.han : k.han+uint32(k.hanLen)]
			for off := range h {
				if utf8.RuneStart(h[off]) {
					s.han = append(s.han, mkEntry(uint32(di), fc, off == 0, len(h)-off, int(k.han)+off))
				}
			}
			if k.pyLen > 0 {
				s.py0 = append(s.py0, mkEntry(uint32(di), fc, true, int(k.pyLen), int(k.py)))
				if !k.own { // a hand-set romanization has words, not syllables: no initials
					s.ini = append(s.ini, mkEntry(uint32(di), fc, true, int(k.nSyl), int(k.ini)))
				}
			}
			for p := int(k.py); p < int(k.py)+int(k.pyLen); p++ {
				if s.isBoundary(p) {
					s.py = append(s.py, mkEntry(uint32(di), fc, p == int(k.py), int(k.py)+int(k.pyLen)-p, p))
				}
			}
		}
	}
	var wg sync.WaitGroup // the four sorts are most of the build: one goroutine each
	for _, sa := range [][]entry{s.han, s.py, s.py0, s.ini} {
		wg.Go(func() { s.sortSA(sa) })
	}
	wg.Wait()
	s.champions()
	return s, nil
}

// champion is the answer to a one-character query under the default filter: its best MaxLimit docs in score order and
// the number of docs it matches.
type champion struct {
	top  []topItem
	kept int
}

// champMin is the fewest suffixes a one-character query must match for the segment to keep its champion: below it,
// matching takes microseconds. A variable so that tests can have champions of small segments.
var champMin = 4096

// champions computes the champion of each Chinese character that starts at least champMin han suffixes and of each
// Latin letter, digit or two letters that start as many han, pinyin and initials suffixes together. A common character matches a
// good share of a million names (村 over a tenth of them, the letter x a third): ranking them all at each query is
// most of the cost of a one-character search — the first key typed in a search box — and a page holds at most
// MaxLimit of them, whatever the limit asked. The champion is the answer of that very search (match), kept.
func (s *segment) champions() {
	add := func(pq *prepared) {
		sc := s.getScratch()
		defer s.putScratch(sc)
		kept := s.match(sc, pq, &filter{}, MaxLimit)
		if s.champ == nil {
			s.champ = map[string]*champion{}
		}
		s.champ[champKey(pq)] = &champion{top: sortedTop(sc.top), kept: kept}
	}
	for i := 0; i < len(s.han); {
		r, _ := utf8.DecodeRuneInString(s.suffix(s.han[i]))
		c := string(r)
		n := len(s.prefixRange(s.han[i:], c))
		if n == 0 { // a suffix that is not valid UTF-8 from its start
			i++
			continue
		}
		if n >= champMin && isHan(r) {
			add(&prepared{han: []string{c}}) // as prepare gives it for c
		}
		i += n
	}
	const latin = "abcdefghijklmnopqrstuvwxyz0123456789"
	var qs []string
	for _, c := range latin {
		qs = append(qs, string(c))
		if c >= 'a' && c <= 'z' {
			for _, d := range latin[:26] { // two letters: "xi", "zh" match a third and a sixth of the names
				qs = append(qs, string(c)+string(d))
			}
		}
	}
	for _, q := range qs {
		pq, _, err := prepare(q, nil) // Latin: no Syllabler needed (no homophones)
		if err != nil || champKey(pq) == "" {
			continue
		}
		if s.work(pq) >= champMin {
			add(pq)
		}
	}
}

// champKey names a prepared query among the champions: its han and pinyin forms ("" for one that no champion could
// answer: homophones and typos are looked for only while the page is not full, so their answer depends on the limit).
func champKey(pq *prepared) string {
	if pq.homophone != "" || pq.typo != "" {
		return ""
	}
	return strings.Join(pq.han, "\x00") + "\x01" + strings.Join(pq.pinyin, "\x00")
}

// indexed reports whether the index holds a doc's ni-th name n (at most 256 names a doc, blank ones left out).
func indexed(ni int, n Name) bool { return ni <= 255 && strings.TrimSpace(n.Text) != "" }

// nameReadings is the romanization of each indexed name of the docs: doc di's name ni is at at[di]+ni.
type nameReadings struct {
	at []int
	py []string
	sy [][]uint16
}

func (r *nameReadings) of(di, ni int) (string, []uint16) { return r.py[r.at[di]+ni], r.sy[r.at[di]+ni] }

// readAll romanizes the docs' indexed names with read, in GOMAXPROCS goroutines (read must be safe for concurrent
// use, as a Syllabler is: searches share it).
func readAll(docs []Doc, read func(string) (string, []uint16)) *nameReadings {
	r := &nameReadings{at: make([]int, len(docs))}
	n := 0
	for di := range docs {
		r.at[di] = n
		n += len(docs[di].Names)
	}
	r.py, r.sy = make([]string, n), make([][]uint16, n)
	const block = 1024
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(docs)/block+1) {
		wg.Go(func() {
			for {
				lo := int(next.Add(block)) - block
				if lo >= len(docs) {
					return
				}
				for di := lo; di < min(lo+block, len(docs)); di++ {
					for ni, nm := range docs[di].Names {
						if indexed(ni, nm) {
							r.py[r.at[di]+ni], r.sy[r.at[di]+ni] = read(nm.Text)
						}
					}
				}
			}
		})
	}
	wg.Wait()
	return r
}

// maxOffset is the longest name string indexed (longer ones are cut).
const maxOffset = 0xffff

func (s *segment) isBoundary(p int) bool { return s.boundary[p/64]&(1<<(p%64)) != 0 }

// suffix is the text from e's offset to the end of its string.
func (s *segment) suffix(e entry) string {
	p := e.pos()
	if r := e.rem(); r < remMax {
		return s.text[p : p+uint32(r)]
	}
	t := s.text[p:]
	return t[:strings.IndexByte(t, 0)]
}

// remains reports whether e's suffix is exactly n bytes long.
func (s *segment) remains(e entry, n int) bool {
	if r := e.rem(); r < remMax || n < remMax {
		return r == n
	}
	return len(s.suffix(e)) == n
}

// sortSA sorts sa by suffix, then by entry (the suffix array's order). Comparing suffixes as strings reads the text
// at random at each comparison; this multikey sort reads it once per entry and level instead: entries are ordered by
// 8 bytes of their suffix at a time, packed into a number beside each (big-endian, zero-padded), and each run of
// entries still equal is ordered by the next 8 bytes.
func (s *segment) sortSA(sa []entry) {
	ks := make([]keyed, len(sa))
	for i, e := range sa {
		ks[i].e = e
	}
	s.sortFrom(ks, 0)
	for i := range ks {
		sa[i] = ks[i].e
	}
}

type keyed struct {
	head uint64 // the suffix's bytes d to d+8 (sortFrom)
	e    entry
}

// sortFrom sorts ks, whose suffixes have equal first d bytes, by suffix then entry.
func (s *segment) sortFrom(ks []keyed, d int) {
	for i := range ks {
		t := s.suffix(ks[i].e)
		ks[i].head = head8(t[min(d, len(t)):])
	}
	// rest is what a suffix has from d on, up to 9: among equal heads, one that ends within them (rest ≤ 8) comes
	// before a longer one, and those that go on (9) are ordered by the next level.
	rest := func(e entry) int {
		n := e.rem()
		if n == remMax {
			n = len(s.suffix(e))
		}
		return min(n-d, 9)
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.head != b.head {
			return cmp.Compare(a.head, b.head)
		}
		return cmp.Or(cmp.Compare(rest(a.e), rest(b.e)), cmp.Compare(a.e, b.e))
	})
	for i := 0; i < len(ks); {
		j := i + 1
		if rest(ks[i].e) == 9 {
			for j < len(ks) && ks[j].head == ks[i].head && rest(ks[j].e) == 9 {
				j++
			}
			if j-i > 1 {
				s.sortFrom(ks[i:j], d+8)
			}
		}
		i = j
	}
}

// head8 is the first 8 bytes of t as a big-endian number, zero-padded.
func head8(t string) uint64 {
	var h uint64
	for i := range 8 {
		h <<= 8
		if i < len(t) {
			h |= uint64(t[i])
		}
	}
	return h
}

// prefixRange returns the entries of sa whose suffix starts with q.
func (s *segment) prefixRange(sa []entry, q string) []entry {
	lo := sort.Search(len(sa), func(i int) bool { return s.suffix(sa[i]) >= q })
	n := sort.Search(len(sa)-lo, func(i int) bool { return !strings.HasPrefix(s.suffix(sa[lo+i]), q) })
	return sa[lo : lo+n]
}

// keyAt finds the key of doc di whose strings hold text offset pos.
func (s *segment) keyAt(di, pos uint32) *key {
	for ki := s.docKeys[di]; ki < s.docKeys[di+1]; ki++ {
		k := &s.keys[ki]
		if pos >= k.han && pos <= k.ini+uint32(k.nSyl) {
			return k
		}
	}
	return &s.keys[s.docKeys[di]]
}

func (s *segment) hanOf(k *key) string { return s.text[k.han : k.han+uint32(k.hanLen)] }
func (s *segment) pyOf(k *key) string  { return s.text[k.py : k.py+uint32(k.pyLen)] }
func (s *segment) iniOf(k *key) string { return s.text[k.ini : k.ini+uint32(k.nSyl)] }

// readings maps each name text the segment holds to its key (names read by the Syllabler, not hand-set pinyin).
func (s *segment) readings() map[string]*key {
	m := make(map[string]*key, len(s.keys))
	for di := range s.docs {
		for ki := s.docKeys[di]; ki < s.docKeys[di+1]; ki++ {
			if k := &s.keys[ki]; !k.own {
				m[s.docs[di].Names[k.name].Text] = k
			}
		}
	}
	return m
}

// syllableOffsets is syllableStarts as the 16-bit offsets syllables returns.
func (s *segment) syllableOffsets(k *key) []uint16 {
	starts := s.syllableStarts(k)
	out := make([]uint16, len(starts))
	for i, o := range starts {
		out[i] = uint16(o)
	}
	return out
}

// syllableStarts lists the offsets in k's pinyin where its syllables start.
func (s *segment) syllableStarts(k *key) []int {
	var out []int
	for p := 0; p < int(k.pyLen); p++ {
		if s.isBoundary(int(k.py) + p) {
			out = append(out, p)
		}
	}
	return out
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
	toks := make([]tok, 0, utf8.RuneCountInString(text))
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
	py := make([]byte, 0, 4*len(toks))
	offs := make([]uint16, 0, len(toks))
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

// scratch is one search's state in a segment. Per doc it holds only bits (a million docs: 125 KB per bitset, small
// enough to stay in cache while a common character's matches are counted at random docs): seen marks the docs matched
// so far, excl those of them the filter left out (a filter decided doc by doc), drop every doc the filter leaves out
// (a filter decided for all docs at once: matcher.prefilter), inTop the docs in top. top is a max-heap of the limit best docs so far, each with
// its best score and the text offset that gave it; a match worse than the heap's worst is counted and dropped without
// reading its doc's score base. words lists the words of seen set in this search, to clear them after.
type scratch struct {
	seen, excl, inTop []uint64
	drop              []uint64 // made when first needed
	words             []uint32
	memo              []uint8  // per profile: 0 not met yet, 1 kept by the filter, 2 left out
	memoed            []uint32 // the profiles memo holds, to clear them after
	top               []topItem
	buf               []byte
}

type topItem struct {
	score uint64
	pos   uint32
}

func (s *segment) getScratch() *scratch {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		sc := s.free[n-1]
		s.free = s.free[:n-1]
		return sc
	}
	nw := len(s.docs)/64 + 1
	return &scratch{seen: make([]uint64, nw), excl: make([]uint64, nw), inTop: make([]uint64, nw),
		memo: make([]uint8, len(s.profileDoc))}
}

// maxFree bounds the scratch kept per segment (one per concurrent search up to it).
const maxFree = 8

// putScratch clears sc's bits and keeps it for the next search.
func (s *segment) putScratch(sc *scratch) {
	for _, w := range sc.words {
		sc.seen[w], sc.excl[w] = 0, 0
	}
	for _, it := range sc.top {
		di := uint32(it.score)
		sc.inTop[di/64] &^= 1 << (di % 64)
	}
	for _, p := range sc.memoed {
		sc.memo[p] = 0
	}
	sc.words, sc.top, sc.memoed = sc.words[:0], sc.top[:0], sc.memoed[:0]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.free) < maxFree {
		s.free = append(s.free, sc)
	}
}

// retiredBit is the retired flag in a score.
const retiredBit = 1 << 57

// The score of one doc's match packs its ranking, smaller first: match tier (4 bits), name field class (2: current
// name, alias, former), retired (1: abolished/closed after current), feature rank (3), name length in runes (10), doc
// index (32: ID order). baseScore holds the last four.
func baseScore(d *Doc, di uint32) uint64 {
	ret := uint64(0)
	if d.Retired {
		ret = retiredBit
	}
	n := 0
	if len(d.Names) > 0 {
		n = min(utf8.RuneCountInString(d.Names[0].Text), 1023)
	}
	return ret | uint64(d.Rank&7)<<54 | uint64(n)<<44 | uint64(di)
}

// baseShift is where the bits of baseScore above the doc index start; they fit 16 bits (base holds them so: 2 bytes
// a doc, where a matched doc's score is read at random).
const baseShift = 44

func (s *segment) baseOf(di uint32) uint64 { return uint64(s.base[di])<<baseShift | uint64(di) }

func (t tier) of(s uint64) tier { return tier(s >> 60) }

// filter is a query's record filters.
type filter struct {
	division string
	category string
	statuses []string
}

func (f *filter) trivial() bool { return f.division == "" && f.category == "" && len(f.statuses) == 0 }

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
	s     *segment
	sc    *scratch
	f     *filter
	drop  []uint64 // if not nil, the docs the filter leaves out (the retired ones for the default filter)
	limit int      // the page size: top keeps this many docs
	kept  int      // docs matched and kept by the filter so far
}

// add counts e's doc as matched (once per search) and offers its score to top. A doc's score is the best over its
// matches; of equal ones the first met keeps its offset (which name is shown).
func (q *matcher) add(e entry, t tier) {
	di := e.doc()
	w, bit := di/64, uint64(1)<<(di%64)
	sc := q.sc
	if q.drop != nil {
		if q.drop[w]&bit != 0 {
			return
		}
		if sc.seen[w]&bit == 0 {
			if sc.seen[w] == 0 {
				sc.words = append(sc.words, w)
			}
			sc.seen[w] |= bit
			q.kept++
		}
	} else if sc.seen[w]&bit == 0 {
		if sc.seen[w] == 0 {
			sc.words = append(sc.words, w)
		}
		sc.seen[w] |= bit
		if !q.keep(di) {
			sc.excl[w] |= bit
			return
		}
		q.kept++
	} else if sc.excl[w]&bit != 0 {
		return
	}
	full := len(sc.top) >= q.limit
	hi := uint64(t)<<60 | e.fc()<<58
	if full && (q.limit == 0 || hi > sc.top[0].score) { // worse tier or field than the worst kept: no base needed
		return
	}
	sv := hi | q.s.baseOf(di)
	if full && sv >= sc.top[0].score {
		return
	}
	if sc.inTop[w]&bit != 0 { // an earlier match of the doc is in top: keep the better
		for i := range sc.top {
			if uint32(sc.top[i].score) == di {
				if sv < sc.top[i].score {
					sc.top[i] = topItem{sv, e.pos()}
					siftDown(sc.top, i)
				}
				return
			}
		}
	}
	sc.inTop[w] |= bit
	if !full {
		sc.top = append(sc.top, topItem{sv, e.pos()})
		siftUp(sc.top, len(sc.top)-1)
		return
	}
	old := uint32(sc.top[0].score)
	sc.inTop[old/64] &^= 1 << (old % 64)
	sc.top[0] = topItem{sv, e.pos()}
	siftDown(sc.top, 0)
}

// prefilter decides the filter for every doc into sc.drop: once per profile, then in doc order. For a query whose
// matches are a good share of the docs, reading every doc's profile in order costs less than reading those of the
// matched docs at random.
func (q *matcher) prefilter() {
	sc, s := q.sc, q.s
	if sc.drop == nil {
		sc.drop = make([]uint64, len(sc.seen))
	}
	out := make([]uint64, len(s.profileDoc)) // 1 for a profile the filter leaves out
	for p, di := range s.profileDoc {
		if !q.f.keep(&s.docs[di]) {
			out[p] = 1
		}
	}
	for w := range sc.drop {
		var m uint64
		ps := s.profile[w*64 : min(w*64+64, len(s.profile))]
		for b, p := range ps {
			m |= out[p] << b
		}
		sc.drop[w] = m
	}
	q.drop = sc.drop
}

// keep reports whether the filter keeps doc di, decided once per profile.
func (q *matcher) keep(di uint32) bool {
	p := q.s.profile[di]
	switch q.sc.memo[p] {
	case 1:
		return true
	case 2:
		return false
	}
	k := q.f.keep(&q.s.docs[q.s.profileDoc[p]])
	q.sc.memo[p] = 2
	if k {
		q.sc.memo[p] = 1
	}
	q.sc.memoed = append(q.sc.memoed, p)
	return k
}

// siftUp and siftDown keep h a max-heap by score.
func siftUp(h []topItem, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].score >= h[i].score {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func siftDown(h []topItem, i int) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h[c+1].score > h[c].score {
			c++
		}
		if h[i].score >= h[c].score {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// han matches a folded Chinese (or Latin) string as a substring of the names.
//
// Matches at a string's start (prefix, exact) rank above all others, so they are offered first: they fill top, and
// most of the other matches are then only counted, without reading their doc's score base. A doc's equal matches
// have one tier, hence one start-ness, so both passes meet them in suffix order as a single pass would.
func (q *matcher) han(text string) {
	es := q.s.prefixRange(q.s.han, text)
	for _, e := range es {
		if e.start() {
			t := tierPrefix
			if q.s.remains(e, len(text)) {
				t = tierExact
			}
			q.add(e, t)
		}
	}
	for _, e := range es {
		if !e.start() {
			q.add(e, tierSubstring)
		}
	}
}

// pinyin matches folded pinyin from any syllable start. Whole-syllable matching (homophones) needs the match to end at
// a syllable boundary too.
func (q *matcher) pinyin(text string, first, exact, inner tier, whole bool) {
	q.pinyinIn(q.s.prefixRange(q.s.py, text), len(text), first, exact, inner, whole)
}

// pinyinIn offers the matches from a string's start (first, exact) before the others (inner), as han does; first and
// exact must rank above inner.
func (q *matcher) pinyinIn(es []entry, n int, first, exact, inner tier, whole bool) {
	for pass := range 2 {
		for _, e := range es {
			if e.start() != (pass == 0) || whole && !q.s.isBoundary(int(e.pos())+n) {
				continue
			}
			t := inner
			if e.start() {
				t = first
				if q.s.remains(e, n) {
					t = exact
				}
			}
			q.add(e, t)
		}
	}
}

func (q *matcher) initials(text string) {
	for _, e := range q.s.prefixRange(q.s.ini, text) {
		t := tierInitialsPrefix
		if q.s.remains(e, len(text)) {
			t = tierInitialsExact
		}
		q.add(e, t)
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
		q.pinyinIn(s.prefixRange(r, string(v)), len(v), tierTypo, tierTypo, tierNone, true)
	}
	for j := 0; j <= len(p); j++ {
		if j > 0 {
			r = s.prefixRange(r, p[:j])
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

// run matches the prepared query on the segment and returns its best limit hits (score order) and the number matched.
func (s *segment) run(pq *prepared, f *filter, limit int) ([]Hit, int) {
	if s.champ != nil && f.trivial() {
		if c := s.champ[champKey(pq)]; c != nil {
			return s.hits(c.top[:min(limit, len(c.top))]), c.kept
		}
	}
	sc := s.getScratch()
	defer s.putScratch(sc)
	n := s.match(sc, pq, f, limit)
	return s.hits(sortedTop(sc.top)), n
}

// match runs pq on the segment under f, leaving its best limit docs in sc.top (heap order); it returns the number of
// docs matched.
func (s *segment) match(sc *scratch, pq *prepared, f *filter, limit int) int {
	q := &matcher{s: s, sc: sc, f: f, limit: limit}
	if f.trivial() {
		q.drop = s.retired
	} else if len(s.docs) >= prefilterMin && s.work(pq) >= len(s.docs)/prefilterShare {
		q.prefilter()
	}
	for _, h := range pq.han {
		q.han(h)
	}
	for _, p := range pq.pinyin {
		q.pinyin(p, tierPinyinPrefix, tierPinyinExact, tierPinyinInner, false)
		q.initials(p)
	}
	// Homophones and typos rank below every other match: they are looked for only while the page is not full, since
	// otherwise none of them could be on it (numberMatched then counts the better matches only).
	if pq.homophone != "" && q.kept < limit {
		q.pinyin(pq.homophone, tierHomophone, tierHomophone, tierHomophoneInner, true)
	}
	if pq.typo != "" && q.kept < limit {
		q.typos(pq.typo)
	}
	return q.kept
}

// A filtered query is prefiltered (matcher.prefilter) on a segment of prefilterMin docs or more when it reads at least
// one suffix per prefilterShare docs. Variables so that tests can prefilter small segments.
var prefilterMin, prefilterShare = 1 << 14, 4

// work is the number of suffixes pq's Chinese, pinyin and initials matching reads (not its homophones and typos).
func (s *segment) work(pq *prepared) int {
	n := 0
	for _, h := range pq.han {
		n += len(s.prefixRange(s.han, h))
	}
	for _, p := range pq.pinyin {
		n += len(s.prefixRange(s.py, p)) + len(s.prefixRange(s.ini, p))
	}
	return n
}

// sortedTop is top in score order (best first), a new slice.
func sortedTop(top []topItem) []topItem {
	return slices.SortedFunc(slices.Values(top), func(a, b topItem) int { return cmp.Compare(a.score, b.score) })
}

func (s *segment) hits(top []topItem) []Hit {
	hits := make([]Hit, len(top))
	for i, it := range top {
		di := uint32(it.score)
		hits[i] = s.hit(di, s.keyAt(di, it.pos), it.score)
	}
	return hits
}

func (s *segment) hit(di uint32, k *key, b uint64) Hit {
	d := &s.docs[di]
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
