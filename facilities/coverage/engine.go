package coverage

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/geo"
)

// Site is a facility as the engine sees it: a stored record (not closed) or a planner's posted point. Supplies are 0
// when unknown.
type Site struct {
	ID           string    `json:"id"`
	Name         string    `json:"name,omitempty"`
	Type         string    `json:"type"`
	Status       string    `json:"status"`
	TownshipCode string    `json:"township_code"`
	Point        orb.Point `json:"-"`
	Beds         float64   `json:"beds,omitempty"`
	Meals        float64   `json:"meals_per_day,omitempty"`
	CareWorkers  float64   `json:"care_workers,omitempty"`
	Posted       bool      `json:"posted,omitempty"`
}

// Supply is what s contributes under measure (SupplyFacilities: 1).
func (s Site) Supply(measure string) float64 {
	switch measure {
	case SupplyBeds:
		return s.Beds
	case SupplyMeals:
		return s.Meals
	case SupplyCareWorkers:
		return s.CareWorkers
	}
	return 1
}

// Demand is one village-level unit's elderly (60+) population at its point. Community is true for a 居委会/社区: a
// 12-digit code whose last three digits are 001–199 (GB/T 10114; DOMAIN.md §2).
type Demand struct {
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	TownshipCode string    `json:"township_code"`
	Elderly      int       `json:"elderly"`
	Point        orb.Point `json:"-"`
	Community    bool      `json:"community"`
}

// IsCommunity reports whether a 12-digit village-level code is a community (居委会, 001–199; GB/T 10114).
func IsCommunity(code string) bool {
	if len(code) != 12 {
		return false
	}
	n, err := strconv.Atoi(code[9:])
	return err == nil && n >= 1 && n <= 199
}

// Area is a county or a township.
type Area struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Data is what the engine computes over: a county, its townships (ordered by code), its demand units (ordered by code)
// and its sites (facilities not closed).
type Data struct {
	County    Area
	Townships []Area
	Demand    []Demand
	Sites     []Site
}

// Load reads county's townships from divisions, and the demand units and facilities of those townships from fs (closed
// facilities left out). A facility's attributes.care_workers (a number) is its certified care workers.
func Load(ctx context.Context, fs facilities.Store, divisions gazetteer.Store, county string) (*Data, error) {
	c, err := divisions.Division(ctx, county)
	if err != nil {
		return nil, fmt.Errorf("county %s: %w", county, err)
	}
	ts, err := divisions.Divisions(ctx, gazetteer.DivisionQuery{Level: gazetteer.LevelTownship, Parent: county})
	if err != nil {
		return nil, err
	}
	d := &Data{County: Area{c.Code, c.Name}}
	in := map[string]bool{}
	for _, t := range ts {
		d.Townships = append(d.Townships, Area{t.Code, t.Name})
		in[t.Code] = true
	}
	sort.Slice(d.Townships, func(i, j int) bool { return d.Townships[i].Code < d.Townships[j].Code })
	units, err := fs.Demand(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if in[u.TownshipCode] {
			d.Demand = append(d.Demand, Demand{Code: u.Code, Name: u.Name, TownshipCode: u.TownshipCode,
				Elderly: u.ElderlyPopulation, Point: u.Location, Community: IsCommunity(u.Code)})
		}
	}
	sort.Slice(d.Demand, func(i, j int) bool { return d.Demand[i].Code < d.Demand[j].Code })
	page, err := fs.Facilities(ctx, facilities.FacilityQuery{})
	if err != nil {
		return nil, err
	}
	for _, f := range page.Items {
		if f.Status == facilities.StatusClosed || !in[f.TownshipCode] {
			continue
		}
		s := Site{ID: f.ID, Name: f.Name, Type: f.Type, Status: f.Status, TownshipCode: f.TownshipCode, Point: f.Location}
		if f.CapacityBeds != nil {
			s.Beds = float64(*f.CapacityBeds)
		}
		if f.CapacityMealsPerDay != nil {
			s.Meals = float64(*f.CapacityMealsPerDay)
		}
		if v, ok := f.Attributes["care_workers"].(float64); ok && v > 0 {
			s.CareWorkers = v
		}
		d.Sites = append(d.Sites, s)
	}
	return d, nil
}

// Scenarios: which facility statuses count. Posted sites are added to any of them.
var Scenarios = map[string][]string{
	"existing":           {"existing"},
	"under_construction": {"existing", "under_construction"},
	"planned":            {"existing", "under_construction", "planned"},
}

// ScenarioNames lists the scenarios in their order.
var ScenarioNames = []string{"existing", "under_construction", "planned"}

// ScenarioStatuses returns a scenario's statuses; "+under_construction" and "+planned" (the spelling, and
// " planned" as a '+' decodes in a query string) name the same scenarios; "" is existing.
func ScenarioStatuses(name string) ([]string, bool) {
	if name == "" {
		name = "existing"
	}
	if name[0] == '+' || name[0] == ' ' {
		name = name[1:]
	}
	s, ok := Scenarios[name]
	return s, ok
}

// Query is one coverage computation: sites of Types (empty: all) with a status in Statuses (empty: all), plus Extra
// sites (posted; their status is ignored), within DistanceM metres of a village's point or DistanceCommunityM (0:
// DistanceM) of a community's.
type Query struct {
	Types              []string
	Statuses           []string
	DistanceM          float64
	DistanceCommunityM float64
	Extra              []Site
	// Nearest asks for the nearest site of every unit that has none in reach (searched out to MaxDistanceM).
	Nearest bool
}

// UnitResult is one demand unit's answer: whether a site is within its distance, and the nearest site found (within
// reach, or with Query.Nearest within MaxDistanceM) with its geodesic distance in metres (NearestM < 0: none).
type UnitResult struct {
	Covered   bool
	NearestID string
	NearestM  float64
}

// ScopeRow is the coverage of one area: elderly, covered elderly and coverage_pct (0–100, two decimals; 0 when no
// elderly).
type ScopeRow struct {
	Code           string  `json:"code"`
	Name           string  `json:"name"`
	Level          string  `json:"level"`
	Elderly        int     `json:"elderly"`
	CoveredElderly int     `json:"covered_elderly"`
	CoveragePct    float64 `json:"coverage_pct"`
}

// CoverageResult is a Query's answer: Units parallel to Data.Demand; Scopes the county first, then every township by
// code.
type CoverageResult struct {
	Units  []UnitResult
	Scopes []ScopeRow
}

// selectSites returns the sites of q.
func (d *Data) selectSites(types, statuses []string, extra []Site) []Site {
	var out []Site
	for _, s := range d.Sites {
		if (len(types) == 0 || slices.Contains(types, s.Type)) && (len(statuses) == 0 || slices.Contains(statuses, s.Status)) {
			out = append(out, s)
		}
	}
	for _, s := range extra {
		if len(types) == 0 || slices.Contains(types, s.Type) {
			out = append(out, s)
		}
	}
	return out
}

// Index is an R-tree (tidwall/rtree) of points for radius search in geodesic metres.
type Index struct {
	tr  rtree.RTreeG[int32]
	pts []orb.Point
	cos []float64 // cos(latitude) of each point, for the planar pre-filter
}

// NewIndex indexes pts (lon/lat degrees); search results are indices into pts.
func NewIndex(pts []orb.Point) *Index {
	ix := &Index{pts: pts, cos: make([]float64, len(pts))}
	for i, p := range pts {
		ix.tr.Insert([2]float64{p[0], p[1]}, [2]float64{p[0], p[1]}, int32(i))
		ix.cos[i] = math.Cos(p[1] / degPerRad)
	}
	return ix
}

// Degree bounds that safely contain a geodesic radius (GRS80). Latitude: any path from φ1 to φ2 is at least the
// meridian arc, and the meridian radius of curvature is at least a(1−e²), so |Δφ| ≤ r / (a(1−e²)). Longitude: the
// path's length is at least ∫ N cos φ |dλ| with N ≥ a and φ within the latitude bound, so
// |Δλ| ≤ r / (a cos(|φ|+Δφ)). A 1e-9 relative margin covers rounding.
const (
	grs80A    = 6378137.0
	grs80E2   = 0.00669438002290
	mMinRad   = grs80A * (1 - grs80E2) // metres per radian of latitude, at least
	degPerRad = 180 / math.Pi
)

// Bound returns the lon/lat box that contains every point within r metres (geodesic) of p.
func Bound(p orb.Point, r float64) (minLon, minLat, maxLon, maxLat float64) {
	dlat := r / mMinRad * degPerRad * (1 + 1e-9)
	c := math.Cos((math.Abs(p[1]) + dlat) / degPerRad)
	dlon := 180.0
	if c > 1e-9 {
		dlon = math.Min(180, r/(grs80A*c)*degPerRad*(1+1e-9))
	}
	return p[0] - dlon, p[1] - dlat, p[0] + dlon, p[1] + dlat
}

// near is the planar pre-filter around one query point: the local equirectangular distance on the GRS80 ellipsoid,
// with the meridian radius M and the prime-vertical radius N at the query's latitude and the mean of the two points'
// cos(latitude). Within 100 km of a point below 80° of latitude it differs from the geodesic by far less than
// filterSlack (1 %), so it only decides which candidates get the exact Vincenty distance (geo.Distance); answers are
// always geodesic. At higher latitudes every candidate in the safe box is measured exactly.
type near struct {
	p         orb.Point
	m, n, cos float64
	exact     bool
}

const filterSlack = 1.01

func newNear(p orb.Point) near {
	s := math.Sin(p[1] / degPerRad)
	w := math.Sqrt(1 - grs80E2*s*s)
	return near{p: p, m: grs80A * (1 - grs80E2) / (w * w * w) / degPerRad, n: grs80A / w / degPerRad,
		cos: math.Cos(p[1] / degPerRad), exact: math.Abs(p[1]) > 80}
}

// approx is the pre-filter distance to q (cosQ its cos(latitude)) in metres; 0 when the filter is off.
func (nr *near) approx(q orb.Point, cosQ float64) float64 {
	if nr.exact {
		return 0
	}
	dy := (q[1] - nr.p[1]) * nr.m
	dx := (q[0] - nr.p[0]) * nr.n * (nr.cos + cosQ) / 2
	return math.Sqrt(dx*dx + dy*dy)
}

// Nearest returns the index of the nearest point within r metres of p (geodesic, geo.Distance) and its distance, or
// -1. skip, when set, leaves indices out.
func (ix *Index) Nearest(p orb.Point, r float64) (int, float64) {
	lo0, la0, lo1, la1 := Bound(p, r)
	nr := newNear(p)
	lim := r*filterSlack + 1
	// Gather the candidates the filter keeps, then measure exactly only those that may be the nearest: within
	// filterSlack² of the smallest filter distance (each of the two distances is within filterSlack of the geodesic).
	type cand struct {
		i int32
		a float64
	}
	var buf [32]cand
	cs := buf[:0]
	minA := math.Inf(1)
	ix.tr.Search([2]float64{lo0, la0}, [2]float64{lo1, la1}, func(_, _ [2]float64, i int32) bool {
		if a := nr.approx(ix.pts[i], ix.cos[i]); a <= lim {
			cs = append(cs, cand{i, a})
			minA = math.Min(minA, a)
		}
		return true
	})
	best, bestD := -1, math.Inf(1)
	cut := minA*filterSlack*filterSlack + 2
	for _, c := range cs {
		if c.a > cut && !nr.exact {
			continue
		}
		if d := geo.Distance(p, ix.pts[c.i]); d <= r && (d < bestD || d == bestD && int(c.i) < best) {
			best, bestD = int(c.i), d
		}
	}
	if best < 0 {
		return -1, -1
	}
	return best, bestD
}

// Within calls f with every point within r metres of p (geodesic) and its distance.
func (ix *Index) Within(p orb.Point, r float64, f func(i int, d float64)) {
	lo0, la0, lo1, la1 := Bound(p, r)
	nr := newNear(p)
	lim := r*filterSlack + 1
	ix.tr.Search([2]float64{lo0, la0}, [2]float64{lo1, la1}, func(_, _ [2]float64, i int32) bool {
		if nr.approx(ix.pts[i], ix.cos[i]) <= lim {
			if d := geo.Distance(p, ix.pts[i]); d <= r {
				f(int(i), d)
			}
		}
		return true
	})
}

// nearestFar searches out from r by doubling to MaxDistanceM: the first ring with a hit holds the exact nearest.
func (ix *Index) nearestFar(p orb.Point, r float64) (int, float64) {
	for r = math.Max(r, 500); ; r *= 2 {
		r = math.Min(r, MaxDistanceM)
		if i, d := ix.Nearest(p, r); i >= 0 || r >= MaxDistanceM {
			return i, d
		}
	}
}

// Coverage runs q over d: for every demand unit, the nearest site within its distance; then the county and every
// township's covered elderly. The work is split over GOMAXPROCS goroutines.
func (d *Data) Coverage(q Query) CoverageResult {
	sites := d.selectSites(q.Types, q.Statuses, q.Extra)
	pts := make([]orb.Point, len(sites))
	for i, s := range sites {
		pts[i] = s.Point
	}
	ix := NewIndex(pts)
	comm := q.DistanceCommunityM
	if comm <= 0 {
		comm = q.DistanceM
	}
	units := make([]UnitResult, len(d.Demand))
	parallel(len(d.Demand), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			u := d.Demand[k]
			r := q.DistanceM
			if u.Community {
				r = comm
			}
			i, dist := ix.Nearest(u.Point, r)
			if i < 0 && q.Nearest {
				i, dist = ix.nearestFar(u.Point, r)
				units[k] = UnitResult{NearestM: dist}
			} else {
				units[k] = UnitResult{Covered: i >= 0, NearestM: dist}
			}
			if i >= 0 {
				units[k].NearestID = sites[i].ID
			}
		}
	})
	return CoverageResult{Units: units, Scopes: d.scopes(units)}
}

func (d *Data) scopes(units []UnitResult) []ScopeRow {
	idx := map[string]int{}
	rows := []ScopeRow{{Code: d.County.Code, Name: d.County.Name, Level: "county"}}
	for i, t := range d.Townships {
		idx[t.Code] = i + 1
		rows = append(rows, ScopeRow{Code: t.Code, Name: t.Name, Level: "township"})
	}
	for k, u := range d.Demand {
		for _, j := range []int{0, idx[u.TownshipCode]} {
			rows[j].Elderly += u.Elderly
			if units[k].Covered {
				rows[j].CoveredElderly += u.Elderly
			}
		}
	}
	for i := range rows {
		rows[i].CoveragePct = Pct(rows[i].CoveredElderly, rows[i].Elderly)
	}
	return rows
}

// Pct is 100·part/whole rounded to two decimals, 0 when whole is 0.
func Pct(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return Round2(100 * float64(part) / float64(whole))
}

// Round2 rounds to two decimals (half away from zero).
func Round2(v float64) float64 { return math.Round(v*100) / 100 }

// parallel splits [0,n) into GOMAXPROCS chunks run concurrently.
func parallel(n int, f func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if n < 256 || w == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + w - 1) / w
	for lo := 0; lo < n; lo += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(n, lo+step))
	}
	wg.Wait()
}
