package search

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/unicode/norm"
)

// isHan reports whether r is a CJK ideograph (Unicode script Han).
func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// foldHan prepares a name or a Chinese query for substring matching: NFKC (full-width Latin and digits become ASCII),
// lower case, white space and control characters removed (a query may hold none, and the index ends each string
// with a 0 byte).
func foldHan(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// foldPinyin prepares romanized text for matching: tone marks dropped (NFD, combining marks removed), ü, u: and v all
// written "v" (as go-pinyin does), lower case, and only letters and digits kept (spaces, apostrophes, hyphens go):
// "Dān dōng Jiēdào" and "dandong jiedao" both give "dandongjiedao"; "Lüjia" gives "lvjia".
func foldPinyin(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "u:", "v"), "U:", "v")
	out := make([]byte, 0, len(s))
	for _, r := range norm.NFD.String(norm.NFKC.String(s)) {
		switch {
		case r == 0x308 && len(out) > 0 && out[len(out)-1] == 'u': // ü decomposed: u + combining diaeresis
			out[len(out)-1] = 'v'
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			out = append(out, byte(unicode.ToLower(r)))
		}
	}
	return string(out)
}

// stripToneNumbers drops tone numbers 1–5 written after a syllable's letters ("dan1dong1" → "dandong"); a digit that
// follows no letter is kept (route numbers).
func stripToneNumbers(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '1' && c <= '5' && i > 0 && s[i-1] >= 'a' && s[i-1] <= 'z' && (i+1 == len(s) || s[i+1] < '0' || s[i+1] > '9') {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// variants maps traditional or variant characters that OpenCC's t2s table leaves alone to the forms the county's
// records use (嶴 is the traditional form of 岙, as in 黄避岙).
var variants = strings.NewReplacer("嶴", "岙", "澚", "岙")

var (
	t2sOnce sync.Once
	t2s     *opencc.OpenCC
	t2sErr  error
)

// simplify converts traditional characters in s to simplified ones by OpenCC's t2s table (github.com/longbridgeapp/
// opencc, phrase- then character-level) and the county's variant table. It is applied to queries only: records are
// stored in simplified characters, and a record's traditional name, if any, is an alias. If the tables cannot be
// loaded s is returned with only the variant table applied.
func simplify(s string) string {
	t2sOnce.Do(func() { t2s, t2sErr = opencc.New("t2s") })
	if t2sErr == nil {
		if out, err := t2s.Convert(s); err == nil {
			s = out
		}
	}
	return variants.Replace(s)
}
