package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/data"
	"civmap/facilities"
	"civmap/facilities/coverage"
	"civmap/geo"
	"civmap/internal/edit"
	"civmap/tiles"
)

// coverageServer is sampleServer with every request signed in as role.
func coverageServer(t *testing.T, sf *storeFlags, role edit.Role) (*httptest.Server, data.Store) {
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
		ctx := edit.WithPrincipal(r.Context(), edit.Principal{Name: "规划员", Role: role})
		srv.ServeHTTP(w, r.WithContext(edit.WithRequest(ctx, edit.Request{ClientAddr: r.RemoteAddr})))
	}))
	t.Cleanup(ts.Close)
	return ts, st
}

// bruteCoverage is an independent computation: every demand unit against every facility with geo.Distance, no index.
func bruteCoverage(t *testing.T, st data.Store, types, statuses []string, dist, distCommunity float64) map[string][2]int {
	ctx := context.Background()
	units, err := st.Demand(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.Facilities(ctx, facilities.FacilityQuery{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]int{} // code → elderly, covered
	for _, u := range units {
		r := dist
		if n := u.Code[9:]; n >= "001" && n <= "199" {
			r = distCommunity
		}
		cov := false
		for _, f := range page.Items {
			if slices.Contains(types, f.Type) && slices.Contains(statuses, f.Status) && geo.Distance(u.Location, f.Location) <= r {
				cov = true
				break
			}
		}
		for _, k := range []string{"330225", u.TownshipCode} {
			v := out[k]
			v[0] += u.ElderlyPopulation
			if cov {
				v[1] += u.ElderlyPopulation
			}
			out[k] = v
		}
	}
	return out
}

// sqlCoverage is the same computed by PostGIS: ST_DWithin on geography (the CGCS2000 spheroid), per township and
// for the county.
func sqlCoverage(t *testing.T, url string, types, statuses []string, dist, distCommunity float64) map[string][2]int {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
WITH u AS (
  SELECT d.township_code, d.elderly_population AS elderly,
         EXISTS (SELECT 1 FROM facilities f
                 WHERE f.type = ANY($1) AND f.status = ANY($2)
                   AND ST_DWithin(f.geom::geography, d.geom::geography,
                       CASE WHEN substr(d.code, 10, 3) BETWEEN '001' AND '199' THEN $4::float8 ELSE $3::float8 END)) AS covered
  FROM demand_units d)
SELECT township_code, sum(elderly)::bigint, coalesce(sum(elderly) FILTER (WHERE covered), 0)::bigint FROM u GROUP BY township_code
UNION ALL
SELECT '330225', sum(elderly)::bigint, coalesce(sum(elderly) FILTER (WHERE covered), 0)::bigint FROM u`,
		types, statuses, dist, distCommunity)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]int{}
	for rows.Next() {
		var code string
		var e, c int64
		if err := rows.Scan(&code, &e, &c); err != nil {
			t.Fatal(err)
		}
		out[code] = [2]int{int(e), int(c)}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var coverageQueries = []struct {
	types, statuses []string
	dist, comm      float64
}{
	{[]string{"canteen", "shared_restaurant", "meal_point"}, []string{"existing"}, 1000, 500},
	{[]string{"home_care_center", "home_care_station"}, []string{"existing"}, 1000, 1000},
	{[]string{"canteen", "shared_restaurant", "meal_point"}, []string{"existing", "under_construction", "planned"}, 1500, 800},
	{[]string{"nursing_home"}, []string{"existing", "under_construction"}, 3000, 3000},
	{[]string{"kangyang_union"}, []string{"existing"}, 300, 300},
}

// TestCoverageSample: on the sample, /api/coverage/query equals a brute-force Go computation exactly and (PostGIS)
// an ST_DWithin SQL computation to 0.1 percentage point, for the county and every township; both stores answer the
// same JSON; the gap table's beds ratio, presence shares and counts match the hand counts written out below.
func TestCoverageSample(t *testing.T) {
	answers := map[string][]string{}
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := coverageServer(t, sf, edit.RoleViewer)
		kind := "embedded"
		if sf.databaseURL != "" {
			kind = "postgis"
		}
		for _, q := range coverageQueries {
			url := ts.URL + "/api/coverage/query?types=" + strings.Join(q.types, ",") + "&statuses=" +
				strings.Join(q.statuses, ",") + "&distance_m=" + ftoa(q.dist) + "&distance_m_community=" + ftoa(q.comm)
			r := do(t, "GET", url, "")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			answers[kind] = append(answers[kind], string(r.body))
			res := decode[coverage.QueryResponse](t, r)
			if len(res.Scopes) != 19 || res.Scopes[0].Code != "330225" || res.Scopes[1].Code != "330225001" {
				t.Fatalf("scopes %+v", res.Scopes)
			}
			want := bruteCoverage(t, st, q.types, q.statuses, q.dist, q.comm)
			var sql map[string][2]int
			if sf.databaseURL != "" {
				sql = sqlCoverage(t, sf.databaseURL, q.types, q.statuses, q.dist, q.comm)
			}
			for i, s := range res.Scopes {
				if i > 1 && s.Code <= res.Scopes[i-1].Code {
					t.Fatalf("townships out of order: %s after %s", s.Code, res.Scopes[i-1].Code)
				}
				w := want[s.Code]
				if s.Elderly != w[0] || s.CoveredElderly != w[1] {
					t.Errorf("%v %s: %d/%d, brute force %d/%d", q.types, s.Code, s.CoveredElderly, s.Elderly, w[1], w[0])
				}
				if sql != nil {
					g := sql[s.Code]
					if math.Abs(s.CoveragePct-100*float64(g[1])/float64(g[0])) > 0.1 || s.Elderly != g[0] {
						t.Errorf("%v %s: %.2f %%, PostGIS ST_DWithin %d/%d", q.types, s.Code, s.CoveragePct, g[1], g[0])
					}
				}
			}
			if res.Scopes[0].Elderly != 166761 {
				t.Errorf("county elderly %d, the sample's SOURCES.md says about 166,800", res.Scopes[0].Elderly)
			}
		}

		// Gap table, hand counts from data/sample/xiangshan/facilities.synthetic.geojson:
		// 16 existing nursing homes hold 2,396 beds; the 2 under construction add 265 (2,661); elderly 166,761.
		// 2,396 / 166,761 × 1,000 = 14.3679 → 14.37; 2,661 / 166,761 × 1,000 = 15.9570 → 15.96.
		// 康养联合体 in 9 of 18 townships (001 002 101 103 104 105 108 110 200) = 50 %; a home-care centre in all 18.
		// canteens 6 existing (+4 planned = 10); courtyards 12, all planned, 8+8+7+10+8+10+11+8+6+10+6+9 = 101 beds.
		for _, c := range []struct {
			scen string
			want map[string]float64
		}{
			{"existing", map[string]float64{"beds": 14.37, "kangyang": 50, "hc-centre": 100, "count-canteen": 6, "count-courtyard-beds": 0}},
			{"under_construction", map[string]float64{"beds": 15.96, "kangyang": 50, "count-canteen": 6}},
			{"planned", map[string]float64{"beds": 15.96, "count-canteen": 10, "count-courtyard-beds": 101, "count-meal-point": 30}},
		} {
			scen, want := c.scen, c.want
			r := do(t, "GET", ts.URL+"/api/coverage?phase=2025&scenario="+scen, "")
			res := decode[coverage.Result](t, r)
			answers[kind] = append(answers[kind], string(r.body))
			got := map[string]coverage.Row{}
			for _, row := range res.Rows {
				got[row.Indicator] = row
			}
			for id, v := range want {
				if got[id].Actual != v {
					t.Errorf("%s %s: %v, hand count %v", scen, id, got[id].Actual, v)
				}
			}
			if m := got["kangyang"].Met; m == nil || !*m {
				t.Errorf("%s: kangyang 50 %% meets the 2025 target of 50 %%", scen)
			}
		}
		// the meal indicator of the default plan is the first query above.
		r := do(t, "GET", ts.URL+"/api/coverage/uncovered?indicator=meal", "")
		fc := decode[featureCollection](t, r)
		w := bruteCoverage(t, st, coverageQueries[0].types, coverageQueries[0].statuses, 1000, 500)["330225"]
		sum := 0
		for _, f := range fc.Features {
			sum += int(f.Properties["elderly"].(float64))
		}
		if r.status != 200 || sum != w[0]-w[1] {
			t.Errorf("uncovered elderly %d, want %d", sum, w[0]-w[1])
		}
		answers[kind] = append(answers[kind], string(r.body))
	})
	if e, p := answers["embedded"], answers["postgis"]; len(e) > 0 && len(p) > 0 && !reflect.DeepEqual(e, p) {
		if len(e) != len(p) {
			t.Fatalf("%d answers on embedded, %d on postgis", len(e), len(p))
		}
		for i := range e {
			if e[i] != p[i] {
				t.Errorf("answer %d differs between the stores:\nembedded %.300s\npostgis  %.300s", i, e[i], p[i])
			}
		}
	}
}

// TestCoveragePlansAndSiting: a planner stores a plan (a document on both stores) and the gap table follows it; a
// reviewer may not; greedy and exact siting on the sample agree on p = 1 and greedy never beats exact.
func TestCoveragePlansAndSiting(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := coverageServer(t, sf, edit.RolePlanner)
		p := coverage.Default()
		p.ID, p.Name = "tight", "更严的规划"
		p.Indicators[0].Targets["2025"] = 10 // beds: 14.37 per 1,000 now meets it
		b, _ := json.Marshal(p)
		if r := do(t, "PUT", ts.URL+"/api/plans/tight", string(b), "If-None-Match", "*"); r.status != 200 || r.header.Get("ETag") != `"1"` {
			t.Fatalf("%d %s", r.status, r.body)
		}
		r := do(t, "GET", ts.URL+"/api/coverage?plan=tight&phase=2025", "")
		res := decode[coverage.Result](t, r)
		if res.Rows[0].Indicator != "beds" || res.Rows[0].Met == nil || !*res.Rows[0].Met || *res.Rows[0].Gap != -4.37 {
			t.Fatalf("%s", r.body)
		}
		p.Indicators[1].DistanceM = -1
		b, _ = json.Marshal(p)
		if r := do(t, "PUT", ts.URL+"/api/plans/tight", string(b), "If-Match", `"1"`); r.status != 422 || !strings.Contains(string(r.body), "indicators[1].distance_m") {
			t.Fatalf("%d %s", r.status, r.body)
		}
		rev, _ := coverageServer(t, &storeFlags{dataDir: t.TempDir()}, edit.RoleReviewer)
		if r := do(t, "PUT", rev.URL+"/api/plans/tight", string(b), "If-None-Match", "*"); r.status != 403 {
			t.Fatalf("reviewer: %d", r.status)
		}

		var covered [2]int
		for i, solver := range []string{"greedy", "exact"} {
			r := do(t, "POST", ts.URL+"/api/coverage/siting", `{"indicator":"meal","p":3,"solver":"`+solver+`"}`)
			sr := decode[coverage.SitingResult](t, r)
			if r.status != 200 || len(sr.Sites) != 3 || sr.Candidates != 408 || sr.CoveredAfter <= sr.CoveredBefore {
				t.Fatalf("%s: %d %s", solver, r.status, r.body)
			}
			added := 0.0
			for _, s := range sr.Sites {
				added += s.AddedElderly
			}
			if sr.CoveredAfter-sr.CoveredBefore != int(added) {
				t.Fatalf("%s: %d added, sites say %v", solver, sr.CoveredAfter-sr.CoveredBefore, added)
			}
			covered[i] = sr.CoveredAfter
		}
		if covered[0] > covered[1] {
			t.Fatalf("greedy %d > exact %d", covered[0], covered[1])
		}
	})
}

func TestCoverageCLI(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		code, out, errOut := cli(t, append([]string{"coverage", "--phase", "2025"}, storeArgs(sf)...)...)
		if code != 0 {
			t.Fatalf("%d %s", code, errOut)
		}
		for _, want := range []string{"规划期 2025", "beds", "14.37", "✗ 未达标", "✓ 达标", "康养联合体乡镇覆盖率"} {
			if !strings.Contains(out, want) {
				t.Errorf("gap table lacks %q:\n%s", want, out)
			}
		}
		// aligned: every data row's 目标 column ends at the same display column as the header's.
		lines := strings.Split(out, "\n")
		hdr := lines[2]
		col := displayWidth(hdr[:strings.Index(hdr, "目标")]) + displayWidth("目标")
		for _, l := range lines[3:13] {
			if !strings.HasPrefix(l, "beds") && !strings.HasPrefix(l, "meal") {
				continue
			}
			f := strings.Fields(l)
			idx := strings.Index(l, "  "+f[3]+"  ")
			if idx < 0 || displayWidth(l[:idx+2+len(f[3])]) != col {
				t.Errorf("not aligned:\n%s\n%s", hdr, l)
			}
		}
		code, out, errOut = cli(t, append([]string{"coverage", "query", "--types", "canteen,shared_restaurant,meal_point",
			"--statuses", "existing", "--distance", "1000", "--distance-community", "500", "--csv"}, storeArgs(sf)...)...)
		if code != 0 || !strings.HasPrefix(out, "code,name,level,elderly,covered_elderly,coverage_pct\n330225,象山县,county,166761,") {
			t.Fatalf("%d %s %s", code, out, errOut)
		}
		code, _, errOut = cli(t, append([]string{"coverage", "query", "--types", "canteen", "--distance", "0"}, storeArgs(sf)...)...)
		if code != 1 || !strings.Contains(errOut, "--distance") {
			t.Fatalf("%d %s", code, errOut)
		}
	})
}

// TestCoverageTiles: the coverage tiles (tiles.CoverageRoutes) over the z8 tiles of the county. The coverage layer holds
// every demand unit once with the status /api/coverage/units gives it for the same parameters (a 3 km grid of
// candidates leaves some units uncoverable); service_areas holds two polygons per site the meal indicator counts (1000 m
// for villages, 500 m for communities) with their radius. Both stores serve the same tile bytes.
func TestCoverageTiles(t *testing.T) {
	bodies := map[string][]string{}
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := coverageServer(t, sf, edit.RoleViewer)
		q := "indicator=meal&scenario=planned&candidates=grid&spacing_m=3000"
		units := decode[featureCollection](t, do(t, "GET", ts.URL+"/api/coverage/units?"+q, ""))
		want := map[string]string{}
		statuses := map[string]int{}
		for _, f := range units.Features {
			want[f.Properties["code"].(string)] = f.Properties["status"].(string)
			statuses[f.Properties["status"].(string)]++
		}
		if len(want) != 408 || statuses["covered"] == 0 || statuses["uncovered"] == 0 || statuses["uncoverable"] == 0 {
			t.Fatalf("units by status %v: the case should have all three", statuses)
		}
		page, err := st.Facilities(context.Background(), facilities.FacilityQuery{})
		if err != nil {
			t.Fatal(err)
		}
		sites := 0
		for _, f := range page.Items {
			if slices.Contains([]string{"canteen", "shared_restaurant", "meal_point"}, f.Type) && f.Status != "closed" {
				sites++
			}
		}
		got := map[string]string{}
		areas := map[string]float64{} // site id/serves → radius
		nw, se := maptile.At(orb.Point{121.4, 29.7}, 8), maptile.At(orb.Point{122.2, 28.8}, 8)
		for x := nw.X; x <= se.X; x++ {
			for y := nw.Y; y <= se.Y; y++ {
				r := do(t, "GET", fmt.Sprintf("%s/tiles/coverage/8/%d/%d.mvt?%s", ts.URL, x, y, q), "")
				kind := "embedded"
				if sf.databaseURL != "" {
					kind = "postgis"
				}
				bodies[kind] = append(bodies[kind], string(r.body))
				if r.status == http.StatusNoContent {
					continue
				}
				if r.status != 200 || r.header.Get("Content-Type") != tiles.MVTContentType {
					t.Fatalf("%d/%d: %d %s", x, y, r.status, r.body)
				}
				ls, err := mvt.Unmarshal(r.body)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range ls {
					for _, f := range l.Features {
						switch l.Name {
						case tiles.CoverageLayer:
							// a unit in the buffer of two tiles is in both, with one status
							got[f.Properties["code"].(string)] = f.Properties["status"].(string)
						case tiles.ServiceAreaLayer:
							areas[f.Properties["id"].(string)+"/"+f.Properties["serves"].(string)] = f.Properties["radius_m"].(float64)
						default:
							t.Fatalf("layer %s", l.Name)
						}
					}
				}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("tile statuses differ from /api/coverage/units: %d units in tiles, %d in the API", len(got), len(want))
		}
		if len(areas) != 2*sites {
			t.Errorf("%d service areas for %d sites (two radii each)", len(areas), sites)
		}
		for k, r := range areas {
			if want := map[bool]float64{true: 500, false: 1000}[strings.HasSuffix(k, "/communities")]; r != want {
				t.Errorf("%s: radius %v m", k, r)
			}
		}
	})
	if e, p := bodies["embedded"], bodies["postgis"]; len(p) > 0 && !reflect.DeepEqual(e, p) {
		t.Error("the coverage tiles differ between the stores")
	}
}
