package postgis

import (
	"slices"
	"testing"
)

func TestDivisionPrefixes(t *testing.T) {
	for _, c := range []struct {
		codes []string
		want  []string
	}{
		{nil, nil},
		{[]string{"330225001001"}, []string{"33", "3302", "330225", "330225001", "330225001001"}},
		{[]string{"330225001", "330225001001"}, []string{"33", "3302", "330225", "330225001", "330225001001"}},
		{[]string{"3302251"}, []string{"33", "3302", "330225", "3302251"}},
		{[]string{"地名码x"}, []string{"地名", "地名码x"}},
		{[]string{"A"}, []string{"A"}},
	} {
		if got := divisionPrefixes(c.codes); !slices.Equal(got, c.want) {
			t.Errorf("divisionPrefixes(%q) = %q, want %q", c.codes, got, c.want)
		}
	}
	for q, want := range map[string]bool{"33": true, "330225": true, "3302251": false, "地名": true, "": false} {
		if got := prefixIndexed(q); got != want {
			t.Errorf("prefixIndexed(%q) = %v", q, got)
		}
	}
}

func TestLikeContains(t *testing.T) {
	for in, want := range map[string]string{"a": "%a%", "50%": `%50\%%`, "a_b": `%a\_b%`, `\`: `%\\%`, "石浦": "%石浦%"} {
		if got := likeContains(in); got != want {
			t.Errorf("likeContains(%q) = %q, want %q", in, got, want)
		}
	}
}
