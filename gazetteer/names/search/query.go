package search

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Query is one search. Q is required (1 to MaxQueryRunes characters after trimming). Kinds empty means every kind.
// Division keeps records lying in a division whose code starts with it (a township code keeps its villages' records
// too); Category is exact (a place's category code, a division's kind, a facility's type); Statuses keeps records with
// one of these statuses, and when empty those not Retired (abolished places and closed facilities are left out). Limit
// is the number of hits returned (1 to MaxLimit; 0 means DefaultLimit).
type Query struct {
	Q        string
	Kinds    []Kind
	Division string
	Category string
	Statuses []string
	Limit    int
}

// Limits of a query.
const (
	MaxQueryRunes = 100
	DefaultLimit  = 20
	MaxLimit      = 200
	// minTypoLen is the shortest Latin query (letters) that is matched with one typo: shorter ones match too much.
	minTypoLen = 5
)

// Hit is one record found.
//   - Matched says how: "name" (the Chinese text of its current name or short name), "alias", "former" (a former
//     name), "pinyin" (full toneless pinyin), "initials" (pinyin initials), "homophone" (the Chinese query's pinyin is
//     the name's, in other characters), "typo" (pinyin after one edit);
//   - Field is which of the record's names matched ("name", "short_name", "alias", "former") and Text that name;
//   - Quality is "exact" (the whole name), "prefix" (its start) or "substring" (inside it; for pinyin: from a later
//     syllable).
type Hit struct {
	Doc     *Doc
	Matched string
	Field   string
	Text    string
	Quality string
	score   uint64
}

// Result is a search's answer: the hits in rank order and the number of records that matched in all. Homophone and typo
// matches, which rank below all others, are looked for only when the other matches of a kind do not fill the page
// (Limit): NumberMatched then counts the better matches only. Simplified is the query with traditional characters
// converted, when that changed it.
type Result struct {
	Query         string
	Simplified    string
	Hits          []Hit
	NumberMatched int
}

// prepared is a query's matching forms.
type prepared struct {
	han       []string // folded Chinese (or Latin, for Latin names) substrings
	pinyin    []string // folded pinyin (as typed, and without tone numbers)
	homophone string   // the Chinese query's pinyin
	typo      string   // the pinyin to match with one edit ("" for none)
}

// QueryError is a query that cannot be run; Field names the parameter.
type QueryError struct {
	Field, Reason string
}

func (e *QueryError) Error() string { return e.Field + ": " + e.Reason }

func prepare(raw string, syl Syllabler) (*prepared, string, error) {
	q := strings.TrimSpace(raw)
	switch {
	case q == "":
		return nil, "", &QueryError{"q", "is empty: give a name, its pinyin or its initials"}
	case !utf8.ValidString(q):
		return nil, "", &QueryError{"q", "is not valid UTF-8"}
	case utf8.RuneCountInString(q) > MaxQueryRunes:
		return nil, "", &QueryError{"q", fmt.Sprintf("is longer than %d characters", MaxQueryRunes)}
	}
	for _, r := range q {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return nil, "", &QueryError{"q", fmt.Sprintf("contains the control or format character %U", r)}
		}
	}
	pq := &prepared{}
	hasHan := strings.IndexFunc(q, isHan) >= 0
	simplified := ""
	if hasHan {
		s := simplify(q)
		if s != q {
			simplified = s
		}
		h := foldHan(s)
		pq.han = append(pq.han, h)
		if f := foldHan(q); f != h {
			pq.han = append(pq.han, f) // a record may hold the traditional form as an alias
		}
		allHan := true
		for _, r := range h {
			if !isHan(r) {
				allHan = false
			}
		}
		if allHan && syl != nil && utf8.RuneCountInString(h) >= 2 { // one character's homophones are hundreds
			if py, _ := syllables(h, syl); py != "" {
				pq.homophone = py
			}
		}
		return pq, simplified, nil
	}
	if h := foldHan(q); h != "" {
		pq.han = append(pq.han, h)
	}
	p := foldPinyin(q)
	if p == "" {
		return pq, "", nil
	}
	pq.pinyin = append(pq.pinyin, p)
	if s := stripToneNumbers(p); s != p && s != "" {
		pq.pinyin = append(pq.pinyin, s)
		p = s
	}
	if len(p) >= minTypoLen && strings.IndexFunc(p, func(r rune) bool { return r < 'a' || r > 'z' }) < 0 {
		pq.typo = p
	}
	return pq, "", nil
}

// typoVariants lists the strings one edit away from p (Damerau–Levenshtein distance 1 over a–z: a deletion,
// transposition of neighbours, substitution or insertion), each once, without p, and at least minTypoLen-1 long.
func typoVariants(p string) []string {
	seen := map[string]bool{p: true}
	var out []string
	add := func(v string) {
		if len(v) >= minTypoLen-1 && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for i := range len(p) {
		add(p[:i] + p[i+1:])
		if i+1 < len(p) {
			add(p[:i] + string(p[i+1]) + string(p[i]) + p[i+2:])
		}
		for c := byte('a'); c <= 'z'; c++ {
			if c != p[i] {
				add(p[:i] + string(c) + p[i+1:])
			}
		}
	}
	for i := 0; i <= len(p); i++ {
		for c := byte('a'); c <= 'z'; c++ {
			add(p[:i] + string(c) + p[i:])
		}
	}
	slices.Sort(out)
	return out
}
