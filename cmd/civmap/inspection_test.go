package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/gazetteer/inspection"
	"civmap/internal/edit"
	"civmap/tiles"
)

// testdata/inspection-xiangning-2023.csv is a synthetic team sheet made from the sample register
// (data/sample/xiangshan/xiangning_markers_registered.csv) with planted offsets in EPSG:4550 metres; the values it
// must give are worked out in gazetteer/inspection/inspection_test.go (planted):
//
//	002 +1.200 N −0.500 E → 1.300 moved; 003 +0.300 −0.400 → 0.500 damaged (repaired); 004 丢失 → missing;
//	005 −0.600 +0.800 → 1.000 inscription_unclear; 006B +3 +4 → 5.000 moved; 001 (EPSG:4549), 006A, 008 (EPSG:4490)
//	→ 0.000 intact; 010A +0.006 +0.008 → 0.010 intact; rejected lines 9 axes_swapped, 11 date_outside_round,
//	13 crs_mismatch, 14 no_position, 15 and 16 duplicate_marker, 17 bad_condition, 18 bad_coordinate, 19 unknown_marker.
const plantedSheet = "testdata/inspection-xiangning-2023.csv"

var wantDisplacement = map[string]any{"象宁001": 0.0, "象宁002": 1.3, "象宁003": 0.5, "象宁004": nil, "象宁005": 1.0,
	"象宁006A": 0.0, "象宁006B": 5.0, "象宁008": 0.0, "象宁010A": 0.01}
var wantVerdict = map[string]string{"象宁001": "intact", "象宁002": "moved", "象宁003": "damaged", "象宁004": "missing",
	"象宁005": "inscription_unclear", "象宁006A": "intact", "象宁006B": "moved", "象宁008": "intact", "象宁010A": "intact"}

const wantSummary = `{"markers_checked":9,"intact":4,"damaged":1,"missing":1,"moved":2,"inscription_unclear":1,"repaired":1,"rejected_rows":9,"line_length_m":70002.75,"registered_length_m":0}`
const wantRejected = `[9 象宁007 axes_swapped] [11 象宁009 date_outside_round] [13 象宁010B crs_mismatch] [14 象宁011 no_position] [15 象宁012 duplicate_marker] [16 象宁012 duplicate_marker] [17 象宁013 bad_condition] [18 象宁014 bad_coordinate] [19 象宁099 unknown_marker]`

type reportJSON struct {
	Summary json.RawMessage `json:"summary"`
	Markers []struct {
		MarkerNo      string   `json:"marker_no"`
		Type          string   `json:"type"`
		Condition     string   `json:"condition"`
		DisplacementM *float64 `json:"displacement_m"`
		Verdict       string   `json:"verdict"`
	} `json:"markers"`
	Rejected []struct {
		Line     int    `json:"line"`
		MarkerNo string `json:"marker_no"`
		Reason   string `json:"reason"`
		Message  string `json:"message"`
	} `json:"rejected"`
	LineFindings []struct {
		ID           string `json:"id"`
		Construction string `json:"construction"`
	} `json:"line_findings"`
	Checks struct {
		Sides struct {
			Run      bool              `json:"run"`
			Reason   string            `json:"reason"`
			Gaps     []json.RawMessage `json:"gaps"`
			Overlaps []json.RawMessage `json:"overlaps"`
		} `json:"sides"`
		TriJunctions []struct {
			NeighbourLine string `json:"neighbour_line"`
			MarkerNo      string `json:"marker_no"`
		} `json:"tri_junctions"`
	} `json:"checks"`
}

// checkReport asserts the planted sheet's report and returns its JSON with the import times blanked, for comparing
// the two stores.
func checkReport(t *testing.T, raw []byte) string {
	t.Helper()
	var rep reportJSON
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, raw)
	}
	if string(rep.Summary) != wantSummary {
		t.Errorf("summary %s\nwant    %s", rep.Summary, wantSummary)
	}
	if len(rep.Markers) != 16 {
		t.Fatalf("%d marker rows, want 16", len(rep.Markers))
	}
	for _, m := range rep.Markers {
		want, checked := wantDisplacement[m.MarkerNo]
		var got any
		if m.DisplacementM != nil {
			got = *m.DisplacementM
		}
		switch {
		case !checked && (m.Verdict != "not_inspected" || got != nil):
			t.Errorf("%s: %v %s, want not inspected", m.MarkerNo, got, m.Verdict)
		case checked && (got != want || m.Verdict != wantVerdict[m.MarkerNo]):
			t.Errorf("%s: displacement %v verdict %s; want %v %s", m.MarkerNo, got, m.Verdict, want, wantVerdict[m.MarkerNo])
		}
	}
	var rj []string
	for _, r := range rep.Rejected {
		rj = append(rj, "["+itoa(r.Line)+" "+r.MarkerNo+" "+r.Reason+"]")
	}
	if strings.Join(rj, " ") != wantRejected {
		t.Errorf("rejected %s\nwant     %s", strings.Join(rj, " "), wantRejected)
	}
	sd := rep.Checks.Sides
	if !sd.Run || len(sd.Gaps) != 0 || len(sd.Overlaps) != 0 {
		t.Errorf("sides: run %v (%s), %d gaps, %d overlaps; want run, none on the sample's shared edge", sd.Run, sd.Reason, len(sd.Gaps), len(sd.Overlaps))
	}
	if lf := rep.LineFindings; len(lf) != 1 || lf[0].ID != "象宁线-2023/L001" || lf[0].Construction != "跨界涵洞" {
		t.Errorf("line findings %+v", lf)
	}
	if tj := rep.Checks.TriJunctions; len(tj) != 1 || tj[0].NeighbourLine != "象奉线" || tj[0].MarkerNo != "象宁001" {
		t.Errorf("tri-junctions %+v", tj)
	}
	return string(raw)
}

// inspectorServer serves the sample store with every request signed in as an inspector.
func inspectorServer(t *testing.T, sf *storeFlags) *httptest.Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openAndLoad(context.Background(), sf, false, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := newServer(log, tiles.Options{})
	if err := srv.setStore(st); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := edit.WithPrincipal(r.Context(), edit.Principal{Name: "联检员", Role: edit.RoleInspector})
		srv.ServeHTTP(w, r.WithContext(edit.WithRequest(ctx, edit.Request{ClientAddr: r.RemoteAddr})))
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestInspectionBothStores: the API on each store imports the planted sheet with the same numbers, and both stores'
// reports are the same JSON byte for byte.
func TestInspectionBothStores(t *testing.T) {
	sheet, err := os.ReadFile(plantedSheet)
	if err != nil {
		t.Fatal(err)
	}
	reports, tileBytes := map[string]string{}, map[string]string{}
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts := inspectorServer(t, sf)
		line := ts.URL + "/api/boundary-lines/" + url.PathEscape("象宁线")
		r := do(t, "POST", line+"/inspections", `{"year":2023,"teams":[{"side":"330225","name":"象山县联检组"},{"side":"330226","name":"宁海县联检组"}],"started_on":"2023-04-10","ended_on":"2023-04-20"}`,
			"Content-Type", "application/json")
		if r.status != 201 {
			t.Fatalf("create round: %d %s", r.status, r.body)
		}
		insp := ts.URL + "/api/inspections/" + url.PathEscape("象宁线-2023")
		r = do(t, "POST", insp+"/findings", string(sheet), "Content-Type", "text/csv")
		if r.status != 200 || !strings.HasPrefix(string(r.body), `{"imported":9,"rejected":[{"line":9,"marker_no":"象宁007","reason":"axes_swapped"`) {
			t.Fatalf("import: %d %s", r.status, r.body)
		}
		// A missing column is a 400 naming it and writes nothing.
		r = do(t, "POST", insp+"/findings", "marker_no,inspected_on,condition,x_north_m,y_east_m,team,note\n象宁002,2023-04-10,丢失,,,a,b\n", "Content-Type", "text/csv")
		if p := decode[problem](t, r); r.status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "crs" {
			t.Errorf("missing column: %d %s", r.status, r.body)
		}
		// A line finding between 002 and 004 (the map layer draws it along the line).
		r = do(t, "POST", insp+"/line-findings", `{"from_marker":"象宁002","to_marker":"象宁004","change":"新修乡道","construction":"跨界涵洞"}`,
			"Content-Type", "application/json")
		if r.status != 201 {
			t.Fatalf("line finding: %d %s", r.status, r.body)
		}
		r = do(t, "GET", insp+"/report", "")
		if r.status != 200 {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
		reports[t.Name()] = checkReport(t, r.body)
		tileBytes[t.Name()] = checkInspectionTile(t, insp)
		r = do(t, "GET", insp+"/report?f=html", "")
		if r.status != 200 || !bytes.Contains(r.body, []byte("检查汇总")) {
			t.Errorf("html report: %d", r.status)
		}
	})
	if e, p := reports["TestInspectionBothStores/embedded"], reports["TestInspectionBothStores/postgis"]; e == "" || e != p {
		t.Errorf("the stores' reports differ:\nembedded %s\npostgis  %s", e, p)
	}
	if e, p := tileBytes["TestInspectionBothStores/embedded"], tileBytes["TestInspectionBothStores/postgis"]; e == "" || e != p {
		t.Errorf("the stores' inspection tiles differ")
	}
}

// TestInspectionCLI: `civmap inspection import --line 象宁线 --year 2023 FILE` on a fresh store (the sample is loaded
// first) creates the round from the file's dates (2023-04-10 to 2023-05-02: 009's late row is then inside the round,
// so 8 rows are rejected) and prints the report.
func TestInspectionCLI(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		args := []string{"inspection", "import", "--line", "象宁线", "--year", "2023", "--data-dir", sf.dataDir, plantedSheet}
		if sf.databaseURL != "" {
			args = []string{"inspection", "import", "--line", "象宁线", "--year", "2023", "--database-url", sf.databaseURL, plantedSheet}
		}
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		if !strings.Contains(errOut.String(), "created round 象宁线-2023 (2023-04-10 to 2023-05-02, tolerance 1.000 m)") {
			t.Errorf("stderr %s", errOut.String())
		}
		var rep reportJSON
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		want := `{"markers_checked":10,"intact":5,"damaged":1,"missing":1,"moved":2,"inscription_unclear":1,"repaired":1,"rejected_rows":8,"line_length_m":70002.75,"registered_length_m":0}`
		var compact bytes.Buffer
		_ = json.Compact(&compact, rep.Summary)
		if compact.String() != want {
			t.Errorf("summary %s\nwant    %s", compact.String(), want)
		}
	})
}

// checkInspectionTile reads the round's TileJSON and the z10 tile holding 象宁002 (moved) and returns the tile's bytes:
// its markers layer colours each marker by its verdict, and the line findings layer holds the 002–004 segment.
func checkInspectionTile(t *testing.T, insp string) string {
	t.Helper()
	r := do(t, "GET", insp+"/tiles.json", "")
	tj := decode[tiles.TileJSON](t, r)
	if r.status != 200 || len(tj.VectorLayers) != 3 || !strings.HasSuffix(tj.Tiles[0], "/tiles/{z}/{x}/{y}.mvt") {
		t.Fatalf("tiles.json: %d %s", r.status, r.body)
	}
	tl := maptile.At(orb.Point{121.6214, 29.4985}, 10) // 10/857/424: 象宁002, 003 and 004
	r = do(t, "GET", fmt.Sprintf("%s/tiles/%d/%d/%d.mvt", insp, tl.Z, tl.X, tl.Y), "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("tile: %d %s", r.status, r.body)
	}
	ls, err := mvt.Unmarshal(r.body)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range ls {
		for _, f := range l.Features {
			switch l.Name {
			case inspection.LayerMarkers:
				got[f.Properties.MustString("marker_no")] = f.Properties.MustString("verdict") + " " + f.Properties.MustString("colour")
			case inspection.LayerLineFindings:
				got[f.Properties.MustString("id")] = f.Properties.MustString("construction")
			}
		}
	}
	if got["象宁002"] != "moved #6a1b9a" || got["象宁003"] != "damaged #ef6c00" || got["象宁线-2023/L001"] != "跨界涵洞" {
		t.Errorf("tile features %v", got)
	}
	if r2 := do(t, "GET", fmt.Sprintf("%s/tiles/%d/%d/%d.mvt", insp, tl.Z, tl.X, tl.Y), "", "If-None-Match", r.header.Get("ETag")); r2.status != 304 {
		t.Errorf("If-None-Match: %d", r2.status)
	}
	if r := do(t, "GET", insp+"/tiles/3/9/1.mvt", ""); r.status != 400 {
		t.Errorf("x out of range: %d", r.status)
	}
	if r := do(t, "GET", insp+"/tiles/10/0/0.mvt", ""); r.status != 204 {
		t.Errorf("empty tile: %d", r.status)
	}
	return string(r.body)
}
