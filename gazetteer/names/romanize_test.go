package names

import (
	"slices"
	"testing"
)

func defaultRomanizer(t testing.TB) *Romanizer {
	t.Helper()
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRomanizeDomain holds every spelling case of DOMAIN.md §2 (1984 rules 1–7).
func TestRomanizeDomain(t *testing.T) {
	r := defaultRomanizer(t)
	for _, c := range []struct{ name, specific, generic, pinyin string }{
		{"中山路", "中山", "路", "Zhongshan Lu"},      // rule 1
		{"象山县", "象山", "县", "Xiangshan Xian"},    // rule 1
		{"石浦镇", "石浦", "镇", "Shipu Zhen"},        // rule 1
		{"丹东街道", "丹东", "街道", "Dandong Jiedao"},  // rule 1
		{"景山后街", "景山后", "街", "Jingshan Houjie"}, // rule 2
		{"丹河东路", "丹河东", "路", "Danhe Donglu"},    // rule 2
		{"王村", "王", "村", "Wangcun"},             // rule 3
		{"东门渔村", "东门", "渔村", "Dongmenyucun"},    // rule 3
		{"经五路", "经五", "路", "Jing 5 Lu"},         // rule 4
		{"西安", "西安", "", "Xi'an"},               // rule 5
		{"黄避岙", "黄避", "岙", "Huangbi'ao"},        // rule 5
		{"绿", "绿", "", "Lü"},                    // rule 6
		{"厦门", "厦门", "", "Xiamen"},              // rule 7
		{"六安", "六安", "", "Lu'an"},               // rule 7
		{"蚌埠", "蚌埠", "", "Bengbu"},              // rule 7
		{"长街", "长街", "", "Changjie"},            // rule 7
		{"重庆", "重庆", "", "Chongqing"},           // rule 7
	} {
		got := r.Romanize(c.name)
		if got.Pinyin != c.pinyin || got.Specific != c.specific || got.Generic != c.generic {
			t.Errorf("Romanize(%q) = %q [%s|%s], want %q [%s|%s]\nsteps: %v", c.name, got.Pinyin, got.Specific,
				got.Generic, c.pinyin, c.specific, c.generic, got.Steps)
		}
		if len(got.Steps) == 0 {
			t.Errorf("Romanize(%q): no steps", c.name)
		}
	}
}

func TestSyllables(t *testing.T) {
	r := defaultRomanizer(t)
	for _, c := range []struct {
		text string
		want []string
	}{
		{"长街镇", []string{"chang", "jie", "zhen"}},
		{"绿A区", []string{"lü", "a", "qu"}},
		{"厦门路", []string{"xia", "men", "lu"}},
		{"经5路", []string{"jing", "5", "lu"}},
		{"ＡＢ 石浦", []string{"ab", "shi", "pu"}},
		{"", []string{}},
	} {
		if got := r.Syllables(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Syllables(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}
