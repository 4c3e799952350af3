package names

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRomanize feeds outside input to the name parser and romanizer: it must never panic, give one syllable per Han
// character, and spell only letters, digits, apostrophes and spaces for a name of Han characters.
func FuzzRomanize(f *testing.F) {
	for _, s := range []string{"丹河东路", "经五路", "黄避岙乡", "长街", "绿A区", "", "路", "𠀋村", "\ue000", "Ｚ中山路",
		"经十二路", "一百零五路", strings.Repeat("象", 300), "\xff\xfe", "东门渔村委会", "中山路，", "五一路"} {
		f.Add(s)
	}
	r, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	e, err := NewEngine(DefaultLists())
	if err != nil {
		f.Fatal(err)
	}
	ix := e.NewIndex(nil)
	f.Fuzz(func(t *testing.T, name string) {
		res := r.Romanize(name)
		syl := r.Syllables(name)
		han := 0
		for _, c := range name {
			if isHan(c) {
				han++
			}
		}
		n := 0
		for _, s := range syl {
			if s != "" && utf8.RuneCountInString(s) >= 1 {
				n++
			}
		}
		if n < han {
			t.Fatalf("Syllables(%q) = %q: fewer tokens than Han characters (%d)", name, syl, han)
		}
		if strings.TrimSpace(name) != "" && len(res.Steps) == 0 {
			t.Fatalf("Romanize(%q): no steps", name)
		}
		_ = ix.Check(Subject{Kind: "candidate", Name: name})
		_ = e.SignCheck(name, res.Pinyin)
	})
}

// FuzzSignCheck feeds outside input to the sign parser: it never panics, and the right spelling always passes.
func FuzzSignCheck(f *testing.F) {
	for _, c := range [][2]string{{"中山路", "Zhongshan Rd."}, {"丹河东路", "Danhe Dong Lu"}, {"绿", "Lv"},
		{"西安", "XIAN"}, {"中山路", "Ｚｈｏｎｇｓｈａｎ Ｌｕ"}, {"经五路", "Jing 5 Lu"}, {"中山路", "''' ..."}, {"", ""},
		{"中山路", "Zhōngshān Lù"}, {"中山路", "\xff"}} {
		f.Add(c[0], c[1])
	}
	e, err := NewEngine(DefaultLists())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, sign string) {
		res := e.SignCheck(name, sign)
		if res.OK && len(res.Errors) > 0 {
			t.Fatalf("ok with errors: %+v", res)
		}
		if res.Correct != "" && isLatinLine(res.Correct) && allHan(name) {
			if again := e.SignCheck(name, res.Correct); !again.OK {
				t.Fatalf("the correct line %q of %q fails: %+v", res.Correct, name, again.Errors)
			}
		}
	})
}

// isLatinLine reports whether s is a spelling of pinyin letters, digits, apostrophes and single spaces only (what
// Romanize gives for a name of Han characters with readings).
func isLatinLine(s string) bool {
	if strings.Contains(s, "  ") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '\'' || r == ' ' || r == 'ü' || r == 'Ü') {
			return false
		}
	}
	return true
}

// allHan reports whether name is Han characters only.
func allHan(name string) bool {
	for _, r := range name {
		if !isHan(r) {
			return false
		}
	}
	return name != ""
}
