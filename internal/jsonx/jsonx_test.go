package jsonx

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCanonicalNumber(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "3": "3", "-3": "-3", "1.10": "1.10", "12345678901234567890": "12345678901234567890",
		"-0": "0", "-0.0": "0.0", "0.0": "0.0", "1e2": "100", "1E+2": "100", "1.0e2": "100", "1.50e1": "15.0",
		"1.5e-3": "0.0015", "25e-1": "2.5", "-1.23e-2": "-0.0123", "0e5": "0", "0.10e1": "1.0", "123.456e1": "1234.56",
	} {
		got, err := CanonicalNumber(in)
		if err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1e401", "1e-401", "abc", "01", "1.", "\"1\"", strings.Repeat("9", 401)} {
		if got, err := CanonicalNumber(in); err == nil {
			t.Errorf("%q: %q, want an error", in, got)
		}
	}
}

func TestUnmarshal(t *testing.T) {
	var v struct {
		A map[string]any `json:"a"`
		B []any          `json:"b"`
		C any            `json:"c"`
		F float64        `json:"f"`
	}
	if err := Unmarshal([]byte(`{"a":{"big":12345678901234567890,"dec":1.10,"exp":1e2,"in":{"x":[2.50e1]}},`+
		`"b":[1e1,"s"],"c":-0,"f":1.5}`), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	want := `{"a":{"big":12345678901234567890,"dec":1.10,"exp":100,"in":{"x":[25.0]}},"b":[10,"s"],"c":0,"f":1.5}`
	if string(b) != want {
		t.Errorf("%s\nwant %s", b, want)
	}
	if err := Unmarshal([]byte(`{"c":1e999}`), &v); err == nil {
		t.Error("1e999 accepted")
	}
}
