package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"testing"

	"civmap/gazetteer/names"
	"civmap/internal/edit"
)

// TestNamesAPI runs the place-name API end to end on both stores: pinyin, derived and hand-set place pinyin, a
// reading-dictionary edit kept as a document, a county screening of the sample and a tracked finding's move.
func TestNamesAPI(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := sampleServer(t, sf)
		editor, reviewer := newToken(t, st, edit.RoleEditor), newToken(t, st, edit.RoleReviewer)
		J := "application/json"

		r := do(t, "GET", ts.URL+"/api/names/pinyin?name="+url.QueryEscape("黄避岙乡"), "")
		if res := decode[names.Result](t, r); r.status != 200 || res.Pinyin != "Huangbi'ao Xiang" {
			t.Fatalf("pinyin: %d %s", r.status, r.body)
		}

		// A place saved without pinyin gets the derived one; one saved with pinyin keeps it.
		post := func(name, pinyin string) map[string]any {
			body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[121.87,29.47]},"properties":{"name":"` +
				name + `","pinyin":"` + pinyin + `","category":"road","division_codes":["330225002"]}}`
			r := do(t, "POST", ts.URL+"/api/places", body, "Content-Type", "application/geo+json", "Authorization", editor)
			if r.status != 201 {
				t.Fatalf("POST place %s: %d %s", name, r.status, r.body)
			}
			return decode[struct {
				Properties map[string]any `json:"properties"`
			}](t, r).Properties
		}
		derived, hand := post("丹河东路", ""), post("长街路", "Zhangjie Lu")
		if derived["pinyin"] != "Danhe Donglu" || hand["pinyin"] != "Zhangjie Lu" {
			t.Errorf("derived pinyin %v, hand-set %v", derived["pinyin"], hand["pinyin"])
		}
		// A rename re-derives a derived spelling and keeps a hand-set one.
		rename := func(id any, name string) any {
			r := do(t, "PATCH", ts.URL+"/api/places/"+id.(string), `{"properties":{"name":"`+name+`"}}`,
				"Content-Type", "application/merge-patch+json", "If-Match", `"1"`, "Authorization", editor)
			if r.status != 200 {
				t.Fatalf("rename: %d %s", r.status, r.body)
			}
			return decode[struct {
				Properties map[string]any `json:"properties"`
			}](t, r).Properties["pinyin"]
		}
		if py := rename(derived["id"], "丹河西路"); py != "Danhe Xilu" {
			t.Errorf("renamed derived: %v", py)
		}
		if py := rename(hand["id"], "长街南路"); py != "Zhangjie Lu" {
			t.Errorf("renamed hand-set: %v", py)
		}

		// The reading dictionary: a wrong syllable count is a 400 naming the entry; a reviewer's edit is a document.
		bad := `{"entries":[{"word":"厦门","pinyin":"xia"}]}`
		if r := do(t, "PUT", ts.URL+"/api/names/lists/readings", bad, "Content-Type", J, "Authorization", reviewer,
			"If-Match", `"0"`); r.status != 400 || decode[problem](t, r).Errors[0].Field != "entries[0].pinyin" {
			t.Fatalf("bad reading: %d %s", r.status, r.body)
		}
		good := `{"entries":[{"word":"丹河","pinyin":"dan ge"}]}`
		if r := do(t, "PUT", ts.URL+"/api/names/lists/readings", good, "Content-Type", J, "Authorization", editor,
			"If-Match", `"0"`); r.status != 403 {
			t.Fatalf("editor edits the dictionary: %d %s", r.status, r.body)
		}
		if r := do(t, "PUT", ts.URL+"/api/names/lists/readings", good, "Content-Type", J, "Authorization", reviewer,
			"If-Match", `"0"`); r.status != 200 || r.header.Get("ETag") != `"1"` {
			t.Fatalf("good reading: %d %s", r.status, r.body)
		}
		if d, err := st.Doc(context.Background(), names.KindLists, names.ListReadings); err != nil || d.Version != 1 {
			t.Fatalf("stored list: %+v %v", d, err)
		}
		r = do(t, "GET", ts.URL+"/api/names/pinyin?name="+url.QueryEscape("丹河东路"), "")
		if res := decode[names.Result](t, r); res.Pinyin != "Dange Donglu" {
			t.Errorf("after the edit: %s", r.body)
		}

		// A county screening finds the sample's seven duplicate 专名 (each record of a pair flagged) and 象山国际风情街.
		r = do(t, "POST", ts.URL+"/api/screenings", `{"division":"330225"}`, "Content-Type", J, "Authorization", editor)
		rep := decode[names.Report](t, r)
		if r.status != 201 || rep.Screening.Names != 427+49 { // the two new places are drafts, not yet standard names
			t.Fatalf("screening: %d %.500s", r.status, r.body)
		}
		counts := map[string]int{}
		var da *names.TrackedFinding
		for i, f := range rep.Findings {
			counts[f.Rule]++
			if f.Rule == "da.word" {
				da = &rep.Findings[i]
			}
		}
		if counts["zhong.duplicate"] != 14 || counts["zhong.homophone"] != 11 || da == nil || da.Evidence.Word != "国际" ||
			da.Record.Name != "象山国际风情街" {
			t.Errorf("rules %v, 大 %+v", counts, da)
		}
		r = do(t, "POST", ts.URL+"/api/name-findings/"+da.ID+"/state", `{"state":"exempt","reason":"商业街区，已备案"}`,
			"Content-Type", J, "Authorization", reviewer)
		if f := decode[names.TrackedFinding](t, r); r.status != 200 || f.State != names.StateExempt || f.Version != 2 {
			t.Fatalf("exempt: %d %s", r.status, r.body)
		}
		// The findings layer: GeoJSON points at the record (the bound centre of 象山国际风情街's polygon).
		r = do(t, "GET", ts.URL+"/api/name-findings?format=geojson&kind="+url.QueryEscape("大"), "")
		fc := decode[featureCollection](t, r)
		var pt [2]float64
		if len(fc.Features) == 1 {
			_ = json.Unmarshal(fc.Features[0].Geometry.Coordinates, &pt)
		}
		if r.status != 200 || len(fc.Features) != 1 || fc.Features[0].ID != da.ID ||
			math.Abs(pt[0]-121.89311005) > 1e-9 || math.Abs(pt[1]-29.4638439) > 1e-9 {
			t.Errorf("geojson: %d %s", r.status, r.body)
		}
		r = do(t, "GET", ts.URL+"/api/screenings/"+rep.Screening.ID, "")
		rep2 := decode[names.Report](t, r)
		for _, tw := range rep2.Townships {
			if tw.Code == da.Township && tw.States[names.StateExempt] != 1 {
				t.Errorf("progress of %s: %+v", tw.Name, tw)
			}
		}
	})
}

// TestCheckNamesCLI screens the sample from the command line on both stores, as CSV and as JSON.
func TestCheckNamesCLI(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		st, err := openAndLoad(context.Background(), sf, false, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		flags := []string{"--data-dir", sf.dataDir}
		if sf.databaseURL != "" {
			flags = []string{"--database-url", sf.databaseURL}
		}
		var out, errb bytes.Buffer
		if code := run(append([]string{"check-names", "--division", "330225106", "--format", "csv"}, flags...), &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		cr := csv.NewReader(&out)
		cr.FieldsPerRecord = -1
		rows, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		// 泗洲头镇: 泗洲头居委会/泗洲头村委会 duplicate each other; 张岙村委会 is a homophone of 樟岙村委会 (东陈乡).
		if len(rows) != 1+3+1+1 || rows[1][1] != "泗洲头镇" || !strings.Contains(errb.String(), "3 findings") {
			t.Fatalf("%q\n%s", rows, errb.String())
		}
		out.Reset()
		if code := run(append([]string{"check-names"}, flags...), &out, &errb); code != 0 {
			t.Fatalf("json: exit %d", code)
		}
		var rep names.Report
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Screening.Division != "330225" || len(rep.Townships) == 0 {
			t.Fatalf("json report: %v %+v", err, rep.Screening)
		}
		if code := run(append([]string{"check-names", "--format", "pdf"}, flags...), &out, &errb); code == 0 {
			t.Error("--format pdf accepted")
		}
		out.Reset()
		if code := run([]string{"pinyin", "长街镇", "六安"}, &out, &errb); code != 0 ||
			!strings.Contains(out.String(), `"pinyin":"Changjie Zhen"`) || !strings.Contains(out.String(), `"pinyin":"Lu'an"`) {
			t.Fatalf("pinyin: %s", out.String())
		}
	})
}
