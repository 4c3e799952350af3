package gazetteer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/edit/edithttp"
	"civmap/internal/httpx"
)

// NewHandler returns the gazetteer API as a complete handler: httpx.NewRouter (JSON 404/405, encoded paths) with
// Routes registered, wrapped in httpx.Recover.
func NewHandler(svc *Service) http.Handler {
	r := httpx.NewRouter()
	svc.Routes(r)
	return httpx.Recover(r)
}

// Routes registers the gazetteer API on r (on a subrouter that matches percent-encoded paths, so Chinese IDs such as
// 象宁线 and IDs holding "/" work when percent-encoded). Features are RFC 7946 GeoJSON in lon/lat degrees (EPSG:4490);
// errors are RFC 9457 problems (see package httpx for the status rule: query and body-shape errors 400, failed
// validation of a well-formed record 422).
//
//	GET    /api/divisions?level=county|township|village&parent=CODE&bbox=&limit=&offset=
//	                                                                  FeatureCollection of Division (id = code); bbox
//	                                                                  keeps those whose geometry's bound meets it;
//	                                                                  limit default 1000 (all 408 villages of the
//	                                                                  sample in one page), max 1000
//	GET    /api/divisions/{code}                                      Feature of a Division, ETag "<version>"
//	GET    /api/locate?lon=&lat=                                      Location (JSON); 404 outside every township
//	GET    /api/places?q=&bbox=&division=&category=&status=&limit=&offset=
//	                                                                  FeatureCollection; limit default 100, max 1000
//	POST   /api/places                                                create a draft from a Feature; 201, Location,
//	                                                                  ETag; another status named is a 409 (status)
//	GET    /api/places/{id}                                           Feature, ETag "<version>", If-None-Match → 304
//	PUT    /api/places/{id}                                           full replace; If-Match required (428/412)
//	PATCH  /api/places/{id}                                           RFC 7396 merge patch of the Feature; If-Match
//	DELETE /api/places/{id}                                           abolish (reviewer; current/historical only; nothing
//	                                                                  erased); If-Match; 200
//	POST   /api/places/{id}/submit|approve|reject|historical          workflow moves (edit.Workflow); If-Match
//	GET    /api/{places,divisions,boundary-lines,markers}/{id}/history[/{version}]
//	POST   /api/{…}/{id}/restore/{version}                            versions, diffs, restore (internal/edit/edithttp)
//	GET    /api/markers/{id}                                          Feature of a Marker, ETag
//	POST   /api/{divisions,boundary-lines,markers}                    create (editor; edithttp.Records): 201, Location,
//	                                                                  ETag; validated as an import (422)
//	PUT|PATCH|DELETE /api/{divisions,boundary-lines,markers}/{id}     If-Match (428/412); DELETE refuses (409) a
//	                                                                  division still referred to, a line with markers
//	GET    /api/boundary-lines?limit=&offset=                         FeatureCollection of BoundaryLine (id = line ID)
//	GET    /api/boundary-lines/{id}                                   Feature of a BoundaryLine, ETag "<version>"
//	GET    /api/boundary-lines/{id}/markers?limit=&offset=            FeatureCollection of Marker (Point at Position;
//	                                                                  properties include the registered position)
//
// Every list is a FeatureCollection with numberMatched, numberReturned and links (self, next, prev), paged by limit
// (1 to 1000; default 100 unless given above) and offset (>= 0); a bad limit or offset is a 400 naming it. Query
// parameters that are not UTF-8 or are repeated are 400s too (httpx.ValidQuery, installed by httpx.NewRouter).
func (s *Service) Routes(r *mux.Router) {
	h := &api{svc: s}
	sub := httpx.Sub(r)
	get := []string{http.MethodGet, http.MethodHead}
	sub.Handle("/api/divisions", httpx.HandlerFunc(h.divisions)).Methods(get...)
	sub.Handle("/api/divisions/{code}", httpx.HandlerFunc(h.division)).Methods(get...)
	sub.Handle("/api/locate", httpx.HandlerFunc(h.locate)).Methods(get...)
	sub.Handle("/api/places", httpx.HandlerFunc(h.places)).Methods(get...)
	sub.Handle("/api/places", httpx.HandlerFunc(h.createPlace)).Methods(http.MethodPost)
	sub.Handle("/api/places/{id}", httpx.HandlerFunc(h.place)).Methods(get...)
	sub.Handle("/api/places/{id}", httpx.HandlerFunc(h.replacePlace)).Methods(http.MethodPut)
	sub.Handle("/api/places/{id}", httpx.HandlerFunc(h.patchPlace)).Methods(http.MethodPatch)
	sub.Handle("/api/places/{id}", httpx.HandlerFunc(h.deletePlace)).Methods(http.MethodDelete)
	for _, a := range []string{"submit", "approve", "reject", "historical"} {
		sub.Handle("/api/places/{id}/"+a, h.move(a)).Methods(http.MethodPost)
	}
	st := s.store
	edithttp.Kind{Kind: edit.KindPlace, Store: st, Distance: distance,
		Restore: s.RestorePlace, BodyExtras: bodyExtras, Visible: func(ctx context.Context, doc json.RawMessage) bool {
			if staff(ctx) {
				return true
			}
			p, err := placeDoc(doc)
			return err == nil && !Unpublished(p.Status)
		}}.Routes(sub, "/api/places")
	s.recordRoutes(sub)
	sub.Handle("/api/boundary-lines", httpx.HandlerFunc(h.boundaryLines)).Methods(get...)
	sub.Handle("/api/boundary-lines/{id}", httpx.HandlerFunc(h.boundaryLine)).Methods(get...)
	sub.Handle("/api/boundary-lines/{id}/markers", httpx.HandlerFunc(h.markers)).Methods(get...)
}

type api struct{ svc *Service }

// queryError makes a validation error about query parameters or path variables a 400 (the request's shape).
func queryError(err error) error {
	var se *httpx.StatusError
	if _, ok := apierr.AsInvalid(err); ok && !errors.As(err, &se) {
		return httpx.BadRequest(err)
	}
	return err
}

// DivisionFeature is the GeoJSON Feature of a division: id = code, properties = the Division's JSON fields.
func DivisionFeature(d Division) httpx.Feature {
	return httpx.Feature{ID: d.Code, Geometry: d.Geometry, Properties: d}
}

// PlaceFeature is the GeoJSON Feature of a place: id = ID, properties = the Place's JSON fields (version, created_at and
// updated_at included).
func PlaceFeature(p Place) httpx.Feature {
	return httpx.Feature{ID: p.ID, Geometry: p.Geometry, Properties: p}
}

// LineFeature is the GeoJSON Feature of a boundary line: id = ID, properties = the BoundaryLine's JSON fields.
func LineFeature(l BoundaryLine) httpx.Feature {
	return httpx.Feature{ID: l.ID, Geometry: l.Geometry, Properties: l}
}

// MarkerFeature is the GeoJSON Feature of a boundary marker: id = number, a Point at Position (EPSG:4490 lon/lat),
// properties = the Marker's JSON fields, including "registered" (the position as the register gives it).
func MarkerFeature(m Marker) httpx.Feature {
	return httpx.Feature{ID: m.Number, Geometry: m.Position, Properties: m}
}

// DivisionsDefaultLimit is the default limit of GET /api/divisions: one page holds every village-level unit of a
// county (408 in the Xiangshan sample).
const DivisionsDefaultLimit = httpx.MaxLimit

func (h *api) divisions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := httpx.ParsePage(r, DivisionsDefaultLimit, httpx.MaxLimit)
	if err != nil {
		return err
	}
	bbox, err := httpx.ParseBBox(r)
	if err != nil {
		return err
	}
	ds, err := h.svc.Divisions(r.Context(), DivisionQuery{
		Level:  Level(strings.TrimSpace(q.Get("level"))),
		Parent: strings.TrimSpace(q.Get("parent")),
	})
	if err != nil {
		return queryError(err)
	}
	if bbox != nil { // filtered into a new slice: a store may hand out its own
		var in []Division
		for _, d := range ds {
			if d.Geometry != nil && bbox.Intersects(d.Geometry.Bound()) {
				in = append(in, d)
			}
		}
		ds = in
	}
	httpx.WriteGeoJSON(w, http.StatusOK, httpx.PagedCollection(r, ds, page, DivisionFeature))
	return nil
}

func (h *api) division(w http.ResponseWriter, r *http.Request) error {
	code, err := httpx.PathVar(r, "code")
	if err != nil {
		return err
	}
	d, err := h.svc.Division(r.Context(), code)
	if err != nil {
		return queryError(err)
	}
	if done, err := h.etag(w, r, edit.KindDivision, code); done || err != nil {
		return err
	}
	httpx.WriteGeoJSON(w, http.StatusOK, DivisionFeature(d))
	return nil
}

// parseCoord reads a required decimal-degree query parameter.
func parseCoord(q url.Values, name string) (float64, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return 0, httpx.BadParam(name, "the %s parameter is required (decimal degrees, EPSG:4490)", name)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, httpx.BadParam(name, "%q is not a number", s)
	}
	return v, nil
}

func (h *api) locate(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lon, err := parseCoord(q, "lon")
	if err != nil {
		return err
	}
	lat, err := parseCoord(q, "lat")
	if err != nil {
		return err
	}
	loc, err := h.svc.Locate(r.Context(), orb.Point{lon, lat})
	if err != nil {
		return queryError(err)
	}
	httpx.WriteJSON(w, http.StatusOK, loc)
	return nil
}

func (h *api) places(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := httpx.ParsePage(r, httpx.DefaultLimit, httpx.MaxLimit)
	if err != nil {
		return err
	}
	pq := PlaceQuery{
		Q:        strings.TrimSpace(q.Get("q")),
		Division: strings.TrimSpace(q.Get("division")),
		Category: strings.TrimSpace(q.Get("category")),
		Limit:    page.Limit,
		Offset:   page.Offset,
	}
	if pq.BBox, err = httpx.ParseBBox(r); err != nil {
		return err
	}
	for _, st := range strings.Split(q.Get("status"), ",") {
		if st = strings.TrimSpace(st); st != "" {
			pq.Statuses = append(pq.Statuses, st)
		}
	}
	res, err := h.svc.Places(r.Context(), pq)
	if err != nil {
		return queryError(err)
	}
	fc := httpx.FeatureCollection{Features: httpx.Features(res.Items, PlaceFeature), NumberMatched: httpx.Count(res.NumberMatched),
		Links: httpx.PageLinks(r, page, len(res.Items), res.NumberMatched)}
	httpx.WriteGeoJSON(w, http.StatusOK, fc)
	return nil
}

func (h *api) place(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	p, err := h.svc.Place(r.Context(), id)
	if err != nil {
		return err
	}
	if Unpublished(p.Status) && !staff(r.Context()) { // drafts and submissions are staff-only
		return kindf(apierr.ErrNotFound, "no place with id %q", id)
	}
	if httpx.NotModified(w, r, p.Version) {
		return nil
	}
	writePlace(w, http.StatusOK, p)
	return nil
}

func writePlace(w http.ResponseWriter, status int, p Place) {
	httpx.SetETag(w, p.Version)
	httpx.WriteGeoJSON(w, status, PlaceFeature(p))
}

// writeChildren answers a list that hangs off one record ({id} in the path): the records list(id) returns, paged by
// limit/offset, as a FeatureCollection.
func writeChildren[T any](w http.ResponseWriter, r *http.Request, list func(context.Context, string) ([]T, error),
	feature func(T) httpx.Feature) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r, httpx.DefaultLimit, httpx.MaxLimit)
	if err != nil {
		return err
	}
	items, err := list(r.Context(), id)
	if err != nil {
		return err
	}
	httpx.WriteGeoJSON(w, http.StatusOK, httpx.PagedCollection(r, items, page, feature))
	return nil
}

// placeBody is the JSON of a Feature in a request body. Foreign members (bbox, …) are ignored.
type placeBody struct {
	Type       *string         `json:"type"`
	ID         json.RawMessage `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

// serverFields are the Place members the server controls; values for them in a request body are ignored.
var serverFields = []string{"version", "created_at", "updated_at"}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// DecodePlaceFeature reads a place from a GeoJSON Feature (RFC 7946): properties are the Place's JSON fields (unknown
// members refused; version, created_at and updated_at ignored), geometry is the place's geometry (lon/lat; z dropped;
// null or absent leaves it nil for validation to report), and the ID comes from the Feature's id (a string or number) or
// properties.id. Errors are 400 (httpx.BadRequest) naming the field: "body" (malformed JSON, with the byte offset),
// "type" (not a Feature), "properties", a property name, "geometry" (not a GeoJSON geometry), "id".
func DecodePlaceFeature(data []byte) (Place, error) {
	var fb placeBody
	if err := httpx.UnmarshalJSON(data, &fb, false); err != nil {
		return Place{}, err
	}
	switch {
	case fb.Type == nil:
		return Place{}, httpx.BadParam("type", `want a GeoJSON Feature: {"type":"Feature","geometry":…,"properties":…}`)
	case *fb.Type != "Feature":
		return Place{}, httpx.BadParam("type", `got a GeoJSON %q, want a "Feature" whose properties are the place's fields`, *fb.Type)
	}
	var p Place
	if !isNull(fb.Properties) {
		var props map[string]json.RawMessage
		if err := json.Unmarshal(fb.Properties, &props); err != nil {
			return Place{}, httpx.BadParam("properties", "want a JSON object")
		}
		for _, k := range serverFields {
			delete(props, k)
		}
		clean, err := json.Marshal(props)
		if err != nil {
			return Place{}, httpx.BadParam("properties", "%v", err)
		}
		if err := httpx.UnmarshalJSON(clean, &p, true); err != nil {
			return Place{}, err
		}
	}
	if !isNull(fb.ID) {
		var id string
		switch t := bytes.TrimSpace(fb.ID); t[0] {
		case '"':
			if err := json.Unmarshal(t, &id); err != nil {
				return Place{}, httpx.BadParam("id", "not a valid JSON string")
			}
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			id = string(t)
		default:
			return Place{}, httpx.BadParam("id", "a Feature id must be a string or a number (RFC 7946 §3.2)")
		}
		if p.ID != "" && strings.TrimSpace(p.ID) != strings.TrimSpace(id) {
			return Place{}, httpx.BadParam("id", "the Feature id %q and properties.id %q differ", id, p.ID)
		}
		p.ID = id
	}
	if !isNull(fb.Geometry) {
		g, err := geo.DecodeGeometry(fb.Geometry)
		if err != nil {
			return Place{}, httpx.BadParam("geometry", "%s", strings.TrimPrefix(err.Error(), "geo: "))
		}
		p.Geometry = g
	}
	return p, nil
}

// readBody checks the Content-Type against allowed (missing accepted when allowMissing) and reads the body, at most
// httpx.DefaultMaxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request, allowMissing bool, allowed ...string) ([]byte, error) {
	if err := httpx.CheckContentType(r, allowMissing, allowed...); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

func (h *api) createPlace(w http.ResponseWriter, r *http.Request) error {
	if err := edit.Require(r.Context(), edit.RoleEditor); err != nil { // the role before the body (403, not 400)
		return err
	}
	body, err := readBody(w, r, true, httpx.JSONContentType, httpx.GeoJSONContentType)
	if err != nil {
		return err
	}
	if r, body, err = bodyExtras(r, body); err != nil {
		return err
	}
	p, err := DecodePlaceFeature(body)
	if err != nil {
		return err
	}
	out, err := h.svc.CreatePlace(r.Context(), p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/places/"+url.PathEscape(out.ID))
	writePlace(w, http.StatusCreated, out)
	return nil
}

// expectVersion reads If-Match (428 without) and resolves it to the version an edit of place id must find.
func (h *api) expectVersion(r *http.Request, id string) (int64, error) {
	m, err := httpx.ParseIfMatch(r)
	if err != nil {
		return 0, err
	}
	return m.Expect(func() (int64, error) {
		p, err := h.svc.Place(r.Context(), id)
		return p.Version, err
	})
}

// edit is what a PUT or PATCH of a place asks for: the place's ID, the version it must find and the decoded body.
type editReq[T any] struct {
	id      string
	version int64
	body    T
	r       *http.Request // the request, carrying the body's reason and heritage members
}

// readEdit reads the shared part of a PUT or PATCH, in this order: the role (editor, 401/403), the path ID, If-Match (428 before the body is
// read), the body (Content-Type one of allowed, missing accepted when allowMissing) decoded by decode, and the
// version If-Match resolves to.
func readEdit[T any](h *api, w http.ResponseWriter, r *http.Request, decode func([]byte) (T, error),
	allowMissing bool, allowed ...string) (editReq[T], error) {
	var e editReq[T]
	if err := edit.Require(r.Context(), edit.RoleEditor); err != nil { // the role before the body (403, not 400)
		return e, err
	}
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return e, err
	}
	if _, err := httpx.ParseIfMatch(r); err != nil {
		return e, err
	}
	raw, err := readBody(w, r, allowMissing, allowed...)
	if err != nil {
		return e, err
	}
	if e.r, raw, err = bodyExtras(r, raw); err != nil {
		return e, err
	}
	if e.body, err = decode(raw); err != nil {
		return e, err
	}
	e.id = id
	e.version, err = h.expectVersion(e.r, id)
	return e, err
}

func (h *api) replacePlace(w http.ResponseWriter, r *http.Request) error {
	e, err := readEdit(h, w, r, DecodePlaceFeature, true, httpx.JSONContentType, httpx.GeoJSONContentType)
	if err != nil {
		return err
	}
	out, err := h.svc.ReplacePlace(e.r.Context(), e.id, e.body, e.version)
	if err != nil {
		return err
	}
	writePlace(w, http.StatusOK, out)
	return nil
}

func (h *api) patchPlace(w http.ResponseWriter, r *http.Request) error {
	e, err := readEdit(h, w, r, decodeAny, false, httpx.MergePatchContentType, httpx.JSONContentType)
	if err != nil {
		return err
	}
	out, err := h.svc.EditPlace(e.r.Context(), e.id, e.version, func(cur Place) (Place, error) {
		doc, err := json.Marshal(PlaceFeature(cur))
		if err != nil {
			return Place{}, err
		}
		target, err := decodeAny(doc)
		if err != nil {
			return Place{}, err
		}
		merged, err := json.Marshal(MergePatchFeature(target, e.body))
		if err != nil {
			return Place{}, err
		}
		return DecodePlaceFeature(merged)
	})
	if err != nil {
		return err
	}
	writePlace(w, http.StatusOK, out)
	return nil
}

// decodeAny decodes JSON keeping numbers as json.Number, so that a merge patch round-trips them exactly.
func decodeAny(data []byte) (any, error) { return edithttp.DecodeAny(data) }

// MergePatch applies an RFC 7396 JSON merge patch to target (edithttp.MergePatch).
func MergePatch(target, patch any) any { return edithttp.MergePatch(target, patch) }

// MergePatchFeature is MergePatch for a GeoJSON Feature whose "geometry" member is replaced whole
// (edithttp.MergePatchFeature).
func MergePatchFeature(target, patch any) any { return edithttp.MergePatchFeature(target, patch) }

func (h *api) deletePlace(w http.ResponseWriter, r *http.Request) error {
	return h.move("delete")(w, r)
}

func (h *api) boundaryLines(w http.ResponseWriter, r *http.Request) error {
	page, err := httpx.ParsePage(r, httpx.DefaultLimit, httpx.MaxLimit)
	if err != nil {
		return err
	}
	ls, err := h.svc.BoundaryLines(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteGeoJSON(w, http.StatusOK, httpx.PagedCollection(r, ls, page, LineFeature))
	return nil
}

func (h *api) boundaryLine(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	l, err := h.svc.BoundaryLine(r.Context(), id)
	if err != nil {
		return err
	}
	if done, err := h.etag(w, r, edit.KindLine, id); done || err != nil {
		return err
	}
	httpx.WriteGeoJSON(w, http.StatusOK, LineFeature(l))
	return nil
}

// etag sets the ETag of record id of kind (its current version) and answers If-None-Match (304, ETag set and the
// answer written: done); a record without versions gets no ETag and the caller writes it.
func (h *api) etag(w http.ResponseWriter, r *http.Request, kind edit.Kind, id string) (done bool, err error) {
	v, err := h.svc.store.Current(r.Context(), kind, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if httpx.NotModified(w, r, v.Version) {
		return true, nil
	}
	httpx.SetETag(w, v.Version)
	return false, nil
}

func (h *api) markers(w http.ResponseWriter, r *http.Request) error {
	return writeChildren(w, r, h.svc.Markers, MarkerFeature)
}
