// Package coverage measures the county's eldercare, meal and service facilities against a layout plan (DOMAIN.md §4):
// the plan as data (Plan, validated; a JSON Schema in plan.schema.json; the sample plan embedded as the default),
// the coverage engine (geodesic distances on the CGCS2000 ellipsoid, geo.Distance, with a tidwall/rtree candidate
// search), the gap table per phase and scenario, 2SFCA/E2SFCA accessibility, and site selection (MCLP and LSCP, greedy
// and exact through CBC). Distances are straight-line geodesic metres, never network distances. Records come from any
// facilities.Store and gazetteer.Store, so both stores give the same numbers. Plans are documents (edit.DocStore,
// KindPlan).
package coverage

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"civmap/facilities"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// KindPlan is the document kind of layout plans (id = Plan.ID).
const KindPlan edit.Kind = "plans"

// DefaultPlanID is the id of the embedded sample plan, served when no plan of that id is stored.
const DefaultPlanID = "xiangshan-2021-2035"

// Indicator kinds.
const (
	KindCoverage = "coverage" // % of elderly within distance_m (distance_m_community in communities) of a facility
	KindRatio    = "ratio"    // supply per `per` elderly (beds per 1,000, care workers per 10,000)
	KindPresence = "presence" // % of townships with at least one facility
	KindCount    = "count"    // number of facilities, or the sum of a supply measure
)

// Supply measures: what one facility contributes to a ratio, a count or a 2SFCA score.
const (
	SupplyFacilities  = "facilities"   // 1 per facility
	SupplyBeds        = "beds"         // capacity_beds
	SupplyMeals       = "meals"        // capacity_meals_per_day
	SupplyCareWorkers = "care_workers" // attributes.care_workers (certified care workers)
)

// Scopes of an indicator's targets.
const (
	ScopeCounty   = "county"   // one row for the county
	ScopeTownship = "township" // one row per township (every township must meet the target)
)

// MaxDistanceM is the longest service distance accepted, in metres (100 km).
const MaxDistanceM = 100_000

// Plan is a layout plan: indicators with targets per phase. Phases are years ("2025", "2035").
type Plan struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	County     string      `json:"county"` // 6-digit county code (GB/T 2260)
	Source     string      `json:"source,omitempty"`
	Phases     []string    `json:"phases"`
	Indicators []Indicator `json:"indicators"`
}

// Indicator is one measurable target of a plan.
//
//   - coverage: Types, DistanceM (villages, metres) and DistanceCommunityM (communities; 0 = DistanceM); targets in %.
//   - ratio: Types, Supply, Per (e.g. 1000 for beds per 1,000 elderly); targets in supply units per Per elderly.
//   - presence: Types; targets in % of townships.
//   - count: Types and Supply (facilities or beds …); targets in those units.
//
// Targets maps a phase to its target; a phase may be absent (no target then), but every phase of the plan must have
// at least one indicator with a target. Source says where each value comes from (DOMAIN.md §4 marks them).
type Indicator struct {
	ID                 string             `json:"id"`
	Name               string             `json:"name"`
	Kind               string             `json:"kind"`
	Types              []string           `json:"types"`
	DistanceM          float64            `json:"distance_m,omitempty"`
	DistanceCommunityM float64            `json:"distance_m_community,omitempty"`
	Supply             string             `json:"supply,omitempty"`
	Per                float64            `json:"per,omitempty"`
	Scope              string             `json:"scope"`
	Targets            map[string]float64 `json:"targets"`
	Unit               string             `json:"unit,omitempty"`
	Source             string             `json:"source"`
}

// CommunityDistance is the service distance for a demand unit in a community (DistanceCommunityM, else DistanceM).
func (in Indicator) CommunityDistance() float64 {
	if in.DistanceCommunityM > 0 {
		return in.DistanceCommunityM
	}
	return in.DistanceM
}

// SupplyOrDefault is the indicator's supply measure, facilities when unset.
func (in Indicator) SupplyOrDefault() string {
	if in.Supply == "" {
		return SupplyFacilities
	}
	return in.Supply
}

// Indicator returns the plan's indicator id.
func (p Plan) Indicator(id string) (Indicator, bool) {
	for _, in := range p.Indicators {
		if in.ID == id {
			return in, true
		}
	}
	return Indicator{}, false
}

// HasPhase reports whether phase is one of the plan's phases.
func (p Plan) HasPhase(phase string) bool {
	for _, ph := range p.Phases {
		if ph == phase {
			return true
		}
	}
	return false
}

//go:embed default_plan.json
var defaultPlanJSON []byte

// Default returns the embedded sample plan of DOMAIN.md §4 (every value's source in its Source).
func Default() Plan {
	p, err := ParsePlan(defaultPlanJSON)
	if err != nil {
		panic("coverage: the embedded default plan is invalid: " + err.Error()) // a build error, caught by tests
	}
	return p
}

// ParsePlan decodes a plan from JSON or YAML (YAML is converted to JSON first, sigs.k8s.io/yaml) and validates it.
// Unknown members are errors. Errors are apierr.Invalid naming the path, e.g. "indicators[2].distance_m"; a syntax
// error names "body" with the line YAML reports.
func ParsePlan(data []byte) (Plan, error) {
	js := data
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		var err error
		if js, err = yaml.YAMLToJSON(data); err != nil {
			return Plan{}, apierr.Field("body", "not a JSON or YAML plan: %v", err)
		}
	}
	// Indicators are decoded one by one so that an error names its index.
	var raw struct {
		Plan
		Indicators []json.RawMessage `json:"indicators"`
	}
	if err := strictJSON(js, &raw); err != nil {
		return Plan{}, apierr.Field(jsonPath("", err), "%v", err)
	}
	p := raw.Plan
	p.Indicators = make([]Indicator, len(raw.Indicators))
	for i, r := range raw.Indicators {
		if err := strictJSON(r, &p.Indicators[i]); err != nil {
			return Plan{}, apierr.Field(jsonPath(fmt.Sprintf("indicators[%d]", i), err), "%v", err)
		}
	}
	if err := p.Validate(); err != nil {
		return Plan{}, err
	}
	return p, nil
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// jsonPath names the member a json decode error is about, under prefix (prefix itself, or "body", when it does not
// say).
func jsonPath(prefix string, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		f := indexRe.ReplaceAllString(te.Field, "[$1]")
		if prefix != "" {
			return prefix + "." + f
		}
		return f
	}
	if prefix != "" {
		return prefix
	}
	return "body"
}

var indexRe = regexp.MustCompile(`\.(\d+)`)

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var (
	phaseRe = regexp.MustCompile(`^(19|20|21)\d\d$`)
	idRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	countyR = regexp.MustCompile(`^\d{6}$`)
)

// Validate checks a plan: ids (lower-case letters, digits, '-', '_'; unique indicator ids), a 6-digit county code,
// phases as years (at least one, no duplicates, each with a target somewhere), known kinds, facility types
// (facilities.Types), supplies and scopes; distances of coverage indicators in (0, 100 km]; targets finite and ≥ 0,
// ≤ 100 for % kinds, only for the plan's phases; ratio Per > 0; a source note on every indicator. Errors are
// apierr.Invalid with paths such as "indicators[2].distance_m".
func (p *Plan) Validate() error {
	var bad apierr.Invalid
	if !idRe.MatchString(p.ID) {
		bad.Add("id", "must be 1–64 lower-case letters, digits, '-' or '_' (got %q)", p.ID)
	}
	if strings.TrimSpace(p.Name) == "" {
		bad.Add("name", "is required")
	}
	if !countyR.MatchString(p.County) {
		bad.Add("county", "must be a 6-digit county code (got %q)", p.County)
	}
	if len(p.Phases) == 0 {
		bad.Add("phases", "must list at least one phase (a year such as \"2025\")")
	}
	phases := map[string]bool{}
	for i, ph := range p.Phases {
		if !phaseRe.MatchString(ph) {
			bad.Add(fmt.Sprintf("phases[%d]", i), "must be a year such as \"2025\" (got %q)", ph)
		}
		if phases[ph] {
			bad.Add(fmt.Sprintf("phases[%d]", i), "phase %q is listed twice", ph)
		}
		phases[ph] = true
	}
	if len(p.Indicators) == 0 {
		bad.Add("indicators", "must list at least one indicator")
	}
	ids := map[string]int{}
	targeted := map[string]bool{}
	for i, in := range p.Indicators {
		at := fmt.Sprintf("indicators[%d]", i)
		if !idRe.MatchString(in.ID) {
			bad.Add(at+".id", "must be 1–64 lower-case letters, digits, '-' or '_' (got %q)", in.ID)
		} else if j, dup := ids[in.ID]; dup {
			bad.Add(at+".id", "duplicate indicator id %q (also indicators[%d])", in.ID, j)
		} else {
			ids[in.ID] = i
		}
		if strings.TrimSpace(in.Name) == "" {
			bad.Add(at+".name", "is required")
		}
		if strings.TrimSpace(in.Source) == "" {
			bad.Add(at+".source", "is required: say where the target comes from (a standard, a report, or \"illustrative\")")
		}
		if len(in.Types) == 0 && in.Supply != SupplyCareWorkers {
			bad.Add(at+".types", "must list at least one facility type")
		}
		for k, t := range in.Types {
			if _, ok := facilities.Types[t]; !ok {
				bad.Add(fmt.Sprintf("%s.types[%d]", at, k), "unknown facility type %q (want one of %s)", t, typeList())
			}
		}
		switch in.Scope {
		case ScopeCounty, ScopeTownship:
		default:
			bad.Add(at+".scope", "must be %q or %q (got %q)", ScopeCounty, ScopeTownship, in.Scope)
		}
		pct := false
		switch in.Kind {
		case KindCoverage:
			pct = true
			checkDistance(&bad, at+".distance_m", in.DistanceM, true)
			checkDistance(&bad, at+".distance_m_community", in.DistanceCommunityM, false)
			checkSupply(&bad, at, in.Supply, true)
		case KindRatio:
			checkSupply(&bad, at, in.Supply, false)
			if !(in.Per > 0) || math.IsInf(in.Per, 0) {
				bad.Add(at+".per", "must be a positive number of elderly (e.g. 1000; got %v)", in.Per)
			}
		case KindPresence:
			pct = true
			if in.Scope != ScopeCounty {
				bad.Add(at+".scope", "a presence indicator is a share of townships: its scope is %q", ScopeCounty)
			}
		case KindCount:
			checkSupply(&bad, at, in.Supply, true)
		default:
			bad.Add(at+".kind", "must be one of coverage, ratio, presence, count (got %q)", in.Kind)
		}
		if in.Kind != KindCoverage && (in.DistanceM != 0 || in.DistanceCommunityM != 0) {
			bad.Add(at+".distance_m", "only a coverage indicator has a distance")
		}
		for _, ph := range sortedKeys(in.Targets) {
			v := in.Targets[ph]
			f := at + ".targets." + ph
			switch {
			case !phases[ph]:
				bad.Add(f, "phase %q is not one of the plan's phases %v", ph, p.Phases)
			case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
				bad.Add(f, "must be a finite number ≥ 0 (got %v)", v)
			case pct && v > 100:
				bad.Add(f, "is a percentage: at most 100 (got %v)", v)
			default:
				targeted[ph] = true
			}
		}
	}
	for i, ph := range p.Phases {
		if phases[ph] && phaseRe.MatchString(ph) && !targeted[ph] && len(p.Indicators) > 0 {
			bad.Add(fmt.Sprintf("phases[%d]", i), "phase %q has no targets: give at least one indicator a target for it", ph)
		}
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

func checkDistance(bad *apierr.Invalid, field string, d float64, required bool) {
	if d == 0 && !required {
		return
	}
	if math.IsNaN(d) || d <= 0 || d > MaxDistanceM {
		bad.Add(field, "must be a distance in metres, more than 0 and at most %d (got %v)", MaxDistanceM, d)
	}
}

func checkSupply(bad *apierr.Invalid, at, s string, allowEmpty bool) {
	switch s {
	case SupplyFacilities, SupplyBeds, SupplyMeals, SupplyCareWorkers:
	case "":
		if !allowEmpty {
			bad.Add(at+".supply", "is required: one of facilities, beds, meals, care_workers")
		}
	default:
		bad.Add(at+".supply", "must be one of facilities, beds, meals, care_workers (got %q)", s)
	}
}

func typeList() string { return strings.Join(sortedKeys(facilities.Types), ", ") }
