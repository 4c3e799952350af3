package cql2

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

type rec struct {
	v map[string]any
	g orb.Geometry
}

func (r rec) Value(n string) any     { return r.v[n] }
func (r rec) Geometry() orb.Geometry { return r.g }
func types(n string) (Type, bool) {
	t, ok := map[string]Type{"name": TypeString, "beds": TypeNumber, "smart": TypeBoolean, "updated_at": TypeTime,
		"geometry": TypeGeometry}[n]
	return t, ok
}

// Text and JSON filters over two records; want lists which of them match (SQL's three-valued logic: beds is null in
// the second, so beds <> 3 and NOT (beds = 3) are unknown there and do not match).
func TestMatch(t *testing.T) {
	a := rec{map[string]any{"name": "丹城敬老院", "beds": 120, "smart": true,
		"updated_at": time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)}, orb.Point{121.87, 29.47}}
	b := rec{map[string]any{"name": "西周助餐点", "smart": false, "updated_at": time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)},
		orb.Point{121.60, 29.40}}
	cases := []struct {
		text, json string
		want       string // "a", "b", "ab" or ""
	}{
		{"beds > 100", `{"op":">","args":[{"property":"beds"},100]}`, "a"},
		{"beds <> 3", `{"op":"<>","args":[{"property":"beds"},3]}`, "a"},
		{"NOT (beds = 3)", `{"op":"not","args":[{"op":"=","args":[{"property":"beds"},3]}]}`, "a"},
		{"beds IS NULL", `{"op":"isNull","args":[{"property":"beds"}]}`, "b"},
		{"beds IS NOT NULL OR smart = false", "", "ab"},
		{"name LIKE '%敬老院'", `{"op":"like","args":[{"property":"name"},"%敬老院"]}`, "a"},
		{"name NOT LIKE '西_助%'", "", "a"},
		{"name IN ('西周助餐点', 'x')", `{"op":"in","args":[{"property":"name"},["西周助餐点","x"]]}`, "b"},
		{"beds BETWEEN 100 AND 120", `{"op":"between","args":[{"property":"beds"},100,120]}`, "a"},
		{"updated_at >= TIMESTAMP('2024-01-01T00:00:00Z')", `{"op":">=","args":[{"property":"updated_at"},{"timestamp":"2024-01-01T00:00:00Z"}]}`, "a"},
		{"updated_at < DATE('2023-01-02')", `{"op":"<","args":[{"property":"updated_at"},{"date":"2023-01-02"}]}`, "b"},
		{"smart = true AND beds >= 120", "", "a"},
		{"S_INTERSECTS(geometry, BBOX(121.5, 29.3, 121.7, 29.5))", `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[121.5,29.3,121.7,29.5]}]}`, "b"},
		{"S_WITHIN(geometry, POLYGON((121.8 29.4, 121.9 29.4, 121.9 29.5, 121.8 29.5, 121.8 29.4)))",
			`{"op":"s_within","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[121.8,29.4],[121.9,29.4],[121.9,29.5],[121.8,29.5],[121.8,29.4]]]}]}`, "a"},
		{"S_INTERSECTS(geometry, POINT(121.87 29.47))", "", "a"},
		{"true", "true", "ab"},
		{"\"name\" = 'x' or FALSE", "", ""},
	}
	for _, c := range cases {
		for _, enc := range []string{"text", "json"} {
			src := c.text
			var e Expr
			var err error
			if enc == "json" {
				if c.json == "" {
					continue
				}
				src = c.json
				e, err = ParseJSON([]byte(src))
			} else {
				e, err = ParseText(src)
			}
			if err != nil {
				t.Errorf("%s %s: %v", enc, src, err)
				continue
			}
			if err := Check(e, types, nil); err != nil {
				t.Errorf("%s %s: check: %v", enc, src, err)
				continue
			}
			p, err := Compile(e)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p.Match(a) {
				got += "a"
			}
			if p.Match(b) {
				got += "b"
			}
			if got != c.want {
				t.Errorf("%s %s: matches %q, want %q", enc, src, got, c.want)
			}
		}
	}
}

// Bad filters: a syntax error names the character position; a check error the property or the types.
func TestErrors(t *testing.T) {
	for _, c := range []struct {
		text string
		pos  int    // 0: a check error
		msg  string // part of the message
	}{
		{"beds >", 7, "expected a property or a value"},
		{"beds > 3 AND", 13, "expected a property"},
		{"name = 'abc", 8, "unterminated string"},
		{"beds = 3 3", 10, "after the end"},
		{"beds ! 3", 6, "unexpected character"},
		{"upper(name) = 'A'", 1, "unknown function"},
		{"name LIKE 3", 11, "string pattern"},
		{"S_INTERSECTS(geometry, POINT(1))", 31, "coordinate"},
		{strings.Repeat("(", 1000) + "beds = 1" + strings.Repeat(")", 1000), 65, "nests more than 64"},
		{strings.Repeat("NOT ", 1000) + "beds = 1", 0, ""}, // checked below: nesting
		{"height > 3", 0, `unknown property "height"`},
		{"name = 3", 0, "compares a string with a number"},
		{"geometry = 'x'", 0, "geometry property"},
		{"S_WITHIN(name, POINT(1 2))", 0, "needs a geometry property"},
	} {
		e, err := ParseText(c.text)
		var se *SyntaxError
		if c.pos > 0 || strings.HasPrefix(c.text, "NOT NOT") {
			if !errors.As(err, &se) {
				t.Errorf("%.40s: err %v, want a syntax error", c.text, err)
				continue
			}
			if c.pos > 0 && (se.Pos != c.pos || !strings.Contains(se.Msg, c.msg)) {
				t.Errorf("%.40s: %v, want at %d %q", c.text, err, c.pos, c.msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			continue
		}
		err = Check(e, types, []string{"name", "beds"})
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: check %v, want %q", c.text, err, c.msg)
		}
	}
	deep := strings.Repeat(`{"op":"not","args":[`, 1000) + `true` + strings.Repeat(`]}`, 1000)
	if _, err := ParseJSON([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nests more than") {
		t.Errorf("1000-deep JSON: %v", err)
	}
	if _, err := ParseJSON([]byte(`{"op":"=","args":[{"property":"a"}`)); err == nil {
		t.Error("truncated JSON parsed")
	}
	_, err := ParseJSON([]byte(`{"op":"and","args":[true,{"op":"sin","args":[]}]}`))
	if se, ok := err.(*SyntaxError); !ok || se.Path != "$.args[1].op" {
		t.Errorf("unknown op: %v, want the path $.args[1].op", err)
	}
}

func FuzzParseText(f *testing.F) {
	for _, s := range []string{"beds > 3", "name LIKE 'a%' AND NOT (x IS NULL)", "S_WITHIN(geometry, BBOX(1,2,3,4))",
		"a IN (1,2) OR b BETWEEN 1 AND 2", "updated_at > TIMESTAMP('2024-01-01T00:00:00Z')",
		"S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseText(s)
		if err == nil && e == nil {
			t.Fatal("nil expression without error")
		}
		if err == nil && Check(e, types, nil) == nil {
			p, err := Compile(e)
			if err == nil {
				p.Match(rec{v: map[string]any{"name": "x", "beds": 2.0}, g: orb.Point{1, 2}})
			}
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"op":">","args":[{"property":"beds"},100]}`, `true`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[1,2]}]}`,
		`{"op":"in","args":[{"property":"name"},["a","b"]]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseJSON(b)
		if err == nil && e == nil {
			t.Fatal("nil expression without error")
		}
		if err == nil && Check(e, types, nil) == nil {
			if p, err := Compile(e); err == nil {
				p.Match(rec{v: map[string]any{"name": "x"}})
			}
		}
	})
}
