package facilities

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/httpx"
)

// NewHandler returns the facilities API as a complete handler: httpx.NewRouter (JSON 404/405, encoded paths) with Routes
// registered, wrapped in httpx.Recover.
func NewHandler(st Store, divisions gazetteer.Store) http.Handler {
	r := httpx.NewRouter()
	Routes(r, st, divisions)
	return httpx.Recover(r)
}

// Routes registers the facilities API on r; divisions answers whether a township code exists. Features are RFC 7946
// GeoJSON (Point, lon/lat degrees, EPSG:4490); errors are RFC 9457 problems naming the field (400 for bad query
// parameters, 404 for an unknown facility).
//
//	GET /api/facilities?type=&status=&township=&bbox=&limit=&offset=
//	    FeatureCollection of Facility (id = ID) with numberMatched, numberReturned and links (self, next, prev);
//	    type and status must be keys of Types and Statuses (400 listing the allowed values), township a held 9-digit
//	    township code, bbox minLon,minLat,maxLon,maxLat; limit default 100, max 1000.
//	GET /api/facilities/{id}
//	    Feature of a Facility, ETag "<version>", If-None-Match → 304.
//	GET /api/demand?township=&bbox=&limit=&offset=
//	    FeatureCollection of DemandUnit (id = village-level code; properties include elderly_population, persons aged
//	    60+) with numberMatched, numberReturned and links (self, next, prev); bbox keeps the units whose point lies in
//	    it; limit default 1000 (DemandDefaultLimit: every village-level unit of a county in one page), max 1000.
//
//	GET /api/demand/{code}
//	    Feature of a DemandUnit, ETag "<version>".
//	POST /api/{facilities,demand}; PUT, PATCH (merge patch), DELETE /api/{facilities,demand}/{id} with If-Match
//	    Writes (editor; edithttp.Records), validated as an import (NormalizeFacility, NormalizeDemand and
//	    gazetteer.CheckPlacement of the point in its township; 422 naming each field). DELETE closes a facility
//	    (status closed, a new version; the record stays) and removes a demand unit (204).
//	GET /api/{facilities,demand}/{id}/history[/{version}], POST …/{id}/restore/{version}
//	    Versions, diffs and restore (reviewer), as every kind (edithttp.Kind).
//
// A bad limit (not 1 to 1000) or offset (negative) is a 400 naming it; so are query parameters that are not UTF-8 or
// are repeated (httpx.ValidQuery, installed by httpx.NewRouter).
func Routes(r *mux.Router, st Store, divisions gazetteer.Store) {
	h := &api{store: st, divisions: divisions}
	sub := httpx.Sub(r)
	get := []string{http.MethodGet, http.MethodHead}
	sub.Handle("/api/facilities", httpx.HandlerFunc(h.facilities)).Methods(get...)
	sub.Handle("/api/facilities/{id}", httpx.HandlerFunc(h.facility)).Methods(get...)
	sub.Handle("/api/demand", httpx.HandlerFunc(h.demand)).Methods(get...)
	editRoutes(sub, st, divisions)
}

type api struct {
	store     Store
	divisions gazetteer.Store
}

// FacilityFeature is the GeoJSON Feature of a facility: id = ID, a Point at Location, properties = the Facility's JSON
// fields.
func FacilityFeature(f Facility) httpx.Feature {
	return httpx.Feature{ID: f.ID, Geometry: f.Location, Properties: f}
}

// DemandFeature is the GeoJSON Feature of a demand unit: id = code, a Point at Location, properties = the DemandUnit's
// JSON fields.
func DemandFeature(d DemandUnit) httpx.Feature {
	return httpx.Feature{ID: d.Code, Geometry: d.Location, Properties: d}
}

// checkTownship checks a township query parameter: a 9-digit code of a held division (400 naming "township").
func (h *api) checkTownship(ctx context.Context, code string) error {
	if lvl, err := gazetteer.CheckDivisionCode(code); err != nil || lvl != gazetteer.LevelTownship {
		return httpx.BadParam("township", "%q is not a 9-digit township code", code)
	}
	if _, err := h.divisions.Division(ctx, code); err != nil {
		if errors.Is(err, apierr.ErrNotFound) {
			return httpx.BadParam("township", "unknown township code %q", code)
		}
		return err
	}
	return nil
}

func (h *api) facilities(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := httpx.ParsePage(r, httpx.DefaultLimit, httpx.MaxLimit)
	if err != nil {
		return err
	}
	fq := FacilityQuery{
		Type:     strings.TrimSpace(q.Get("type")),
		Status:   strings.TrimSpace(q.Get("status")),
		Township: strings.TrimSpace(q.Get("township")),
		Limit:    page.Limit,
		Offset:   page.Offset,
	}
	if _, ok := Types[fq.Type]; fq.Type != "" && !ok {
		return httpx.BadParam("type", "unknown facility type %q (want one of %s)", fq.Type, keys(Types))
	}
	if _, ok := Statuses[fq.Status]; fq.Status != "" && !ok {
		return httpx.BadParam("status", "unknown status %q (want one of %s)", fq.Status, keys(Statuses))
	}
	if fq.BBox, err = httpx.ParseBBox(r); err != nil {
		return err
	}
	if fq.Township != "" {
		if err := h.checkTownship(r.Context(), fq.Township); err != nil {
			return err
		}
	}
	res, err := h.store.Facilities(r.Context(), fq)
	if err != nil {
		return err
	}
	fc := httpx.FeatureCollection{Features: httpx.Features(res.Items, FacilityFeature), NumberMatched: httpx.Count(res.NumberMatched),
		Links: httpx.PageLinks(r, page, len(res.Items), res.NumberMatched)}
	httpx.WriteGeoJSON(w, http.StatusOK, fc)
	return nil
}

func (h *api) facility(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	f, err := h.store.Facility(r.Context(), id)
	if err != nil {
		if errors.Is(err, apierr.ErrNotFound) {
			err = httpx.NotFound("facility", id)
		}
		return err
	}
	if httpx.NotModified(w, r, f.Version) {
		return nil
	}
	httpx.SetETag(w, f.Version)
	httpx.WriteGeoJSON(w, http.StatusOK, FacilityFeature(f))
	return nil
}

// DemandDefaultLimit is the default limit of GET /api/demand: one page holds every village-level unit of a county (408
// in the Xiangshan sample), which is what coverage and 2SFCA clients want.
const DemandDefaultLimit = httpx.MaxLimit

func (h *api) demand(w http.ResponseWriter, r *http.Request) error {
	page, err := httpx.ParsePage(r, DemandDefaultLimit, httpx.MaxLimit)
	if err != nil {
		return err
	}
	bbox, err := httpx.ParseBBox(r)
	if err != nil {
		return err
	}
	township := strings.TrimSpace(r.URL.Query().Get("township"))
	if township != "" {
		if err := h.checkTownship(r.Context(), township); err != nil {
			return err
		}
	}
	units, err := h.store.Demand(r.Context(), township)
	if err != nil {
		return err
	}
	if bbox != nil { // filtered into a new slice: a store may hand out its own
		var in []DemandUnit
		for _, u := range units {
			if bbox.Intersects(u.Location.Bound()) {
				in = append(in, u)
			}
		}
		units = in
	}
	httpx.WriteGeoJSON(w, http.StatusOK, httpx.PagedCollection(r, units, page, DemandFeature))
	return nil
}
