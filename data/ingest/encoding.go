package ingest

import (
	"bytes"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// utf8Reader passes an import file through while checking that it is UTF-8, and fails at the first byte that is not,
// naming the line and, when the bytes there read as GB 18030 (GBK's superset: what Excel and WPS save on Chinese
// Windows) with Chinese characters in them, saying so and how to convert the file. Without it, encoding/json would
// turn those bytes into U+FFFD silently.
type utf8Reader struct {
	r     io.Reader
	carry []byte // the incomplete rune at the end of the last read
	line  int    // newlines before carry
	err   error
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	n, err := u.r.Read(p)
	buf := append(u.carry, p[:n]...)
	valid := len(buf)
	if err == nil {
		// Keep an incomplete rune at the end for the next read.
		for i := 1; i <= utf8.UTFMax-1 && i <= len(buf); i++ {
			if c := buf[len(buf)-i]; utf8.RuneStart(c) {
				if !utf8.FullRune(buf[len(buf)-i:]) {
					valid = len(buf) - i
				}
				break
			}
		}
	}
	if bad := invalidAt(buf[:valid]); bad >= 0 {
		u.err = notUTF8(buf, bad, u.line+1+bytes.Count(buf[:bad], []byte{'\n'}))
		return 0, u.err
	}
	u.line += bytes.Count(buf[:valid], []byte{'\n'})
	u.carry = append(u.carry[:0:0], buf[valid:]...)
	return n, err
}

// invalidAt returns the offset of the first byte of b that is not part of valid UTF-8, or -1.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// notUTF8 is the error for the invalid byte at b[bad] on line: a GBK/GB 18030 file when the line around it decodes
// as GB 18030 into text with Chinese characters, otherwise plain "not UTF-8".
func notUTF8(b []byte, bad, line int) error {
	start := bytes.LastIndexByte(b[:bad], '\n') + 1
	end := len(b)
	if i := bytes.IndexByte(b[bad:], '\n'); i >= 0 {
		end = bad + i
	}
	if isGB18030(b[start:end]) {
		return fmt.Errorf("line %d: this file is GBK/GB 18030, not UTF-8 (as Excel or WPS save on Chinese Windows): "+
			"convert it with `iconv -f GB18030 -t UTF-8 FILE > FILE.utf8` (or save it as \"CSV UTF-8\") and import that", line)
	}
	return fmt.Errorf("line %d: the file is not UTF-8 (byte 0x%02X is not valid UTF-8 there): convert it to UTF-8 and "+
		"import it again", line, b[bad])
}

// isGB18030 reports whether b decodes as GB 18030 without replacement characters into text holding Chinese (Han)
// characters.
func isGB18030(b []byte) bool {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return false
	}
	for _, r := range string(out) {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
