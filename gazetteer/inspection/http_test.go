package inspection

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"civmap/internal/edit"
	"civmap/internal/httpx"
)

func testServer(t *testing.T, role edit.Role) (*httptest.Server, *fakeStore) {
	st := newFakeStore(t)
	r := httpx.NewRouter()
	Routes(r, st)
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if role != "" {
			req = req.WithContext(edit.WithPrincipal(req.Context(), edit.Principal{Name: "联检员", Role: role}))
		}
		r.ServeHTTP(w, req)
	})
	ts := httptest.NewServer(httpx.Recover(h))
	t.Cleanup(ts.Close)
	return ts, st
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, u, ct string, body []byte, hdr ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
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
	return answer{res.StatusCode, res.Header, b}
}

func fieldsOf(b []byte) string {
	var p struct {
		Errors []struct{ Field, Reason string } `json:"errors"`
	}
	_ = json.Unmarshal(b, &p)
	var s []string
	for _, e := range p.Errors {
		s = append(s, e.Field)
	}
	return strings.Join(s, ",")
}

func TestHTTP(t *testing.T) {
	ts, _ := testServer(t, edit.RoleInspector)
	line := ts.URL + "/api/boundary-lines/" + url.PathEscape("象宁线")
	for _, c := range []struct{ body, field string }{
		{`{"year":2023}`, "started_on,ended_on"},
		{`{"year":2023,"started_on":"2023-04-10","ended_on":"2023-04-01"}`, "ended_on"},
		{`{"year":2023,"started_on":"2023-04-10","ended_on":"2023-04-11","tolerance_m":0}`, "tolerance_m"},
		{`{"year":2023,"started_on":"2023-04-10","ended_on":"2023-04-11","tolerance_m":-1}`, "tolerance_m"},
	} {
		a := call(t, "POST", line+"/inspections", "application/json", []byte(c.body))
		if a.status != 422 || fieldsOf(a.body) != c.field {
			t.Errorf("%s: %d %s; want 422 naming %s", c.body, a.status, a.body, c.field)
		}
	}
	a := call(t, "POST", line+"/inspections", "application/json", []byte(`{"year":2023,"teams":[{"side":"330225","name":"象山县联检组"},{"side":"330226","name":"宁海县联检组"}],"started_on":"2023-04-10","ended_on":"2023-04-20"}`))
	if a.status != 201 || a.header.Get("Location") != "/api/inspections/"+url.PathEscape("象宁线-2023") {
		t.Fatalf("create: %d %s %v", a.status, a.body, a.header)
	}
	var rd Round
	_ = json.Unmarshal(a.body, &rd)
	if rd.ID != "象宁线-2023" || rd.ToleranceM != 1.0 {
		t.Errorf("round %+v", rd)
	}
	insp := ts.URL + "/api/inspections/" + url.PathEscape(rd.ID)
	if a := call(t, "GET", insp, "", nil); a.status != 200 || a.header.Get("ETag") != `"1"` {
		t.Errorf("get: %d %s", a.status, a.body)
	}
	if a := call(t, "GET", ts.URL+"/api/inspections/nope", "", nil); a.status != 404 {
		t.Errorf("unknown round: %d", a.status)
	}
	// The sheet: missing column 400 naming it; then the planted sheet.
	if a := call(t, "POST", insp+"/findings", "text/csv", []byte("marker_no,inspected_on,condition,x_north_m,y_east_m,crs,team\n")); a.status != 400 || fieldsOf(a.body) != "note" {
		t.Errorf("missing column: %d %s", a.status, a.body)
	}
	a = call(t, "POST", insp+"/findings", "text/csv", []byte(planted(t)))
	var res ImportResult
	if err := json.Unmarshal(a.body, &res); err != nil || a.status != 200 || res.Imported != 9 || len(res.Rejected) != 9 ||
		res.Rejected[0].Line != 9 || res.Rejected[0].Reason != "axes_swapped" {
		t.Fatalf("import: %d %s", a.status, a.body)
	}
	if !strings.Contains(string(a.body), `"line":9,"marker_no":"象宁007","reason":"axes_swapped","message":`) {
		t.Errorf("rejected row keys: %s", a.body)
	}
	// One field finding: 009 observed 0.6 m north → displacement 0.600, intact.
	a = call(t, "POST", insp+"/marker-findings", "application/json", []byte(`{"marker_no":"象宁009","inspected_on":"2023-04-18","condition":"完好","observed":{"crs":"EPSG:4550","x_north":3246805.965,"y_east":377980.247}}`))
	var fa FindingAnswer
	if err := json.Unmarshal(a.body, &fa); err != nil || a.status != 201 || *fa.Row.DisplacementM != 0.6 || fa.Row.Verdict != "intact" {
		t.Errorf("field finding: %d %s", a.status, a.body)
	}
	a = call(t, "POST", insp+"/marker-findings", "application/json", []byte(`{"marker_no":"象宁009","inspected_on":"2023-04-18","condition":"完好","observed":{"crs":"EPSG:4550","x_north":377980.247,"y_east":3246805.965}}`))
	if a.status != 422 || fieldsOf(a.body) != "observed" || !strings.Contains(string(a.body), "axes_swapped") {
		t.Errorf("swapped field finding: %d %s", a.status, a.body)
	}
	// Report formats.
	for _, c := range []struct{ q, accept, ct string }{
		{"", "", "application/json"}, {"?f=html", "", "text/html; charset=utf-8"}, {"", "text/html", "text/html; charset=utf-8"},
		{"?f=xlsx", "", XLSXContentType},
	} {
		a := call(t, "GET", insp+"/report"+c.q, "", nil, "Accept", c.accept)
		if a.status != 200 || a.header.Get("Content-Type") != c.ct {
			t.Errorf("report %s %s: %d %s", c.q, c.accept, a.status, a.header.Get("Content-Type"))
		}
	}
	// Without Chromium the PDF is a 503 saying what to install, not a 500.
	t.Setenv("CIVMAP_CHROMIUM", "")
	t.Setenv("PATH", t.TempDir())
	if a := call(t, "GET", insp+"/report?f=pdf", "", nil); a.status != 503 || !strings.Contains(string(a.body), "needs Chromium") {
		t.Errorf("pdf without chromium: %d %s", a.status, a.body)
	}
	if a := call(t, "GET", insp+"/report?f=doc", "", nil); a.status != 400 || fieldsOf(a.body) != "f" {
		t.Errorf("f=doc: %d %s", a.status, a.body)
	}
	a = call(t, "GET", insp+"/report", "", nil)
	var rep map[string]json.RawMessage
	_ = json.Unmarshal(a.body, &rep)
	for _, k := range []string{"summary", "markers", "rejected", "line_findings"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	if !strings.Contains(string(rep["summary"]), `"markers_checked":10,"intact":5,"damaged":1,"missing":1,"moved":2,"inscription_unclear":1,"repaired":1,"rejected_rows":9,"line_length_m":`) {
		t.Errorf("summary %s", rep["summary"])
	}
	// Photos: a PNG is kept; text is 415, over 1 MiB is 413.
	var png1 bytes.Buffer
	_ = png.Encode(&png1, image.NewRGBA(image.Rect(0, 0, 4, 3)))
	a = call(t, "POST", insp+"/photos", "image/png", png1.Bytes())
	if a.status != 201 {
		t.Fatalf("photo: %d %s", a.status, a.body)
	}
	if g := call(t, "GET", ts.URL+a.header.Get("Location"), "", nil); g.status != 200 || !bytes.Equal(g.body, png1.Bytes()) || g.header.Get("Content-Type") != "image/png" {
		t.Errorf("photo back: %d %s", g.status, g.header)
	}
	// A finding takes this round's photos only: another round's (here a second round of 2023) is refused by name.
	var ph struct{ ID string }
	_ = json.Unmarshal(a.body, &ph)
	if a := call(t, "POST", line+"/inspections", "application/json", []byte(`{"year":2023,"started_on":"2023-09-01","ended_on":"2023-09-02"}`)); a.status != 201 {
		t.Fatalf("second round: %d %s", a.status, a.body)
	}
	insp2 := ts.URL + "/api/inspections/" + url.PathEscape("象宁线-2023-2")
	finding := func(photo string) []byte {
		return []byte(`{"marker_no":"象宁009","inspected_on":"2023-09-01","condition":"完好","observed":{"crs":"EPSG:4550","x_north":3246805.365,"y_east":377980.247},"photos":["` + photo + `"]}`)
	}
	if a := call(t, "POST", insp2+"/marker-findings", "application/json", finding(ph.ID)); a.status != 422 || fieldsOf(a.body) != "photos[0]" {
		t.Errorf("another round's photo: %d %s", a.status, a.body)
	}
	if a := call(t, "POST", insp+"/marker-findings", "application/json", bytes.ReplaceAll(finding(ph.ID), []byte("09-01"), []byte("04-19"))); a.status != 201 {
		t.Errorf("this round's photo: %d %s", a.status, a.body)
	}
	if a := call(t, "POST", insp+"/photos", "image/jpeg", []byte("not a photo at all")); a.status != 415 || fieldsOf(a.body) != "body" {
		t.Errorf("text photo: %d %s", a.status, a.body)
	}
	if a := call(t, "POST", insp+"/photos", "image/jpeg", append([]byte("\xff\xd8\xff"), make([]byte, MaxPhotoBytes)...)); a.status != 413 || !strings.Contains(string(a.body), "1 MiB") {
		t.Errorf("big photo: %d %s", a.status, a.body)
	}
	// Register data and the agreement.
	if a := call(t, "PUT", ts.URL+"/api/markers/"+url.PathEscape("象宁002")+"/register", "application/json",
		[]byte(`{"faces":4,"references":[{"name":"","bearing_deg":360,"distance_m":0}]}`)); a.status != 422 ||
		fieldsOf(a.body) != "faces,references[0].name,references[0].bearing_deg,references[0].distance_m" {
		t.Errorf("bad register: %d %s", a.status, a.body)
	}
	if a := call(t, "PUT", ts.URL+"/api/markers/"+url.PathEscape("象宁002")+"/register", "application/json",
		[]byte(`{"faces":2,"references":[{"name":"电杆","bearing_deg":45.5,"distance_m":12.3}]}`)); a.status != 200 || a.header.Get("ETag") != `"1"` {
		t.Errorf("register: %d %s", a.status, a.body)
	}
	// Replacing register data follows the edit rule: 428 without If-Match, 412 on a stale ETag, 200 with the current.
	reg := ts.URL + "/api/markers/" + url.PathEscape("象宁002") + "/register"
	body := []byte(`{"faces":2,"references":[{"name":"电杆","bearing_deg":45.5,"distance_m":12.4}]}`)
	if a := call(t, "PUT", reg, "application/json", body); a.status != 428 || fieldsOf(a.body) != "If-Match" {
		t.Errorf("replace without If-Match: %d %s", a.status, a.body)
	}
	if a := call(t, "PUT", reg, "application/json", body, "If-Match", `"7"`); a.status != 412 {
		t.Errorf("replace with a stale ETag: %d %s", a.status, a.body)
	}
	if a := call(t, "PUT", ts.URL+"/api/markers/"+url.PathEscape("象宁003")+"/register", "application/json", body, "If-Match", `"1"`); a.status != 412 {
		t.Errorf("If-Match on a register not yet made: %d %s", a.status, a.body)
	}
	if a := call(t, "PUT", reg, "application/json", body, "If-Match", `"1"`); a.status != 200 || a.header.Get("ETag") != `"2"` {
		t.Errorf("replace with the current ETag: %d %s", a.status, a.body)
	}
	if a := call(t, "GET", reg, "", nil); a.status != 200 || !strings.Contains(string(a.body), `"distance_m":12.4`) {
		t.Errorf("register back: %d %s", a.status, a.body)
	}
	if a := call(t, "PUT", line+"/agreement", "application/json", []byte(`{"document":"象山县与宁海县行政区域界线协议书","signed_on":"2003-06-30","description":"界线自三交点起向南……","registered_length_m":70000}`)); a.status != 200 {
		t.Errorf("agreement: %d %s", a.status, a.body)
	}
	a = call(t, "GET", insp+"/report", "", nil)
	if !strings.Contains(string(a.body), `"registered_length_m":70000`) || !strings.Contains(string(a.body), `"length_delta_m":2.75`) {
		t.Errorf("registered length from the agreement: %s", a.body[:400])
	}
	if a := call(t, "GET", insp+"/features", "", nil); a.status != 200 || !strings.Contains(string(a.body), `"verdict":"moved"`) {
		t.Errorf("features: %d", a.status)
	}
}

func TestHTTPRoles(t *testing.T) {
	for _, c := range []struct {
		role   edit.Role
		status int
	}{{"", 401}, {edit.RoleEditor, 403}, {edit.RoleAdmin, 201}} {
		ts, _ := testServer(t, c.role)
		a := call(t, "POST", ts.URL+"/api/boundary-lines/"+url.PathEscape("象宁线")+"/inspections", "application/json",
			[]byte(`{"year":2023,"started_on":"2023-04-10","ended_on":"2023-04-20"}`))
		if a.status != c.status {
			t.Errorf("role %q: %d, want %d", c.role, a.status, c.status)
		}
	}
}
