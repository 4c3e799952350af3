package coverage

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Step is one E2SFCA distance band: a pair within Upto × the catchment distance (and beyond the previous band) has
// weight Weight.
type Step struct {
	Upto   float64 `json:"upto"`
	Weight float64 `json:"weight"`
}

// DefaultSteps are the PySAL access library's default E2SFCA steps (≤10: 1, ≤20: 0.68, ≤30: 0.22, else 0), with its
// 30 units mapped to the catchment distance: bands at 1/3, 2/3 and 3/3 of it.
var DefaultSteps = []Step{{1.0 / 3, 1}, {2.0 / 3, 0.68}, {1, 0.22}}

// Methods of Access.
const (
	Method2SFCA  = "2sfca"
	MethodE2SFCA = "e2sfca"
)

// UnitAccess is one demand unit's accessibility score: supply per elderly person reachable (Score) and the same per
// 1,000 elderly (Per1000).
type UnitAccess struct {
	Code         string  `json:"code"`
	Name         string  `json:"name"`
	TownshipCode string  `json:"township_code"`
	Elderly      int     `json:"elderly"`
	Score        float64 `json:"score"`
	Per1000      float64 `json:"per_1000"`
}

// AccessResult is a 2SFCA/E2SFCA run. SupplyReached is the total supply of the sites with some demand in reach;
// DemandScore is Σ elderly × score over the demand units: the two are equal up to rounding (the reconciliation
// identity). SupplyAll counts every site's supply.
type AccessResult struct {
	Method        string       `json:"method"`
	Supply        string       `json:"supply"`
	Distance      string       `json:"distance"`
	Steps         []Step       `json:"steps,omitempty"`
	SupplyAll     float64      `json:"supply_all"`
	SupplyReached float64      `json:"supply_reached"`
	DemandScore   float64      `json:"demand_score"`
	Units         []UnitAccess `json:"units"`
}

// Access computes the two-step floating catchment area score (2SFCA, Luo & Wang 2003) or its enhanced form with
// distance-decay steps (E2SFCA, Luo & Qi 2009) for the sites of types and statuses (plus extra):
//
//	R_j = S_j / Σ_k P_k·W(d_kj)          (step 1: supply-to-demand ratio of site j over the demand in reach)
//	A_i = Σ_j R_j·W(d_ij)                (step 2: the ratios of the sites within reach of demand unit i)
//
// S_j is the site's supply (supply: facilities = 1, beds, meals), P_k the unit's elderly, d geodesic metres; a pair is
// in reach when d ≤ d0 of the demand unit (distanceM for villages, communityM for communities). W is 1 in reach for
// 2SFCA; for E2SFCA, steps (DefaultSteps when nil) of d0. Summing step 2 weighted by P_i gives Σ_i P_i·A_i =
// Σ_{j reached} S_j: the county-wide ratio reconciles with total supply.
func (d *Data) Access(method string, types, statuses []string, extra []Site, supply string, distanceM, communityM float64,
	steps []Step) (AccessResult, error) {
	if method != Method2SFCA && method != MethodE2SFCA {
		return AccessResult{}, fmt.Errorf("unknown method %q", method)
	}
	if method == MethodE2SFCA && steps == nil {
		steps = DefaultSteps
	}
	if communityM <= 0 {
		communityM = distanceM
	}
	sites := d.selectSites(types, statuses, extra)
	pts := make([]orb.Point, len(sites))
	res := AccessResult{Method: method, Supply: supply, Distance: "geodesic"}
	if method == MethodE2SFCA {
		res.Steps = steps
	}
	for i, s := range sites {
		pts[i] = s.Point
		res.SupplyAll += s.Supply(supply)
	}
	ix := NewIndex(pts)
	type pair struct {
		j int
		w float64
	}
	pairs := make([][]pair, len(d.Demand))
	denom := make([]float64, len(sites))
	for i, u := range d.Demand {
		r := distanceM
		if u.Community {
			r = communityM
		}
		ix.Within(u.Point, r, func(j int, dist float64) {
			w := 1.0
			if method == MethodE2SFCA {
				w = stepWeight(steps, dist/r)
			}
			if w > 0 {
				pairs[i] = append(pairs[i], pair{j, w})
				denom[j] += float64(u.Elderly) * w
			}
		})
	}
	ratio := make([]float64, len(sites))
	for j, s := range sites {
		if denom[j] > 0 {
			ratio[j] = s.Supply(supply) / denom[j]
			res.SupplyReached += s.Supply(supply)
		}
	}
	for i, u := range d.Demand {
		var a float64
		for _, p := range pairs[i] {
			a += ratio[p.j] * p.w
		}
		res.DemandScore += float64(u.Elderly) * a
		res.Units = append(res.Units, UnitAccess{Code: u.Code, Name: u.Name, TownshipCode: u.TownshipCode,
			Elderly: u.Elderly, Score: a, Per1000: math.Round(a*1000*1e4) / 1e4})
	}
	return res, nil
}

// stepWeight is the weight of the band holding x (distance as a fraction of the catchment), 0 beyond the last.
func stepWeight(steps []Step, x float64) float64 {
	for _, s := range steps {
		if x <= s.Upto+1e-12 {
			return s.Weight
		}
	}
	return 0
}
