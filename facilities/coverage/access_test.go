package coverage

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// TestAccessHand: one nursing home of 60 beds at (121, 30); units at 0.002° (221.7 m) and 0.005° (554.3 m) north,
// 100 and 200 elderly, catchment 1000 m. 2SFCA: R = 60/300 = 0.2, both scores 0.2. E2SFCA (PySAL steps at 1/3, 2/3,
// 1 of 1000 m): weights 1 and 0.68, R = 60/(100 + 0.68·200) = 60/236, scores 0.254237… and 0.68·that = 0.172881….
func TestAccessHand(t *testing.T) {
	d := &Data{County: Area{"330225", "象山县"}, Townships: []Area{{"330225001", "丹东街道"}},
		Demand: []Demand{
			{Code: "330225001201", TownshipCode: "330225001", Elderly: 100, Point: orb.Point{121, 30.002}},
			{Code: "330225001202", TownshipCode: "330225001", Elderly: 200, Point: orb.Point{121, 30.005}},
			{Code: "330225001203", TownshipCode: "330225001", Elderly: 50, Point: orb.Point{121, 30.02}}, // 2.2 km: none
		},
		Sites: []Site{{ID: "N", Type: "nursing_home", Status: "existing", Point: orb.Point{121, 30}, Beds: 60}}}
	for _, c := range []struct {
		method string
		want   []float64
	}{
		{Method2SFCA, []float64{0.2, 0.2, 0}},
		{MethodE2SFCA, []float64{60.0 / 236, 0.68 * 60 / 236, 0}},
	} {
		res, err := d.Access(c.method, []string{"nursing_home"}, []string{"existing"}, nil, SupplyBeds, 1000, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, u := range res.Units {
			if math.Abs(u.Score-c.want[i]) > 1e-12 {
				t.Errorf("%s unit %d: %v, want %v", c.method, i, u.Score, c.want[i])
			}
		}
		if math.Abs(res.DemandScore-60) > 1e-9 || res.SupplyReached != 60 {
			t.Errorf("%s: Σ P·A = %v, supply %v", c.method, res.DemandScore, res.SupplyReached)
		}
	}
}

// TestAccessReconciles: Σ demand × score = total supply of the sites with any demand in reach, on random data, for
// both methods and every supply measure.
func TestAccessReconciles(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d := &Data{County: Area{"330225", "象山县"}, Townships: []Area{{"330225001", "丹东街道"}}}
	for i := 0; i < 800; i++ {
		code := "330225001" + []string{"001", "201"}[i%2]
		d.Demand = append(d.Demand, Demand{Code: code, TownshipCode: "330225001", Elderly: 1 + rng.IntN(900),
			Community: i%2 == 0, Point: orb.Point{121.7 + rng.Float64()*0.3, 29.2 + rng.Float64()*0.3}})
	}
	for j := 0; j < 150; j++ {
		d.Sites = append(d.Sites, Site{ID: "S", Type: "canteen", Status: "existing", Beds: float64(rng.IntN(80)),
			Meals: float64(50 + rng.IntN(300)), Point: orb.Point{121.7 + rng.Float64()*0.3, 29.2 + rng.Float64()*0.3}})
	}
	for _, m := range []string{Method2SFCA, MethodE2SFCA} {
		for _, s := range []string{SupplyFacilities, SupplyBeds, SupplyMeals} {
			res, err := d.Access(m, []string{"canteen"}, nil, nil, s, 1500, 700, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.SupplyReached == 0 || res.SupplyReached >= res.SupplyAll && s == SupplyFacilities {
				t.Fatalf("%s %s: reached %v of %v: the case should leave some sites without demand", m, s,
					res.SupplyReached, res.SupplyAll)
			}
			if math.Abs(res.DemandScore-res.SupplyReached) > 1e-9*res.SupplyReached {
				t.Errorf("%s %s: Σ P·A = %.9f, supply reached %.9f", m, s, res.DemandScore, res.SupplyReached)
			}
		}
	}
}
