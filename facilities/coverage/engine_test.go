package coverage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"civmap/geo"
)

// small is a hand-made county: two townships; a home-care station A at (121, 30) in T1 and a planned one B at
// (121.1, 30) in T2; demand straight north of A and B. One degree of latitude at 30° N is 110,852 m on GRS80 (meridian
// radius of curvature a(1−e²)/(1−e²sin²φ)^1.5 = 6,351,366 m), so 0.004° ≈ 443 m, 0.006° ≈ 665 m, 0.008° ≈ 887 m.
func small() *Data {
	return &Data{
		County:    Area{"330225", "象山县"},
		Townships: []Area{{"330225001", "丹东街道"}, {"330225100", "石浦镇"}},
		Demand: []Demand{
			{Code: "330225001001", TownshipCode: "330225001", Elderly: 100, Point: orb.Point{121, 30.004}, Community: true},
			{Code: "330225001002", TownshipCode: "330225001", Elderly: 200, Point: orb.Point{121, 30.006}, Community: true},
			{Code: "330225001201", TownshipCode: "330225001", Elderly: 300, Point: orb.Point{121, 30.008}},
			{Code: "330225100201", TownshipCode: "330225100", Elderly: 400, Point: orb.Point{121.1, 30.005}},
		},
		Sites: []Site{
			{ID: "A", Type: "home_care_station", Status: "existing", TownshipCode: "330225001", Point: orb.Point{121, 30}},
			{ID: "B", Type: "home_care_station", Status: "planned", TownshipCode: "330225100", Point: orb.Point{121.1, 30}},
			{ID: "N1", Type: "nursing_home", Status: "existing", TownshipCode: "330225001", Point: orb.Point{121, 30.1}, Beds: 60},
			{ID: "N2", Type: "nursing_home", Status: "under_construction", TownshipCode: "330225100", Point: orb.Point{121.1, 30.1}, Beds: 40},
		},
	}
}

func TestIsCommunity(t *testing.T) {
	for code, want := range map[string]bool{"330225001001": true, "330225001199": true, "330225001200": false,
		"330225001000": false, "330225101500": false, "330225001": false, "33022500100x": false} {
		if IsCommunity(code) != want {
			t.Errorf("IsCommunity(%s) = %v", code, !want)
		}
	}
}

func TestCoverageSmall(t *testing.T) {
	d := small()
	cases := []struct {
		name     string
		q        Query
		covered  []bool
		county   float64
		t1, t2   float64
		nearestA float64 // unit 0's distance to A, metres
	}{
		// Communities at 500 m: u1 (443 m) yes, u2 (665 m) no; the village u3 (887 m) at 1000 m yes; u4 is 9.6 km from A.
		{"existing 1000/500", Query{Types: []string{"home_care_station"}, Statuses: []string{"existing"}, DistanceM: 1000,
			DistanceCommunityM: 500}, []bool{true, false, true, false}, 40, 66.67, 0, 443.4},
		{"existing 1000", Query{Types: []string{"home_care_station"}, Statuses: []string{"existing"}, DistanceM: 1000},
			[]bool{true, true, true, false}, 60, 100, 0, 443.4},
		{"planned 1000/500", Query{Types: []string{"home_care_station"}, Statuses: Scenarios["planned"], DistanceM: 1000,
			DistanceCommunityM: 500}, []bool{true, false, true, true}, 80, 66.67, 100, 443.4},
		{"800 m: u3 out", Query{Types: []string{"home_care_station"}, Statuses: []string{"existing"}, DistanceM: 800},
			[]bool{true, true, false, false}, 30, 50, 0, 443.4},
		{"posted site near u4", Query{Types: []string{"home_care_station"}, Statuses: []string{"existing"}, DistanceM: 1000,
			Extra: []Site{{ID: "P1", Type: "home_care_station", TownshipCode: "330225100", Point: orb.Point{121.1, 30.0}}}},
			[]bool{true, true, true, true}, 100, 100, 100, 443.4},
		{"posted site of another type", Query{Types: []string{"home_care_station"}, Statuses: []string{"existing"}, DistanceM: 1000,
			Extra: []Site{{ID: "P1", Type: "canteen", Point: orb.Point{121.1, 30.0}}}},
			[]bool{true, true, true, false}, 60, 100, 0, 443.4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := d.Coverage(c.q)
			for i, u := range res.Units {
				if u.Covered != c.covered[i] {
					t.Errorf("unit %d covered = %v", i, u.Covered)
				}
			}
			if math.Abs(res.Units[0].NearestM-c.nearestA) > 0.1 || res.Units[0].NearestID != "A" {
				t.Errorf("unit 0 nearest %s %.2f m", res.Units[0].NearestID, res.Units[0].NearestM)
			}
			s := res.Scopes
			if len(s) != 3 || s[0].Level != "county" || s[0].CoveragePct != c.county || s[1].CoveragePct != c.t1 ||
				s[2].CoveragePct != c.t2 || s[0].Elderly != 1000 || s[1].Elderly != 600 || s[2].Elderly != 400 {
				t.Errorf("scopes %+v", s)
			}
		})
	}
}

func TestEvaluateSmall(t *testing.T) {
	d := small()
	p := Plan{ID: "t", Name: "t", County: "330225", Phases: []string{"2025"}, Indicators: []Indicator{
		{ID: "beds", Kind: KindRatio, Types: []string{"nursing_home"}, Supply: SupplyBeds, Per: 1000, Scope: ScopeCounty,
			Targets: map[string]float64{"2025": 80}},
		{ID: "nh", Kind: KindPresence, Types: []string{"nursing_home"}, Scope: ScopeCounty, Targets: map[string]float64{"2025": 100}},
		{ID: "hc", Kind: KindCoverage, Types: []string{"home_care_station"}, DistanceM: 1000, DistanceCommunityM: 500,
			Scope: ScopeTownship, Targets: map[string]float64{"2025": 50}},
		{ID: "n", Kind: KindCount, Types: []string{"nursing_home"}, Supply: SupplyBeds, Scope: ScopeCounty},
	}}
	type want struct {
		beds, nh, n float64
		hcRows      []float64
		bedsMet     bool
		hcMet       []bool
	}
	for scen, w := range map[string]want{
		// 60 beds / 1000 elderly × 1000 = 60; nursing homes in T1 only = 50 % of townships.
		"existing": {60, 50, 60, []float64{66.67, 0}, false, []bool{true, false}},
		// + N2 (40 beds, T2): 100 per 1000, both townships.
		"under_construction": {100, 100, 100, []float64{66.67, 0}, true, []bool{true, false}},
		// + B: u4 (554 m from B) covered.
		"planned": {100, 100, 100, []float64{66.67, 100}, true, []bool{true, true}},
	} {
		a, err := d.Evaluate(p, scen, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := a.Gaps("2025")
		if len(g.Rows) != 5 {
			t.Fatalf("%s: %d rows", scen, len(g.Rows))
		}
		r := g.Rows
		if r[0].Actual != w.beds || *r[0].Met != w.bedsMet || *r[0].Gap != Round2(80-w.beds) || r[1].Actual != w.nh ||
			r[4].Actual != w.n || r[4].Target != nil || r[4].Met != nil || r[0].Code != "330225" || r[0].ScopeName != "象山县" {
			t.Errorf("%s: rows %+v", scen, r)
		}
		for i := 0; i < 2; i++ {
			if r[2+i].Actual != w.hcRows[i] || *r[2+i].Met != w.hcMet[i] || r[2+i].Code != d.Townships[i].Code {
				t.Errorf("%s: township row %d %+v", scen, i, r[2+i])
			}
		}
	}
	if _, err := d.Evaluate(p, "someday", nil); err == nil {
		t.Error("unknown scenario accepted")
	}
}

// TestBoundContains: every point within r metres (geo.Distance) lies in Bound(p, r), at latitudes up to 80°.
func TestBoundContains(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		p := orb.Point{rng.Float64()*360 - 180, rng.Float64()*160 - 80}
		r := math.Pow(10, 1+rng.Float64()*4) // 10 m to 100 km
		// a point at distance ≈ r·0.999 in a random direction (through a small offset scaled by trial).
		az := rng.Float64() * 2 * math.Pi
		q := orb.Point{p[0] + math.Sin(az)*r/(111000*math.Cos(p[1]*math.Pi/180)), p[1] + math.Cos(az)*r/110500}
		d := geo.Distance(p, q)
		lo0, la0, lo1, la1 := Bound(p, r)
		if d <= r && (q[0] < lo0 || q[0] > lo1 || q[1] < la0 || q[1] > la1) {
			t.Fatalf("p %v r %.1f: q %v at %.3f m outside [%v %v %v %v]", p, r, q, d, lo0, la0, lo1, la1)
		}
	}
}

// TestIndexNearestBruteForce: the R-tree answer equals a scan of every point with geo.Distance.
func TestIndexNearestBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pts := make([]orb.Point, 2000)
	for i := range pts {
		pts[i] = orb.Point{121.5 + rng.Float64()*0.6, 29 + rng.Float64()*0.6}
	}
	ix := NewIndex(pts)
	for k := 0; k < 500; k++ {
		p := orb.Point{121.5 + rng.Float64()*0.6, 29 + rng.Float64()*0.6}
		r := 200 + rng.Float64()*3000
		best, bestD := -1, math.Inf(1)
		n := 0
		for i, q := range pts {
			if d := geo.Distance(p, q); d <= r {
				n++
				if d < bestD {
					best, bestD = i, d
				}
			}
		}
		i, d := ix.Nearest(p, r)
		if i != best || (best >= 0 && d != bestD) {
			t.Fatalf("nearest %d %.3f, brute force %d %.3f", i, d, best, bestD)
		}
		m := 0
		ix.Within(p, r, func(int, float64) { m++ })
		if m != n {
			t.Fatalf("within %d, brute force %d", m, n)
		}
	}
}

// TestCoverageBruteForce: Data.Coverage gives every unit the site a scan of all sites with geo.Distance gives it (nearest within its village or community distance, ties to the lower
// index; the nearest out to 100 km for Nearest), near Xiangshan and across 80° N, where the planar filter is off.
func TestCoverageBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, lat0 := range []float64{29.2, 79.7} {
		d := &Data{County: Area{"330225", "象山县"}, Townships: []Area{{"330225001", "丹东街道"}}}
		for i := 0; i < 3000; i++ {
			d.Demand = append(d.Demand, Demand{Code: "330225001201", TownshipCode: "330225001", Elderly: 1 + rng.IntN(500),
				Community: i%5 == 0, Point: orb.Point{121.7 + rng.Float64()*0.6, lat0 + rng.Float64()*0.6}})
		}
		for j := 0; j < 400; j++ {
			d.Sites = append(d.Sites, Site{ID: fmt.Sprint(j), Type: "canteen", Status: "existing",
				Point: orb.Point{121.7 + rng.Float64()*0.6, lat0 + rng.Float64()*0.6}})
		}
		for _, q := range []Query{{DistanceM: 300, Nearest: true}, {DistanceM: 1000, DistanceCommunityM: 500},
			{DistanceM: 3000, DistanceCommunityM: 5000, Nearest: true}} {
			res := d.Coverage(q)
			for k, u := range d.Demand {
				r := q.DistanceM
				if u.Community && q.DistanceCommunityM > 0 {
					r = q.DistanceCommunityM
				}
				best, bestD := -1, math.Inf(1)
				for j, s := range d.Sites {
					if dist := geo.Distance(u.Point, s.Point); dist < bestD {
						best, bestD = j, dist
					}
				}
				got := res.Units[k]
				covered := bestD <= r
				if got.Covered != covered || (covered || q.Nearest) && (got.NearestID != d.Sites[best].ID || got.NearestM != bestD) ||
					!covered && !q.Nearest && got.NearestID != "" {
					t.Fatalf("lat %v %+v unit %d: %+v, brute force %s at %.3f m", lat0, q, k, got, d.Sites[best].ID, bestD)
				}
			}
		}
	}
}
