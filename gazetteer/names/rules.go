package names

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"civmap/gazetteer"
	"civmap/internal/apierr"
)

// Finding kinds: the 2018 campaign's four (大 洋 怪 重) and the others of issue 9.
const (
	KindDa        = "大"
	KindYang      = "洋"
	KindGuai      = "怪"
	KindZhong     = "重"
	KindSpelling  = "spelling"
	KindFormat    = "format"
	KindHeritage  = "heritage"
	KindLocation  = "location"
	SeverityError = "error"   // the name cannot stand as a standard name (empty, only a generic, bad characters)
	SeverityWarn  = "warning" // an irregular name to review (大 洋 怪 重, location)
	SeverityInfo  = "info"    // to note (an exemption, a hand-set spelling that differs from the rules)
)

// FindingKinds lists the kinds in report order.
var FindingKinds = []string{KindDa, KindYang, KindGuai, KindZhong, KindSpelling, KindFormat, KindHeritage, KindLocation}

// MaxNameRunes is the longest name the rules accept without a format finding (the census form allows 20 characters
// for most categories; longer names are nearly always descriptions).
const MaxNameRunes = 20

// RecordRef names a record a finding concerns: Kind "place" (ID = place id) or "division" (Code = division code).
type RecordRef struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
	Code string `json:"code,omitempty"`
	Name string `json:"name"`
}

// Evidence is what a rule matched: the word, and the other records involved (the duplicate, with its code).
type Evidence struct {
	Word    string      `json:"word,omitempty"`
	Records []RecordRef `json:"records,omitempty"`
}

// Finding is one rule's flag on one name. Rules flag for review; they never change or reject a record.
type Finding struct {
	Rule       string   `json:"rule"`
	Kind       string   `json:"kind"`
	Severity   string   `json:"severity"`
	Message    string   `json:"message"`
	Evidence   Evidence `json:"evidence"`
	Suggestion string   `json:"suggestion,omitempty"`
}

// Subject is a name to check: a place, a division, or a proposed name (Kind "candidate").
type Subject struct {
	Kind string // "place", "division" or "candidate"
	ID   string // place id, or division code
	Name string
	// Category is a place's category, or "" for divisions (Level is then set).
	Category string
	Level    gazetteer.Level
	// Within is the code of the division the subject lies in (a place's first division code; a division's parent;
	// a candidate's division_code). For a division, its own code is Code.
	Within string
	Code   string
	Pinyin string // a hand-set spelling, checked against the rules ("" when none)
	// Exempt marks historical and commemorative names and names on the heritage protection list (保护名录).
	Exempt       bool
	ExemptReason string
	Heritage     bool
	// Point is where the record is drawn (lon/lat degrees, EPSG:4490): a place's point or the centre of its
	// geometry's bound, a division's seat or the centre of its bound; nil without geometry.
	Point *orb.Point
}

// Ref returns the RecordRef of s.
func (s Subject) Ref() RecordRef {
	r := RecordRef{Kind: s.Kind, Name: s.Name}
	if s.Kind == "division" {
		r.Code = s.Code
	} else {
		r.ID = s.ID
	}
	return r
}

// at is the code a subject is filed under: a division's own code, else the code it lies in.
func (s Subject) at() string {
	if s.Kind == "division" {
		return s.Code
	}
	return s.Within
}

// township returns the 9-digit township code s lies in (or is), or "".
func (s Subject) township() string {
	c := s.Within
	if s.Kind == "division" {
		c = s.Code
	}
	if len(c) >= 9 {
		return c[:9]
	}
	return ""
}

// Engine runs the rules with one set of lists. It is immutable and safe for concurrent use.
type Engine struct {
	Rom   *Romanizer
	lists Lists
	da    []Word
	yang  []Word
	guai  []Word
	local map[rune]bool
	trad  map[rune]string
}

// NewEngine checks the lists and builds an Engine. Errors: apierr.Invalid naming the entry ("readings[2].pinyin",
// "da[0].word", "traditional-chars[3].suggestion", …).
func NewEngine(l Lists) (*Engine, error) {
	rom, err := New(l.Generics, l.Readings)
	var bad apierr.Invalid
	if inv, ok := apierr.AsInvalid(err); ok {
		bad = append(bad, inv...)
	} else if err != nil {
		return nil, err
	}
	e := &Engine{Rom: rom, lists: l, local: map[rune]bool{}, trad: map[rune]string{}}
	words := func(list string, ws []Word) []Word {
		seen := map[string]bool{}
		for i, w := range ws {
			w.Word = strings.TrimSpace(w.Word)
			switch {
			case w.Word == "" || !utf8.ValidString(w.Word):
				bad.Add(fmt.Sprintf("%s[%d].word", list, i), "must be a non-empty word")
			case seen[w.Word]:
				bad.Add(fmt.Sprintf("%s[%d].word", list, i), "%q is listed twice", w.Word)
			}
			seen[w.Word] = true
		}
		out := slices.Clone(ws)
		// Longest first, so that the evidence names the longest word matched.
		sort.SliceStable(out, func(i, j int) bool {
			return utf8.RuneCountInString(out[i].Word) > utf8.RuneCountInString(out[j].Word)
		})
		return out
	}
	e.da, e.yang, e.guai = words(ListDa, l.Da), words(ListYang, l.Yang), words(ListGuai, l.Guai)
	single := func(list, field, s string, i int) (rune, bool) {
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || n != len(s) || !unicode.Is(unicode.Han, r) {
			bad.Add(fmt.Sprintf("%s[%d].%s", list, i, field), "must be one Han character (got %q)", s)
			return 0, false
		}
		return r, true
	}
	for i, w := range l.LocalChars {
		if r, ok := single(ListLocalChars, "word", strings.TrimSpace(w.Word), i); ok {
			e.local[r] = true
		}
	}
	for i, w := range l.Traditional {
		r, ok1 := single(ListTraditional, "word", strings.TrimSpace(w.Word), i)
		_, ok2 := single(ListTraditional, "suggestion", strings.TrimSpace(w.Suggestion), i)
		if ok1 && ok2 {
			e.trad[r] = strings.TrimSpace(w.Suggestion)
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return e, nil
}

// Lists returns the lists the engine was built from.
func (e *Engine) Lists() Lists { return e.lists }

type memo struct {
	res   Result
	spec  string // the 专名 duplicates are judged by
	sound string // its toneless pinyin without spaces
}

// memoOf romanizes name once for the index's lifetime (a screening needs each name's split and sound several times).
func (ix *Index) memoOf(name string) *memo {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if m, ok := ix.memo[name]; ok {
		return m
	}
	m := &memo{res: ix.e.Rom.romanize(name, false)}
	// The 专名 a duplicate is judged by: the name without its generic term (the whole name when it has none, or is
	// only a generic).
	m.spec = m.res.Specific
	if m.spec == "" {
		m.spec = m.res.Name
	}
	m.sound = ix.e.soundKey(m.spec)
	ix.memo[name] = m
	return m
}

func (ix *Index) romanize(name string) Result { return ix.memoOf(name).res }

func (ix *Index) specific(name string) string { return ix.memoOf(name).spec }

// soundKey is the toneless pinyin of s without spaces: two names with the same key are homophones.
func (e *Engine) soundKey(s string) string { return strings.Join(e.Rom.Syllables(s), "") }

// scope says within what a subject's name must be unique (DOMAIN.md §2): county-level names nationwide (checked
// against the counties held), 乡/镇/街道 within the province (code prefix 2), 村/社区 within the county (prefix 6),
// streets within the same built-up area and natural villages within the same 乡镇 (both approximated by the township:
// the store holds no built-up areas), other places within the same category and township.
func (e *Engine) scope(s Subject) (class, key string) {
	code := s.Code
	if s.Kind != "division" {
		code = s.Within
	}
	prefix := func(n int) string {
		if len(code) >= n {
			return code[:n]
		}
		return code
	}
	switch s.Level {
	case gazetteer.LevelCounty:
		return "county", ""
	case gazetteer.LevelTownship:
		return "township", prefix(2)
	case gazetteer.LevelVillage:
		return "village", prefix(6)
	}
	g, _ := e.Rom.Generic(s.Name)
	switch g.Class {
	case ClassStreet:
		return "street", prefix(9)
	case ClassVillage:
		if s.Category == "" || strings.Contains(s.Category, "village") || strings.Contains(s.Category, "自然村") {
			return "natural-village", prefix(9)
		}
	}
	return "place:" + s.Category, prefix(9)
}

// Index holds the records that a subject's name is compared with (duplicates, homophones, location). Check is safe
// for concurrent use.
type Index struct {
	e        *Engine
	mu       sync.Mutex       // guards memo: Check may run concurrently (names not indexed are memoized too)
	memo     map[string]*memo // per name, for the names of one screening
	subjects []Subject
	bySpec   map[string][]int // scope class+key+专名 → subjects
	bySound  map[string][]int // scope class+key+sound key → subjects
	// containers are the divisions a name may mention: townships (by 专名) and village-level units (by full name),
	// indexed by their first character.
	containers []container
	byFirst    map[rune][]int
}

type container struct {
	word    string // the text a name must contain to mention it
	code    string
	name    string
	village bool
}

// NewIndex indexes subjects for duplicate, homophone and location checks. Exempt (historical) subjects are indexed
// too: a new name must not repeat a historical one either, but an exempt subject raises no 重 finding itself.
func (e *Engine) NewIndex(subjects []Subject) *Index {
	ix := &Index{e: e, subjects: subjects, bySpec: map[string][]int{}, bySound: map[string][]int{},
		byFirst: map[rune][]int{}, memo: map[string]*memo{}}
	defer func() {
		for i, c := range ix.containers {
			r, _ := utf8.DecodeRuneInString(c.word)
			ix.byFirst[r] = append(ix.byFirst[r], i)
		}
	}()
	for i, s := range subjects {
		class, key := e.scope(s)
		sp := ix.specific(s.Name)
		if sp == "" {
			continue
		}
		ix.bySpec[class+"\x00"+key+"\x00"+sp] = append(ix.bySpec[class+"\x00"+key+"\x00"+sp], i)
		k := ix.memoOf(s.Name).sound
		ix.bySound[class+"\x00"+key+"\x00"+k] = append(ix.bySound[class+"\x00"+key+"\x00"+k], i)
		if s.Kind == "division" {
			switch s.Level {
			case gazetteer.LevelTownship:
				if utf8.RuneCountInString(sp) >= 2 && sp != s.Name {
					ix.containers = append(ix.containers, container{word: sp, code: s.Code, name: s.Name})
				}
			case gazetteer.LevelVillage:
				// A village-level unit is mentioned by its name as the public uses it: 东陈村 for 东陈村委会, 塔山社区.
				// Only places are checked against villages (see location).
				short := shortVillageName(s.Name)
				if utf8.RuneCountInString(short) >= 3 {
					ix.containers = append(ix.containers, container{word: short, code: s.Code, name: s.Name, village: true})
				}
			}
		}
	}
	return ix
}

// hasDivision reports whether the index holds the division code.
func (ix *Index) hasDivision(code string) bool {
	for _, s := range ix.subjects {
		if s.Kind == "division" && s.Code == code {
			return true
		}
	}
	return false
}

// shortVillageName is the village-level unit's name without the committee: 东陈村委会 → 东陈村, 塔山社区居委会 → 塔山社区.
func shortVillageName(name string) string {
	for _, suf := range []struct{ from, to string }{
		{"社区居委会", "社区"}, {"村民委员会", "村"}, {"村委会", "村"}, {"社区", "社区"},
	} {
		if strings.HasSuffix(name, suf.from) {
			return strings.TrimSuffix(name, suf.from) + suf.to
		}
	}
	return "" // a 居委会 is named after its street or town: no short name to look for
}

// Check runs every rule over one subject against the index (e.NewIndex(nil) for none: no duplicate or location checks). Findings come in
// FindingKinds order, each kind's by rule.
func (ix *Index) Check(s Subject) []Finding {
	e := ix.e
	var out []Finding
	add := func(rule, kind, sev, msg string, ev Evidence, sug string) {
		out = append(out, Finding{Rule: rule, Kind: kind, Severity: sev, Message: msg, Evidence: ev, Suggestion: sug})
	}
	name := strings.TrimSpace(s.Name)
	if name == "" {
		add("format.empty", KindFormat, SeverityError, "名称为空", Evidence{}, "填写标准名称")
		return out
	}
	res := ix.romanize(name)

	// format
	n := utf8.RuneCountInString(name)
	if n > MaxNameRunes {
		add("format.length", KindFormat, SeverityWarn, fmt.Sprintf("名称过长（%d 字，超过 %d 字）", n, MaxNameRunes),
			Evidence{Word: clip(name, 30)}, "核对名称，勿以描述代替地名")
	}
	if bad := badChars(name); bad != "" {
		add("format.charset", KindFormat, SeverityError, "含 GB 18030 以外的字符或控制、私用、符号字符："+bad,
			Evidence{Word: bad}, "删去这些字符，使用规范汉字")
	}
	if p := punctuation(name); p != "" {
		add("format.punctuation", KindFormat, SeverityWarn, "名称含标点或空格："+p, Evidence{Word: p}, "删去标点和空格")
	}
	if res.Generic != "" && res.Specific == "" {
		add("format.generic-only", KindFormat, SeverityError, fmt.Sprintf("名称只有通名「%s」，缺少专名", res.Generic),
			Evidence{Word: res.Generic}, "加上专名")
	}
	if s.Kind == "division" && s.Level != gazetteer.LevelCounty {
		if g, ok := e.Rom.Generic(name); !ok || (g.Class != ClassDivision && g.Class != ClassVillage) {
			add("format.no-generic", KindFormat, SeverityWarn, "行政区划或群众自治组织名称缺少通名（镇、乡、街道、社区、村等）",
				Evidence{}, "补上通名")
		}
	}

	// 大 洋 怪 重 and location: what an exempt name is spared.
	var flagged []Finding
	flag := func(rule, kind, sev, msg string, ev Evidence, sug string) {
		flagged = append(flagged, Finding{Rule: rule, Kind: kind, Severity: sev, Message: msg, Evidence: ev, Suggestion: sug})
	}
	if w, ok := matchWord(name, e.da); ok {
		flag("da.word", KindDa, SeverityWarn, fmt.Sprintf("含夸大词「%s」，名不副实（大）", w.Word), Evidence{Word: w.Word},
			"删去夸大词，按实际规模、功能命名")
	}
	latin, han := scripts(name)
	if w, ok := matchWord(name, e.yang); ok {
		flag("yang.word", KindYang, SeverityWarn, fmt.Sprintf("使用外国地名、人名或音译词「%s」（洋）", w.Word),
			Evidence{Word: w.Word}, "改用反映本地历史、地理、文化的中文名称")
	}
	if latin != "" && !han {
		flag("yang.script", KindYang, SeverityWarn, "名称使用外文字母（洋）", Evidence{Word: latin}, "改用中文名称")
	}
	if latin != "" && han {
		flag("guai.mixed-script", KindGuai, SeverityWarn, fmt.Sprintf("中文与外文字母「%s」混用（怪）", latin),
			Evidence{Word: latin}, "删去外文字母")
	}
	if t, simp := e.traditional(name); t != "" {
		flag("guai.traditional", KindGuai, SeverityWarn, fmt.Sprintf("繁体字「%s」与简化字混用（怪）", t),
			Evidence{Word: t}, "改为规范简化字："+simp)
	}
	if r := e.rare(name); r != "" {
		flag("guai.rare-char", KindGuai, SeverityWarn, fmt.Sprintf("使用生僻字「%s」（怪）", r), Evidence{Word: r},
			"改用常用字；确属地方用字的，列入地方用字表")
	}
	if w, ok := matchWord(name, e.guai); ok {
		flag("guai.word", KindGuai, SeverityWarn, fmt.Sprintf("含寓意不清、低俗或带封建色彩的词「%s」（怪）", w.Word),
			Evidence{Word: w.Word}, "改用含义健康、清楚的名称")
	}
	if ix != nil && len(ix.subjects) > 0 {
		flagged = append(flagged, ix.duplicates(s)...)
		flagged = append(flagged, ix.location(s, name)...)
	}
	if s.Exempt && len(flagged) > 0 {
		var rules []string
		for _, f := range flagged {
			if !slices.Contains(rules, f.Rule) {
				rules = append(rules, f.Rule)
			}
		}
		reason := s.ExemptReason
		if reason == "" {
			reason = "历史地名或纪念地名"
		}
		add("heritage.exempt", KindHeritage, SeverityInfo, fmt.Sprintf("%s，按规定豁免（%s）", reason, strings.Join(rules, "、")),
			Evidence{}, "如需更名，先制定保护措施并经专家论证")
	} else {
		out = append(out, flagged...)
	}

	// spelling: a hand-set pinyin that the sign check finds wrong.
	if s.Pinyin != "" {
		chk := e.SignCheck(name, s.Pinyin)
		if !chk.OK {
			var codes []string
			for _, er := range chk.Errors {
				codes = append(codes, er.Message)
			}
			sev := SeverityWarn
			if len(chk.Errors) == 1 && chk.Errors[0].Code == SignSpelling {
				sev = SeverityInfo // a different reading: perhaps a polyphone set by hand
			}
			add("spelling.pinyin", KindSpelling, sev, fmt.Sprintf("拼写「%s」不合规则：%s", s.Pinyin, strings.Join(codes, "；")),
				Evidence{Word: s.Pinyin}, "按规则拼写为 "+chk.Correct+"；多音字读音有误的，改正读音词典")
		}
	}
	if len(res.Unknown) > 0 && s.Pinyin == "" {
		add("spelling.unknown", KindSpelling, SeverityWarn, "无法推导读音的字："+strings.Join(res.Unknown, ""),
			Evidence{Word: strings.Join(res.Unknown, "")}, "人工填写拼音，或在读音词典中加入该字")
	}
	sort.SliceStable(out, func(i, j int) bool { return kindOrder(out[i].Kind) < kindOrder(out[j].Kind) })
	return out
}

func kindOrder(k string) int {
	if i := slices.Index(FindingKinds, k); i >= 0 {
		return i
	}
	return len(FindingKinds)
}

// duplicates finds records in s's scope with the same 专名 (重名) or the same toneless pinyin of it (同音).
func (ix *Index) duplicates(s Subject) []Finding {
	e := ix.e
	class, key := e.scope(s)
	sp := ix.specific(s.Name)
	if sp == "" {
		return nil
	}
	self := func(o Subject) bool {
		return o.Kind == s.Kind && o.ID == s.ID && s.ID != ""
	}
	var out []Finding
	var dup []RecordRef
	same := map[int]bool{}
	for _, i := range ix.bySpec[class+"\x00"+key+"\x00"+sp] {
		same[i] = true
		if o := ix.subjects[i]; !self(o) {
			dup = append(dup, o.Ref())
		}
	}
	scopeZh := scopeName(class)
	if len(dup) > 0 {
		out = append(out, Finding{Rule: "zhong.duplicate", Kind: KindZhong, Severity: SeverityWarn,
			Message:  fmt.Sprintf("专名「%s」在%s内重名：%s", sp, scopeZh, refNames(dup)),
			Evidence: Evidence{Word: sp, Records: dup}, Suggestion: "更换专名，或在专名前加区分字"})
	}
	var homo []RecordRef
	for _, i := range ix.bySound[class+"\x00"+key+"\x00"+ix.memoOf(s.Name).sound] {
		if o := ix.subjects[i]; !same[i] && !self(o) {
			homo = append(homo, o.Ref())
		}
	}
	if len(homo) > 0 {
		out = append(out, Finding{Rule: "zhong.homophone", Kind: KindZhong, Severity: SeverityWarn,
			Message: fmt.Sprintf("专名「%s」（%s）在%s内同音：%s", sp, strings.Join(e.Rom.Syllables(sp), " "), scopeZh,
				refNames(homo)),
			Evidence: Evidence{Word: sp, Records: homo}, Suggestion: "更换专名，避免同音"})
	}
	return out
}

func scopeName(class string) string {
	switch class {
	case "county":
		return "全国（以本库所存县级区划为限）"
	case "township":
		return "全省（以本库所存乡镇街道为限）"
	case "village":
		return "本县村、社区"
	case "street":
		return "同一乡镇街道（代建成区）的街路巷"
	case "natural-village":
		return "同一乡镇的自然村"
	}
	return "同一乡镇同类地名"
}

func refNames(rs []RecordRef) string {
	var parts []string
	for i, r := range rs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("等 %d 处", len(rs)))
			break
		}
		id := r.Code
		if id == "" {
			id = r.ID
		}
		parts = append(parts, fmt.Sprintf("%s（%s）", r.Name, id))
	}
	return strings.Join(parts, "、")
}

// location flags a name that mentions a township (by its 专名) or a village-level unit (by its name) that the subject
// does not lie in (Zhejiang 2025: such a name must lie inside that division). Street names are not checked: the
// store keeps no relation between a place and the street it lies on.
func (ix *Index) location(s Subject, name string) []Finding {
	var out []Finding
	own := s.Within
	if s.Kind == "division" {
		own = s.Code
	}
	if own == "" {
		return nil
	}
	seen := map[int]bool{}
	for off, r := range name {
		for _, ci := range ix.byFirst[r] {
			if seen[ci] || !strings.HasPrefix(name[off:], ix.containers[ci].word) {
				continue
			}
			seen[ci] = true
		}
	}
	for ci, c := range ix.containers {
		if !seen[ci] {
			continue
		}
		if c.village && (s.Kind == "division" || s.Level != "") {
			continue // a village-level unit's name holding another's (方井头村 ⊃ 井头村) is a coincidence of characters
		}
		if strings.HasPrefix(own, c.code) || strings.HasPrefix(c.code, own) || !ix.mentions(name, c.word) {
			continue // it lies in the division it mentions, or the division lies in it (a township named after its seat)
		}
		// A division's own ancestors and descendants are fine either way (丹城 in a village of 丹东): only a
		// container that is not an ancestor of where the subject lies is flagged.
		out = append(out, Finding{Rule: "location.outside", Kind: KindLocation, Severity: SeverityWarn,
			Message:    fmt.Sprintf("名称含「%s」（%s %s），但不在其境内", c.word, c.name, c.code),
			Evidence:   Evidence{Word: c.word, Records: []RecordRef{{Kind: "division", Code: c.code, Name: c.name}}},
			Suggestion: "核对所在区划，或去掉名称中的「" + c.word + "」"})
	}
	return out
}

// mentions reports whether name mentions word as a name: at its start, or right after the name or 专名 of a township
// (石浦镇东门渔村…), not inside another word (方井头村 does not mention 井头村).
func (ix *Index) mentions(name, word string) bool {
	for i := 0; ; {
		j := strings.Index(name[i:], word)
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 {
			return true
		}
		before := name[:at]
		for _, c := range ix.containers {
			if !c.village && (strings.HasSuffix(before, c.word) || strings.HasSuffix(before, c.name)) {
				return true
			}
		}
		i = at + len(word)
	}
}

// matchWord returns the listed word that occurs first in name (the longest of those starting there).
func matchWord(name string, ws []Word) (Word, bool) {
	best, at := Word{}, -1
	for _, w := range ws { // longest first
		if w.Word == "" {
			continue
		}
		if i := strings.Index(name, w.Word); i >= 0 && (at < 0 || i < at) {
			best, at = w, i
		}
	}
	return best, at >= 0
}

// scripts returns the Latin letters in name (full-width ones too) and whether it holds any Han character.
func scripts(name string) (latin string, han bool) {
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.Is(unicode.Han, r):
			han = true
		case unicode.Is(unicode.Latin, r):
			b.WriteRune(r)
		}
	}
	return b.String(), han
}

// traditional returns the first traditional character of name listed, with the name in simplified characters.
func (e *Engine) traditional(name string) (string, string) {
	found := ""
	var b strings.Builder
	for _, r := range name {
		if s, ok := e.trad[r]; ok {
			if found == "" {
				found = string(r)
			}
			b.WriteString(s)
			continue
		}
		b.WriteRune(r)
	}
	return found, b.String()
}

// rare returns the Han characters of name outside GB 2312 (the 6,763 common characters) that are neither on the local
// list nor traditional characters (those have their own rule).
func (e *Engine) rare(name string) string {
	var b strings.Builder
	for _, r := range name {
		if !unicode.Is(unicode.Han, r) || e.local[r] || e.trad[r] != "" {
			continue
		}
		if !inGB2312(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// inGB2312 reports whether r is one of GB 2312's characters: its GBK code has both bytes in 0xA1–0xFE.
func inGB2312(r rune) bool {
	b, err := simplifiedchinese.GBK.NewEncoder().String(string(r))
	return err == nil && len(b) == 2 && b[0] >= 0xA1 && b[0] <= 0xFE && b[1] >= 0xA1 && b[1] <= 0xFE
}

// badChars lists (as U+XXXX) the characters a standard name cannot hold: invalid UTF-8, control, private-use,
// unassigned or surrogate code points, symbols (emoji) and anything GB 18030 cannot encode.
func badChars(name string) string {
	var bad []string
	for i, r := range name {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(name[i:]); n <= 1 {
				bad = append(bad, "无效的 UTF-8")
				continue
			}
		}
		ok := unicode.IsGraphic(r) && !unicode.Is(unicode.Co, r) && !unicode.Is(unicode.So, r) &&
			!unicode.Is(unicode.Sk, r)
		if ok {
			if _, err := simplifiedchinese.GB18030.NewEncoder().String(string(r)); err != nil {
				ok = false
			}
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("U+%04X", r))
		}
		if len(bad) == 5 {
			break
		}
	}
	return strings.Join(bad, " ")
}

// punctuation returns the punctuation and spaces in name (the middle dot of transcribed minority names is allowed).
func punctuation(name string) string {
	var b strings.Builder
	for _, r := range name {
		if (unicode.IsPunct(r) || unicode.IsSpace(r)) && r != '·' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}
