package coverage

import (
	"context"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Candidate is a place a new facility could go.
type Candidate struct {
	ID           string    `json:"id"`
	Name         string    `json:"name,omitempty"`
	Kind         string    `json:"kind"` // village | point | grid
	TownshipCode string    `json:"township_code,omitempty"`
	Point        orb.Point `json:"-"`
}

// Objectives and solvers of Siting.
const (
	ObjectiveMCLP = "mclp"
	ObjectiveLSCP = "lscp"
	SolverGreedy  = "greedy"
	SolverExact   = "exact"
)

// GreedyBound is the guarantee stated with every greedy MCLP answer.
const GreedyBound = "greedy MCLP covers at least (1 − 1/e) ≈ 63.2 % of the optimal weight (Nemhauser, Wolsey & Fisher 1978)"

// LSCPBound is the guarantee stated with every greedy LSCP answer.
const LSCPBound = "greedy LSCP uses at most H(m) ≤ ln m + 1 times the fewest sites, m the most units one site covers (Chvátal 1979)"

// ChosenSite is one selected candidate with what it adds in the order chosen.
type ChosenSite struct {
	Candidate
	Lon          float64 `json:"lon"`
	Lat          float64 `json:"lat"`
	AddedElderly float64 `json:"added_elderly"`
}

// UnitRef names a demand unit in a siting answer.
type UnitRef struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Elderly int    `json:"elderly"`
}

// SitingResult is the answer of Siting. Coverage figures are elderly and % of the county's elderly, before (the
// scenario's sites) and after adding the chosen sites. Uncoverable units are uncovered units no candidate reaches.
type SitingResult struct {
	Objective          string       `json:"objective"`
	Solver             string       `json:"solver"`
	Optimal            bool         `json:"optimal"`
	Bound              string       `json:"bound,omitempty"`
	Distance           string       `json:"distance"`
	P                  int          `json:"p,omitempty"`
	Candidates         int          `json:"candidates"`
	Sites              []ChosenSite `json:"sites"`
	TotalElderly       int          `json:"total_elderly"`
	CoveredBefore      int          `json:"covered_elderly_before"`
	CoveredAfter       int          `json:"covered_elderly_after"`
	CoveragePctBefore  float64      `json:"coverage_pct_before"`
	CoveragePctAfter   float64      `json:"coverage_pct_after"`
	UncoveredUnits     int          `json:"uncovered_units_after"`
	Uncoverable        []UnitRef    `json:"uncoverable"`
	UncoverableElderly int          `json:"uncoverable_elderly"`
}

// Siting chooses new sites for coverage indicator in among cands, given the sites of statuses (plus extra): MCLP
// picks p sites covering the most still-uncovered elderly, LSCP the fewest that cover every coverable uncovered unit;
// solver greedy (GreedyMCLP, GreedyLSCP) or exact (CBC). A unit is reached from a candidate within its own service
// distance (community or village).
func (d *Data) Siting(ctx context.Context, in Indicator, statuses []string, extra []Site, cands []Candidate,
	objective, solver string, p int) (SitingResult, error) {
	base := d.Coverage(Query{Types: in.Types, Statuses: statuses, DistanceM: in.DistanceM,
		DistanceCommunityM: in.DistanceCommunityM, Extra: extra})
	var open []int // indices into d.Demand of uncovered units
	for k, u := range base.Units {
		if !u.Covered {
			open = append(open, k)
		}
	}
	pr, err := d.coverProblem(in, open, cands)
	if err != nil {
		return SitingResult{}, err
	}
	var sol Solution
	switch {
	case objective == ObjectiveMCLP && solver == SolverGreedy:
		sol = GreedyMCLP(pr, p)
	case objective == ObjectiveMCLP && solver == SolverExact:
		sol, err = ExactMCLP(ctx, pr, p)
	case objective == ObjectiveLSCP && solver == SolverGreedy:
		sol = GreedyLSCP(pr)
	case objective == ObjectiveLSCP && solver == SolverExact:
		sol, err = ExactLSCP(ctx, pr)
	default:
		err = fmt.Errorf("unknown objective %q or solver %q", objective, solver)
	}
	if err != nil {
		return SitingResult{}, err
	}
	res := SitingResult{Objective: objective, Solver: sol.Solver, Optimal: sol.Optimal, Distance: "geodesic",
		Candidates: len(cands), Sites: []ChosenSite{}, Uncoverable: []UnitRef{}, TotalElderly: base.Scopes[0].Elderly,
		CoveredBefore: base.Scopes[0].CoveredElderly}
	if objective == ObjectiveMCLP {
		res.P = p
	}
	if solver == SolverGreedy {
		res.Bound = GreedyBound
		if objective == ObjectiveLSCP {
			res.Bound = LSCPBound
		}
	}
	for k, j := range sol.Chosen {
		c := cands[j]
		res.Sites = append(res.Sites, ChosenSite{Candidate: c, Lon: c.Point[0], Lat: c.Point[1], AddedElderly: sol.Gains[k]})
	}
	res.CoveredAfter = res.CoveredBefore + int(math.Round(sol.Covered))
	res.UncoveredUnits = len(open) - sol.Points
	for _, i := range pr.Uncoverable() {
		u := d.Demand[open[i]]
		res.Uncoverable = append(res.Uncoverable, UnitRef{u.Code, u.Name, u.Elderly})
		res.UncoverableElderly += u.Elderly
	}
	res.CoveragePctBefore = Pct(res.CoveredBefore, res.TotalElderly)
	res.CoveragePctAfter = Pct(res.CoveredAfter, res.TotalElderly)
	return res, nil
}

// coverProblem builds the cover sets of cands over the demand units open (indices into d.Demand), weights = elderly.
func (d *Data) coverProblem(in Indicator, open []int, cands []Candidate) (CoverProblem, error) {
	pr := CoverProblem{Weights: make([]float64, len(open)), Cover: make([][]int, len(cands))}
	pts := make([]orb.Point, len(open))
	for i, k := range open {
		pts[i] = d.Demand[k].Point
		pr.Weights[i] = float64(d.Demand[k].Elderly)
	}
	ix := NewIndex(pts)
	maxR := math.Max(in.DistanceM, in.CommunityDistance())
	parallel(len(cands), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			ix.Within(cands[j].Point, maxR, func(i int, dist float64) {
				r := in.DistanceM
				if d.Demand[open[i]].Community {
					r = in.CommunityDistance()
				}
				if dist <= r {
					pr.Cover[j] = append(pr.Cover[j], i)
				}
			})
		}
	})
	return pr, nil
}

// VillageCandidates are the demand units' points (one candidate per village-level unit).
func (d *Data) VillageCandidates() []Candidate {
	out := make([]Candidate, len(d.Demand))
	for i, u := range d.Demand {
		out[i] = Candidate{ID: u.Code, Name: u.Name, Kind: "village", TownshipCode: u.TownshipCode, Point: u.Point}
	}
	return out
}
