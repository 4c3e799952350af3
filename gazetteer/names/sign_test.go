package names

import (
	"slices"
	"testing"
)

// TestSignCheck holds the sign cases of DOMAIN.md §2 and GB 17733-2008: each line with the error codes it must get and
// the correct line.
func TestSignCheck(t *testing.T) {
	e := sampleEngine(t)
	for _, c := range []struct {
		name, sign, correct string
		codes               []string
	}{
		{"中山路", "Zhongshan Lu", "Zhongshan Lu", nil},
		{"中山路", "ZHONGSHAN LU", "Zhongshan Lu", nil}, // all capitals is allowed
		{"中山路", "Zhōngshān Lù", "Zhongshan Lu", nil}, // tone marks may be kept
		{"中山路", "Zhongshan Rd", "Zhongshan Lu", []string{SignEnglish}},
		{"中山路", "Zhongshan Road", "Zhongshan Lu", []string{SignEnglish}},
		{"中山路", "Zhongshan St.", "Zhongshan Lu", []string{SignEnglish}},
		{"石浦镇", "Shipu Town", "Shipu Zhen", []string{SignEnglish}},
		{"人民路", "People's Road", "Renmin Lu", []string{SignEnglish, SignTranslated}},
		{"中山路", "Sun Yat-sen Road", "Zhongshan Lu", []string{SignPunctuation, SignEnglish, SignTranslated}},
		{"丹河东路", "Danhe Dong Lu", "Danhe Donglu", []string{SignSplit}},
		{"丹河东路", "Danhe East Road", "Danhe Donglu", []string{SignEnglish}},
		{"中山路", "ZhongshanLu", "Zhongshan Lu", []string{SignSplit}},
		{"中山路", "Zhong Shan Lu", "Zhongshan Lu", []string{SignSplit}},
		{"西安路", "Xian Lu", "Xi'an Lu", []string{SignApostrophe}},
		{"黄避岙", "Huangbiao", "Huangbi'ao", []string{SignApostrophe}},
		{"黄避岙", "Huang'bi'ao", "Huangbi'ao", []string{SignApostrophe}},
		{"绿", "Lv", "Lü", []string{SignV}},
		{"绿", "Lu", "Lü", []string{SignUmlaut}},
		{"中山路", "zhongshan lu", "Zhongshan Lu", []string{SignCase}},
		{"中山路", "ZhongShan Lu", "Zhongshan Lu", []string{SignCase}},
		{"中山路", "Ｚｈｏｎｇｓｈａｎ Ｌｕ", "Zhongshan Lu", []string{SignFullwidth}},
		{"中山路", "Zhongshan Lu.", "Zhongshan Lu", []string{SignPunctuation}},
		{"中山路", "Zhongshan·Lu", "Zhongshan Lu", []string{SignPunctuation}},
		{"经五路", "Jing Wu Lu", "Jing 5 Lu", []string{SignOrdinal}},
		{"经五路", "Jing 5 Lu", "Jing 5 Lu", nil},
		{"六安路", "Liu'an Lu", "Lu'an Lu", []string{SignSpelling}}, // the polyphone read wrong
		{"厦门路", "Xiamen Lu", "Xiamen Lu", nil},
		{"中山路", "", "Zhongshan Lu", []string{SignEmpty}},
		{"中山路", " ，。", "Zhongshan Lu", []string{SignFullwidth, SignPunctuation, SignEmpty}},
	} {
		got := e.SignCheck(c.name, c.sign)
		var codes []string
		for _, er := range got.Errors {
			codes = append(codes, er.Code)
			if er.Message == "" {
				t.Errorf("%s %q: error %s has no message", c.name, c.sign, er.Code)
			}
		}
		if got.Correct != c.correct || !slices.Equal(codes, c.codes) || got.OK != (len(c.codes) == 0) {
			t.Errorf("SignCheck(%s, %q) = ok %v %q %q, want %q %q", c.name, c.sign, got.OK, got.Correct, codes,
				c.correct, c.codes)
		}
	}
}
