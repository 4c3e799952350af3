package postgis

import (
	"strings"
	"testing"
)

// FuzzParseLSN: the Civmap-LSN header and cookie come from clients. Any text is an LSN or an error, never a panic,
// and an accepted one is the same position as its String form (which parses back to itself).
func FuzzParseLSN(f *testing.F) {
	for _, s := range []string{"16/B374D848", "0/0", "FFFFFFFF/FFFFFFFF", "1/100000000", "/1", "1/", "-1/2", " 0/1A "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLSN(s)
		if err != nil {
			return
		}
		back, err := ParseLSN(l.String())
		if err != nil || back != l {
			t.Fatalf("%q → %v → %v, %v", s, l, back, err)
		}
		hi, lo, _ := strings.Cut(strings.TrimSpace(s), "/")
		if strings.Trim(hi, "0") == "" && strings.Trim(lo, "0") == "" && l != 0 {
			t.Fatalf("%q: zero position read as %v", s, l)
		}
	})
}
