// Package jsonx decodes JSON without losing numbers: every number that lands in an `any` (a record's attributes, a
// merge patch) is kept as json.Number, in one canonical text — the one PostgreSQL's numeric (and so jsonb) prints — so
// that 12345678901234567890 and 1.10 come back as sent from both stores.
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// maxDigits bounds the canonical text of a number (digits plus sign and point); longer ones (1e400, a 10,000-digit
// integer) are refused rather than spelled out.
const maxDigits = 400

// Unmarshal decodes data into v like json.Unmarshal, but numbers decoded into an `any` become json.Number (see
// Canonical for their text).
func Unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("jsonx: data after the JSON value")
	}
	return Canonical(v)
}

// CanonicalNumber returns the JSON number literal s as PostgreSQL's numeric prints it: no exponent, the scale (digits
// after the point) kept as written (1.10 stays 1.10, 1.5e-3 is 0.0015, 1.0e2 is 100), no leading zeros, -0 as 0. An
// error when s is not a JSON number or its plain form would exceed 400 characters.
func CanonicalNumber(s string) (string, error) {
	if !json.Valid([]byte(s)) || s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return "", fmt.Errorf("%q is not a JSON number", s)
	}
	if !strings.ContainsAny(s, "eE") && !strings.HasPrefix(s, "-0") && len(s) <= maxDigits {
		return s, nil // already plain: JSON forbids leading zeros
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	exp := 0
	if hasExp {
		if _, err := fmt.Sscan(expText, &exp); err != nil || exp > maxDigits || exp < -maxDigits {
			return "", fmt.Errorf("the number %s is out of range", s)
		}
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	point := len(intPart) + exp // digits before the point
	scale := max(0, len(frac)-exp)
	var b strings.Builder
	switch {
	case point <= 0:
		b.WriteString("0." + strings.Repeat("0", -point) + digits)
	case point >= len(digits):
		b.WriteString(digits + strings.Repeat("0", point-len(digits)))
	default:
		b.WriteString(digits[:point] + "." + digits[point:])
	}
	out := b.String()
	// Trim to scale digits after the point (the mantissa's own, shifted), then leading zeros of the integer part.
	if i := strings.IndexByte(out, '.'); i >= 0 {
		if scale == 0 {
			out = out[:i]
		} else if len(out)-i-1 > scale {
			out = out[:i+1+scale]
		}
	} else if scale > 0 {
		out += "." + strings.Repeat("0", scale)
	}
	out = strings.TrimLeft(out, "0")
	if out == "" || out[0] == '.' {
		out = "0" + out
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	if len(out) > maxDigits {
		return "", fmt.Errorf("the number %s has more than %d digits", s, maxDigits)
	}
	return out, nil
}

// Canonical rewrites in place every json.Number reachable from v (through pointers, structs' exported fields, maps,
// slices, arrays and interfaces) to its CanonicalNumber text; the first number that has none is the error.
func Canonical(v any) error {
	return canonical(reflect.ValueOf(v))
}

var numberType = reflect.TypeFor[json.Number]()

func canonical(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if v.Kind() == reflect.Interface && v.Elem().Type() == numberType {
			c, err := CanonicalNumber(v.Elem().String())
			if err != nil {
				return err
			}
			if v.CanSet() {
				v.Set(reflect.ValueOf(json.Number(c)))
			}
			return nil
		}
		return canonical(v.Elem())
	case reflect.String:
		if v.Type() == numberType {
			c, err := CanonicalNumber(v.String())
			if err != nil {
				return err
			}
			if v.CanSet() {
				v.SetString(c)
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if err := canonical(v.Field(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if k := v.Type().Elem().Kind(); k <= reflect.Complex128 || k == reflect.String && v.Type().Elem() != numberType {
			return nil // bytes, coordinates, text: nothing to rewrite
		}
		for i := range v.Len() {
			if err := canonical(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			e := it.Value()
			switch {
			case e.Kind() == reflect.Interface && !e.IsNil() && e.Elem().Type() == numberType,
				e.Type() == numberType:
				s := e.String()
				if e.Kind() == reflect.Interface {
					s = e.Elem().String()
				}
				c, err := CanonicalNumber(s)
				if err != nil {
					return err
				}
				if c != s {
					nv := reflect.New(e.Type()).Elem()
					nv.Set(reflect.ValueOf(json.Number(c)).Convert(numberTypeOr(e.Type())))
					v.SetMapIndex(it.Key(), nv)
				}
			default:
				// Map values are not addressable: walk a copy and store it back.
				cp := reflect.New(e.Type()).Elem()
				cp.Set(e)
				if err := canonical(cp); err != nil {
					return err
				}
				v.SetMapIndex(it.Key(), cp)
			}
		}
	}
	return nil
}

// numberTypeOr is the type a json.Number is converted to before it is stored in a value of type t.
func numberTypeOr(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Interface {
		return numberType
	}
	return t
}
