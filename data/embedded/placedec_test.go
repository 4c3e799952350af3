package embedded

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"civmap/data/sample"
	"civmap/gazetteer"
)

// jsonPlaceOGC is decodePlaceOGC by encoding/json alone: what scanPlaceOGC must equal.
func jsonPlaceOGC(b []byte) (placeOGCRec, error) {
	var r placeOGCRec
	err := json.Unmarshal(b, &r)
	return r, err
}

// trickyPlaces are places whose records try the scanner: every escape json.Marshal writes (quotes, backslashes,
// control characters, <, >, &, U+2028/U+2029), invalid UTF-8 (json writes U+FFFD), brackets and quotes inside the
// skipped long texts, former names, approval and attribute maps (nested objects and arrays, numbers with exponents,
// nulls), negative and large numbers, times with nanoseconds and in another zone, empty and missing division codes,
// no geometry.
func trickyPlaces() []gazetteer.Place {
	t0 := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC)
	east := time.FixedZone("UTC+8", 8*3600)
	base := gazetteer.Place{ID: "T-1", Name: "丹城", Category: "road", Status: gazetteer.StatusCurrent, Version: 1,
		CreatedAt: t0, UpdatedAt: t0, Geometry: orb.Point{121.8, 29.4}}
	var out []gazetteer.Place
	add := func(f func(p *gazetteer.Place)) {
		p := base
		p.ID = fmt.Sprintf("T-%d", len(out)+1)
		f(&p)
		out = append(out, p)
	}
	add(func(p *gazetteer.Place) {})
	add(func(p *gazetteer.Place) {
		p.Name, p.Specific, p.Generic = `引"号\反斜杠`, "a<b>&c", "\u2028\u2029\t\n\r\x01\x1f"
		p.Pinyin = "Dān Chéng 🐉"
	})
	add(func(p *gazetteer.Place) { p.Name, p.Pinyin = "bad\xff\xfeutf8", "\xe4\xb8" })
	add(func(p *gazetteer.Place) {
		p.Meaning, p.History, p.Description = `}]"{[`, `\"}`, strings.Repeat(`{"a":[1,{"b":"]"}]}`, 50)
		p.FormerNames = []gazetteer.FormerName{{Name: `旧"名}`, From: "1950", To: "1980", Citation: `[x]`}, {Name: "二"}}
		p.Approval = &gazetteer.Approval{Authority: "县人民政府", DocumentNo: `象政〔2001〕"12"号`}
		p.Attributes = map[string]any{"n": 1.5e300, "neg": -0.0, "nested": map[string]any{"a": []any{nil, true, "}", 2.0}},
			"s": `"`, "empty": map[string]any{}, "list": []any{}}
		p.Aliases = []string{"别名", `"q"`}
		p.Source, p.Registrant, p.ShortName = "普查", "某人", "简"
	})
	add(func(p *gazetteer.Place) {
		p.YearEstablished, p.YearAbolished, p.Version = -221, 1999, 1<<62
		p.Heritage, p.DateNamed = true, "1949-10-01"
		p.DivisionCodes = []string{"330225", "330225001", `33"02`}
	})
	add(func(p *gazetteer.Place) {
		p.CreatedAt, p.UpdatedAt = t0.In(east), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
		p.DivisionCodes, p.Geometry = []string{}, nil
	})
	add(func(p *gazetteer.Place) {
		p.Geometry = orb.Polygon{{{121, 29}, {121.1, 29}, {121.1, 29.1}, {121, 29}}}
		p.Status, p.Category = gazetteer.StatusHistorical, ""
	})
	add(func(p *gazetteer.Place) {
		p.Geometry = orb.MultiLineString{{{121, 29}, {121.1, 29.05}}, {{121.2, 29}, {121.3, 29.2}}}
		p.ID, p.Name = "", ""
	})
	return out
}

// Every record the store writes (encodePlace) of the sample's places, 2,000 synthetic ones and the tricky ones
// scans (no fall-back to encoding/json) to exactly what encoding/json decodes, and decodePlaceOGC gives the same
// place by either path.
func TestScanPlaceOGCMatchesJSON(t *testing.T) {
	batch, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	places := append(append(append([]gazetteer.Place(nil), batch.Places...), syntheticPlaces(2000, 11)...), trickyPlaces()...)
	if len(batch.Places) < 20 {
		t.Fatalf("sample has %d places", len(batch.Places))
	}
	for _, p := range places {
		rec, err := encodePlace(&p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jsonPlaceOGC(rec)
		if err != nil {
			t.Fatalf("%s: json: %v", p.ID, err)
		}
		var got placeOGCRec
		if !scanPlaceOGC(rec, &got) {
			t.Fatalf("%s: the scanner declined the stored record %s", p.ID, rec)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: scanned\n%+v\njson\n%+v\nrecord %s", p.ID, got, want, rec)
		}
		if want.ID != p.ID || want.Version != p.Version || !want.UpdatedAt.Equal(p.UpdatedAt) {
			t.Fatalf("%s: json decodes %+v", p.ID, want)
		}
	}
}

// Records not as the store writes them — white space, names in other cases (json folds them: ID, Kelvin sign),
// nulls, duplicate members, escaped names and times, numbers json refuses for an int, wrong types, truncation,
// trailing bytes — give decodePlaceOGC's answer of encoding/json: the same record, or an error where json errs.
func TestScanPlaceOGCOddRecords(t *testing.T) {
	p := trickyPlaces()[3]
	rec, err := encodePlace(&p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(rec)
	odd := []string{
		" \n" + strings.ReplaceAll(strings.ReplaceAll(s, ",", " ,\t"), ":", " : ") + "\r\n",
		strings.Replace(s, `"id"`, `"ID"`, 1),
		strings.Replace(s, `"name"`, `"NAME"`, 1),
		strings.Replace(s, `"pinyin"`, `"Pinyin"`, 1),
		strings.Replace(s, `"heritage"`, `"\u0068eritage"`, 1),
		strings.Replace(s, `"category"`, `"\u212aategory"`, 1), // no match, but json checks folding
		`{"id":"K-1","id":"K-2","version":3,"version":4}`,
		`{"id":"K-1","name":null,"version":null,"heritage":null,"division_codes":null,"created_at":null,"geom":null}`,
		`{"id":"K-1","division_codes":["a"],"division_codes":[]}`,
		`{"id":"K-1","created_at":"2024-01-02T03:04:05+08:00"}`,
		`{"id":"K-1","created_at":"\u0032024-01-02T03:04:05Z"}`,
		`{"id":"K-1","created_at":"2024-01-02T3:04:05Z"}`,
		`{"id":"K-1","updated_at":"2024-01-02T03:04:05,5Z"}`,
		`{"id":"K-1","version":1.0}`, `{"id":"K-1","version":1e3}`, `{"id":"K-1","version":-0}`,
		`{"id":"K-1","version":01}`, `{"id":"K-1","version":99999999999999999999}`,
		`{"id":"K-1","year_established":-5}`, `{"id":"K-1","version":"1"}`, `{"id":"K-1","heritage":"true"}`,
		`{"id":"K-1","heritage":1}`, `{"id":1}`, `{"id":"K-1","geom":"not base64!"}`, `{"id":"K-1","geom":""}`,
		`{"id":"K-1","division_codes":"330225"}`, `{"id":"K-1","division_codes":[1]}`,
		`{"id":"K-1","name":"a\qb"}`, `{"id":"K-1","name":"a` + "\x01" + `b"}`, `{"id":"K-1","name":"\ud800"}`,
		`{}`, `{"x":{}}`, `[]`, `null`, ``, `{"id":"K-1"`, `{"id":"K-1"}x`, `{"id":"K-1",}`, `{"id" "K-1"}`,
		`{"a":[{"b":"}"}],"id":"K-1","c":[[],[[]]],"d":-1.5e-3,"e":true,"f":null}`,
		s[:len(s)/2],
	}
	for i, rec := range odd {
		want, werr := jsonPlaceOGC([]byte(rec))
		var got placeOGCRec
		ok := scanPlaceOGC([]byte(rec), &got)
		if ok && werr != nil {
			t.Errorf("odd %d %.80q: scanned, json says %v", i, rec, werr)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Errorf("odd %d %.80q: scanned\n%+v\njson\n%+v", i, rec, got, want)
		}
		gp, gerr := decodePlaceOGC([]byte(rec))
		if (gerr != nil) != (werr != nil) {
			t.Errorf("odd %d %.80q: decodePlaceOGC error %v, json %v", i, rec, gerr, werr)
		}
		if werr == nil && (gerr != nil || gp.ID != want.ID || gp.Version != want.Version || gp.Name != want.Name ||
			!gp.CreatedAt.Equal(want.CreatedAt) || gp.Heritage != want.Heritage) {
			t.Errorf("odd %d %.80q: decodePlaceOGC %+v, json %+v", i, rec, gp, want)
		}
	}
}

// FuzzScanPlaceOGC: on any valid JSON text, the scanner either declines or decodes what encoding/json decodes, and
// never where json fails.
func FuzzScanPlaceOGC(f *testing.F) {
	for _, p := range trickyPlaces() {
		rec, err := encodePlace(&p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(rec)
	}
	f.Add([]byte(`{"id":"K-1","id":"K-2","version":3,"division_codes":["a",""],"created_at":"2024-01-02T03:04:05Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		want, werr := jsonPlaceOGC(b)
		var got placeOGCRec
		if !scanPlaceOGC(b, &got) {
			return
		}
		if werr != nil {
			t.Fatalf("%q: scanned, json says %v", b, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: scanned\n%+v\njson\n%+v", b, got, want)
		}
	})
}
