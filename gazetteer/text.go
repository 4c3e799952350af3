package gazetteer

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"civmap/internal/apierr"
)

// CheckText walks the strings of a record (struct fields by their JSON names, slices, maps) and reports those that
// PostgreSQL and JSON cannot keep as given, or that only corrupted input produces: invalid UTF-8, U+FFFD (what a JSON
// decoder makes of invalid bytes and lone surrogates, so its presence means the input was not valid UTF-8), NUL
// (PostgreSQL text and jsonb refuse it) and other C0/C1 control characters except tab, line feed and carriage return.
// Both stores thus accept exactly the same text.
func CheckText(record any) apierr.Invalid {
	var errs apierr.Invalid
	walkText(reflect.ValueOf(record), "", &errs)
	return errs
}

func walkText(v reflect.Value, path string, errs *apierr.Invalid) {
	if !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkText(v.Elem(), path, errs)
		}
	case reflect.String:
		s := v.String()
		if reason := badText(s); reason != "" {
			errs.Add(path, "%s", reason)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			walkText(v.Field(i), join(path, name), errs)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Float64 {
			return // coordinates
		}
		for i := 0; i < v.Len(); i++ {
			walkText(v.Index(i), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			walkText(iter.Key(), join(path, "(key)"), errs)
			walkText(iter.Value(), join(path, k), errs)
		}
	}
}

// badText says what is wrong with s, or "".
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8 text"
	}
	for _, r := range s {
		switch {
		case r == 0:
			return "contains a NUL character"
		case r == utf8.RuneError:
			return "contains U+FFFD: the input was not valid UTF-8 (or held a lone surrogate escape)"
		case unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r':
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	return ""
}

// CheckName reports what makes s unfit as a name beyond CheckText: format characters (zero-width spaces and joiners,
// bidirectional overrides such as U+202E), which make two names that look the same differ, or a name look empty.
func CheckName(s string) string {
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("contains the invisible format character %U", r)
		}
	}
	return ""
}

// CheckID reports what makes s unfit as a record key that appears in URLs and file names: it must be 1–128 characters
// with no slash, backslash, white space or control character, and not "." or "..".
func CheckID(s string) string {
	switch {
	case s == "":
		return "is empty"
	case s == "." || s == "..":
		return fmt.Sprintf("%q is not a usable id", s)
	case utf8.RuneCountInString(s) > 128:
		return "is longer than 128 characters"
	}
	for _, r := range s {
		if r == '/' || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("%q contains %U: ids may not hold slashes, spaces or control characters", s, r)
		}
	}
	return ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
