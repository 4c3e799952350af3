package httpx

import (
	"regexp"
	"strconv"
	"unicode/utf8"

	"civmap/internal/apierr"
)

// MaxEcho is the most runes of client input that a problem quotes; longer input is cut there and ends in "…".
const MaxEcho = 64

// maxMessage is the most bytes of a problem's detail or of one field error's reason (cut at a rune boundary, then "…"),
// whatever they hold.
const maxMessage = 1024

// Clip returns s cut to MaxEcho runes, with "…" appended when it was cut: the form in which messages echo client
// input (an id, a parameter, a layer name, a member name).
func Clip(s string) string { return clipRunes(s, MaxEcho) }

// Quote is strconv.Quote(Clip(s)): what a message's %q of client input should be.
func Quote(s string) string { return strconv.Quote(Clip(s)) }

func clipRunes(s string, n int) string {
	if len(s) <= n { // bytes ≥ runes: nothing to count
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// quoted matches a Go-quoted string as %q and strconv.Quote write it.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// clipMessage is the last guard against echoing huge input, applied by WriteProblem to every detail and field error
// whoever built it: each Go-quoted string in msg longer than MaxEcho runes is cut to MaxEcho (Quote), then msg to
// maxMessage bytes.
func clipMessage(msg string) string {
	if len(msg) > MaxEcho+2 {
		msg = quoted.ReplaceAllStringFunc(msg, func(q string) string {
			if utf8.RuneCountInString(q) <= MaxEcho+2 {
				return q
			}
			s, err := strconv.Unquote(q)
			if err != nil {
				return q
			}
			return Quote(s)
		})
	}
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

func clipFields(fields []apierr.FieldError) []apierr.FieldError {
	var out []apierr.FieldError
	for i, f := range fields {
		c := f
		c.Field, c.Reason = clipRunes(f.Field, 2*MaxEcho), clipMessage(f.Reason) // a field may be a JSON path
		if c != f && out == nil {
			out = append(make([]apierr.FieldError, 0, len(fields)), fields[:i]...)
		}
		if out != nil {
			out = append(out, c)
		}
	}
	if out == nil {
		return fields
	}
	return out
}
