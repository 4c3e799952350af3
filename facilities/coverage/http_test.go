package coverage

import (
	"bytes"
	"civmap/internal/edit/edittest"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// fakeStore serves small() through the store interfaces (the methods the engine calls) and keeps documents in memory.
type (
	facStore = facilities.Store
	gazStore = gazetteer.Store
)

type fakeStore struct {
	facStore
	gazStore
	*memDocs
}

// memDocs names the in-memory DocStore so that embedding it promotes its Docs method instead of a field of that name.
type memDocs = edittest.Docs

func newFake() *fakeStore { return &fakeStore{memDocs: edittest.NewDocs()} }

func (f *fakeStore) Division(_ context.Context, code string) (gazetteer.Division, error) {
	d := small()
	if code == d.County.Code {
		return gazetteer.Division{Code: code, Name: d.County.Name, Level: gazetteer.LevelCounty}, nil
	}
	for _, t := range d.Townships {
		if t.Code == code {
			return gazetteer.Division{Code: code, Name: t.Name, Level: gazetteer.LevelTownship, ParentCode: d.County.Code}, nil
		}
	}
	return gazetteer.Division{}, apierr.ErrNotFound
}

func (f *fakeStore) Divisions(_ context.Context, q gazetteer.DivisionQuery) ([]gazetteer.Division, error) {
	var out []gazetteer.Division
	for i, t := range small().Townships {
		lon := 121.0 + 0.1*float64(i) // T1 is lon 120.95–121.05, T2 121.05–121.15; lat 29.9–30.2
		poly := orb.Polygon{{{lon - 0.05, 29.9}, {lon + 0.05, 29.9}, {lon + 0.05, 30.2}, {lon - 0.05, 30.2}, {lon - 0.05, 29.9}}}
		out = append(out, gazetteer.Division{Code: t.Code, Name: t.Name, Level: gazetteer.LevelTownship,
			ParentCode: "330225", Geometry: poly})
	}
	return out, nil
}

func (f *fakeStore) Locate(ctx context.Context, p orb.Point) (gazetteer.Location, error) {
	ts, _ := f.Divisions(ctx, gazetteer.DivisionQuery{})
	for _, t := range ts {
		if contains(t.Geometry, p) {
			return gazetteer.Location{County: gazetteer.DivisionRef{Code: "330225"},
				Township: gazetteer.DivisionRef{Code: t.Code}}, nil
		}
	}
	return gazetteer.Location{}, apierr.ErrNotFound
}

func (f *fakeStore) Demand(context.Context, string) ([]facilities.DemandUnit, error) {
	var out []facilities.DemandUnit
	for _, u := range small().Demand {
		out = append(out, facilities.DemandUnit{Code: u.Code, Name: u.Code, TownshipCode: u.TownshipCode,
			ElderlyPopulation: u.Elderly, Location: u.Point})
	}
	return out, nil
}

func (f *fakeStore) Facilities(context.Context, facilities.FacilityQuery) (facilities.FacilityPage, error) {
	var out []facilities.Facility
	for _, s := range small().Sites {
		fac := facilities.Facility{ID: s.ID, Name: s.ID, Type: s.Type, Status: s.Status, TownshipCode: s.TownshipCode,
			Location: s.Point}
		if s.Beds > 0 {
			b := int(s.Beds)
			fac.CapacityBeds = &b
		}
		out = append(out, fac)
	}
	// a closed facility next to every unit: never counted
	out = append(out, facilities.Facility{ID: "X", Type: "home_care_station", Status: facilities.StatusClosed,
		TownshipCode: "330225100", Location: orb.Point{121.1, 30.005}})
	return facilities.FacilityPage{Items: out, NumberMatched: len(out)}, nil
}

func serve(t *testing.T, role edit.Role) (*httptest.Server, *fakeStore) {
	st := newFake()
	h := NewHandler(st)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if role != "" {
			r = r.WithContext(edit.WithPrincipal(r.Context(), edit.Principal{Name: "规划员", Role: role}))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, st
}

func call(t *testing.T, method, url, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

func TestQueryAPI(t *testing.T) {
	ts, _ := serve(t, "")
	code, _, body := call(t, "GET", ts.URL+"/api/coverage/query?types=home_care_station&statuses=existing,planned&distance_m=1000&distance_m_community=500", "")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var res QueryResponse
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	// as TestCoverageSmall "planned 1000/500": county 80 %, T1 66.67 %, T2 100 %.
	if res.Distance != "geodesic" || len(res.Scopes) != 3 || res.Scopes[0].CoveragePct != 80 ||
		res.Scopes[1].CoveragePct != 66.67 || res.Scopes[2].CoveragePct != 100 || res.Scopes[0].CoveredElderly != 800 {
		t.Fatalf("%s", body)
	}
	// a township with none covered has 0, present in the JSON.
	_, _, body = call(t, "GET", ts.URL+"/api/coverage/query?types=home_care_station&distance_m=1000", "")
	if !strings.Contains(string(body), `{"code":"330225100","name":"石浦镇","level":"township","elderly":400,"covered_elderly":0,"coverage_pct":0}`) {
		t.Fatalf("%s", body)
	}
	code, hdr, body := call(t, "GET", ts.URL+"/api/coverage/query.csv?types=home_care_station&distance_m=1000", "")
	want := "code,name,level,elderly,covered_elderly,coverage_pct\n330225,象山县,county,1000,600,60.00\n" +
		"330225001,丹东街道,township,600,600,100.00\n330225100,石浦镇,township,400,0,0.00\n"
	if code != 200 || string(body) != want || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("%d %q", code, body)
	}
}

// TestBadInput: the bad input, each a 4xx problem+json naming the field.
func TestBadInput(t *testing.T) {
	ts, _ := serve(t, edit.RolePlanner)
	q := "/api/coverage/query?types=home_care_station&distance_m="
	cases := []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"GET", q + "0", "", 400, "distance_m"},
		{"GET", q + "-5", "", 400, "distance_m"},
		{"GET", q + "NaN", "", 400, "distance_m"},
		{"GET", q + "100001", "", 400, "distance_m"},
		{"GET", q + "1e400", "", 400, "distance_m"},
		{"GET", q + "", "", 400, "distance_m"},
		{"GET", q + "500&distance_m_community=0", "", 400, "distance_m_community"},
		{"GET", "/api/coverage/query?types=pizzeria&distance_m=500", "", 400, "types"},
		{"GET", "/api/coverage/query?types=canteen&statuses=dreamt&distance_m=500", "", 400, "statuses"},
		{"GET", "/api/coverage?scenario=someday", "", 400, "scenario"},
		{"GET", "/api/coverage?phase=2099", "", 400, "phase"},
		{"GET", "/api/coverage?plan=nope", "", 400, "plan"},
		{"GET", "/api/coverage/uncovered?indicator=beds", "", 400, "indicator"},
		{"GET", "/api/coverage/uncovered?indicator=zzz", "", 400, "indicator"},
		{"GET", "/api/coverage/access?indicator=meal&method=3sfca", "", 400, "method"},
		{"POST", "/api/coverage", `{"sites":[{"type":"canteen","lon":125,"lat":30}]}`, 422, "sites[0]"},
		{"POST", "/api/coverage", `{"sites":[{"type":"pizzeria","lon":121,"lat":30}]}`, 422, "sites[0].type"},
		{"POST", "/api/coverage", `{"scenario":"nope"}`, 400, "scenario"},
		{"POST", "/api/coverage", `{"colour":"red"}`, 400, "colour"},
		{"POST", "/api/coverage/siting", `{"indicator":"home-care","p":5}`, 422, "p"},
		{"POST", "/api/coverage/siting", `{"indicator":"home-care","p":0}`, 422, "p"},
		{"POST", "/api/coverage/siting", `{"indicator":"home-care","p":1,"candidates":"points","points":[{"type":"canteen","lon":0,"lat":0}]}`, 422, "points[0]"},
		{"POST", "/api/coverage/siting", `{"indicator":"home-care","p":1,"solver":"magic"}`, 422, "solver"},
		{"POST", "/api/coverage/siting", `{"indicator":"home-care","candidates":"grid","spacing_m":5}`, 422, "spacing_m"},
		{"PUT", "/api/plans/t", `{"id":"t"}`, 428, "If-Match"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path+c.body, func(t *testing.T) {
			code, hdr, body := call(t, c.method, ts.URL+c.path, c.body, "Content-Type", "application/json")
			var p httpx.Problem
			_ = json.Unmarshal(body, &p)
			if code != c.status || hdr.Get("Content-Type") != httpx.ProblemContentType || len(p.Errors) == 0 || p.Errors[0].Field != c.field {
				t.Fatalf("%d %s %s", code, hdr.Get("Content-Type"), body)
			}
		})
	}
}

func TestGapsAPI(t *testing.T) {
	ts, st := serve(t, edit.RolePlanner)
	plan := Plan{ID: "t", Name: "测试规划", County: "330225", Phases: []string{"2025", "2035"}, Indicators: []Indicator{
		{ID: "beds", Name: "床位", Kind: KindRatio, Types: []string{"nursing_home"}, Supply: SupplyBeds, Per: 1000,
			Scope: ScopeCounty, Targets: map[string]float64{"2025": 80, "2035": 100}, Source: "test"},
		{ID: "hc", Name: "居家", Kind: KindCoverage, Types: []string{"home_care_station"}, DistanceM: 1000,
			DistanceCommunityM: 500, Scope: ScopeTownship, Targets: map[string]float64{"2025": 50}, Source: "test"}}}
	b, _ := json.Marshal(plan)
	// create with If-None-Match: *, then a replace with a stale If-Match is 412, a viewer is 403.
	code, hdr, body := call(t, "PUT", ts.URL+"/api/plans/t", string(b), "If-None-Match", "*")
	if code != 200 || hdr.Get("ETag") != `"1"` {
		t.Fatalf("%d %s", code, body)
	}
	if code, _, _ := call(t, "PUT", ts.URL+"/api/plans/t", string(b), "If-None-Match", "*"); code != 409 {
		t.Fatalf("second create %d", code)
	}
	if code, _, body := call(t, "PUT", ts.URL+"/api/plans/t", strings.Replace(string(b), `"distance_m":1000`, `"distance_m":-1`, 1), "If-Match", `"1"`); code != 422 || !strings.Contains(string(body), `"indicators[1].distance_m"`) {
		t.Fatalf("bad plan %d %s", code, body)
	}
	if code, _, _ := call(t, "PUT", ts.URL+"/api/plans/t", string(b), "If-Match", `"7"`); code != 412 {
		t.Fatalf("stale %d", code)
	}
	if code, _, body := call(t, "PUT", ts.URL+"/api/plans/u", string(b), "If-None-Match", "*"); code != 422 || !strings.Contains(string(body), `"field":"id"`) {
		t.Fatalf("id mismatch %d %s", code, body)
	}
	if code, hdr, body := call(t, "GET", ts.URL+"/api/plans/t", ""); code != 200 || hdr.Get("ETag") != `"1"` || !strings.Contains(string(body), "测试规划") {
		t.Fatalf("get %d %s", code, body)
	}
	if code, _, _ := call(t, "GET", ts.URL+"/api/plans/none", ""); code != 404 {
		t.Fatalf("unknown plan %d", code)
	}
	if code, _, body := call(t, "GET", ts.URL+"/api/plans/"+DefaultPlanID, ""); code != 200 || !strings.Contains(string(body), `"care-staff"`) {
		t.Fatalf("default %d", code)
	}
	_, _, body = call(t, "GET", ts.URL+"/api/plans", "")
	if !strings.Contains(string(body), `"id":"xiangshan-2021-2035"`) || !strings.Contains(string(body), `"id":"t"`) {
		t.Fatalf("plans %s", body)
	}
	if docs, _ := st.Docs(context.Background(), KindPlan, ""); len(docs) != 1 {
		t.Fatalf("plan documents %v, want the one PUT", docs)
	}

	code, _, body = call(t, "GET", ts.URL+"/api/coverage?plan=t&phase=2025&scenario=planned", "")
	var res Result
	if err := json.Unmarshal(body, &res); code != 200 || err != nil {
		t.Fatalf("%d %s", code, body)
	}
	// as TestEvaluateSmall, planned: 100 beds per 1,000; T1 66.67 %, T2 100 %.
	if len(res.Rows) != 3 || res.Rows[0].Actual != 100 || !*res.Rows[0].Met || res.Rows[1].Actual != 66.67 ||
		res.Rows[2].Actual != 100 || len(res.Townships) != 2 || res.Townships[1].Values["hc"] != 100 {
		t.Fatalf("%s", body)
	}
	// a posted site by u4 under existing: T2 covered.
	code, _, body = call(t, "POST", ts.URL+"/api/coverage", `{"plan":"t","sites":[{"type":"home_care_station","lon":121.1,"lat":30.0}]}`)
	if err := json.Unmarshal(body, &res); code != 200 || err != nil || res.Rows[2].Actual != 100 || res.Sites != 1 || res.Rows[0].Actual != 60 {
		t.Fatalf("%d %s", code, body)
	}
	code, _, body = call(t, "GET", ts.URL+"/api/coverage/gaps.csv?plan=t&phase=2035", "")
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(body), "\ufeff")), "\n")
	if code != 200 || len(lines) != 4 || !strings.HasPrefix(lines[0], "指标,指标名称,类型,范围") ||
		lines[1] != "beds,床位,千人指标,全县,330225,象山县,2035,100,60,40,未达标,,test" ||
		lines[2] != "hc,居家,覆盖率,各乡镇,330225001,丹东街道,2035,—,66.67,—,—,,test" {
		t.Fatalf("%d %q", code, lines)
	}
	code, _, body = call(t, "GET", ts.URL+"/api/coverage/gaps.xlsx?plan=t&scenario=under_construction", "")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sh := f.GetSheetList(); len(sh) != 2 || sh[0] != "2025年" || sh[1] != "2035年" {
		t.Fatalf("sheets %v", sh)
	}
	if v, _ := f.GetCellValue("2025年", "I2"); v != "100" {
		t.Fatalf("2025 beds actual %q", v)
	}
	if v, _ := f.GetCellValue("2035年", "A1"); v != "指标" {
		t.Fatalf("header %q", v)
	}
}

func TestUncoveredAndSitingAPI(t *testing.T) {
	ts, _ := serve(t, edit.RoleViewer)
	plan := Default()
	_ = plan
	// the default plan's home-care indicator (1000 m, home_care_center + station): in small() u4 is 9.6 km from A.
	code, _, body := call(t, "GET", ts.URL+"/api/coverage/uncovered?indicator=home-care", "")
	var fc struct {
		Features []struct {
			ID         string
			Properties UncoveredProps
		}
	}
	if err := json.Unmarshal(body, &fc); code != 200 || err != nil || len(fc.Features) != 1 {
		t.Fatalf("%d %s", code, body)
	}
	p := fc.Features[0].Properties
	// A is at (121, 30), u4 at (121.1, 30.005): geodesic 9,652.6 m (geo.Distance); the closed X beside u4 does not count.
	if p.Code != "330225100201" || p.NearestID != "A" || p.NearestM == nil || *p.NearestM < 9600 || *p.NearestM > 9700 {
		t.Fatalf("%+v", p)
	}
	for _, solver := range []string{SolverGreedy, SolverExact} {
		needCBC(t)
		code, _, body = call(t, "POST", ts.URL+"/api/coverage/siting", fmt.Sprintf(`{"indicator":"home-care","p":1,"solver":%q}`, solver))
		var sr SitingResult
		if err := json.Unmarshal(body, &sr); code != 200 || err != nil {
			t.Fatalf("%d %s", code, body)
		}
		if len(sr.Sites) != 1 || sr.Sites[0].ID != "330225100201" || sr.Sites[0].AddedElderly != 400 ||
			sr.CoveredBefore != 600 || sr.CoveredAfter != 1000 || sr.CoveragePctAfter != 100 || sr.Candidates != 4 {
			t.Fatalf("%s: %s", solver, body)
		}
		if (solver == SolverGreedy) != (sr.Bound == GreedyBound) {
			t.Fatalf("bound %q", sr.Bound)
		}
	}
	// grid candidates inside the two 0.1°×0.3° townships, 2 km apart: 5 × 17 per township ≈ 170.
	code, _, body = call(t, "POST", ts.URL+"/api/coverage/siting", `{"indicator":"home-care","objective":"lscp","candidates":"grid","spacing_m":2000}`)
	var sr SitingResult
	if err := json.Unmarshal(body, &sr); code != 200 || err != nil || sr.Candidates < 150 || sr.Candidates > 200 {
		t.Fatalf("%d %s", code, body)
	}
	// a 2 km grid may not reach u4 (1 km): then it is reported uncoverable; either way nothing is lost.
	if len(sr.Sites)+len(sr.Uncoverable) != 1 || sr.CoveredAfter+sr.UncoverableElderly != 1000 {
		t.Fatalf("%s", body)
	}
	code, _, body = call(t, "GET", ts.URL+"/api/coverage/access?indicator=home-care&method=2sfca", "")
	var ar AccessResult
	if err := json.Unmarshal(body, &ar); code != 200 || err != nil || ar.SupplyReached != 1 || ar.Units[0].Score != 1.0/600 {
		t.Fatalf("%d %s", code, body)
	}
}

// TestPutPlanNeedsPlanner: a viewer or an editor may not write plans (403); anonymous is 401.
func TestPutPlanNeedsPlanner(t *testing.T) {
	for role, want := range map[edit.Role]int{edit.RoleViewer: 403, edit.RoleEditor: 403, "": 401, edit.RoleAdmin: 200} {
		ts, _ := serve(t, role)
		code, _, body := call(t, "PUT", ts.URL+"/api/plans/"+DefaultPlanID, string(defaultPlanJSON), "If-Match", "*")
		if code != want {
			t.Errorf("%s: %d %s", role, code, body)
		}
	}
}

// TestUnitsAPI: every unit with its status and nearest site. In small(), home-care (1000 m, communities 1000 m too):
// u1–u3 are 443, 665 and 887 m north of A; u4 is 9.6 km from A (the closed X beside it does not count).
func TestUnitsAPI(t *testing.T) {
	ts, _ := serve(t, "")
	code, _, body := call(t, "GET", ts.URL+"/api/coverage/units?indicator=home-care", "")
	var fc struct {
		Features []struct{ Properties UncoveredProps }
	}
	if err := json.Unmarshal(body, &fc); code != 200 || err != nil || len(fc.Features) != 4 {
		t.Fatalf("%d %s", code, body)
	}
	want := []struct {
		status string
		m      float64
	}{{"covered", 443.4}, {"covered", 665.1}, {"covered", 886.8}, {"uncovered", 9652}}
	for i, f := range fc.Features {
		p := f.Properties
		if p.Status != want[i].status || p.NearestID != "A" || p.NearestM == nil || math.Abs(*p.NearestM-want[i].m) > 50 {
			t.Errorf("unit %d: %+v", i, p)
		}
		if i < 3 && math.Abs(*p.NearestM-want[i].m) > 0.2 {
			t.Errorf("unit %d: %.1f m, hand value %.1f m", i, *p.NearestM, want[i].m)
		}
	}
}

// TestNoCBC: without the cbc binary both exact solvers answer ErrNoCBC, which names the Debian package, and the API a
// 501 problem naming "solver"; greedy still answers.
func TestNoCBC(t *testing.T) {
	old := CBCPath
	CBCPath = "civmap-test-no-such-cbc"
	t.Cleanup(func() { CBCPath = old })
	pr := CoverProblem{Weights: []float64{1, 2}, Cover: [][]int{{0}, {1}}}
	if _, err := ExactMCLP(context.Background(), pr, 1); !errors.Is(err, ErrNoCBC) || !strings.Contains(err.Error(), "coinor-cbc") {
		t.Fatalf("MCLP: %v", err)
	}
	if _, err := ExactLSCP(context.Background(), pr); !errors.Is(err, ErrNoCBC) {
		t.Fatalf("LSCP: %v", err)
	}
	ts, _ := serve(t, edit.RolePlanner)
	code, hdr, body := call(t, "POST", ts.URL+"/api/coverage/siting", `{"indicator":"home-care","p":1,"solver":"exact"}`)
	if code != 501 || hdr.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), `"field":"solver"`) ||
		!strings.Contains(string(body), "apt-get install coinor-cbc") {
		t.Fatalf("%d %s %s", code, hdr.Get("Content-Type"), body)
	}
	if code, _, body := call(t, "POST", ts.URL+"/api/coverage/siting", `{"indicator":"home-care","p":1}`); code != 200 {
		t.Fatalf("greedy without cbc: %d %s", code, body)
	}
}

// TestUnitsUncoverable: u4 (121.1, 30.005) is uncovered by home-care; with the villages as candidates it can host a
// site itself, but the 20 km grid's nearest point is (121.0538, 29.99), 4.5 km away: uncoverable. Bad candidate
// parameters are 4xx problems naming them.
func TestUnitsUncoverable(t *testing.T) {
	ts, _ := serve(t, "")
	for q, want := range map[string]string{"": UnitUncovered, "&candidates=villages": UnitUncovered,
		"&candidates=grid&spacing_m=20000": UnitUncoverable} {
		code, _, body := call(t, "GET", ts.URL+"/api/coverage/units?indicator=home-care"+q, "")
		var fc struct {
			Features []struct{ Properties UncoveredProps }
		}
		if err := json.Unmarshal(body, &fc); code != 200 || err != nil || len(fc.Features) != 4 {
			t.Fatalf("%s: %d %s", q, code, body)
		}
		for i, f := range fc.Features {
			w := UnitCovered
			if i == 3 {
				w = want
			}
			if f.Properties.Status != w {
				t.Errorf("%s unit %d: %s, want %s", q, i, f.Properties.Status, w)
			}
		}
	}
	for q, field := range map[string]string{"&candidates=points": "candidates", "&candidates=grid": "spacing_m",
		"&candidates=grid&spacing_m=5": "spacing_m", "&candidates=grid&spacing_m=NaN": "spacing_m"} {
		code, hdr, body := call(t, "GET", ts.URL+"/api/coverage/units?indicator=home-care"+q, "")
		if code/100 != 4 || hdr.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
}
