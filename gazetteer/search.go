package gazetteer

import "strings"

// SearchText is the text that PlaceQuery.Q is matched against: the standard name, 专名, short name, aliases and pinyin,
// lower-cased and joined by newlines. Both stores match Q as a case-insensitive substring of it (FoldQuery).
func SearchText(p *Place) string {
	parts := make([]string, 0, 4+len(p.Aliases))
	for _, s := range append([]string{p.Name, p.Specific, p.ShortName, p.Pinyin}, p.Aliases...) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.ToLower(strings.Join(parts, "\n"))
}

// FoldQuery prepares a free-text query for matching against SearchText: trimmed and lower-cased.
func FoldQuery(q string) string {
	return strings.ToLower(strings.TrimSpace(q))
}
