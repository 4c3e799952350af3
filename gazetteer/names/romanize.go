// Package names spells, checks and screens place names: Hanyu Pinyin by the 1984 place-name rules (中国地名汉语拼音字母
// 拼写规则, 1984; GB 17733-2008 for signs; GB/T 16159-2012), the county reading dictionary of polyphones, the compliance
// rules of 地名管理条例 (decree 753) and the 2018 "大 洋 怪 重" campaign, the road-name sign check and the screening
// campaign with its finding tracking. DOMAIN.md §2 holds the rules and their sources.
package names

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"civmap/internal/apierr"
	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/width"
)

// Generic classes: how the 1984 rules treat a name ending in a generic term of that class.
const (
	ClassStreet   = "street"   // 街路巷: one-syllable modifiers join the generic (rule 2), ordinals are numerals (rule 4)
	ClassVillage  = "village"  // 自然村: the whole name is one word (rule 3)
	ClassDivision = "division" // 行政区划、群众自治组织
	ClassNatural  = "natural"  // 自然地理实体
	ClassFacility = "facility" // 设施、建筑
)

// Generic is one 通名 of the generic-term list: the term, its reading (toneless syllables separated by spaces, one per
// character) and its class (Class* constants).
type Generic struct {
	Term   string `json:"term"`
	Pinyin string `json:"pinyin"`
	Class  string `json:"class"`
}

// Reading is one entry of the county reading dictionary: a word (Han characters only) and the place's own reading of
// it, one toneless syllable per character separated by spaces ("xia men"), with a free-text note.
type Reading struct {
	Word   string `json:"word"`
	Pinyin string `json:"pinyin"`
	Note   string `json:"note,omitempty"`
}

// Result is a name romanized by the 1984 rules: the name as given (trimmed), its 专名 and 通名 (Generic "" when no
// generic term ends it or the name is written as one word), the spelling ("Danhe Donglu"; "" for an empty name) and the
// steps that derived it, in Chinese, in order.
type Result struct {
	Name     string   `json:"name"`
	Specific string   `json:"specific"`
	Generic  string   `json:"generic"`
	Pinyin   string   `json:"pinyin"`
	Steps    []string `json:"steps"`
	// GenericClass is the class of Generic ("" when none); Unknown lists Han characters without a reading.
	GenericClass string   `json:"generic_class,omitempty"`
	Unknown      []string `json:"unknown,omitempty"`
}

// Romanizer spells names in Hanyu Pinyin from go-pinyin's per-character readings, corrected by the reading dictionary,
// and splits them with the generic-term list. It is immutable and safe for concurrent use; build a new one (New) when
// the lists change.
type Romanizer struct {
	generics    map[string]Generic
	maxGeneric  int // longest generic term, in characters
	readings    map[string][]string
	maxReading  int
	genericList []Generic
	readingList []Reading
	args        pinyin.Args
}

// New builds a Romanizer from the generic-term list and the reading dictionary. Errors (apierr.Invalid-shaped, each
// naming the entry, e.g. "readings[3].pinyin"): an empty or non-Han term or word, a duplicate, an unknown class, a
// syllable that is not lowercase pinyin letters (a–z, ü; "v" is read as ü), or a reading whose syllable count differs
// from the word's character count.
func New(generics []Generic, readings []Reading) (*Romanizer, error) {
	r := &Romanizer{
		generics: make(map[string]Generic, len(generics)),
		readings: make(map[string][]string, len(readings)),
		args:     pinyin.NewArgs(),
	}
	r.args.Style = pinyin.Normal
	var bad apierr.Invalid
	for i, g := range generics {
		at := fmt.Sprintf("generics[%d]", i)
		g.Term = strings.TrimSpace(g.Term)
		syl, err := checkWord(g.Term, g.Pinyin)
		switch {
		case err != nil:
			bad.Add(at+err.field, "%s", err.msg)
			continue
		case !validClass(g.Class):
			bad.Add(at+".class", "unknown class %q (want street, village, division, natural or facility)", g.Class)
			continue
		}
		if _, dup := r.generics[g.Term]; dup {
			bad.Add(at+".term", "%q is listed twice", g.Term)
			continue
		}
		g.Pinyin = strings.Join(syl, " ")
		r.generics[g.Term] = g
		r.genericList = append(r.genericList, g)
		r.maxGeneric = max(r.maxGeneric, utf8.RuneCountInString(g.Term))
	}
	for i, rd := range readings {
		at := fmt.Sprintf("readings[%d]", i)
		rd.Word = strings.TrimSpace(rd.Word)
		syl, err := checkWord(rd.Word, rd.Pinyin)
		if err != nil {
			f := err.field
			if f == ".term" {
				f = ".word"
			}
			bad.Add(at+f, "%s", err.msg)
			continue
		}
		if _, dup := r.readings[rd.Word]; dup {
			bad.Add(at+".word", "%q is listed twice", rd.Word)
			continue
		}
		rd.Pinyin = strings.Join(syl, " ")
		r.readings[rd.Word] = syl
		r.readingList = append(r.readingList, rd)
		r.maxReading = max(r.maxReading, utf8.RuneCountInString(rd.Word))
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return r, nil
}

func validClass(c string) bool {
	switch c {
	case ClassStreet, ClassVillage, ClassDivision, ClassNatural, ClassFacility:
		return true
	}
	return false
}

type wordErr struct{ field, msg string }

// checkWord validates a term/word of Han characters and its reading; it returns the syllables (v → ü).
func checkWord(word, py string) ([]string, *wordErr) {
	if word == "" {
		return nil, &wordErr{".term", "must not be empty"}
	}
	for _, c := range word {
		if !unicode.Is(unicode.Han, c) {
			return nil, &wordErr{".term", fmt.Sprintf("%q: only Han characters are allowed (got %q)", word, c)}
		}
	}
	syl := strings.Fields(strings.ToLower(py))
	for i, s := range syl {
		s = strings.ReplaceAll(s, "v", "ü")
		syl[i] = s
		if strings.IndexFunc(s, func(c rune) bool { return (c < 'a' || c > 'z') && c != 'ü' }) >= 0 {
			return nil, &wordErr{".pinyin", fmt.Sprintf("syllable %q of %q is not toneless pinyin (letters a–z and ü)", s, word)}
		}
	}
	if n := utf8.RuneCountInString(word); len(syl) != n {
		return nil, &wordErr{".pinyin", fmt.Sprintf("%q has %d characters but %q has %d syllables", word, n, py, len(syl))}
	}
	return syl, nil
}

// Generics returns the generic-term list in its order.
func (r *Romanizer) Generics() []Generic { return append([]Generic(nil), r.genericList...) }

// Readings returns the reading dictionary in its order.
func (r *Romanizer) Readings() []Reading { return append([]Reading(nil), r.readingList...) }

// Generic returns the generic term ending name (the longest listed one), or ok false.
func (r *Romanizer) Generic(name string) (Generic, bool) {
	rs := []rune(name)
	for l := min(r.maxGeneric, len(rs)); l >= 1; l-- {
		if g, ok := r.generics[string(rs[len(rs)-l:])]; ok {
			return g, true
		}
	}
	return Generic{}, false
}

// token is one unit of a name: a Han character with its syllable, or a run of other letters and digits.
type token struct {
	text  string // the source text (one Han character, or the run)
	syl   string // toneless lowercase syllable; for a run, its lowercase, width-folded text; for an unknown Han character, the character
	han   bool
	known bool   // a Han character with a reading
	word  string // the reading-dictionary word it belongs to ("" when read by go-pinyin)
	start int    // rune offset of the dictionary word's first character (or of the token)
	end   int    // rune offset just after the dictionary word (or the token)
	pos   int    // rune offset of this token
}

func (r *Romanizer) tokens(text string) []token {
	rs := []rune(text)
	var out []token
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.Is(unicode.Han, c):
			if l, syl := r.lookup(rs[i:]); l > 0 {
				w := string(rs[i : i+l])
				for k := range l {
					out = append(out, token{text: string(rs[i+k]), syl: syl[k], han: true, known: true, word: w,
						start: i, end: i + l, pos: i + k})
				}
				i += l
				continue
			}
			t := token{text: string(c), han: true, start: i, end: i + 1, pos: i}
			if syl := r.reading(c); syl != "" {
				t.syl, t.known = syl, true
			} else {
				t.syl = string(c)
			}
			out = append(out, t)
			i++
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			j := i
			for j < len(rs) && !unicode.Is(unicode.Han, rs[j]) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
				j++
			}
			run := string(rs[i:j])
			out = append(out, token{text: run, syl: strings.ToLower(width.Fold.String(run)), start: i, end: j, pos: i})
			i = j
		default:
			i++ // spaces and punctuation separate tokens and are dropped
		}
	}
	return out
}

// runeReadings caches go-pinyin's first toneless reading of each character ("" for none): go-pinyin strips tones with
// regular expressions, which costs far more than a map lookup.
var runeReadings sync.Map // rune → string

func (r *Romanizer) reading(c rune) string {
	if v, ok := runeReadings.Load(c); ok {
		return v.(string)
	}
	syl := ""
	if py := pinyin.SinglePinyin(c, r.args); len(py) > 0 {
		syl = strings.ReplaceAll(py[0], "v", "ü")
	}
	runeReadings.Store(c, syl)
	return syl
}

// lookup returns the length and reading of the longest dictionary word starting rs, or 0.
func (r *Romanizer) lookup(rs []rune) (int, []string) {
	for l := min(r.maxReading, len(rs)); l >= 1; l-- {
		if syl, ok := r.readings[string(rs[:l])]; ok {
			return l, syl
		}
	}
	return 0, nil
}

// Syllables reads text: one toneless lowercase syllable per Han character (the reading dictionary's reading where a
// word of it occurs, longest first, else go-pinyin's first reading; ü written "ü"; a Han character without any reading
// is returned as itself), and each run of other letters or digits as one lowercase, width-folded token. Spaces and
// punctuation are dropped. 长街镇 → [chang jie zhen]; 绿A区 → [lü a qu].
func (r *Romanizer) Syllables(text string) []string {
	ts := r.tokens(text)
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.syl
	}
	return out
}

// modifiers are the one-syllable modifiers (方位、新旧、大小) that join the generic they qualify (rule 2).
const modifiers = "东西南北中前后上下内外新老大小正横直"

// numerals are the Chinese digits of an ordinal (rule 4).
const numerals = "〇零一二两三四五六七八九十百"

// Romanize spells name by the 1984 rules (DOMAIN.md §2):
//  1. 专名 and 通名 are separate words, each capitalised (中山路 Zhongshan Lu); the generic is the longest listed term
//     ending the name, unless a reading-dictionary word spans the boundary (长街 Changjie);
//  2. a one-syllable modifier before a street generic joins it when at least two characters of 专名 remain
//     (丹河东路 Danhe Donglu);
//  3. names ending in a village generic (村 渔村 岙 …) and names without a generic are one word (东门渔村 Dongmenyucun);
//  4. a Chinese ordinal before a street generic, after at least one other character, is written in Arabic numerals as
//     its own word (经五路 Jing 5 Lu);
//  5. an apostrophe goes before a non-initial syllable beginning with a, o or e (西安 Xi'an);
//  6. ü stays ü (绿 Lü).
//
// Runs of Latin letters or digits are kept as their own words; punctuation is dropped. Romanize never fails: an empty
// name gives an empty spelling and a step saying so, a Han character without a reading is kept as itself and listed
// in Unknown.
func (r *Romanizer) Romanize(name string) Result { return r.romanize(name, true) }

// romanize is Romanize; without withSteps it leaves Steps empty (the rules need only the split and the spelling).
func (r *Romanizer) romanize(name string, withSteps bool) Result {
	name = strings.TrimSpace(name)
	res := Result{Name: name}
	if name == "" {
		res.Steps = []string{"名称为空，无拼写"}
		return res
	}
	ts := r.tokens(name)
	rs := []rune(name)
	step := func(format string, args ...any) {
		if withSteps {
			res.Steps = append(res.Steps, fmt.Sprintf(format, args...))
		}
	}

	// Readings.
	var parts []string
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		switch {
		case !t.han:
			if withSteps {
				parts = append(parts, fmt.Sprintf("%s（非汉字，原样保留）", t.text))
			}
		case !t.known:
			parts = append(parts, t.text+" ?（无读音）")
			res.Unknown = append(res.Unknown, t.text)
		case !withSteps:
		case t.word != "":
			parts = append(parts, fmt.Sprintf("%s %s（读音词典）", t.word, strings.Join(r.readings[t.word], " ")))
			i += utf8.RuneCountInString(t.word) - 1
		default:
			parts = append(parts, t.text+" "+t.syl)
		}
	}
	if withSteps {
		step("读音：%s", strings.Join(parts, "，"))
	}

	// 专名/通名 split.
	cut := len(rs) // rune offset where the generic starts
	g, hasGeneric := r.Generic(name)
	spanned := false
	if hasGeneric {
		cut = len(rs) - utf8.RuneCountInString(g.Term)
		for _, t := range ts {
			if t.word != "" && t.start < cut && t.end > cut {
				step("读音词典词「%s」跨专名与通名之界，整体连写", t.word)
				hasGeneric, cut, spanned = false, len(rs), true
				break
			}
		}
	}
	var spec, gen []token
	for _, t := range ts {
		if t.pos < cut {
			spec = append(spec, t)
		} else {
			gen = append(gen, t)
		}
	}
	if hasGeneric {
		res.Specific, res.Generic, res.GenericClass = string(rs[:cut]), g.Term, g.Class
		if res.Specific == "" {
			step("通名「%s」（%s）；无专名：名称只有通名", g.Term, classZh(g.Class))
		} else {
			step("专名「%s」，通名「%s」（%s）", res.Specific, g.Term, classZh(g.Class))
		}
	} else {
		res.Specific = name
		if !spanned {
			step("未见通名，不分专名、通名")
		}
	}

	var words [][]token
	switch {
	case !hasGeneric || len(spec) == 0:
		words = [][]token{ts}
		if hasGeneric {
			step("只有通名，写作一词")
		} else {
			step("不需区分专名和通名的地名各音节连写（规则3）")
		}
	case g.Class == ClassVillage:
		words = [][]token{ts}
		step("村名不分专名、通名，各音节连写（规则3）")
	case g.Class == ClassStreet:
		words = r.streetWords(spec, gen, step)
	default:
		words = [][]token{spec, gen}
		step("专名与通名分写（规则1）")
	}

	// Render: Latin/digit runs are their own words; apostrophes; capitals.
	var out []string
	for _, w := range words {
		var cur []token
		flush := func() {
			if len(cur) > 0 {
				out = append(out, renderWord(cur))
				cur = nil
			}
		}
		for _, t := range w {
			if !t.han {
				flush()
				out = append(out, t.text)
				continue
			}
			cur = append(cur, t)
		}
		flush()
	}
	res.Pinyin = strings.Join(out, " ")
	if !withSteps {
		return res
	}
	if strings.Contains(res.Pinyin, "'") {
		step("a、o、e 开头的非首音节前加隔音符号（规则5）")
	}
	if strings.ContainsAny(res.Pinyin, "üÜ") {
		step("ü 保留，不写作 v（规则6）")
	}
	step("各词首字母大写：%s", res.Pinyin)
	return res
}

// streetWords applies rules 4 and 2 to a street name's 专名 and 通名 tokens.
func (r *Romanizer) streetWords(spec, gen []token, step func(string, ...any)) [][]token {
	// Rule 4: a trailing run of Chinese numerals after at least one other token.
	k := len(spec)
	for k > 0 && spec[k-1].han && spec[k-1].word == "" && strings.Contains(numerals, spec[k-1].text) {
		k--
	}
	if k > 0 && k < len(spec) {
		var cn strings.Builder
		for _, t := range spec[k:] {
			cn.WriteString(t.text)
		}
		if n, ok := chineseNumber(cn.String()); ok {
			num := token{text: strconv.Itoa(n), syl: strconv.Itoa(n), start: spec[k].pos, end: spec[len(spec)-1].pos + 1,
				pos: spec[k].pos}
			step("序数「%s」写作阿拉伯数字 %d（规则4）", cn.String(), n)
			return [][]token{spec[:k], {num}, gen}
		}
	}
	// Rule 2: a one-syllable modifier joins the generic when ≥ 2 characters of 专名 remain.
	last := spec[len(spec)-1]
	if len(spec) >= 3 && last.han && last.word == "" && strings.Contains(modifiers, last.text) {
		step("单音节修饰词「%s」与通名连写（规则2）", last.text)
		return [][]token{spec[:len(spec)-1], append([]token{last}, gen...)}
	}
	step("专名与通名分写（规则1）")
	return [][]token{spec, gen}
}

// renderWord joins a word's syllables with apostrophes before non-initial a/o/e syllables and capitalises it.
func renderWord(ts []token) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 && t.known && strings.ContainsRune("aoe", rune(t.syl[0])) {
			b.WriteByte('\'')
		}
		b.WriteString(t.syl)
	}
	s := b.String()
	c, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(c)) + s[n:]
}

// chineseNumber parses a Chinese numeral below 1000 (五 5, 十二 12, 二十 20, 一百零五 105, 两 2), or ok false.
func chineseNumber(s string) (int, bool) {
	digit := map[rune]int{'〇': 0, '零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	rs := []rune(s)
	if len(rs) == 0 || len(rs) > 6 {
		return 0, false
	}
	total, cur := 0, -1
	for i, c := range rs {
		switch c {
		case '百':
			if cur < 0 || total != 0 {
				return 0, false
			}
			total, cur = cur*100, -1
		case '十':
			if cur < 0 {
				if i != 0 {
					if total == 0 {
						return 0, false
					}
				}
				cur = 1
			}
			total, cur = total+cur*10, -1
		default:
			d, ok := digit[c]
			if !ok {
				return 0, false
			}
			if cur >= 0 && d != 0 && cur != 0 {
				return 0, false // two digits in a row ("五一"): not an ordinal
			}
			cur = d
		}
	}
	if cur > 0 {
		total += cur
	}
	if total == 0 {
		return 0, false
	}
	return total, true
}

func classZh(c string) string {
	switch c {
	case ClassStreet:
		return "街路巷"
	case ClassVillage:
		return "村"
	case ClassDivision:
		return "行政区划"
	case ClassNatural:
		return "自然地理实体"
	case ClassFacility:
		return "设施"
	}
	return c
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }
