package embedded

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// scanPlaceOGC fills r from a stored place record (the JSON json.Marshal writes of placeRec) without reflection: the
// fields of placeOGCRec are parsed, every other member is skipped by its brackets and quotes. It returns false for
// anything it does not parse exactly as encoding/json would — a member name that json could match by case folding,
// a null, an escaped member name, a number that is not a plain integer, bytes that are not valid UTF-8 in a string it
// keeps, a shape it does not expect — and the caller then decodes the record with encoding/json. On a record json decodes, the result equals json's (TestScanPlaceOGCMatchesJSON, FuzzScanPlaceOGC).
func scanPlaceOGC(b []byte, r *placeOGCRec) bool {
	d := recScanner{b: b}
	if !d.byte('{') {
		return false
	}
	if d.peek() == '}' {
		d.i++
		return d.end()
	}
	for {
		key, ok := d.plainString()
		if !ok || !d.byte(':') {
			return false
		}
		switch key {
		case "id":
			ok = d.str(&r.ID)
		case "name":
			ok = d.str(&r.Name)
		case "specific":
			ok = d.str(&r.Specific)
		case "generic":
			ok = d.str(&r.Generic)
		case "pinyin":
			ok = d.str(&r.Pinyin)
		case "category":
			ok = d.str(&r.Category)
		case "status":
			ok = d.str(&r.Status)
		case "date_named":
			ok = d.str(&r.DateNamed)
		case "division_codes":
			ok = d.strings(&r.DivisionCodes)
		case "heritage":
			ok = d.bool(&r.Heritage)
		case "year_established":
			var n int64
			if ok = d.int(&n, strconv.IntSize); ok {
				r.YearEstablished = int(n)
			}
		case "version":
			ok = d.int(&r.Version, 64)
		case "created_at":
			ok = d.time(&r.CreatedAt)
		case "updated_at":
			ok = d.time(&r.UpdatedAt)
		case "geom":
			ok = d.bytes(&r.Geom)
		default:
			// json matches member names case-insensitively (Unicode folding: K and the Kelvin sign, s and ſ): a
			// name other than lower-case ASCII might be one of the above.
			for i := 0; i < len(key) && ok; i++ {
				c := key[i]
				ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
			}
			ok = ok && d.skip()
		}
		if !ok {
			return false
		}
		switch d.next() {
		case ',':
		case '}':
			return d.end()
		default:
			return false
		}
	}
}

// recScanner reads a JSON text at b[i:]. The strings it keeps are cut from one copy of the record (text), made at
// the first: one allocation per record instead of one per string (a feature lives no longer than its page).
type recScanner struct {
	b    []byte
	i    int
	text string
}

// cut returns b[i:j] as a string, sharing the record's copy.
func (d *recScanner) cut(i, j int) string {
	if d.text == "" {
		d.text = string(d.b)
	}
	return d.text[i:j]
}

func (d *recScanner) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek is the next byte after white space (0 at the end).
func (d *recScanner) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *recScanner) next() byte {
	c := d.peek()
	if d.i < len(d.b) {
		d.i++
	}
	return c
}

func (d *recScanner) byte(c byte) bool { return d.next() == c }

func (d *recScanner) end() bool {
	d.ws()
	return d.i == len(d.b)
}

// rawString returns the bytes between the quotes of the string at i and whether they hold a backslash.
func (d *recScanner) rawString() (raw []byte, escaped, ok bool) {
	if d.peek() != '"' {
		return nil, false, false
	}
	start := d.i + 1
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			d.i = j + 1
			return d.b[start:j], escaped, true
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return nil, false, false
		}
	}
	return nil, false, false
}

// plainString is a string without escapes, as member names here are.
func (d *recScanner) plainString() (string, bool) {
	raw, esc, ok := d.rawString()
	if !ok || esc {
		return "", false
	}
	return string(raw), true
}

// str reads a JSON string into s: escapes undone by encoding/json itself (rare: json.Marshal escapes only quotes,
// backslashes, control characters, <, >, &, U+2028 and U+2029).
func (d *recScanner) str(s *string) bool {
	start := d.i
	raw, esc, ok := d.rawString()
	if !ok {
		return false
	}
	if esc {
		return json.Unmarshal(d.b[start:d.i], s) == nil
	}
	if !utf8.Valid(raw) { // json would write U+FFFD for each bad byte
		return false
	}
	end := d.i - 1 // the closing quote
	*s = d.cut(end-len(raw), end)
	return true
}

func (d *recScanner) strings(ss *[]string) bool {
	if !d.byte('[') {
		return false
	}
	out := make([]string, 0, 4)
	if d.peek() == ']' {
		d.i++
		*ss = out
		return true
	}
	for {
		var s string
		if !d.str(&s) {
			return false
		}
		out = append(out, s)
		switch d.next() {
		case ',':
		case ']':
			*ss = out
			return true
		default:
			return false
		}
	}
}

// literal returns the bytes of a number or true/false/null at i.
func (d *recScanner) literal() []byte {
	d.ws()
	start := d.i
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '[', '{':
			return d.b[start:d.i]
		}
		d.i++
	}
	return d.b[start:]
}

func (d *recScanner) bool(v *bool) bool {
	switch string(d.literal()) {
	case "true":
		*v = true
	case "false":
		*v = false
	default:
		return false
	}
	return true
}

// int reads a plain integer (digits, an optional minus; no fraction or exponent, which json rejects for an int).
func (d *recScanner) int(v *int64, bits int) bool {
	lit := d.literal()
	if len(lit) == 0 || len(lit) > 1 && lit[0] == '0' || len(lit) > 2 && lit[0] == '-' && lit[1] == '0' {
		return false
	}
	for i, c := range lit {
		if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
			return false
		}
	}
	n, err := strconv.ParseInt(string(lit), 10, bits)
	*v = n
	return err == nil
}

// time reads a time as encoding/json does: the literal, quotes and all, to time.Time.UnmarshalJSON.
func (d *recScanner) time(t *time.Time) bool {
	d.ws()
	start := d.i
	if _, _, ok := d.rawString(); !ok {
		return false
	}
	return t.UnmarshalJSON(d.b[start:d.i]) == nil
}

// bytes reads base64 (standard, padded), as json writes a []byte.
func (d *recScanner) bytes(v *[]byte) bool {
	raw, esc, ok := d.rawString()
	if !ok || esc {
		return false
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(out, raw)
	if err != nil {
		return false
	}
	*v = out[:n]
	return true
}

// skip passes over one value: a string, an object or array (by nesting, minding strings), or a literal.
func (d *recScanner) skip() bool {
	switch d.peek() {
	case '"':
		_, _, ok := d.rawString()
		return ok
	case '{', '[':
		depth := 0
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case '"':
				if _, _, ok := d.rawString(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			d.i++
			if depth == 0 {
				return true
			}
		}
		return false
	case 0:
		return false
	}
	return len(d.literal()) > 0
}
