package names

import (
	"bytes"
	"civmap/internal/edit/edittest"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"civmap/internal/edit"
)

// testServer serves the names API over the sample's divisions and in-memory documents; a request's X-Role header
// signs it in with that role.
func testServer(t *testing.T) (*httptest.Server, *edittest.Docs) {
	t.Helper()
	docs := edittest.NewDocs()
	h := NewHandler(NewService(docs, &fakeRecords{divs: sampleDivisions(t)}))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if role := r.Header.Get("X-Role"); role != "" {
			r = r.WithContext(edit.WithPrincipal(r.Context(), edit.Principal{Name: "t-" + role, Role: edit.Role(role)}))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, docs
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, u, body string, hdr ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func jsonOf[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	return v
}

type problemBody struct {
	Status int `json:"status"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func TestPinyinHTTP(t *testing.T) {
	ts, _ := testServer(t)
	r := call(t, "GET", ts.URL+"/api/names/pinyin?name="+url.QueryEscape("丹河东路"), "")
	res := jsonOf[Result](t, r)
	if r.status != 200 || res.Pinyin != "Danhe Donglu" || res.Specific != "丹河东" || res.Generic != "路" || len(res.Steps) < 3 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, q := range []string{"", "name=", "name=" + strings.Repeat("村", MaxNameInput+1)} {
		if r := call(t, "GET", ts.URL+"/api/names/pinyin?"+q, ""); r.status != 400 ||
			jsonOf[problemBody](t, r).Errors[0].Field != "name" {
			t.Errorf("%.20q: %d %s", q, r.status, r.body)
		}
	}
	// Latin and mixed input is spelled, not refused.
	if r := call(t, "GET", ts.URL+"/api/names/pinyin?name="+url.QueryEscape("A区花园"), ""); r.status != 200 ||
		jsonOf[Result](t, r).Pinyin != "A Qu Huayuan" {
		t.Errorf("mixed: %d %s", r.status, r.body)
	}
}

func TestCheckAndSignHTTP(t *testing.T) {
	ts, _ := testServer(t)
	r := call(t, "POST", ts.URL+"/api/names/check", `{"name":"维多利亚花园","category":"小区","division_code":"330225001"}`)
	var got struct {
		Findings []Finding `json:"findings"`
	}
	got = jsonOf[struct {
		Findings []Finding `json:"findings"`
	}](t, r)
	if r.status != 200 || len(got.Findings) != 1 || got.Findings[0].Kind != KindYang || got.Findings[0].Evidence.Word != "维多利亚" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = call(t, "POST", ts.URL+"/api/names/check", `{"name":"新桥镇卫生院","category":"医院","division_code":"330225110"}`)
	if r.status != 200 || string(r.body) != `{"findings":[]}`+"\n" {
		t.Fatalf("clean name: %d %s", r.status, r.body)
	}
	for body, field := range map[string]string{`{"name":""}`: "name", `{"name":"x","division_code":"33"}`: "division_code",
		`{"name":1}`: "name", `[]`: "body"} {
		if r := call(t, "POST", ts.URL+"/api/names/check", body); r.status != 400 ||
			jsonOf[problemBody](t, r).Errors[0].Field != field {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	r = call(t, "POST", ts.URL+"/api/names/sign-check", `{"name":"中山路","sign":"Zhongshan Rd"}`)
	sr := jsonOf[SignResult](t, r)
	if r.status != 200 || sr.OK || sr.Correct != "Zhongshan Lu" || len(sr.Errors) != 1 || sr.Errors[0].Code != SignEnglish {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = call(t, "POST", ts.URL+"/api/names/sign-check", `{"name":"中山路","sign":"ZHONGSHAN LU"}`)
	if sr := jsonOf[SignResult](t, r); !sr.OK || len(sr.Errors) != 0 || !strings.Contains(string(r.body), `"errors":[]`) {
		t.Fatalf("%s", r.body)
	}
	// Batch: CSV in, CSV out, one row per sign.
	r = call(t, "POST", ts.URL+"/api/names/sign-check", "name,sign\n中山路,Zhongshan Rd\n西安路,Xi'an Lu\n绿村,Lvcun\n",
		"Content-Type", "text/csv")
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if r.status != 200 || err != nil || len(rows) != 4 || rows[1][2] != "否" || rows[2][2] != "是" || rows[3][3] != "Lücun" ||
		!strings.HasPrefix(rows[3][4], SignV) {
		t.Fatalf("batch: %d %q %v", r.status, rows, err)
	}
	// XLSX in, XLSX out.
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"名称", "路名牌"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"丹河东路", "Danhe Dong Lu"})
	var buf bytes.Buffer
	_, _ = f.WriteTo(&buf)
	r = call(t, "POST", ts.URL+"/api/names/sign-check", buf.String(), "Content-Type", xlsxType)
	out, err := excelize.OpenReader(bytes.NewReader(r.body))
	if r.status != 200 || err != nil {
		t.Fatalf("xlsx batch: %d %v %s", r.status, err, r.body)
	}
	if v, _ := out.GetCellValue("路名牌检查", "D2"); v != "Danhe Donglu" {
		t.Errorf("xlsx D2 = %q", v)
	}
	if r := call(t, "POST", ts.URL+"/api/names/sign-check", "中山路\n", "Content-Type", "text/csv"); r.status != 400 {
		t.Errorf("one-column CSV: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", ts.URL+"/api/names/sign-check", "not a workbook", "Content-Type", xlsxType); r.status != 400 {
		t.Errorf("bad XLSX: %d %s", r.status, r.body)
	}
}

func TestListsHTTP(t *testing.T) {
	ts, docs := testServer(t)
	r := call(t, "GET", ts.URL+"/api/names/lists/readings", "")
	li := jsonOf[struct {
		Version int64     `json:"version"`
		Entries []Reading `json:"entries"`
	}](t, r)
	if r.status != 200 || li.Version != 0 || len(li.Entries) < 10 || r.header.Get("ETag") != `"0"` {
		t.Fatalf("%d %s", r.status, r.body)
	}
	body := `{"entries":[{"word":"茅洋","pinyin":"mao xiang","note":"test"},{"word":"石浦","pinyin":"shi"}]}`
	if r := call(t, "PUT", ts.URL+"/api/names/lists/readings", body, "X-Role", "reviewer", "If-Match", `"0"`); r.status != 400 ||
		jsonOf[problemBody](t, r).Errors[0].Field != "entries[1].pinyin" {
		t.Fatalf("wrong syllable count: %d %s", r.status, r.body)
	}
	body = `{"entries":[{"word":"茅洋","pinyin":"mao xiang","note":"test"}]}`
	if r := call(t, "PUT", ts.URL+"/api/names/lists/readings", body, "X-Role", "editor", "If-Match", `"0"`); r.status != 403 {
		t.Fatalf("editor: %d %s", r.status, r.body)
	}
	if r := call(t, "PUT", ts.URL+"/api/names/lists/readings", body, "X-Role", "reviewer"); r.status != 428 {
		t.Fatalf("no If-Match: %d %s", r.status, r.body)
	}
	if r := call(t, "PUT", ts.URL+"/api/names/lists/readings", body, "X-Role", "reviewer", "If-Match", `"0"`); r.status != 200 ||
		r.header.Get("ETag") != `"1"` {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	if log := docs.Batches(); len(log) != 1 || log[0].Actor != "t-reviewer" {
		t.Errorf("audit meta %+v", log)
	}
	// The edited dictionary takes effect at once: 茅洋 read mao xiang; 石浦 no longer listed (go-pinyin's shi pu).
	if res := jsonOf[Result](t, call(t, "GET", ts.URL+"/api/names/pinyin?name="+url.QueryEscape("茅洋乡"), "")); res.Pinyin != "Maoxiang Xiang" {
		t.Errorf("edited reading: %q", res.Pinyin)
	}
	if r := call(t, "PUT", ts.URL+"/api/names/lists/readings", body, "X-Role", "reviewer", "If-Match", `"0"`); r.status != 409 {
		t.Errorf("stale create: %d %s", r.status, r.body)
	}
	if r := call(t, "PUT", ts.URL+"/api/names/lists/nope", body, "X-Role", "reviewer", "If-Match", "*"); r.status != 404 {
		t.Errorf("unknown list: %d %s", r.status, r.body)
	}
	if r := call(t, "PUT", ts.URL+"/api/names/lists/generics", `{"entries":[{"term":"路","pinyin":"lu","class":"road"}]}`,
		"X-Role", "reviewer", "If-Match", "*"); r.status != 400 || jsonOf[problemBody](t, r).Errors[0].Field != "entries[0].class" {
		t.Errorf("bad class: %d %s", r.status, r.body)
	}
}

func TestScreeningHTTP(t *testing.T) {
	ts, _ := testServer(t)
	if r := call(t, "POST", ts.URL+"/api/screenings", `{"division":"330225"}`); r.status != 401 {
		t.Fatalf("anonymous: %d %s", r.status, r.body)
	}
	r := call(t, "POST", ts.URL+"/api/screenings", `{"division":"330225105"}`, "X-Role", "editor")
	rep := jsonOf[Report](t, r)
	// 墙头镇: 墙头居委会 and 墙头村委会 duplicate each other (two findings), 舫前村委会 is a homophone of 方前村委会 (定塘).
	if r.status != 201 || len(rep.Findings) != 3 || len(rep.Townships) != 1 || rep.Townships[0].Total != 3 ||
		rep.Townships[0].Kinds[KindZhong] != 3 || rep.Townships[0].Name != "墙头镇" || rep.Screening.Names != 18 { // the township and its 17 village-level units
		t.Fatalf("%d %s", r.status, r.body)
	}
	id := rep.Findings[0].ID
	move := func(state, reason, role string) resp {
		return call(t, "POST", ts.URL+"/api/name-findings/"+id+"/state",
			`{"state":"`+state+`","reason":"`+reason+`"}`, "X-Role", role)
	}
	if r := move("confirmed", "", "editor"); r.status != 403 {
		t.Errorf("editor move: %d", r.status)
	}
	if r := move("done", "", "reviewer"); r.status != 409 || jsonOf[problemBody](t, r).Errors[0].Field != "state" {
		t.Errorf("found → done: %d %s", r.status, r.body)
	}
	if r := move("exempt", "", "reviewer"); r.status != 400 || jsonOf[problemBody](t, r).Errors[0].Field != "reason" {
		t.Errorf("exempt without reason: %d %s", r.status, r.body)
	}
	if r := move("nope", "", "reviewer"); r.status != 400 {
		t.Errorf("unknown state: %d %s", r.status, r.body)
	}
	for i, st := range []string{StateConfirmed, StateRectifying, StateDone} {
		r := move(st, "", "reviewer")
		if f := jsonOf[TrackedFinding](t, r); r.status != 200 || f.State != st || f.Version != int64(i+2) {
			t.Fatalf("→ %s: %d %s", st, r.status, r.body)
		}
	}
	// A second screening keeps the tracked state; the report shows the progress (1 of 3 done).
	r = call(t, "POST", ts.URL+"/api/screenings", `{"division":"330225105"}`, "X-Role", "editor")
	rep = jsonOf[Report](t, r)
	if r.status != 201 || rep.Townships[0].States[StateDone] != 1 || rep.Townships[0].Progress != 33.3 {
		t.Fatalf("re-screen: %d %+v", r.status, rep.Townships)
	}
	ss := jsonOf[struct {
		Screenings []Screening `json:"screenings"`
	}](t, call(t, "GET", ts.URL+"/api/screenings", ""))
	if len(ss.Screenings) != 2 || ss.Screenings[0].ID != rep.Screening.ID {
		t.Fatalf("screenings %+v", ss)
	}
	base := ts.URL + "/api/screenings/" + rep.Screening.ID
	r = call(t, "GET", base+"?format=csv", "")
	cr := csv.NewReader(bytes.NewReader(r.body))
	cr.FieldsPerRecord = -1 // findings, then the progress table
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if r.status != 200 || len(rows) != 1+3+1+1 || rows[1][1] != "墙头镇" || rows[5][len(rows[5])-1] != "33.3" {
		t.Fatalf("csv %q", rows)
	}
	r = call(t, "GET", base+"?format=xlsx", "")
	x, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := x.GetCellValue("进度", "B2"); v != "墙头镇" {
		t.Errorf("xlsx 进度!B2 = %q", v)
	}
	r = call(t, "GET", base+"?format=html", "")
	if h := string(r.body); r.status != 200 || !strings.Contains(h, "<h2>墙头镇（330225105）：3 条，进度 33.3%</h2>") ||
		!strings.Contains(h, "墙头居委会") {
		t.Errorf("html %d %s", r.status, h)
	}
	if r := call(t, "GET", base+"?format=pdf", ""); r.status != 400 {
		t.Errorf("pdf: %d", r.status)
	}
	if r := call(t, "GET", ts.URL+"/api/name-findings?state=done", ""); len(jsonOf[struct {
		Findings []TrackedFinding `json:"findings"`
	}](t, r).Findings) != 1 {
		t.Errorf("done findings: %s", r.body)
	}
	for body, want := range map[string]int{`{"division":""}`: 400, `{"division":"330225999"}`: 404, `{}`: 400} {
		if r := call(t, "POST", ts.URL+"/api/screenings", body, "X-Role", "editor"); r.status != want {
			t.Errorf("%s: %d, want %d (%s)", body, r.status, want, r.body)
		}
	}
}
