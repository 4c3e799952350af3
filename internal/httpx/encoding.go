package httpx

import (
	"net/http"
	"strconv"
	"strings"
)

// AcceptsEncoding reports whether r's Accept-Encoding (RFC 9110 §12.5.3) allows the content coding coding ("gzip",
// "br", "identity", …; case-insensitive; "x-gzip" counts as "gzip"). The entry naming coding decides by its q-value
// (q=0 refuses); without one, a "*" entry decides; without either, identity is acceptable and any other coding is not.
// A request without Accept-Encoding accepts identity only (servers may pick any coding, but tiles are served plain
// unless asked). Malformed q-values count as q=1, as most servers read them.
func AcceptsEncoding(r *http.Request, coding string) bool {
	coding = strings.ToLower(coding)
	named, star := -1.0, -1.0 // the q of the entry naming coding, and of "*"; -1: no such entry
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "x-gzip" {
				name = "gzip"
			}
			if name != coding && name != "*" {
				continue
			}
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil && f >= 0 && f <= 1 {
						q = f
					}
				}
			}
			if name == "*" {
				star = max(star, q)
			} else {
				named = max(named, q)
			}
		}
	}
	switch {
	case named >= 0:
		return named > 0
	case star >= 0:
		return star > 0
	}
	return coding == "identity"
}
