package coverage

import "fmt"

// Row is one line of the gap table: an indicator at one scope (the county, or one township for scope township) in
// one phase. Target, Gap and Met are nil when the indicator has no target in the phase. Gap is target − actual
// (positive: short of the target; ≤ 0: met). Actual is rounded to two decimals, in the indicator's unit (% for
// coverage and presence).
type Row struct {
	Indicator string   `json:"indicator"`
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Scope     string   `json:"scope"`
	Code      string   `json:"code"`
	ScopeName string   `json:"scope_name"`
	Phase     string   `json:"phase"`
	Target    *float64 `json:"target"`
	Actual    float64  `json:"actual"`
	Gap       *float64 `json:"gap"`
	Met       *bool    `json:"met"`
	Unit      string   `json:"unit,omitempty"`
	Source    string   `json:"source"`
}

// TownshipDetail is one township's actual value of every indicator (indicator id → value in its unit; presence is
// 100 when the township has the facility, else 0; count is the township's own count) and its elderly.
type TownshipDetail struct {
	Code    string             `json:"code"`
	Name    string             `json:"name"`
	Elderly int                `json:"elderly"`
	Values  map[string]float64 `json:"values"`
}

// Actuals is every indicator's actual values under one scenario: the county's value and each township's, and for
// coverage indicators the CoverageResult (per demand unit).
type Actuals struct {
	Plan      Plan
	Scenario  string
	Area      Area // the county
	County    map[string]float64
	Townships []TownshipDetail
	Coverage  map[string]CoverageResult
}

// Result is the gap table of one plan, phase and scenario, with the per-township detail.
type Result struct {
	Plan      string           `json:"plan"`
	Phase     string           `json:"phase"`
	Scenario  string           `json:"scenario"`
	Distance  string           `json:"distance"` // "geodesic": straight-line metres on the CGCS2000 ellipsoid
	Sites     int              `json:"posted_sites"`
	Rows      []Row            `json:"rows"`
	Townships []TownshipDetail `json:"townships"`
}

// Evaluate computes every indicator of p under scenario (ScenarioStatuses) with the posted sites extra added:
//
//   - coverage: % of elderly within the indicator's distance of a site of its types (Data.Coverage);
//   - ratio: Σ supply of the sites of its types ÷ elderly × per;
//   - presence: % of townships with at least one site of its types;
//   - count: Σ supply (1 per facility, or beds …) of the sites of its types.
func (d *Data) Evaluate(p Plan, scenario string, extra []Site) (*Actuals, error) {
	statuses, ok := ScenarioStatuses(scenario)
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q", scenario)
	}
	a := &Actuals{Plan: p, Scenario: scenario, Area: d.County, County: map[string]float64{}, Coverage: map[string]CoverageResult{}}
	elderly := map[string]int{}
	total := 0
	for _, u := range d.Demand {
		elderly[u.TownshipCode] += u.Elderly
		total += u.Elderly
	}
	for _, t := range d.Townships {
		a.Townships = append(a.Townships, TownshipDetail{Code: t.Code, Name: t.Name, Elderly: elderly[t.Code],
			Values: map[string]float64{}})
	}
	for _, in := range p.Indicators {
		sites := d.selectSites(in.Types, statuses, extra)
		supply := map[string]float64{}
		var all float64
		for _, s := range sites {
			v := s.Supply(in.SupplyOrDefault())
			supply[s.TownshipCode] += v
			all += v
		}
		switch in.Kind {
		case KindCoverage:
			res := d.Coverage(Query{Types: in.Types, Statuses: statuses, DistanceM: in.DistanceM,
				DistanceCommunityM: in.DistanceCommunityM, Extra: extra})
			a.Coverage[in.ID] = res
			a.County[in.ID] = res.Scopes[0].CoveragePct
			for i := range a.Townships {
				a.Townships[i].Values[in.ID] = res.Scopes[i+1].CoveragePct
			}
		case KindRatio:
			a.County[in.ID] = ratio(all, total, in.Per)
			for i, t := range a.Townships {
				a.Townships[i].Values[in.ID] = ratio(supply[t.Code], t.Elderly, in.Per)
			}
		case KindPresence:
			has := 0
			present := map[string]bool{}
			for _, s := range sites {
				present[s.TownshipCode] = true
			}
			for i, t := range a.Townships {
				v := 0.0
				if present[t.Code] {
					v, has = 100, has+1
				}
				a.Townships[i].Values[in.ID] = v
			}
			a.County[in.ID] = Pct(has, len(d.Townships))
		case KindCount:
			a.County[in.ID] = Round2(all)
			for i, t := range a.Townships {
				a.Townships[i].Values[in.ID] = Round2(supply[t.Code])
			}
		}
	}
	return a, nil
}

func ratio(supply float64, elderly int, per float64) float64 {
	if elderly == 0 {
		return 0
	}
	return Round2(supply / float64(elderly) * per)
}

// Gaps is the gap table of phase: for every indicator its county row, or for scope township one row per township.
func (a *Actuals) Gaps(phase string) Result {
	res := Result{Plan: a.Plan.ID, Phase: phase, Scenario: a.Scenario, Distance: "geodesic", Townships: a.Townships}
	for _, in := range a.Plan.Indicators {
		row := Row{Indicator: in.ID, Name: in.Name, Kind: in.Kind, Scope: in.Scope, Phase: phase, Unit: in.Unit,
			Source: in.Source}
		t, has := in.Targets[phase]
		fill := func(r Row, actual float64) Row {
			r.Actual = actual
			if has {
				tv, gap := t, Round2(t-actual)
				met := actual >= t-1e-9
				r.Target, r.Gap, r.Met = &tv, &gap, &met
			}
			return r
		}
		if in.Scope == ScopeTownship {
			for _, td := range a.Townships {
				r := row
				r.Code, r.ScopeName = td.Code, td.Name
				res.Rows = append(res.Rows, fill(r, td.Values[in.ID]))
			}
			continue
		}
		row.Code, row.ScopeName = a.Area.Code, a.Area.Name
		res.Rows = append(res.Rows, fill(row, a.County[in.ID]))
	}
	return res
}
