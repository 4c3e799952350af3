package httpx

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"civmap/internal/apierr"
)

func TestClip(t *testing.T) {
	if got := Clip(strings.Repeat("地", 64)); got != strings.Repeat("地", 64) {
		t.Errorf("64 runes cut: %q", got)
	}
	if got := Clip(strings.Repeat("地", 65)); got != strings.Repeat("地", 64)+"…" {
		t.Errorf("65 runes: %q", got)
	}
	if got := Quote(strings.Repeat("a", 1000)); got != `"`+strings.Repeat("a", 64)+`…"` {
		t.Errorf("Quote: %q", got)
	}
	// Quoted input inside a message is cut whoever formatted it; the text around it stays.
	huge := strings.Repeat("名\x01", 50000)
	msg := clipMessage(fmt.Sprintf("unknown layer %q; known: a, b (in %q)", huge, "x"))
	want := fmt.Sprintf("unknown layer %s; known: a, b (in \"x\")", Quote(huge))
	if msg != want {
		t.Errorf("clipMessage: %q, want %q", msg, want)
	}
	if got := clipMessage(strings.Repeat("b", 5000)); utf8.RuneCountInString(got) != maxMessage+1 {
		t.Errorf("unquoted: %d runes", utf8.RuneCountInString(got))
	}
	if got := clipMessage(strings.Repeat("长", 5000)); !utf8.ValidString(got) || len(got) > maxMessage+len("…") {
		t.Errorf("unquoted CJK: %d bytes", len(got))
	}
}

// TestProblemEchoIsCut: a problem quoting 100 KB of input twice (detail and reason) stays small.
func TestProblemEchoIsCut(t *testing.T) {
	huge := strings.Repeat("x", 100_000)
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	WriteError(w, r, BadRequest(fmt.Errorf("layer %q: %w", huge, apierr.Field("layers:"+huge, "unknown layer %q", huge))))
	if w.Body.Len() > 2000 {
		t.Fatalf("%d bytes: %.300s", w.Body.Len(), w.Body)
	}
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Detail, `"`+strings.Repeat("x", 64)+`…"`) || len(p.Errors) != 1 ||
		p.Errors[0].Reason != `unknown layer "`+strings.Repeat("x", 64)+`…"` ||
		utf8.RuneCountInString(p.Errors[0].Field) != 2*MaxEcho+1 {
		t.Errorf("%+v", p)
	}
	// The 404 of an unknown path quotes it cut too.
	w = httptest.NewRecorder()
	NotFoundHandler().ServeHTTP(w, httptest.NewRequest("GET", "/"+huge, nil))
	if w.Code != 404 || w.Body.Len() > 1000 {
		t.Errorf("404: %d, %d bytes", w.Code, w.Body.Len())
	}
}
