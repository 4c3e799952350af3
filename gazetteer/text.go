package gazetteer

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"civmap/internal/apierr"
)

// CheckText walks the strings of a record (struct fields by their JSON names, slices, maps) and reports those that
// PostgreSQL and JSON cannot keep as given: invalid UTF-8 (JSON would silently turn it into U+FFFD) and NUL characters
// (PostgreSQL text and jsonb refuse them). Both stores thus accept exactly the same text.
func CheckText(record any) apierr.Invalid {
	var errs apierr.Invalid
	walkText(reflect.ValueOf(record), "", &errs)
	return errs
}

func walkText(v reflect.Value, path string, errs *apierr.Invalid) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkText(v.Elem(), path, errs)
		}
	case reflect.String:
		s := v.String()
		switch {
		case !utf8.ValidString(s):
			*errs = append(*errs, apierr.FieldError{Field: path, Reason: "not valid UTF-8 text"})
		case strings.ContainsRune(s, 0):
			*errs = append(*errs, apierr.FieldError{Field: path, Reason: "contains a NUL character"})
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

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
