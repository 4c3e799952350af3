package coverage

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// Store is what the coverage API reads: facilities and demand, and divisions (townships, Locate for posted sites).
// Plans are documents: when the store is also an edit.DocStore, plans are read from and written to it (KindPlan);
// otherwise only the default plan is served and PUT /api/plans/{id} answers 501.
type Store interface {
	facilities.Store
	gazetteer.Store
}

// NewHandler returns the coverage API as a complete handler (httpx.NewRouter, Routes, httpx.Recover).
func NewHandler(st Store) http.Handler {
	r := httpx.NewRouter()
	Routes(r, st)
	return httpx.Recover(r)
}

// Routes registers the coverage API on r. Distances are geodesic metres on the CGCS2000 ellipsoid ("distance":
// "geodesic"), never network distances. Errors are RFC 9457 problems naming the field (400 for query parameters, 422
// for a body breaking a rule).
//
//	GET  /api/coverage/query?types=A,B&statuses=S,T&distance_m=D[&distance_m_community=D2]
//	     {"distance":"geodesic","scopes":[{code,name,level,elderly,covered_elderly,coverage_pct}…]}: the county first,
//	     then every township by code; coverage_pct 0–100 with two decimals (0 for a township with none covered).
//	     statuses defaults to existing; distance_m in (0, 100000]; distance_m_community (communities: codes 001–199)
//	     defaults to distance_m.
//	GET  /api/coverage/query.csv   the same as CSV (UTF-8, header code,name,level,elderly,covered_elderly,coverage_pct).
//	GET  /api/coverage?plan=&phase=&scenario=   Result: the gap table and per-township detail (plan default
//	     DefaultPlanID, phase default the plan's first, scenario existing | under_construction | planned).
//	POST /api/coverage   {"plan","phase","scenario","sites":[{"type","lon","lat","name","capacity_beds",
//	     "capacity_meals_per_day"}]}: the same with planner-added sites (each must lie in a township of the county).
//	GET  /api/coverage/gaps.csv?plan=&phase=&scenario=   the gap table as CSV, Chinese headers.
//	GET  /api/coverage/gaps.xlsx?plan=&scenario=   the gap table as an Excel workbook, one sheet per phase.
//	GET  /api/coverage/uncovered?indicator=&plan=&scenario=[&candidates=villages|grid&spacing_m=]   GeoJSON
//	     FeatureCollection of the demand units a coverage indicator leaves uncovered, with the nearest site of its types
//	     (searched to 100 km) and its distance.
//	GET  /api/coverage/units?indicator=&plan=&scenario=[&candidates=&spacing_m=]   every demand unit as GeoJSON with
//	     status covered | uncovered | uncoverable (no candidate site within reach: villages, the default, never leave
//	     one; a grid can), its service distance and the nearest site of the indicator's types and its distance (0.1 m).
//	GET  /api/coverage/access?indicator=&plan=&scenario=&method=2sfca|e2sfca   2SFCA / E2SFCA scores (Access).
//	POST /api/coverage/siting   SitingRequest → SitingResult (MCLP or LSCP, greedy or exact through CBC).
//	GET  /api/plans   the plans (stored ones, and the default when it is not stored).
//	GET  /api/plans/{id}   a plan, ETag its version (the unstored default has none).
//	PUT  /api/plans/{id}   replace (If-Match "<version>" or *) or create (If-None-Match: *) a plan (planner role);
//	     JSON or YAML body, validated (422 naming the path, e.g. indicators[2].distance_m).
func Routes(r *mux.Router, st Store) {
	h := NewService(st).h
	sub := httpx.Sub(r)
	get := []string{http.MethodGet, http.MethodHead}
	sub.Handle("/api/coverage/query", httpx.HandlerFunc(h.query)).Methods(get...)
	sub.Handle("/api/coverage/query.csv", httpx.HandlerFunc(h.queryCSV)).Methods(get...)
	sub.Handle("/api/coverage", httpx.HandlerFunc(h.coverage)).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
	sub.Handle("/api/coverage/gaps.csv", httpx.HandlerFunc(h.gapsCSV)).Methods(get...)
	sub.Handle("/api/coverage/gaps.xlsx", httpx.HandlerFunc(h.gapsXLSX)).Methods(get...)
	sub.Handle("/api/coverage/uncovered", httpx.HandlerFunc(h.uncovered)).Methods(get...)
	sub.Handle("/api/coverage/units", httpx.HandlerFunc(h.units)).Methods(get...)
	sub.Handle("/api/coverage/access", httpx.HandlerFunc(h.access)).Methods(get...)
	sub.Handle("/api/coverage/siting", httpx.HandlerFunc(h.siting)).Methods(http.MethodPost)
	sub.Handle("/api/plans", httpx.HandlerFunc(h.plans)).Methods(get...)
	sub.Handle("/api/plans/{id}", httpx.HandlerFunc(h.plan)).Methods(get...)
	sub.Handle("/api/plans/{id}", httpx.HandlerFunc(h.putPlan)).Methods(http.MethodPut)
}

type api struct {
	st   Store
	docs edit.DocStore
}

// Service runs what the API answers, for the command line: the same checks and numbers.
type Service struct{ h *api }

// NewService returns the coverage service over st (plans from st when it is an edit.DocStore).
func NewService(st Store) *Service {
	h := &api{st: st}
	h.docs, _ = st.(edit.DocStore)
	return &Service{h}
}

// Query is GET /api/coverage/query with its parameters read from get (types, statuses, distance_m,
// distance_m_community).
func (s *Service) Query(ctx context.Context, get func(string) string) (QueryResponse, error) {
	return s.h.adhoc(ctx, get)
}

// Gaps is POST /api/coverage: the gap table of req's plan, phase and scenario (with its posted sites).
func (s *Service) Gaps(ctx context.Context, req CoverageRequest) (Result, error) {
	return s.h.gaps(ctx, req)
}

// Siting is POST /api/coverage/siting.
func (s *Service) Siting(ctx context.Context, req SitingRequest) (SitingResult, error) {
	return s.h.runSiting(ctx, req)
}

// QueryResponse is the answer of GET /api/coverage/query.
type QueryResponse struct {
	Distance string     `json:"distance"`
	Scopes   []ScopeRow `json:"scopes"`
}

// ParseQuery reads the ad-hoc query's parameters (types, statuses, distance_m, distance_m_community); errors are 400
// naming the parameter.
func ParseQuery(get func(string) string) (Query, error) {
	var q Query
	var err error
	if q.Types, err = list(get("types"), "types", facilities.Types, true); err != nil {
		return q, err
	}
	st := get("statuses")
	if strings.TrimSpace(st) == "" {
		st = "existing"
	}
	if q.Statuses, err = list(st, "statuses", facilities.Statuses, true); err != nil {
		return q, err
	}
	if q.DistanceM, err = distance(get("distance_m"), "distance_m", true); err != nil {
		return q, err
	}
	if q.DistanceCommunityM, err = distance(get("distance_m_community"), "distance_m_community", false); err != nil {
		return q, err
	}
	return q, nil
}

func list(s, field string, allowed map[string]string, required bool) ([]string, error) {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if _, ok := allowed[v]; !ok {
			return nil, httpx.BadParam(field, "unknown value %s (want a comma-separated list of %s)", httpx.Quote(v),
				strings.Join(sortedKeys(allowed), ", "))
		}
		out = append(out, v)
	}
	if len(out) == 0 && required {
		return nil, httpx.BadParam(field, "is required: a comma-separated list of %s", strings.Join(sortedKeys(allowed), ", "))
	}
	return out, nil
}

func distance(s, field string, required bool) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return 0, httpx.BadParam(field, "is required: a distance in metres, more than 0 and at most %d", MaxDistanceM)
		}
		return 0, nil
	}
	d, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(d) || d <= 0 || d > MaxDistanceM {
		return 0, httpx.BadParam(field, "must be a distance in metres, more than 0 and at most %d (got %s)", MaxDistanceM,
			httpx.Quote(s))
	}
	return d, nil
}

func (h *api) runQuery(r *http.Request) (QueryResponse, error) {
	return h.adhoc(r.Context(), r.URL.Query().Get)
}

func (h *api) adhoc(ctx context.Context, get func(string) string) (QueryResponse, error) {
	q, err := ParseQuery(get)
	if err != nil {
		return QueryResponse{}, err
	}
	d, err := h.load(ctx, Default().County)
	if err != nil {
		return QueryResponse{}, err
	}
	return QueryResponse{Distance: "geodesic", Scopes: d.Coverage(q).Scopes}, nil
}

func (h *api) load(ctx context.Context, county string) (*Data, error) {
	return Load(ctx, h.st, h.st, county)
}

func (h *api) query(w http.ResponseWriter, r *http.Request) error {
	res, err := h.runQuery(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (h *api) queryCSV(w http.ResponseWriter, r *http.Request) error {
	res, err := h.runQuery(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	return WriteScopesCSV(w, res.Scopes)
}

// WriteScopesCSV writes scope rows as CSV: code,name,level,elderly,covered_elderly,coverage_pct.
func WriteScopesCSV(w io.Writer, rows []ScopeRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"code", "name", "level", "elderly", "covered_elderly", "coverage_pct"})
	for _, s := range rows {
		_ = cw.Write([]string{s.Code, s.Name, s.Level, strconv.Itoa(s.Elderly), strconv.Itoa(s.CoveredElderly),
			strconv.FormatFloat(s.CoveragePct, 'f', 2, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// PostedSite is a planner-added site of a scenario (lon/lat degrees, EPSG:4490).
type PostedSite struct {
	Type                string   `json:"type"`
	Lon                 *float64 `json:"lon"`
	Lat                 *float64 `json:"lat"`
	Name                string   `json:"name,omitempty"`
	CapacityBeds        *float64 `json:"capacity_beds,omitempty"`
	CapacityMealsPerDay *float64 `json:"capacity_meals_per_day,omitempty"`
}

// CoverageRequest is the body of POST /api/coverage.
type CoverageRequest struct {
	Plan     string       `json:"plan"`
	Phase    string       `json:"phase"`
	Scenario string       `json:"scenario"`
	Sites    []PostedSite `json:"sites"`
}

// resolvePlan returns plan id ("" = DefaultPlanID): the stored document, else the default for DefaultPlanID; an
// unknown id is a 400 naming field.
func (h *api) resolvePlan(ctx context.Context, id, field string) (Plan, int64, error) {
	if id == "" {
		id = DefaultPlanID
	}
	if h.docs != nil {
		doc, err := h.docs.Doc(ctx, KindPlan, id)
		switch {
		case err == nil:
			p, err := ParsePlan(doc.Body)
			if err != nil {
				return Plan{}, 0, fmt.Errorf("stored plan %q: %v", id, err) // stored plans were validated: a 500
			}
			return p, doc.Version, nil
		case !errors.Is(err, apierr.ErrNotFound):
			return Plan{}, 0, err
		}
	}
	if id == DefaultPlanID {
		return Default(), 0, nil
	}
	return Plan{}, 0, httpx.BadParam(field, "unknown plan %s", httpx.Quote(id))
}

// setup resolves plan, phase and scenario (each a 400 naming it when unknown) and loads the data.
func (h *api) setup(ctx context.Context, planID, phase, scenario string) (Plan, string, string, *Data, error) {
	p, _, err := h.resolvePlan(ctx, planID, "plan")
	if err != nil {
		return p, "", "", nil, err
	}
	if phase == "" {
		phase = p.Phases[0]
	} else if !p.HasPhase(phase) {
		return p, "", "", nil, httpx.BadParam("phase", "plan %s has no phase %s (want one of %s)", p.ID,
			httpx.Quote(phase), strings.Join(p.Phases, ", "))
	}
	if _, ok := ScenarioStatuses(scenario); !ok {
		return p, "", "", nil, httpx.BadParam("scenario", "unknown scenario %s (want one of %s; add sites with POST)",
			httpx.Quote(scenario), strings.Join(ScenarioNames, ", "))
	}
	if scenario == "" {
		scenario = "existing"
	}
	scenario = strings.TrimLeft(scenario, "+ ")
	d, err := h.load(ctx, p.County)
	return p, phase, scenario, d, err
}

// sites checks posted sites (type, a lon/lat inside a township of the county) and returns them as Sites; errors
// name "sites[i]…" (422).
func (h *api) sites(ctx context.Context, county string, posted []PostedSite, field string) ([]Site, error) {
	var bad apierr.Invalid
	var out []Site
	for i, ps := range posted {
		at := fmt.Sprintf("%s[%d]", field, i)
		if _, ok := facilities.Types[ps.Type]; !ok {
			bad.Add(at+".type", "unknown facility type %s (want one of %s)", httpx.Quote(ps.Type), typeList())
			continue
		}
		if ps.Lon == nil || ps.Lat == nil || math.IsNaN(*ps.Lon) || math.IsNaN(*ps.Lat) || math.Abs(*ps.Lon) > 180 ||
			math.Abs(*ps.Lat) > 90 {
			bad.Add(at, "needs lon and lat in degrees (EPSG:4490)")
			continue
		}
		p := orb.Point{*ps.Lon, *ps.Lat}
		loc, err := h.st.Locate(ctx, p)
		if err != nil && !errors.Is(err, apierr.ErrNotFound) {
			return nil, err
		}
		if err != nil || loc.County.Code != county {
			bad.Add(at, "the point %.6f,%.6f is outside the county %s", p[0], p[1], county)
			continue
		}
		s := Site{ID: fmt.Sprintf("posted-%d", i+1), Name: ps.Name, Type: ps.Type, Status: "posted",
			TownshipCode: loc.Township.Code, Point: p, Posted: true}
		if ps.CapacityBeds != nil {
			s.Beds = *ps.CapacityBeds
		}
		if ps.CapacityMealsPerDay != nil {
			s.Meals = *ps.CapacityMealsPerDay
		}
		if s.Name == "" {
			s.Name = fmt.Sprintf("新增%s %d", facilities.Types[ps.Type], i+1)
		}
		out = append(out, s)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

func (h *api) gapResult(w http.ResponseWriter, r *http.Request) (Result, error) {
	var req CoverageRequest
	if r.Method == http.MethodPost {
		if err := decodeStrict(w, r, &req); err != nil {
			return Result{}, err
		}
	} else {
		q := r.URL.Query()
		req = CoverageRequest{Plan: q.Get("plan"), Phase: q.Get("phase"), Scenario: q.Get("scenario")}
	}
	return h.gaps(r.Context(), req)
}

func (h *api) gaps(ctx context.Context, req CoverageRequest) (Result, error) {
	p, phase, scen, d, err := h.setup(ctx, req.Plan, req.Phase, req.Scenario)
	if err != nil {
		return Result{}, err
	}
	extra, err := h.sites(ctx, p.County, req.Sites, "sites")
	if err != nil {
		return Result{}, err
	}
	a, err := d.Evaluate(p, scen, extra)
	if err != nil {
		return Result{}, err
	}
	res := a.Gaps(phase)
	res.Sites = len(extra)
	return res, nil
}

func (h *api) coverage(w http.ResponseWriter, r *http.Request) error {
	res, err := h.gapResult(w, r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (h *api) gapsCSV(w http.ResponseWriter, r *http.Request) error {
	res, err := h.gapResult(w, r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="gaps-%s-%s-%s.csv"`, res.Plan, res.Phase, res.Scenario))
	return WriteGapsCSV(w, res.Rows)
}

func (h *api) gapsXLSX(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("phase") != "" {
		return httpx.BadParam("phase", "the workbook holds every phase, one sheet each: leave phase out")
	}
	p, _, scen, d, err := h.setup(r.Context(), q.Get("plan"), "", q.Get("scenario"))
	if err != nil {
		return err
	}
	a, err := d.Evaluate(p, scen, nil)
	if err != nil {
		return err
	}
	var results []Result
	for _, ph := range p.Phases {
		results = append(results, a.Gaps(ph))
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="gaps-%s-%s.xlsx"`, p.ID, scen))
	return WriteGapsXLSX(w, results)
}

// coverageIndicator resolves indicator (required; a coverage indicator of p), a 400 naming "indicator".
func coverageIndicator(p Plan, id string) (Indicator, error) {
	in, ok := p.Indicator(id)
	if !ok {
		var ids []string
		for _, x := range p.Indicators {
			if x.Kind == KindCoverage {
				ids = append(ids, x.ID)
			}
		}
		return in, httpx.BadParam("indicator", "plan %s has no coverage indicator %s (want one of %s)", p.ID,
			httpx.Quote(id), strings.Join(ids, ", "))
	}
	if in.Kind != KindCoverage {
		return in, httpx.BadParam("indicator", "indicator %s is a %s indicator, not coverage", in.ID, in.Kind)
	}
	return in, nil
}

// UncoveredProps are the properties of a demand unit's Feature in /api/coverage/uncovered and /api/coverage/units.
type UncoveredProps struct {
	Code         string   `json:"code"`
	Name         string   `json:"name"`
	TownshipCode string   `json:"township_code"`
	Elderly      int      `json:"elderly"`
	Community    bool     `json:"community"`
	DistanceM    float64  `json:"distance_m"` // the unit's service distance
	NearestID    string   `json:"nearest_id,omitempty"`
	NearestM     *float64 `json:"nearest_m"` // null: no site of the types within 100 km
	Status       string   `json:"status"`    // covered | uncovered | uncoverable (UnitCovered …)
}

func (h *api) uncovered(w http.ResponseWriter, r *http.Request) error { return h.unitsFC(w, r, false) }

func (h *api) units(w http.ResponseWriter, r *http.Request) error { return h.unitsFC(w, r, true) }

// Units is GET /api/coverage/units with its parameters read from get (indicator, plan, scenario, candidates,
// spacing_m): every demand unit's status under the indicator and the sites it counts (UnitStatuses).
func (s *Service) Units(ctx context.Context, get func(string) string) (UnitsView, error) {
	return s.h.unitsView(ctx, get)
}

// UnitsView is the answer of Service.Units: the plan, scenario and coverage indicator it was computed for, the
// candidate kind deciding "uncoverable", every demand unit and the service areas.
type UnitsView struct {
	Plan         string
	Scenario     string
	Indicator    Indicator
	Candidates   string
	Units        []UnitView
	ServiceAreas []ServiceArea
}

// unitsView reads indicator (default: the plan's first coverage indicator), plan, scenario, candidates (villages |
// grid; default villages, each unit a candidate for itself, so nothing is uncoverable) and spacing_m (grid).
func (h *api) unitsView(ctx context.Context, get func(string) string) (UnitsView, error) {
	p, _, scen, d, err := h.setup(ctx, get("plan"), "", get("scenario"))
	if err != nil {
		return UnitsView{}, err
	}
	id := get("indicator")
	if id == "" {
		for _, in := range p.Indicators {
			if in.Kind == KindCoverage {
				id = in.ID
				break
			}
		}
	}
	in, err := coverageIndicator(p, id)
	if err != nil {
		return UnitsView{}, err
	}
	kind := get("candidates")
	if kind == "" {
		kind = "villages"
	}
	if kind != "villages" && kind != "grid" {
		return UnitsView{}, httpx.BadParam("candidates", "must be villages or grid (got %s)", httpx.Quote(kind))
	}
	var spacing float64
	if kind == "grid" {
		if spacing, err = strconv.ParseFloat(get("spacing_m"), 64); err != nil {
			return UnitsView{}, httpx.BadParam("spacing_m", "must be a grid spacing in metres from 100 to 20000 (got %s)",
				httpx.Quote(get("spacing_m")))
		}
	}
	cands, err := h.candidates(ctx, d, p.County, kind, nil, spacing)
	if err != nil {
		return UnitsView{}, err
	}
	statuses, _ := ScenarioStatuses(scen)
	units, areas := d.UnitStatuses(in, statuses, nil, cands)
	return UnitsView{Plan: p.ID, Scenario: scen, Indicator: in, Candidates: kind, Units: units, ServiceAreas: areas}, nil
}

// unitsFC answers the demand units of a coverage indicator as GeoJSON: every unit (all) or those not covered, each
// with its status (covered | uncovered | uncoverable), its service distance and the nearest site of the indicator's
// types with its geodesic distance (searched out to 100 km for a unit not covered; null beyond).
func (h *api) unitsFC(w http.ResponseWriter, r *http.Request, all bool) error {
	q := r.URL.Query()
	if q.Get("indicator") == "" {
		return httpx.BadParam("indicator", "is required: a coverage indicator of the plan")
	}
	v, err := h.unitsView(r.Context(), q.Get)
	if err != nil {
		return err
	}
	fc := httpx.FeatureCollection{Features: []httpx.Feature{}}
	for _, u := range v.Units {
		if u.Covered && !all {
			continue
		}
		props := UncoveredProps{Code: u.Code, Name: u.Name, TownshipCode: u.TownshipCode, Elderly: u.Elderly,
			Community: u.Community, DistanceM: u.DistanceM, NearestID: u.NearestID, Status: u.Status}
		if u.NearestM >= 0 {
			v := math.Round(u.NearestM*10) / 10
			props.NearestM = &v
		}
		fc.Features = append(fc.Features, httpx.Feature{ID: u.Code, Geometry: u.Point, Properties: props})
	}
	fc.NumberMatched = httpx.Count(len(fc.Features))
	httpx.WriteGeoJSON(w, http.StatusOK, fc)
	return nil
}

// PlanInfo is one entry of GET /api/plans.
type PlanInfo struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Version int64    `json:"version"` // 0: the embedded default, not stored
	Phases  []string `json:"phases"`
}

func (h *api) plans(w http.ResponseWriter, r *http.Request) error {
	var out []PlanInfo
	seenDefault := false
	if h.docs != nil {
		docs, err := h.docs.Docs(r.Context(), KindPlan, "")
		if err != nil {
			return err
		}
		for _, d := range docs {
			p, err := ParsePlan(d.Body)
			if err != nil {
				return fmt.Errorf("stored plan %q: %v", d.ID, err)
			}
			out = append(out, PlanInfo{ID: d.ID, Name: p.Name, Version: d.Version, Phases: p.Phases})
			seenDefault = seenDefault || d.ID == DefaultPlanID
		}
	}
	if !seenDefault {
		p := Default()
		out = append([]PlanInfo{{ID: p.ID, Name: p.Name, Phases: p.Phases}}, out...)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"plans": out})
	return nil
}

func (h *api) plan(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	p, v, err := h.resolvePlan(r.Context(), id, "id")
	if err != nil {
		if _, ok := apierr.AsInvalid(err); ok {
			return httpx.NotFound("plan", id)
		}
		return err
	}
	if v > 0 {
		if httpx.NotModified(w, r, v) {
			return nil
		}
		httpx.SetETag(w, v)
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

// putPlan writes a plan document: planner role; If-None-Match: * creates, If-Match "<v>" replaces version v,
// If-Match: * writes whatever is stored; neither is a 428.
func (h *api) putPlan(w http.ResponseWriter, r *http.Request) error {
	if err := edit.Require(r.Context(), edit.RolePlanner); err != nil {
		return err
	}
	if h.docs == nil {
		return httpx.WithStatus(http.StatusNotImplemented, errors.New("this store does not keep documents: plans cannot be written"))
	}
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	var expect int64
	if r.Header.Get("If-None-Match") == "*" {
		expect = 0
	} else {
		m, err := httpx.ParseIfMatch(r)
		if err != nil {
			return err
		}
		if m.Any {
			expect = edit.AnyVersion
		} else if expect, err = m.Expect(func() (int64, error) {
			d, err := h.docs.Doc(r.Context(), KindPlan, id)
			return d.Version, err
		}); err != nil {
			return err
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, httpx.DefaultMaxBody))
	if err != nil {
		return httpx.BadRequest(err)
	}
	p, err := ParsePlan(body)
	if err != nil {
		return err
	}
	if p.ID != id {
		return apierr.Field("id", "the plan's id %s is not the URL's %s", httpx.Quote(p.ID), httpx.Quote(id))
	}
	canon, err := json.Marshal(p)
	if err != nil {
		return err
	}
	vs, err := h.docs.WriteDocs(r.Context(), []edit.DocWrite{{Kind: KindPlan, ID: id, Body: canon, ExpectVersion: expect}},
		edit.MetaFor(r.Context(), ""))
	if err != nil {
		return err
	}
	httpx.SetETag(w, vs[0])
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

// decodeStrict reads a JSON body (at most httpx.DefaultMaxBody) refusing unknown members (400 naming them).
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	var raw json.RawMessage
	if err := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &raw); err != nil {
		return err
	}
	return httpx.UnmarshalJSON(raw, v, true)
}
