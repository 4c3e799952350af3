package httpx

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckQuery checks a raw query string the way every civmap endpoint reads its parameters: each name and value must be
// well-formed percent-encoding ('+' is a space) of valid UTF-8, '&' is the only separator (a raw ';' is refused rather
// than silently dropped, as url.ParseQuery would), and a parameter may appear only once — except one whose name ends in
// "[]" (e.g. Prometheus' name[]), which is multi-valued by that convention. The error is a 400 naming the parameter (its
// name as sent, still percent-encoded, when the name itself is at fault; "query" when there is no name).
func CheckQuery(rawQuery string) error {
	if rawQuery == "" {
		return nil
	}
	var seen map[string]bool
	for pair := range strings.SplitSeq(rawQuery, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		field := rawKey
		if field == "" {
			field = "query"
		}
		if strings.Contains(pair, ";") {
			return BadParam(field, "a raw ';' in the query; separate parameters with '&' and percent-encode ';' as %%3B")
		}
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return BadParam(field, "the parameter name %q has a bad percent-escape", rawKey)
		}
		if !utf8.ValidString(key) {
			return BadParam(field, "the parameter name %q is not UTF-8 once percent-decoded", rawKey)
		}
		if key != "" {
			field = key
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return BadParam(field, "the value %q has a bad percent-escape", rawValue)
		}
		if why := badText(value); why != "" {
			return BadParam(field, "the value %q %s", rawValue, why)
		}
		if strings.HasSuffix(key, "[]") {
			continue
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		if seen[key] {
			return BadParam(field, "the parameter %s is given more than once; give it once", key)
		}
		seen[key] = true
	}
	return nil
}

// ValidQuery is middleware that answers a request whose query fails CheckQuery with a 400 problem naming the
// parameter, so that handlers can read r.URL.Query() and trust that each parameter they Get was sent once, intact.
// NewRouter installs it for every route.
func ValidQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := CheckQuery(r.URL.RawQuery); err != nil {
			WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// badText says why a decoded query value or path segment cannot be passed on to a store ("" when it can): PostgreSQL
// refuses invalid UTF-8 and NUL, and no parameter or id of this API holds a control character.
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not UTF-8 once percent-decoded"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Sprintf("holds the control character %U", r)
		}
	}
	return ""
}
