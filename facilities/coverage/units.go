package coverage

// Unit statuses under a coverage indicator: the status of /api/coverage/units and of the coverage tile layer.
const (
	UnitCovered     = "covered"     // a site of the indicator's types and the scenario's statuses is within reach
	UnitUncovered   = "uncovered"   // none is, but a candidate site is: a new site can cover it
	UnitUncoverable = "uncoverable" // none is, and no candidate site is within reach either (reported, never an error)
)

// UnitView is one demand unit under a coverage indicator: its nearest site (UnitResult, searched to MaxDistanceM),
// its status and its service distance in metres (the community one for a community).
type UnitView struct {
	Demand
	UnitResult
	Status    string
	DistanceM float64
}

// ServiceArea is a site an indicator counts, with the geodesic radii it serves villages and communities within
// (metres; equal when the indicator has no community distance).
type ServiceArea struct {
	Site
	DistanceM          float64
	DistanceCommunityM float64
}

// UnitStatuses classifies every demand unit (in d.Demand order) under coverage indicator in with the sites of statuses
// plus extra: covered, uncovered, or uncoverable when no candidate of cands is within the unit's service distance
// either (coverProblem, the same reach as Siting). It also returns the sites counted, as service areas, in d.Sites
// order then extra.
func (d *Data) UnitStatuses(in Indicator, statuses []string, extra []Site, cands []Candidate) ([]UnitView, []ServiceArea) {
	res := d.Coverage(Query{Types: in.Types, Statuses: statuses, DistanceM: in.DistanceM,
		DistanceCommunityM: in.DistanceCommunityM, Extra: extra, Nearest: true})
	var open []int
	for k, u := range res.Units {
		if !u.Covered {
			open = append(open, k)
		}
	}
	pr, _ := d.coverProblem(in, open, cands)
	unreachable := map[int]bool{}
	for _, i := range pr.Uncoverable() {
		unreachable[open[i]] = true
	}
	units := make([]UnitView, len(d.Demand))
	for k, u := range d.Demand {
		v := UnitView{Demand: u, UnitResult: res.Units[k], Status: UnitCovered, DistanceM: in.DistanceM}
		if u.Community {
			v.DistanceM = in.CommunityDistance()
		}
		switch {
		case unreachable[k]:
			v.Status = UnitUncoverable
		case !v.Covered:
			v.Status = UnitUncovered
		}
		units[k] = v
	}
	var areas []ServiceArea
	for _, s := range d.selectSites(in.Types, statuses, extra) {
		areas = append(areas, ServiceArea{Site: s, DistanceM: in.DistanceM, DistanceCommunityM: in.CommunityDistance()})
	}
	return units, areas
}
