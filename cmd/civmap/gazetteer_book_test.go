package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"civmap/gazetteer/names"
)

type bookJSON struct {
	Title     string `json:"title"`
	Townships []struct {
		Code       string `json:"code"`
		Name       string `json:"name"`
		SeatSource string `json:"seat_source"`
		Categories []struct {
			Name    string `json:"name"`
			Entries []struct {
				Name, Pinyin, Category, Township, Village, Direction, Location string
				DistanceM                                                      *float64 `json:"distance_m"`
			} `json:"entries"`
		} `json:"categories"`
	} `json:"townships"`
	Index []struct{ Pinyin, Name string } `json:"index"`
}

// The sample's 旦门卫生院 (OSM point 121.910971, 29.3504685) lies in 东陈乡, whose recorded seat is (121.896057,
// 29.374995): 1,447.9 m east and 2,718.6 m south of it (97,085.1 and 110,842.0 m per degree at 29.375°), 3,080.2 m at
// azimuth 152.0° (东南, 112.5°–157.5°); its nearest village-level unit is 红岩村委会 (about 650 m).
const danmenSentence = "位于东陈乡，邻近红岩村委会，在东陈乡驻地东南约3.1千米。"

func TestGazetteerBook(t *testing.T) {
	var jsons [][]byte
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		r := do(t, "GET", ts.URL+"/api/gazetteer?f=json", "")
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("json: %d %s", r.status, r.body)
		}
		b := decode[bookJSON](t, r)
		if b.Title != "《象山县地名志》（草稿）" || len(b.Townships) != 18 {
			t.Fatalf("title %q, %d townships", b.Title, len(b.Townships))
		}
		found := false
		for _, tw := range b.Townships {
			if tw.SeatSource != "seat" {
				t.Errorf("%s: seat source %q (every sample township records its seat)", tw.Name, tw.SeatSource)
			}
			for _, c := range tw.Categories {
				for _, e := range c.Entries {
					if e.Name == "红岩村委会" && (e.Pinyin != "Hongyan Cunweihui" || c.Name != "村级区划") {
						t.Errorf("红岩村委会: %+v in %s", e, c.Name)
					}
					if e.Name != "旦门卫生院" {
						continue
					}
					found = true
					if tw.Code != "330225200" || e.Township != "东陈乡" || e.Village != "红岩村委会" || e.Direction != "东南" ||
						e.DistanceM == nil || math.Abs(*e.DistanceM-3080.2) > 0.5 || e.Location != danmenSentence ||
						e.Category != "hospital" || e.Pinyin != danmenPinyin(t) {
						t.Errorf("旦门卫生院 in %s: %+v, %v m", tw.Name, e, *e.DistanceM)
					}
				}
			}
		}
		if !found {
			t.Error("旦门卫生院 is not in the book")
		}
		// Stable across stores apart from the generation time.
		var raw map[string]any
		_ = json.Unmarshal(r.body, &raw)
		delete(raw, "generated")
		norm, _ := json.Marshal(raw)
		jsons = append(jsons, norm)

		r = do(t, "GET", ts.URL+"/api/gazetteer?division=330225200", "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(r.body), "<dd>"+danmenSentence+"</dd>") || strings.Contains(string(r.body), "丹东街道</a>") {
			t.Errorf("html for 东陈乡: %d %.300s", r.status, r.body)
		}
		r = do(t, "GET", ts.URL+"/api/gazetteer?f=docx&division=330225200", "")
		if r.status != 200 || r.header.Get("Content-Disposition") != `attachment; filename="gazetteer.docx"` {
			t.Fatalf("docx: %d %s", r.status, r.body)
		}
		if doc := docxText(t, r.body); !strings.Contains(doc, "位置："+danmenSentence) {
			t.Errorf("docx lacks the entry's location: %.500s", doc)
		}
		for q, field := range map[string]string{"f=xls": "f", "division=330225999": "division", "villages=maybe": "villages"} {
			r := do(t, "GET", ts.URL+"/api/gazetteer?"+q, "")
			if p := decode[problem](t, r); r.status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != field {
				t.Errorf("%s: %d %s, want a 400 naming %s", q, r.status, r.body, field)
			}
		}
		if sf.databaseURL != "" {
			return // the PDF is the HTML printed: once is enough
		}
		// The PDF, printed by Chromium, read back with pdftotext (poppler-utils; make test installs both).
		r = do(t, "GET", ts.URL+"/api/gazetteer?f=pdf&division=330225200", "")
		if r.status != 200 || !bytes.HasPrefix(r.body, []byte("%PDF-")) {
			t.Fatalf("pdf: %d %.300s", r.status, r.body)
		}
		text := pdfText(t, r.body)
		for _, want := range []string{"旦门卫生院", danmenPinyin(t), danmenSentence, "拼音索引"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF's text lacks %s:\n%.2000s", want, text)
			}
		}
	})
	if len(jsons) == 2 && !bytes.Equal(jsons[0], jsons[1]) {
		t.Error("the stores give different books")
	}
}

// TestExportGazetteerCLI: `civmap export gazetteer` writes the book from a store (read-only) on both stores.
func TestExportGazetteerCLI(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		st, err := openAndLoad(context.Background(), sf, false, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		storeArgs := []string{"--data-dir", sf.dataDir}
		if sf.databaseURL != "" {
			storeArgs = []string{"--database-url", sf.databaseURL}
		}
		out := filepath.Join(t.TempDir(), "book.docx")
		var stdout, stderr bytes.Buffer
		args := append([]string{"export", "gazetteer", "--format", "docx", "-o", out, "--division", "330225200"}, storeArgs...)
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		bs, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if doc := docxText(t, bs); !strings.Contains(doc, "位置："+danmenSentence) {
			t.Errorf("docx lacks the entry: %.300s", doc)
		}
		if !strings.Contains(stderr.String(), "wrote "+out+": 1 townships") {
			t.Errorf("stderr: %s", stderr.String())
		}
		stdout.Reset()
		if code := run(append([]string{"export", "gazetteer", "--division", "330225200"}, storeArgs...), &stdout, &stderr); code != 0 ||
			!strings.Contains(stdout.String(), "<dd>"+danmenSentence+"</dd>") {
			t.Errorf("html to stdout: exit %d: %.300s", code, stdout.String())
		}
		if code := run([]string{"export", "gazetteer", "--format", "xls"}, &stdout, &stderr); code != 2 {
			t.Errorf("--format xls: exit %d", code)
		}
		if code := run([]string{"export", "maps"}, &stdout, &stderr); code != 2 {
			t.Errorf("export maps: exit %d", code)
		}
	})
}

// danmenPinyin is the Romanizer's spelling of 旦门卫生院 (the record has none of its own): its generic-term list decides
// whether 卫生院 is written apart (Danmenweishengyuan while it is not listed).
func danmenPinyin(t *testing.T) string {
	rom, err := names.Default()
	if err != nil {
		t.Fatal(err)
	}
	return rom.Romanize("旦门卫生院").Pinyin
}

func docxText(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			bs, _ := io.ReadAll(rc)
			return string(bs)
		}
	}
	t.Fatal("no word/document.xml")
	return ""
}

// pdfText is the PDF's text by pdftotext, with white space removed (lines break anywhere in Chinese text).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext (poppler-utils) is missing: make test installs it (scripts/ensure-chromium.sh)")
	}
	f := filepath.Join(t.TempDir(), "book.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}
