package tiles

import (
	"crypto/sha256"
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/facilities/coverage"
	"civmap/geo"
	"civmap/internal/httpx"
)

// The layers of the coverage tiles.
const (
	// CoverageLayer holds every demand unit (a point) with its status under one coverage indicator: covered,
	// uncovered or uncoverable (coverage.UnitStatuses). Fields: code, name, township_code, elderly, community,
	// status, distance_m (its service distance), nearest_id and nearest_m (searched to 100 km), indicator.
	CoverageLayer = "coverage"
	// ServiceAreaLayer holds the service area of every site the indicator counts: the polygon of the points within
	// its service distance (geodesic, geo.Circle with 64 vertices); a site whose indicator has a shorter community
	// distance has two, serves = villages and communities (else all). Fields: id, name, type, status, radius_m,
	// serves, indicator.
	ServiceAreaLayer = "service_areas"
)

// circleVertices is the number of vertices of a service-area polygon: at 3 km its chords fall 1 m inside the circle.
const circleVertices = 64

// CoverageRoutes registers the coverage tiles on r:
//
//	GET /tiles/coverage/{z}/{x}/{y}.mvt?indicator=&plan=&scenario=&candidates=villages|grid&spacing_m=
//
// an MVT 2.1 tile (extent 4096, buffer 64) of the layers coverage and service_areas, computed by the coverage engine
// in Go over either store's records (the same tile on both), for the indicator (default: the plan's first coverage
// indicator), plan (default the sample plan) and scenario (default existing); candidates decide "uncoverable" as in
// /api/coverage/units. 200 with the tile, 204 when empty, 304 for its ETag (a hash of the tile: it follows every
// edit, so Cache-Control is no-cache); bad parameters are 400/422 problems naming them. Register it before Routes:
// Routes' /tiles/{layers}/… would take "coverage" for a layer name.
func CoverageRoutes(r *mux.Router, svc *coverage.Service) {
	sr := httpx.Sub(r)
	sr.Use(CORS.Handler)
	sr.Handle("/tiles/coverage/{z}/{x}/{y}", httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return serveCoverageTile(w, r, svc)
	})).Methods(http.MethodGet, http.MethodHead, http.MethodOptions)
}

func serveCoverageTile(w http.ResponseWriter, r *http.Request, svc *coverage.Service) error {
	var seg [3]string
	for i, name := range [...]string{"z", "x", "y"} {
		v, err := httpx.PathVar(r, name)
		if err != nil {
			return err
		}
		seg[i] = v
	}
	y, ext, _ := strings.Cut(seg[2], ".")
	t, err := ParseTile(seg[0], seg[1], y)
	if err != nil {
		return err
	}
	if ext != "mvt" && ext != "pbf" {
		return httpx.BadParam("y", "tile %q: want the extension .mvt (or .pbf)", seg[2])
	}
	view, err := svc.Units(r.Context(), r.URL.Query().Get)
	if err != nil {
		return err
	}
	body, err := CoverageTile(t, view)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	if len(body) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	sum := sha256.Sum256(body)
	etag := `"cov-` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	h.Set("ETag", etag)
	if noneMatch(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", MVTContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// CoverageTile encodes tile t of view: the demand units whose point lies in the buffered tile (CoverageLayer, MVT id
// = position in view.Units + 1) and the service areas meeting it (ServiceAreaLayer, ids 2k+1 for villages or all,
// 2k+2 for communities). A tile with neither is nil.
func CoverageTile(t maptile.Tile, view coverage.UnitsView) ([]byte, error) {
	bound := BufferedBound(t)
	var units, areas []Feature
	for k, u := range view.Units {
		if !bound.Contains(u.Point) {
			continue
		}
		p := map[string]any{"code": u.Code, "name": u.Name, "township_code": u.TownshipCode, "elderly": int64(u.Elderly),
			"community": u.Community, "status": u.Status, "distance_m": u.DistanceM, "indicator": view.Indicator.ID}
		if u.NearestM >= 0 {
			p["nearest_id"], p["nearest_m"] = u.NearestID, math.Round(u.NearestM*10)/10
		}
		units = append(units, Feature{ID: uint64(k) + 1, Geometry: u.Point, Properties: p})
	}
	for k, a := range view.ServiceAreas {
		radii, serves := []float64{a.DistanceM}, []string{"all"}
		if a.DistanceCommunityM != a.DistanceM {
			radii, serves = []float64{a.DistanceM, a.DistanceCommunityM}, []string{"villages", "communities"}
		}
		for i, r := range radii {
			ring := geo.Circle(a.Point, r, circleVertices)
			if !ring.Bound().Intersects(bound) {
				continue
			}
			p := map[string]any{"id": a.ID, "type": a.Type, "status": a.Status, "radius_m": r, "serves": serves[i],
				"indicator": view.Indicator.ID}
			if a.Name != "" {
				p["name"] = a.Name
			}
			areas = append(areas, Feature{ID: uint64(2*k + i + 1), Geometry: orb.Polygon{ring}, Properties: p})
		}
	}
	var out mvt.Layers
	if l := EncodeLayer(t, CoverageLayer, units); l != nil {
		out = append(out, l)
	}
	if l := EncodeLayer(t, ServiceAreaLayer, areas); l != nil {
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return Marshal(out)
}
