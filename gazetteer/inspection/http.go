package inspection

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
	"civmap/internal/pdf"
)

// Routes registers the inspection API on r. Writes need the inspector role (edit.RoleInspector; admin too); reads are
// open. Errors are RFC 9457 problems naming the field.
//
//	POST /api/boundary-lines/{id}/inspections  {"year","teams","started_on","ended_on","tolerance_m"} → 201 Round
//	     (id "<line>-<year>", Location /api/inspections/{id}); 422 naming year, started_on, ended_on, tolerance_m.
//	GET  /api/boundary-lines/{id}/inspections  {"items": [Round]} of the line
//	GET  /api/inspections/{id}                 Round, ETag "<version>"
//	POST /api/inspections/{id}/findings        the team's sheet as the body (text/csv or XLSX; the bytes decide) →
//	     {"imported": N, "rejected": [{"line","marker_no","reason","message"}]}; a missing column, GBK or an
//	     unreadable file is a 400 and writes nothing.
//	POST /api/inspections/{id}/marker-findings one finding as JSON (FindingInput) → 201 {"finding","row","version"}
//	POST /api/inspections/{id}/line-findings   LineFinding as JSON → 201 with its id
//	POST /api/inspections/{id}/photos          a JPEG or PNG (≤ 1 MiB) → 201 {"id"}; 413 too large, 415 not an image
//	GET  /api/inspections/{id}/photos/{sha}    the photo
//	GET  /api/inspections/{id}/report?f=json|html|xlsx|pdf   the report (or by Accept; default JSON); PDF is 503
//	     when no Chromium is installed
//	GET  /api/inspections/{id}/features        GeoJSON of the round's map layers (MapFeatures; property "layer"):
//	     markers (Point: verdict, colour, displacement_m), line findings (LineString), gaps/overlaps (Polygon)
//	GET, PUT /api/boundary-lines/{id}/agreement  LineAgreement (PUT: inspector; replacing needs If-Match, 428/412)
//	GET, PUT /api/markers/{number}/register      MarkerRegister (faces, reference objects; PUT: inspector)
//	PUT  /api/neighbour-polygons/{code}          NeighbourPolygon (a neighbouring county's polygon; inspector)
func Routes(r *mux.Router, st Store) {
	h := &api{svc: &Service{Store: st}}
	sub := httpx.Sub(r)
	get := []string{http.MethodGet, http.MethodHead}
	sub.Handle("/api/boundary-lines/{id}/inspections", httpx.HandlerFunc(h.createRound)).Methods(http.MethodPost)
	sub.Handle("/api/boundary-lines/{id}/inspections", httpx.HandlerFunc(h.rounds)).Methods(get...)
	sub.Handle("/api/boundary-lines/{id}/agreement", httpx.HandlerFunc(h.getDoc(KindLineAgreement))).Methods(get...)
	sub.Handle("/api/boundary-lines/{id}/agreement", httpx.HandlerFunc(h.putAgreement)).Methods(http.MethodPut)
	sub.Handle("/api/markers/{id}/register", httpx.HandlerFunc(h.getDoc(KindMarkerRegister))).Methods(get...)
	sub.Handle("/api/markers/{id}/register", httpx.HandlerFunc(h.putRegister)).Methods(http.MethodPut)
	sub.Handle("/api/neighbour-polygons/{id}", httpx.HandlerFunc(h.putNeighbour)).Methods(http.MethodPut)
	sub.Handle("/api/inspections/{id}", httpx.HandlerFunc(h.round)).Methods(get...)
	sub.Handle("/api/inspections/{id}/findings", httpx.HandlerFunc(h.importSheet)).Methods(http.MethodPost)
	sub.Handle("/api/inspections/{id}/marker-findings", httpx.HandlerFunc(h.markerFinding)).Methods(http.MethodPost)
	sub.Handle("/api/inspections/{id}/line-findings", httpx.HandlerFunc(h.lineFinding)).Methods(http.MethodPost)
	sub.Handle("/api/inspections/{id}/photos", httpx.HandlerFunc(h.photo)).Methods(http.MethodPost)
	sub.Handle("/api/inspections/{id}/photos/{sha}", httpx.HandlerFunc(h.getPhoto)).Methods(get...)
	sub.Handle("/api/inspections/{id}/report", httpx.HandlerFunc(h.report)).Methods(get...)
	sub.Handle("/api/inspections/{id}/features", httpx.HandlerFunc(h.features)).Methods(get...)
}

type api struct{ svc *Service }

const maxJSON = 256 << 10

func notFound(err error, kind, id string) error {
	if errors.Is(err, apierr.ErrNotFound) {
		return httpx.NotFound(kind, id)
	}
	return err
}

func (h *api) createRound(w http.ResponseWriter, r *http.Request) error {
	line, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	if err := edit.Require(r.Context(), edit.RoleInspector); err != nil {
		return err
	}
	if err := httpx.CheckContentType(r, true, "application/json"); err != nil {
		return err
	}
	var in RoundInput
	if err := httpx.DecodeJSON(w, r, maxJSON, &in); err != nil {
		return err
	}
	rd, err := h.svc.CreateRound(r.Context(), line, in)
	if err != nil {
		return notFound(err, "boundary line", line)
	}
	w.Header().Set("Location", "/api/inspections/"+url.PathEscape(rd.ID))
	httpx.SetETag(w, rd.Version)
	httpx.WriteJSON(w, http.StatusCreated, rd)
	return nil
}

func (h *api) rounds(w http.ResponseWriter, r *http.Request) error {
	line, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.svc.Store.BoundaryLine(r.Context(), line); err != nil {
		return notFound(err, "boundary line", line)
	}
	docs, err := h.svc.Store.Docs(r.Context(), KindRound, line+"-")
	if err != nil {
		return err
	}
	items := []Round{}
	for _, d := range docs {
		rd, err := edit.DecodeDoc[Round](d)
		if err != nil {
			return err
		}
		if rd.LineID == line {
			rd.Version = d.Version
			items = append(items, rd)
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (h *api) round(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	rd, err := h.svc.Round(r.Context(), id)
	if err != nil {
		return notFound(err, "inspection", id)
	}
	if httpx.NotModified(w, r, rd.Version) {
		return nil
	}
	httpx.SetETag(w, rd.Version)
	httpx.WriteJSON(w, http.StatusOK, rd)
	return nil
}

func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, httpx.WithStatus(http.StatusRequestEntityTooLarge, apierr.Field("body", "the body is larger than %d bytes", mbe.Limit))
		}
		return nil, httpx.BadParam("body", "reading the body: %v", err)
	}
	return b, nil
}

func (h *api) importSheet(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	if err := edit.Require(r.Context(), edit.RoleInspector); err != nil {
		return err
	}
	b, err := readBody(w, r, MaxSheetBytes)
	if err != nil {
		return err
	}
	res, err := h.svc.Import(r.Context(), id, b, r.Header.Get("Content-Type"))
	if err != nil {
		return notFound(err, "inspection", id)
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (h *api) markerFinding(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	if err := edit.Require(r.Context(), edit.RoleInspector); err != nil {
		return err
	}
	var in FindingInput
	if err := httpx.DecodeJSON(w, r, maxJSON, &in); err != nil {
		return err
	}
	ans, err := h.svc.RecordFinding(r.Context(), id, in)
	if err != nil {
		return notFound(err, "inspection", id)
	}
	httpx.WriteJSON(w, http.StatusCreated, ans)
	return nil
}

func (h *api) lineFinding(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	if err := edit.Require(r.Context(), edit.RoleInspector); err != nil {
		return err
	}
	var in LineFinding
	if err := httpx.DecodeJSON(w, r, maxJSON, &in); err != nil {
		return err
	}
	lf, err := h.svc.AddLineFinding(r.Context(), id, in)
	if err != nil {
		return notFound(err, "inspection", id)
	}
	httpx.WriteJSON(w, http.StatusCreated, lf)
	return nil
}

func (h *api) photo(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	if err := edit.Require(r.Context(), edit.RoleInspector); err != nil {
		return err
	}
	b, err := readBody(w, r, MaxPhotoBytes+1)
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) && se.Status == http.StatusRequestEntityTooLarge {
			return httpx.WithStatus(http.StatusRequestEntityTooLarge,
				apierr.Field("body", "the photo is larger than %d bytes (1 MiB): send a smaller one", MaxPhotoBytes))
		}
		return err
	}
	pid, err := h.svc.AddPhoto(r.Context(), id, b)
	if err != nil {
		return notFound(err, "inspection", id)
	}
	w.Header().Set("Location", "/api/inspections/"+url.PathEscape(id)+"/photos/"+url.PathEscape(strings.TrimPrefix(pid, id+"/")))
	httpx.WriteJSON(w, http.StatusCreated, map[string]string{"id": pid})
	return nil
}

func (h *api) getPhoto(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	sha, err := httpx.PathVar(r, "sha")
	if err != nil {
		return err
	}
	b, ct, err := h.svc.PhotoData(r.Context(), id+"/"+sha)
	if err != nil {
		return notFound(err, "photo", id+"/"+sha)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(b)
	return nil
}

// reportFormat picks f= (json, html, xlsx, pdf) or, without it, the first Accept type that names one; default JSON.
func reportFormat(r *http.Request) (string, error) {
	if f := r.URL.Query().Get("f"); f != "" {
		switch f {
		case "json", "html", "xlsx", "pdf":
			return f, nil
		}
		return "", httpx.BadParam("f", "unknown format %q (want json, html, xlsx or pdf)", f)
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		switch mt {
		case "application/json":
			return "json", nil
		case "text/html":
			return "html", nil
		case XLSXContentType:
			return "xlsx", nil
		case "application/pdf":
			return "pdf", nil
		}
	}
	return "json", nil
}

func (h *api) report(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	f, err := reportFormat(r)
	if err != nil {
		return err
	}
	rep, err := h.svc.Report(r.Context(), id)
	if err != nil {
		return notFound(err, "inspection", id)
	}
	w.Header().Add("Vary", "Accept")
	name := url.PathEscape(fmt.Sprintf("%s-report", rep.Round.ID))
	var b []byte
	var ct string
	switch f {
	case "json":
		httpx.WriteJSON(w, http.StatusOK, rep)
		return nil
	case "html":
		b, err = HTML(rep)
		ct = "text/html; charset=utf-8"
	case "xlsx":
		b, err = XLSX(rep)
		ct = XLSXContentType
		w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+name+".xlsx")
	case "pdf":
		b, err = PDF(r.Context(), rep)
		ct = "application/pdf"
		w.Header().Set("Content-Disposition", "inline; filename*=UTF-8''"+name+".pdf")
	}
	if errors.Is(err, pdf.ErrNoChromium) {
		return httpx.WithStatus(http.StatusServiceUnavailable, err)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
	return nil
}

func (h *api) features(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	rep, err := h.svc.Report(r.Context(), id)
	if err != nil {
		return notFound(err, "inspection", id)
	}
	fs := []httpx.Feature{}
	for _, f := range MapFeatures(rep) {
		p := map[string]any{"layer": f.Layer}
		for k, v := range f.Properties {
			p[k] = v
		}
		fs = append(fs, httpx.Feature{ID: f.ID, Geometry: f.Geometry, Properties: p})
	}
	httpx.WriteGeoJSON(w, http.StatusOK, httpx.FeatureCollection{Features: fs})
	return nil
}

func (h *api) getDoc(kind edit.Kind) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathVar(r, "id")
		if err != nil {
			return err
		}
		d, err := h.svc.Store.Doc(r.Context(), kind, id)
		if err != nil {
			return notFound(err, string(kind), id)
		}
		if httpx.NotModified(w, r, d.Version) {
			return nil
		}
		httpx.SetETag(w, d.Version)
		httpx.WriteJSON(w, http.StatusOK, d.Body)
		return nil
	}
}

// putDoc writes a document whole (inspector), under the house's edit rule: creating one needs no If-Match, replacing
// one needs If-Match with its current ETag (428 without, 412 when another version is current).
func (h *api) putDoc(w http.ResponseWriter, r *http.Request, kind edit.Kind, id string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	cur := int64(0)
	if d, err := h.svc.Store.Doc(r.Context(), kind, id); err == nil {
		cur = d.Version
	} else if !errors.Is(err, apierr.ErrNotFound) {
		return err
	}
	expect := int64(0) // create: a concurrent create makes this a conflict, not a silent replace
	if cur > 0 || r.Header.Get("If-Match") != "" {
		m, err := httpx.ParseIfMatch(r)
		if err != nil {
			return err
		}
		if !m.Matches(cur) || cur == 0 {
			return fmt.Errorf("%s %q: %w", kind, id, apierr.ErrVersionMismatch)
		}
		expect = cur
	}
	vs, err := h.svc.Store.WriteDocs(r.Context(), []edit.DocWrite{{Kind: kind, ID: id, Body: body, ExpectVersion: expect}},
		edit.MetaFor(r.Context(), ""))
	if err != nil {
		return err
	}
	httpx.SetETag(w, vs[0])
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (h *api) putAgreement(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	if err := edit.Require(r.Context(), edit.RoleInspector); err != nil {
		return err
	}
	var a LineAgreement
	if err := httpx.DecodeJSON(w, r, maxJSON, &a); err != nil {
		return err
	}
	if _, err := h.svc.Store.BoundaryLine(r.Context(), id); err != nil {
		return notFound(err, "boundary line", id)
	}
	var bad apierr.Invalid
	a.LineID = id
	if strings.TrimSpace(a.Document) == "" {
		bad.Add("document", "is required: the agreement's title and number (界线协议书)")
	}
	if a.SignedOn != "" {
		if _, err := parseDate(a.SignedOn); err != nil {
			bad.Add("signed_on", "%q is not a date YYYY-MM-DD", a.SignedOn)
		}
	}
	if a.RegisteredLengthM < 0 {
		bad.Add("registered_length_m", "must be ≥ 0 metres")
	}
	if len(bad) > 0 {
		return bad
	}
	return h.putDoc(w, r, KindLineAgreement, id, a)
}

func (h *api) putRegister(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	if err := edit.Require(r.Context(), edit.RoleInspector); err != nil {
		return err
	}
	var m MarkerRegister
	if err := httpx.DecodeJSON(w, r, maxJSON, &m); err != nil {
		return err
	}
	m.MarkerNo = id
	if err := ValidateRegister(m); err != nil {
		return err
	}
	return h.putDoc(w, r, KindMarkerRegister, id, m)
}

// ValidateRegister checks marker register data: faces 0 (unknown), 2 or 3; every reference object named, with a
// bearing 0 ≤ b < 360 degrees and a distance > 0 metres.
func ValidateRegister(m MarkerRegister) error {
	var bad apierr.Invalid
	if m.Faces != 0 && m.Faces != 2 && m.Faces != 3 {
		bad.Add("faces", "must be 2 or 3 (got %d)", m.Faces)
	}
	for i, ro := range m.References {
		at := fmt.Sprintf("references[%d]", i)
		if strings.TrimSpace(ro.Name) == "" {
			bad.Add(at+".name", "is required (方位物名称)")
		}
		if ro.BearingD < 0 || ro.BearingD >= 360 {
			bad.Add(at+".bearing_deg", "must be 0 to less than 360 degrees (got %v)", ro.BearingD)
		}
		if !(ro.DistanceM > 0) {
			bad.Add(at+".distance_m", "must be more than 0 metres (got %v)", ro.DistanceM)
		}
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

func (h *api) putNeighbour(w http.ResponseWriter, r *http.Request) error {
	code, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	if err := edit.Require(r.Context(), edit.RoleInspector); err != nil {
		return err
	}
	b, err := readBody(w, r, MaxSheetBytes)
	if err != nil {
		return err
	}
	var np NeighbourPolygon
	if err := httpx.UnmarshalJSON(b, &np, false); err != nil {
		return err
	}
	np.Code = code
	if err := ValidateNeighbour(np); err != nil {
		return err
	}
	return h.putDoc(w, r, KindNeighbour, code, np)
}

// ValidateNeighbour checks a neighbour polygon: a name and a valid lon/lat (Multi)Polygon.
func ValidateNeighbour(np NeighbourPolygon) error {
	var bad apierr.Invalid
	if strings.TrimSpace(np.Name) == "" {
		bad.Add("name", "is required")
	}
	g, err := geo.DecodeGeometry(np.Geometry)
	if err == nil {
		_, err = geo.NormalizePolygonal(g)
	}
	if err != nil {
		bad.Add("geometry", "%v", err)
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}
