package coverage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/httpx"
)

// SitingRequest is the body of POST /api/coverage/siting.
//
//   - indicator: a coverage indicator of plan (its types and distances); scenario and sites as for POST /api/coverage.
//   - objective mclp (default; p sites, 1 ≤ p ≤ candidates) or lscp; solver greedy (default) or exact (CBC).
//   - candidates: villages (default: every village-level unit's point), points (Points, each inside the county), or
//     grid (a regular grid of SpacingM metres, 100 m to 20 km, inside the townships; at most MaxGridCandidates).
type SitingRequest struct {
	Plan       string       `json:"plan"`
	Indicator  string       `json:"indicator"`
	Scenario   string       `json:"scenario"`
	Sites      []PostedSite `json:"sites"`
	Objective  string       `json:"objective"`
	Solver     string       `json:"solver"`
	P          int          `json:"p"`
	Candidates string       `json:"candidates"`
	Points     []PostedSite `json:"points"`
	SpacingM   float64      `json:"spacing_m"`
}

// MaxGridCandidates is the most grid candidates a siting request may make.
const MaxGridCandidates = 20000

func (h *api) siting(w http.ResponseWriter, r *http.Request) error {
	var req SitingRequest
	if err := decodeStrict(w, r, &req); err != nil {
		return err
	}
	res, err := h.runSiting(r.Context(), req)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

// runSiting checks req and runs Data.Siting; bad input is apierr.Invalid naming the member (422) or a 400.
func (h *api) runSiting(ctx context.Context, req SitingRequest) (SitingResult, error) {
	p, _, scen, d, err := h.setup(ctx, req.Plan, "", req.Scenario)
	if err != nil {
		return SitingResult{}, err
	}
	in, err := coverageIndicator(p, req.Indicator)
	if err != nil {
		return SitingResult{}, err
	}
	if req.Objective == "" {
		req.Objective = ObjectiveMCLP
	}
	if req.Solver == "" {
		req.Solver = SolverGreedy
	}
	if req.Objective != ObjectiveMCLP && req.Objective != ObjectiveLSCP {
		return SitingResult{}, apierr.Field("objective", "must be mclp or lscp (got %s)", httpx.Quote(req.Objective))
	}
	if req.Solver != SolverGreedy && req.Solver != SolverExact {
		return SitingResult{}, apierr.Field("solver", "must be greedy or exact (got %s)", httpx.Quote(req.Solver))
	}
	extra, err := h.sites(ctx, p.County, req.Sites, "sites")
	if err != nil {
		return SitingResult{}, err
	}
	cands, err := h.candidates(ctx, d, p.County, req.Candidates, req.Points, req.SpacingM)
	if err != nil {
		return SitingResult{}, err
	}
	if req.Objective == ObjectiveMCLP && (req.P < 1 || req.P > len(cands)) {
		return SitingResult{}, apierr.Field("p", "must be from 1 to the number of candidates, %d (got %d)", len(cands), req.P)
	}
	statuses, _ := ScenarioStatuses(scen)
	res, err := d.Siting(ctx, in, statuses, extra, cands, req.Objective, req.Solver, req.P)
	if errors.Is(err, ErrNoCBC) {
		return res, httpx.WithStatus(http.StatusNotImplemented, apierr.Field("solver", "%v", err))
	}
	return res, err
}

// candidates resolves the candidate sites of kind: villages ("" too: every village-level unit's point), points (the
// posted points, each inside the county) or grid (spacing metres, 100 to 20,000, inside the townships). Errors name
// candidates, points[i] or spacing_m.
func (h *api) candidates(ctx context.Context, d *Data, county, kind string, points []PostedSite, spacing float64) ([]Candidate, error) {
	switch kind {
	case "", "villages":
		return d.VillageCandidates(), nil
	case "points":
		pts, err := h.sites(ctx, county, points, "points")
		if err != nil {
			return nil, err
		}
		var cands []Candidate
		for i, s := range pts {
			cands = append(cands, Candidate{ID: fmt.Sprintf("point-%d", i+1), Name: s.Name, Kind: "point",
				TownshipCode: s.TownshipCode, Point: s.Point})
		}
		if len(cands) == 0 {
			return nil, apierr.Field("points", "candidates points needs at least one point")
		}
		return cands, nil
	case "grid":
		if math.IsNaN(spacing) || spacing < 100 || spacing > 20000 {
			return nil, apierr.Field("spacing_m", "must be a grid spacing in metres from 100 to 20000 (got %v)", spacing)
		}
		return h.grid(ctx, county, spacing)
	}
	return nil, apierr.Field("candidates", "must be villages, points or grid (got %s)", httpx.Quote(kind))
}

// grid lays a regular grid of spacing metres over the county's townships and keeps the points inside one (planar
// point-in-polygon on lon/lat: fine at grid scale).
func (h *api) grid(ctx context.Context, county string, spacing float64) ([]Candidate, error) {
	ts, err := h.st.Divisions(ctx, gazetteer.DivisionQuery{Level: gazetteer.LevelTownship, Parent: county})
	if err != nil {
		return nil, err
	}
	var b orb.Bound
	first := true
	for _, t := range ts {
		if t.Geometry == nil {
			continue
		}
		if first {
			b, first = t.Geometry.Bound(), false
		} else {
			b = b.Union(t.Geometry.Bound())
		}
	}
	if first {
		return nil, apierr.Field("candidates", "the county's townships have no polygons: a grid cannot be laid")
	}
	lat0 := (b.Min[1] + b.Max[1]) / 2
	dlat := spacing / 110946 // metres per degree of latitude near 30°; the grid's spacing is nominal
	dlon := spacing / (111320 * math.Cos(lat0*math.Pi/180))
	n := int(((b.Max[0]-b.Min[0])/dlon + 1) * ((b.Max[1]-b.Min[1])/dlat + 1))
	if n > 4*MaxGridCandidates {
		return nil, apierr.Field("spacing_m", "a %.0f m grid over the county has about %d points: use a wider spacing", spacing, n)
	}
	var out []Candidate
	for y := b.Min[1] + dlat/2; y < b.Max[1]; y += dlat {
		for x := b.Min[0] + dlon/2; x < b.Max[0]; x += dlon {
			p := orb.Point{math.Round(x*1e6) / 1e6, math.Round(y*1e6) / 1e6}
			for _, t := range ts {
				if contains(t.Geometry, p) {
					out = append(out, Candidate{ID: fmt.Sprintf("grid-%d", len(out)+1), Kind: "grid", TownshipCode: t.Code, Point: p})
					break
				}
			}
		}
	}
	if len(out) > MaxGridCandidates {
		return nil, apierr.Field("spacing_m", "a %.0f m grid gives %d candidates (at most %d): use a wider spacing", spacing, len(out), MaxGridCandidates)
	}
	return out, nil
}

func contains(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}

func (h *api) access(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, _, scen, d, err := h.setup(r.Context(), q.Get("plan"), "", q.Get("scenario"))
	if err != nil {
		return err
	}
	in, err := coverageIndicator(p, q.Get("indicator"))
	if err != nil {
		return err
	}
	method := strings.ToLower(q.Get("method"))
	if method == "" {
		method = MethodE2SFCA
	}
	if method != Method2SFCA && method != MethodE2SFCA {
		return httpx.BadParam("method", "must be 2sfca or e2sfca (got %s)", httpx.Quote(method))
	}
	supply := in.SupplyOrDefault()
	if s := q.Get("supply"); s != "" {
		if s != SupplyFacilities && s != SupplyBeds && s != SupplyMeals {
			return httpx.BadParam("supply", "must be facilities, beds or meals (got %s)", httpx.Quote(s))
		}
		supply = s
	}
	statuses, _ := ScenarioStatuses(scen)
	res, err := d.Access(method, in.Types, statuses, nil, supply, in.DistanceM, in.DistanceCommunityM, nil)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}
