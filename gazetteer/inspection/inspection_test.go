package inspection

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// register holds the 象宁线 register (EPSG:4550, northing, easting) as the sample CSV gives it.
var register = map[string][2]float64{
	"象宁001": {3267275.078, 364815.454}, "象宁002": {3265312.875, 366316.956}, "象宁003": {3263519.644, 361576.831},
	"象宁004": {3259825.682, 363595.248}, "象宁005": {3258971.953, 367836.103}, "象宁006A": {3255116.520, 370755.362},
	"象宁006B": {3255116.520, 370779.362}, "象宁007": {3255112.222, 374812.358}, "象宁008": {3251094.640, 375692.144},
	"象宁009": {3246805.365, 377980.247}, "象宁010A": {3241707.106, 378205.063}, "象宁010B": {3241707.106, 378229.063},
	"象宁011": {3240668.723, 381795.788}, "象宁012": {3238362.232, 384369.290}, "象宁013": {3234093.089, 381381.978},
	"象宁014": {3228678.388, 379741.034},
}

// at returns the register position of no plus (dn, de) metres, as the sheet writes it (northing, easting, 3 decimals).
func at(no string, dn, de float64) string {
	r := register[no]
	return fmt.Sprintf("%.3f,%.3f", r[0]+dn, r[1]+de)
}

// planted is the team sheet of TestImportPlanted: header line 1, then one row per line. Expected per marker (planted
// offsets in EPSG:4550 metres, displacement √(dn²+de²)):
//
//	001 三立 intact, given in EPSG:4549 (zone 40) at its register position → 0.000, intact
//	002 intact, +1.200 N −0.500 E → √1.69 = 1.300 > 1.0 → moved
//	003 damaged, +0.300 −0.400 → 0.500 → damaged, repaired (描红)
//	004 丢失, no position → missing (a finding, not an error)
//	005 注记不清, −0.600 +0.800 → 1.000, not > 1.0 → inscription_unclear
//	006A 双立 intact, 0 → 0.000; 006B 双立 damaged +3.000 +4.000 → 5.000 → moved
//	007 northing and easting swapped → rejected axes_swapped (line 9)
//	008 intact in EPSG:4490 lat/lon of its register position → 0.000
//	009 inspected 2023-05-02, after the round → date_outside_round (line 11)
//	010A intact (English key) +0.006 +0.008 → 0.010; 010B in EPSG:2385 (Xi'an 1980) → crs_mismatch (line 13)
//	011 完好 with no position → no_position (line 14)
//	012 twice → both rows duplicate_marker (lines 15, 16)
//	013 condition 倾斜 → bad_condition (line 17); 014 x_north_m "3228678.38八" → bad_coordinate (line 18)
//	象宁099 → unknown_marker (line 19)
func planted(t *testing.T) string {
	ll, _ := geo.ToLonLat(geo.EPSG4550, register["象宁008"][1], register["象宁008"][0])
	e40, n40, err := geo.FromLonLat(geo.EPSG4549, mustLL(t, "象宁001"))
	if err != nil {
		t.Fatal(err)
	}
	rows := []string{
		"marker_no,inspected_on,condition,x_north_m,y_east_m,crs,team,note,repairs",
		fmt.Sprintf("象宁001,2023-04-10,完好,%.4f,%.4f,EPSG:4549,宁海组,三立界桩,", n40, e40),
		"象宁002,2023-04-10,完好," + at("象宁002", 1.2, -0.5) + ",EPSG:4550,象山组,,",
		"象宁003,2023-04-11,损坏," + at("象宁003", 0.3, -0.4) + ",EPSG:4550,象山组,碑面破损,描红",
		"象宁004,2023-04-11,丢失,,,EPSG:4550,象山组,原址无桩,",
		"象宁005,2023/04/12,注记不清," + at("象宁005", -0.6, 0.8) + ",EPSG:4550,宁海组,,",
		"象宁006A,2023-04-12,完好," + at("象宁006A", 0, 0) + ",EPSG:4550,宁海组,,",
		"象宁006B,2023-04-12,损坏," + at("象宁006B", 3, 4) + ",EPSG:4550,宁海组,,",
		fmt.Sprintf("象宁007,2023-04-13,完好,%.3f,%.3f,EPSG:4550,象山组,,", register["象宁007"][1], register["象宁007"][0]),
		fmt.Sprintf("象宁008,2023-04-13,完好,%.10f,%.10f,EPSG:4490,象山组,,", ll[1], ll[0]),
		"象宁009,2023-05-02,完好," + at("象宁009", 0, 0) + ",EPSG:4550,象山组,,",
		"象宁010A,2023-04-14,intact," + at("象宁010A", 0.006, 0.008) + ",EPSG:4550,宁海组,,",
		"象宁010B,2023-04-14,完好,3241712.000,378100.000,EPSG:2385,宁海组,旧表,",
		"象宁011,2023-04-15,完好,,,EPSG:4550,象山组,,",
		"象宁012,2023-04-15,完好," + at("象宁012", 0, 0) + ",EPSG:4550,象山组,,",
		"象宁012,2023-04-16,损坏," + at("象宁012", 0, 0) + ",EPSG:4550,宁海组,,",
		"象宁013,2023-04-16,倾斜," + at("象宁013", 0, 0) + ",EPSG:4550,象山组,,",
		"象宁014,2023-04-17,完好,3228678.38八,379741.034,EPSG:4550,象山组,,",
		"象宁099,2023-04-17,完好,3228000.000,379000.000,EPSG:4550,象山组,,",
	}
	return strings.Join(rows, "\n") + "\n"
}

func mustLL(t *testing.T, no string) [2]float64 {
	p, err := geo.ToLonLat(geo.EPSG4550, register[no][1], register[no][0])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newRound(t *testing.T, svc *Service) Round {
	t.Helper()
	r, err := svc.CreateRound(inspector(), "象宁线", RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-20",
		Teams: []Team{{Side: "330225", Name: "象山县联检组"}, {Side: "330226", Name: "宁海县联检组"}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantRejected are the planted sheet's refused rows, in file order.
var wantRejected = []struct {
	line   int
	no     string
	reason string
}{
	{9, "象宁007", ReasonAxesSwapped}, {11, "象宁009", ReasonDateOutsideRound}, {13, "象宁010B", ReasonCRSMismatch},
	{14, "象宁011", ReasonNoPosition}, {15, "象宁012", ReasonDuplicateMarker}, {16, "象宁012", ReasonDuplicateMarker},
	{17, "象宁013", ReasonBadCondition}, {18, "象宁014", ReasonBadCoordinate}, {19, "象宁099", ReasonUnknownMarker},
}

// wantMarkers are the per-marker rows of the planted sheet's report (displacement -1: null).
var wantMarkers = []struct {
	no, cond string
	disp     float64
	verdict  string
}{
	{"象宁001", "intact", 0, "intact"}, {"象宁002", "intact", 1.3, "moved"}, {"象宁003", "damaged", 0.5, "damaged"},
	{"象宁004", "missing", -1, "missing"}, {"象宁005", "inscription_unclear", 1.0, "inscription_unclear"},
	{"象宁006A", "intact", 0, "intact"}, {"象宁006B", "damaged", 5.0, "moved"}, {"象宁007", "", -1, "not_inspected"},
	{"象宁008", "intact", 0, "intact"}, {"象宁009", "", -1, "not_inspected"}, {"象宁010A", "intact", 0.01, "intact"},
	{"象宁010B", "", -1, "not_inspected"}, {"象宁011", "", -1, "not_inspected"}, {"象宁012", "", -1, "not_inspected"},
	{"象宁013", "", -1, "not_inspected"}, {"象宁014", "", -1, "not_inspected"},
}

// CheckPlantedReport asserts the report of the planted sheet (shared with cmd/civmap's both-store test through the
// JSON: see ReportJSONForTest).
func checkPlantedReport(t *testing.T, rep Report) {
	t.Helper()
	s := rep.Summary
	want := Summary{MarkersChecked: 9, Intact: 4, Damaged: 1, Missing: 1, Moved: 2, InscriptionUnclear: 1, Repaired: 1,
		RejectedRows: 9, LineLengthM: s.LineLengthM}
	if s != want {
		t.Errorf("summary %+v\nwant    %+v", s, want)
	}
	if s.Intact+s.Damaged+s.Missing+s.Moved+s.InscriptionUnclear != s.MarkersChecked {
		t.Errorf("verdict counts do not add up to markers_checked")
	}
	if len(rep.Markers) != len(wantMarkers) {
		t.Fatalf("%d marker rows, want %d", len(rep.Markers), len(wantMarkers))
	}
	for i, w := range wantMarkers {
		m := rep.Markers[i]
		got := -1.0
		if m.DisplacementM != nil {
			got = *m.DisplacementM
		}
		if m.MarkerNo != w.no || m.Condition != w.cond || got != w.disp || m.Verdict != w.verdict {
			t.Errorf("row %d: %s %s %.3f %s; want %s %s %.3f %s", i, m.MarkerNo, m.Condition, got, m.Verdict, w.no, w.cond, w.disp, w.verdict)
		}
	}
	if len(rep.Rejected) != len(wantRejected) {
		t.Fatalf("rejected %+v, want %d rows", rep.Rejected, len(wantRejected))
	}
	for i, w := range wantRejected {
		r := rep.Rejected[i]
		if r.Line != w.line || r.MarkerNo != w.no || r.Reason != w.reason || r.Message == "" {
			t.Errorf("rejected[%d] = %+v; want line %d %s %s", i, r, w.line, w.no, w.reason)
		}
	}
	// 002, moved 1.3 m, now stands off the line by more than 1 m; 006B, a double marker moved 5 m, is judged against
	// its register only (TestOffLine checks the distance itself).
	if !rep.Checks.OrderOK || fmt.Sprint(rep.Checks.OffLine) != "[象宁002]" {
		t.Errorf("order ok %v off line %v; want true, [象宁002]", rep.Checks.OrderOK, rep.Checks.OffLine)
	}
}

func TestImportPlanted(t *testing.T) {
	st := newFakeStore(t)
	svc := &Service{Store: st}
	r := newRound(t, svc)
	if r.ID != "象宁线-2023" || r.ToleranceM != 1.0 {
		t.Fatalf("round %+v, want id 象宁线-2023 tolerance 1.0 (default)", r)
	}
	before := len(st.Batches())
	res, err := svc.Import(inspector(), r.ID, []byte(planted(t)), "text/csv")
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 9 || len(res.Rejected) != 9 {
		t.Fatalf("imported %d rejected %d (%+v); want 9 and 9", res.Imported, len(res.Rejected), res.Rejected)
	}
	if n := len(st.Batches()) - before; n != 1 {
		t.Errorf("%d WriteDocs batches, want the import in one", n)
	}
	rep, err := svc.Report(inspector(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkPlantedReport(t, rep)
	// Importing the same file again changes nothing and does not count its rejected rows twice.
	if _, err := svc.Import(inspector(), r.ID, []byte(planted(t)), "text/csv; charset=utf-8"); err != nil {
		t.Fatal(err)
	}
	rep2, _ := svc.Report(inspector(), r.ID)
	if rep2.Summary != rep.Summary {
		t.Errorf("after re-import %+v, want %+v", rep2.Summary, rep.Summary)
	}
}

func TestRoundValidation(t *testing.T) {
	neg, zero := -1.0, 0.0
	cases := []struct {
		name  string
		in    RoundInput
		field string
	}{
		{"no dates", RoundInput{Year: 2023}, "started_on"},
		{"no end", RoundInput{Year: 2023, StartedOn: "2023-04-10"}, "ended_on"},
		{"end before start", RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-09"}, "ended_on"},
		{"start in another year", RoundInput{Year: 2023, StartedOn: "2022-12-30", EndedOn: "2023-01-09"}, "started_on"},
		{"bad date", RoundInput{Year: 2023, StartedOn: "2023-02-30", EndedOn: "2023-04-09"}, "started_on"},
		{"no year", RoundInput{StartedOn: "2023-04-10", EndedOn: "2023-04-11"}, "year"},
		{"negative tolerance", RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-11", ToleranceM: &neg}, "tolerance_m"},
		{"zero tolerance", RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-11", ToleranceM: &zero}, "tolerance_m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ValidateRound(c.in)
			inv, ok := apierr.AsInvalid(err)
			if !ok {
				t.Fatalf("err %v, want Invalid", err)
			}
			found := false
			for _, f := range inv {
				found = found || f.Field == c.field
			}
			if !found {
				t.Errorf("%v does not name %s", inv, c.field)
			}
		})
	}
	half := 0.5
	r, err := ValidateRound(RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-10", ToleranceM: &half})
	if err != nil || r.ToleranceM != 0.5 {
		t.Fatalf("one-day round with tolerance 0.5: %+v %v", r, err)
	}
	// Writes need the inspector role; a second round of the year gets -2; an unknown line is not found.
	svc := &Service{Store: newFakeStore(t)}
	if _, err := svc.CreateRound(edit.WithPrincipal(inspector(), edit.Principal{Name: "e", Role: edit.RoleEditor}), "象宁线",
		RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-10"}); !errors.Is(err, edit.ErrForbidden) {
		t.Errorf("editor: %v, want forbidden", err)
	}
	newRound(t, svc)
	if r2 := newRound(t, svc); r2.ID != "象宁线-2023-2" {
		t.Errorf("second round id %q, want 象宁线-2023-2", r2.ID)
	}
	if _, err := svc.CreateRound(inspector(), "无此线", RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-10"}); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("unknown line: %v, want not found", err)
	}
}

// TestImportWholeFile: a missing column, a GBK file and an old .xls are refused whole (400 naming the column or body),
// writing nothing.
func TestImportWholeFile(t *testing.T) {
	st := newFakeStore(t)
	svc := &Service{Store: st}
	r := newRound(t, svc)
	gbk := []byte("marker_no,inspected_on,condition,x_north_m,y_east_m,crs,team,note\n\xcf\xf3\xc4\xfe001,2023-04-10,\xcd\xea\xba\xc3,3267275.078,364815.454,EPSG:4550,,\n")
	cases := []struct {
		name, body, field, text string
	}{
		{"missing column", "marker_no,inspected_on,condition,x_north_m,y_east_m,team,note\n象宁001,2023-04-10,完好,1,2,a,b\n", "crs", "no column \"crs\""},
		{"gbk", string(gbk), "body", "GBK"},
		{"xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "body", ".xls"},
		{"empty", "", "body", "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(st.Batches())
			_, err := svc.Import(inspector(), r.ID, []byte(c.body), "text/csv")
			status, fields := httpx.Classify(err)
			if status != 400 || len(fields) == 0 || fields[0].Field != c.field || !strings.Contains(fields[0].Reason, c.text) {
				t.Errorf("status %d fields %+v; want 400 naming %s with %q", status, fields, c.field, c.text)
			}
			if n := len(st.Batches()) - before; n != 0 {
				t.Errorf("wrote %d batches", n)
			}
		})
	}
}

// TestOffLine: a single marker observed 2.000 m across the line from its register position is 2.000 m off the line and
// flagged (and moved); a double marker 2.000 m across is not flagged; 3 markers' numbers swapped in the register would
// break the order (checked on a copy whose 008 and 009 chainages are exchanged).
func TestOffLine(t *testing.T) {
	st := newFakeStore(t)
	svc := &Service{Store: st}
	r := newRound(t, svc)
	line, _ := st.BoundaryLine(inspector(), "象宁线")
	pl, err := projectLine(geo.EPSG4550, line.Geometry)
	if err != nil {
		t.Fatal(err)
	}
	across := func(no string, d float64) string {
		p := xy{register[no][1], register[no][0]}
		_, s := pl.nearest(p)
		_, n := pl.pointAt(s)
		q := p.add(n.scale(d))
		return fmt.Sprintf("%.4f,%.4f", q.y, q.x)
	}
	sheet := "marker_no,inspected_on,condition,x_north_m,y_east_m,crs,team,note\n" +
		"象宁005,2023-04-12,完好," + across("象宁005", 2) + ",EPSG:4550,,\n" +
		"象宁006A,2023-04-12,完好," + across("象宁006A", 2) + ",EPSG:4550,,\n"
	if _, err := svc.Import(inspector(), r.ID, []byte(sheet), "text/csv"); err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Report(inspector(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	m5, m6 := rep.Markers[4], rep.Markers[5]
	if m5.MarkerNo != "象宁005" || m5.OffLineM != 2.0 || !m5.OffLine || *m5.DisplacementM != 2.0 || m5.Verdict != "moved" {
		t.Errorf("005: %+v; want 2.000 m off the line, flagged, moved 2.000", m5)
	}
	if m6.MarkerNo != "象宁006A" || m6.OffLine || *m6.DisplacementM != 2.0 {
		t.Errorf("006A: %+v; want not flagged (double), displacement 2.000", m6)
	}
	if fmt.Sprint(rep.Checks.OffLine) != "[象宁005]" {
		t.Errorf("off line %v, want [象宁005]", rep.Checks.OffLine)
	}
	// Numbering against the line: exchange 008's and 009's registered positions.
	st.markers[8].Registered, st.markers[9].Registered = st.markers[9].Registered, st.markers[8].Registered
	st.markers[8].Position, st.markers[9].Position = st.markers[9].Position, st.markers[8].Position
	rep, err = svc.Report(inspector(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checks.OrderOK || fmt.Sprint(rep.Checks.OutOfOrder) != "[象宁009]" {
		t.Errorf("order ok %v out of order %v; want false, [象宁009]", rep.Checks.OrderOK, rep.Checks.OutOfOrder)
	}
	// The tri-junction: 象宁线's end is 象奉线's start (0.000 m) and 象宁001 (三立) is registered there.
	tj := rep.Checks.TriJunctions
	if len(tj) != 1 || tj[0].NeighbourLine != "象奉线" || tj[0].DistanceM != 0 || !tj[0].OK || tj[0].MarkerNo != "象宁001" ||
		*tj[0].MarkerDistanceM > 0.01 {
		t.Errorf("tri-junctions %+v; want the end at 象奉线, 0 m, marker 象宁001", tj)
	}
}

// xlsxOf writes a CSV text's rows into a workbook, the inspected_on column as real Excel dates (serial numbers with a
// date format), as a team's Excel would save it.
func xlsxOf(t *testing.T, csvText string) []byte {
	t.Helper()
	f := excelize.NewFile()
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	for i, line := range strings.Split(strings.TrimSpace(csvText), "\n") {
		cells := strings.Split(line, ",")
		for j, c := range cells {
			name, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if d, err := time.Parse("2006-01-02", c); err == nil && j == 1 {
				_ = f.SetCellValue("Sheet1", name, d)
				_ = f.SetCellStyle("Sheet1", name, name, style)
				continue
			}
			_ = f.SetCellStr("Sheet1", name, c)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImportXLSX: the planted sheet as a workbook (dates as Excel dates, sent as text/csv by a careless client, so the
// magic bytes decide) gives the same report as the CSV.
func TestImportXLSX(t *testing.T) {
	st := newFakeStore(t)
	svc := &Service{Store: st}
	r := newRound(t, svc)
	for _, ct := range []string{XLSXContentType, "text/csv"} {
		res, err := svc.Import(inspector(), r.ID, xlsxOf(t, planted(t)), ct)
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 9 || len(res.Rejected) != 9 {
			t.Fatalf("%s: imported %d rejected %+v", ct, res.Imported, res.Rejected)
		}
	}
	rep, err := svc.Report(inspector(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkPlantedReport(t, rep)
	if rep.Markers[0].InspectedOn != "2023-04-10" {
		t.Errorf("Excel date read as %q, want 2023-04-10", rep.Markers[0].InspectedOn)
	}
}

// TestLineFindings: a line finding needs a segment, by markers or by chainages within the line, and what changed;
// stored ones are in the report, and on the map as the part of the line between their ends (its length in the
// line's CRS is the chainage difference).
func TestLineFindings(t *testing.T) {
	st := newFakeStore(t)
	svc := &Service{Store: st}
	r := newRound(t, svc)
	for _, c := range []struct {
		name   string
		in     LineFinding
		fields string
	}{
		{"no segment", LineFinding{Change: "新修道路"}, "to_m"},
		{"reversed", LineFinding{Change: "新修道路", FromM: 500, ToM: 100}, "to_m"},
		{"beyond the end", LineFinding{Change: "新修道路", FromM: 100, ToM: 80000}, "to_m"},
		{"both", LineFinding{Change: "新修道路", FromMarker: "象宁002", FromM: 1, ToM: 2}, "from_m"},
		{"unknown marker, no change", LineFinding{FromMarker: "象宁099"}, "change,from_marker"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.AddLineFinding(inspector(), r.ID, c.in)
			inv, ok := apierr.AsInvalid(err)
			var got []string
			for _, f := range inv {
				got = append(got, f.Field)
			}
			if !ok || strings.Join(got, ",") != c.fields {
				t.Errorf("%v; want Invalid naming %s", err, c.fields)
			}
		})
	}
	a, err := svc.AddLineFinding(inspector(), r.ID, LineFinding{FromMarker: "象宁002", ToMarker: "象宁004", Change: "新修乡道", Construction: "跨界涵洞"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.AddLineFinding(inspector(), r.ID, LineFinding{FromM: 1000, ToM: 3500.5, Change: "河道改道"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "象宁线-2023/L001" || b.ID != "象宁线-2023/L002" {
		t.Errorf("ids %s %s", a.ID, b.ID)
	}
	rep, err := svc.Report(inspector(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.LineFindings) != 2 || rep.LineFindings[0].Construction != "跨界涵洞" {
		t.Fatalf("report line findings %+v", rep.LineFindings)
	}
	want := map[string]float64{a.ID: math.Abs(rep.Markers[3].StationM - rep.Markers[1].StationM), b.ID: 2500.5}
	n := 0
	for _, f := range MapFeatures(rep) {
		if f.Layer != LayerLineFindings {
			continue
		}
		n++
		pl, err := projectLine(geo.EPSG4550, f.Geometry)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(pl.length()-want[f.ID]) > 0.02 {
			t.Errorf("%s: %.3f m on the map, want %.3f", f.ID, pl.length(), want[f.ID])
		}
	}
	if n != 2 || want[a.ID] < 1000 {
		t.Errorf("%d line findings on the map (002–004 is %.0f m)", n, want[a.ID])
	}
	// The workbook has them on their own sheet.
	wb, err := XLSX(rep)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(wb))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("界线检查记录")
	if len(rows) != 3 || strings.Join(rows[1], ",") != "象宁线-2023/L001,象宁002,象宁004,0,0,新修乡道,跨界涵洞" ||
		strings.Join(rows[2][:6], ",") != "象宁线-2023/L002,,,1000,3500.5,河道改道" {
		t.Errorf("界线检查记录 sheet %q", rows)
	}
	// The printed report lists them and draws both on its map figure.
	page, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	if c := bytes.Count(page, []byte(`class="line-finding"`)); c != 2 || !bytes.Contains(page, []byte("<td>象宁002–象宁004</td><td>新修乡道</td><td>跨界涵洞</td>")) ||
		!bytes.Contains(page, []byte("<td>里程 1000.00–3500.50 米</td><td>河道改道</td>")) {
		t.Errorf("HTML: %d line-finding polylines, table row present %v", c, bytes.Contains(page, []byte("跨界涵洞")))
	}
}

// TestTriJunction: 象奉线's start moved 3 m east and 4 m north of 象宁线's end is 5.000 m off the tri-junction, beyond
// the 1.0 m tolerance (not ok), and within a round's 6 m tolerance (ok); 象宁001 (三立) stays named there.
func TestTriJunction(t *testing.T) {
	st := newFakeStore(t)
	svc := &Service{Store: st}
	for i, l := range st.lines {
		if l.ID != "象奉线" {
			continue
		}
		ls := append(orb.LineString{}, l.Geometry.(orb.LineString)...)
		e, n, err := geo.FromLonLat(geo.EPSG4550, ls[0])
		if err != nil {
			t.Fatal(err)
		}
		if ls[0], err = geo.ToLonLat(geo.EPSG4550, e+3, n+4); err != nil {
			t.Fatal(err)
		}
		st.lines[i].Geometry = ls
	}
	for _, c := range []struct {
		tol float64
		ok  bool
	}{{1, false}, {6, true}} {
		tol := c.tol
		r, err := svc.CreateRound(inspector(), "象宁线", RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-20", ToleranceM: &tol})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := svc.Report(inspector(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		tj := rep.Checks.TriJunctions
		if len(tj) != 1 || tj[0].End != "end" || tj[0].NeighbourLine != "象奉线" || tj[0].DistanceM != 5 || tj[0].OK != c.ok ||
			tj[0].MarkerNo != "象宁001" {
			t.Errorf("tolerance %v m: tri-junctions %+v; want the end 5.000 m from 象奉线's start, ok %v, marker 象宁001", tol, tj, c.ok)
		}
	}
}
