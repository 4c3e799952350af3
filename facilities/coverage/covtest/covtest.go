// Package covtest generates synthetic coverage data for benchmarks: demand units and facilities spread over the
// Xiangshan extent (lon 121.55–122.05, lat 28.95–29.55, about 48 × 67 km), and the five indicators the benchmarks
// run. Both the Go engine's benchmark (facilities/coverage) and the PostGIS one (data/postgis) use it, so they measure
// the same computation.
package covtest

import (
	"fmt"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"civmap/facilities/coverage"
)

// Types are the facility types the generator uses, one in ten facilities each.
var Types = []string{"nursing_home", "home_care_center", "home_care_station", "kangyang_union", "mutual_aid_courtyard",
	"canteen", "shared_restaurant", "meal_point", "service_complex", "social_work_station"}

// Indicators are the five coverage indicators of the benchmark (types, village and community distances in metres).
var Indicators = []coverage.Query{
	{Types: []string{"home_care_center", "home_care_station"}, DistanceM: 1000},
	{Types: []string{"canteen", "shared_restaurant", "meal_point"}, DistanceM: 1000, DistanceCommunityM: 500},
	{Types: []string{"nursing_home"}, DistanceM: 3000},
	{Types: []string{"kangyang_union", "mutual_aid_courtyard"}, DistanceM: 1500, DistanceCommunityM: 800},
	{Types: []string{"service_complex", "social_work_station"}, DistanceM: 2000},
}

// Data makes nDemand demand units (codes 330225TTTVVV: 18 townships, a fifth of them communities) and nFac existing
// facilities, uniformly at random over the extent, from seed.
func Data(nDemand, nFac int, seed uint64) *coverage.Data {
	r := rand.New(rand.NewPCG(seed, 7))
	d := &coverage.Data{County: coverage.Area{Code: "330225", Name: "象山县"}}
	for t := 0; t < 18; t++ {
		d.Townships = append(d.Townships, coverage.Area{Code: fmt.Sprintf("330225%03d", 100+t), Name: fmt.Sprintf("镇%d", t)})
	}
	pt := func() orb.Point { return orb.Point{121.55 + r.Float64()*0.5, 28.95 + r.Float64()*0.6} }
	for i := 0; i < nDemand; i++ {
		t := d.Townships[i%18].Code
		v := 200 + i/18%799 // 200–998: villages; a fifth become communities (001–199)
		if i%5 == 0 {
			v = 1 + i/18%199
		}
		code := fmt.Sprintf("%s%03d", t, v)
		d.Demand = append(d.Demand, coverage.Demand{Code: code + fmt.Sprintf("-%d", i), Name: code, TownshipCode: t,
			Elderly: 50 + r.IntN(900), Point: pt(), Community: i%5 == 0})
	}
	for j := 0; j < nFac; j++ {
		d.Sites = append(d.Sites, coverage.Site{ID: fmt.Sprintf("F%06d", j), Type: Types[j%len(Types)], Status: "existing",
			TownshipCode: d.Townships[j%18].Code, Point: pt(), Beds: float64(r.IntN(100))})
	}
	return d
}

// Candidates makes n candidate sites uniformly over the extent.
func Candidates(n int, seed uint64) []coverage.Candidate {
	r := rand.New(rand.NewPCG(seed, 8))
	out := make([]coverage.Candidate, n)
	for i := range out {
		out[i] = coverage.Candidate{ID: fmt.Sprintf("C%05d", i), Kind: "point",
			Point: orb.Point{121.55 + r.Float64()*0.5, 28.95 + r.Float64()*0.6}}
	}
	return out
}
