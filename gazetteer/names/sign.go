package names

import (
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/width"
)

// Sign error codes (GB 17733-2008 地名 标志; 民政部: signs use Hanyu Pinyin, never English).
const (
	SignEmpty       = "empty"               // the romanized line is empty
	SignFullwidth   = "fullwidth"           // full-width letters or spaces (ＺＨＯＮＧ)
	SignPunctuation = "punctuation"         // stray punctuation (. , - · …)
	SignEnglish     = "english_generic"     // an English generic or direction (Road, Rd, St., Avenue, Town, East …)
	SignTranslated  = "translated_specific" // the 专名 translated or not in pinyin (People's, Sun Yat-sen)
	SignSpelling    = "spelling"            // pinyin, but not this name's (a wrong reading)
	SignOrdinal     = "ordinal"             // an ordinal spelled out where rule 4 wants Arabic numerals
	SignSplit       = "split"               // wrong split or joining of words (Danhe Dong Lu, ZhongshanLu)
	SignApostrophe  = "apostrophe"          // missing or extra apostrophe (Xian for 西安)
	SignV           = "v_for_u"             // v written for ü (Lv)
	SignUmlaut      = "umlaut"              // u written for ü
	SignCase        = "case"                // not each word capitalised (all capitals is allowed)
)

// SignError is one error on a sign's romanized line.
type SignError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// SignResult is the sign check's answer: OK when the line has no error, the correct line by the 1984 rules, and the
// errors found in the order of the checks.
type SignResult struct {
	OK      bool        `json:"ok"`
	Correct string      `json:"correct"`
	Errors  []SignError `json:"errors"`
}

// englishWords are English generics, directions and fillers that a sign must not use instead of pinyin.
var englishWords = map[string]string{
	"road": "路", "rd": "路", "street": "街", "st": "街", "avenue": "大道", "ave": "大道", "av": "大道",
	"lane": "巷", "ln": "巷", "alley": "弄", "boulevard": "大道", "blvd": "大道", "way": "路", "town": "镇",
	"township": "乡", "village": "村", "county": "县", "district": "区", "community": "社区", "bridge": "桥",
	"square": "广场", "park": "公园", "island": "岛", "mountain": "山", "mount": "山", "mt": "山", "river": "江",
	"lake": "湖", "bay": "湾", "harbour": "港", "harbor": "港", "port": "港", "subdistrict": "街道",
	"east": "东", "west": "西", "south": "南", "north": "北", "middle": "中", "central": "中", "new": "新", "old": "老",
}

var (
	syllablesOnce sync.Once
	syllableSet   map[string]bool
)

// validSyllables is every toneless syllable go-pinyin knows (ü written ü), the set a pinyin line is segmented into.
func validSyllables() map[string]bool {
	syllablesOnce.Do(func() {
		a := pinyin.NewArgs()
		a.Style, a.Heteronym = pinyin.Normal, true
		syllableSet = map[string]bool{}
		for r := range pinyin.PinyinDict {
			for _, s := range pinyin.SinglePinyin(rune(r), a) {
				syllableSet[strings.ReplaceAll(s, "v", "ü")] = true
			}
		}
	})
	return syllableSet
}

// isPinyin reports whether letters (lowercase, no spaces) split into valid pinyin syllables and digits.
func isPinyin(letters string) bool {
	set := validSyllables()
	rs := []rune(letters)
	ok := make([]bool, len(rs)+1)
	ok[0] = true
	for i := 0; i < len(rs); i++ {
		if !ok[i] {
			continue
		}
		if unicode.IsDigit(rs[i]) {
			ok[i+1] = true
			continue
		}
		for l := 1; l <= 6 && i+l <= len(rs); l++ {
			if set[string(rs[i:i+l])] {
				ok[i+l] = true
			}
		}
	}
	return ok[len(rs)]
}

// toneFold maps tone-marked vowels to plain ones (tone marks may be left out; they are not errors).
var toneFold = strings.NewReplacer(
	"ā", "a", "á", "a", "ǎ", "a", "à", "a", "ē", "e", "é", "e", "ě", "e", "è", "e",
	"ī", "i", "í", "i", "ǐ", "i", "ì", "i", "ō", "o", "ó", "o", "ǒ", "o", "ò", "o",
	"ū", "u", "ú", "u", "ǔ", "u", "ù", "u", "ǖ", "ü", "ǘ", "ü", "ǚ", "ü", "ǜ", "ü",
	"Ā", "A", "Á", "A", "Ǎ", "A", "À", "A", "Ē", "E", "É", "E", "Ě", "E", "È", "E",
	"Ī", "I", "Í", "I", "Ǐ", "I", "Ì", "I", "Ō", "O", "Ó", "O", "Ǒ", "O", "Ò", "O",
	"Ū", "U", "Ú", "U", "Ǔ", "U", "Ù", "U", "Ǖ", "Ü", "Ǘ", "Ü", "Ǚ", "Ü", "Ǜ", "Ü",
	"’", "'", "‘", "'", "`", "'", "′", "'",
)

// letters is s lowercased with only letters (a–z, ü) and digits kept.
func letters(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || r == 'ü' || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SignCheck checks a road-name sign (GB 17733-2008): name is the Chinese text, sign its romanized line. The line must
// be the name's spelling by the 1984 rules (Romanize), each word capitalised or the whole line in capitals; tone marks
// and typographic apostrophes (’) are allowed.
func (e *Engine) SignCheck(name, sign string) SignResult {
	res := SignResult{Correct: e.Rom.Romanize(name).Pinyin, Errors: []SignError{}}
	add := func(code, format string, args ...any) {
		res.Errors = append(res.Errors, SignError{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	correct := res.Correct
	if strings.TrimSpace(sign) == "" {
		add(SignEmpty, "路名牌拼写为空，应为 %s", correct)
		return res
	}
	s := sign
	if folded := width.Fold.String(s); folded != s {
		var wide []rune
		for _, r := range s {
			if r >= 0xFF01 && r <= 0xFF5E || r == 0x3000 {
				wide = append(wide, r)
			}
		}
		if len(wide) > 0 {
			add(SignFullwidth, "含全角字母或符号「%s」，应使用半角字母", string(wide))
		}
		s = folded
	}
	s = toneFold.Replace(s)

	// English words (with an abbreviation's period), then stray punctuation.
	var english, kept []string
	var stray []rune
	for _, tok := range strings.Fields(s) {
		if zh, ok := englishWords[strings.ToLower(strings.TrimRight(tok, "."))]; ok {
			english = append(english, tok+"（"+zh+"）")
			continue
		}
		var b strings.Builder
		for _, r := range tok {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' {
				b.WriteRune(r)
				continue
			}
			stray = append(stray, r)
			b.WriteRune(' ')
		}
		kept = append(kept, strings.Fields(b.String())...)
	}
	if len(stray) > 0 {
		add(SignPunctuation, "含多余的标点「%s」", string(stray))
	}
	if len(english) > 0 {
		add(SignEnglish, "通名、方位词须用汉语拼音，不用英文：%s", strings.Join(english, " "))
	}
	if correct == "" {
		add(SignSpelling, "中文名称为空，无法核对拼写")
		return res
	}
	line := strings.Join(kept, " ")
	ls, lc := letters(line), letters(correct)
	lsu := strings.ReplaceAll(ls, "v", "ü")
	switch {
	case len(english) > 0 && strings.HasPrefix(lc, lsu):
		// The rest is the beginning of the right spelling: the English words stood for the generic.
		if lsu != "" && !strings.HasPrefix(strings.ToLower(correct), strings.ToLower(strings.ReplaceAll(line, "v", "ü"))) {
			add(SignSplit, "分写、连写或隔音符号有误：应为 %s", correct)
		}
		return res
	case lsu == "":
		add(SignEmpty, "路名牌除标点外没有拼音，应为 %s", correct)
		return res
	case lsu != lc:
		switch {
		case strings.ReplaceAll(lsu, "ü", "u") == strings.ReplaceAll(lc, "ü", "u"):
			add(SignUmlaut, "ü 不能写作 u：应为 %s", correct)
		case strings.ContainsAny(lc, "0123456789") && !strings.ContainsAny(ls, "0123456789"):
			add(SignOrdinal, "街路名中的序数词写作阿拉伯数字：应为 %s", correct)
		case !isPinyin(lsu):
			add(SignTranslated, "专名须按汉语拼音拼写，不得意译或使用外文：「%s」，应为 %s", line, correct)
		default:
			add(SignSpelling, "拼写与标准名称的读音不符：应为 %s", correct)
		}
		return res
	}
	if strings.Contains(ls, "v") {
		add(SignV, "ü 不能写作 v：应为 %s", correct)
	}
	// Same letters: compare the words (split and joining), then apostrophes, then case.
	norm := func(w string, apos bool) string {
		w = strings.ReplaceAll(strings.ToLower(w), "v", "ü")
		if !apos {
			w = strings.ReplaceAll(w, "'", "")
		}
		return w
	}
	sw, cw := strings.Fields(line), strings.Fields(correct)
	sameWords := len(sw) == len(cw)
	for i := 0; sameWords && i < len(sw); i++ {
		sameWords = norm(sw[i], false) == norm(cw[i], false)
	}
	if !sameWords {
		add(SignSplit, "分写、连写有误（专名与通名分写，单音节修饰词与通名连写）：应为 %s", correct)
	} else {
		for i := range sw {
			a, c := norm(sw[i], true), norm(cw[i], true)
			if a == c {
				continue
			}
			if strings.Count(a, "'") < strings.Count(c, "'") {
				add(SignApostrophe, "缺少隔音符号「'」：「%s」应为「%s」", sw[i], cw[i])
			} else {
				add(SignApostrophe, "隔音符号位置有误或多余：「%s」应为「%s」", sw[i], cw[i])
			}
		}
	}
	if sameWords && line != strings.ToUpper(line) {
		for _, w := range sw {
			rs := []rune(w)
			good := !unicode.IsLower(rs[0])
			for _, r := range rs[1:] {
				good = good && !unicode.IsUpper(r)
			}
			if !good {
				add(SignCase, "大小写有误：每词首字母大写，或全部大写（%s 或 %s）", correct, strings.ToUpper(correct))
				break
			}
		}
	}
	res.OK = len(res.Errors) == 0
	return res
}
