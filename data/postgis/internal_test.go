package postgis

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"civmap/gazetteer"
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

// TestPlaceDocOmitsColumns checks that places.doc holds no field that is also a column (the shadowing in placeDoc), and
// that decoding it back fills the rest of the Place.
func TestPlaceDocOmitsColumns(t *testing.T) {
	p := gazetteer.Place{ID: "x", Name: "n", Category: "c", Status: "current", DivisionCodes: []string{"1"}, Version: 3,
		CreatedAt: time.Now(), UpdatedAt: time.Now(), Pinyin: "py", Heritage: true, Aliases: []string{"a"},
		Attributes: map[string]any{"k": "v"}}
	b, err := placeDocJSON(&p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "name", "category", "status", "division_codes", "version", "created_at", "updated_at"} {
		if _, ok := m[k]; ok {
			t.Errorf("doc holds column %q: %s", k, b)
		}
	}
	var got gazetteer.Place
	if err := json.Unmarshal(b, &placeDoc{Place: &got}); err != nil {
		t.Fatal(err)
	}
	if got.Pinyin != "py" || !got.Heritage || !slices.Equal(got.Aliases, p.Aliases) || got.Attributes["k"] != "v" ||
		got.ID != "" || got.Version != 0 {
		t.Errorf("decoded doc: %+v", got)
	}
}
