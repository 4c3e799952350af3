package names

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// maxBody is the largest JSON body accepted (a list of a few thousand entries); batch sign files may be larger
// (maxBatchBody).
const maxBody = 4 << 20

// Routes registers the place-name API on r. Errors are RFC 9457 problems naming the field (400 for a bad query or
// body, 422 for a list that breaks a rule, 403 without the role).
//
//	GET  /api/names/pinyin?name=NAME          {"name","specific","generic","pinyin","steps":[…]} (1984 rules)
//	POST /api/names/check                     {"name","category","division_code"} → {"findings":[{"rule","kind",
//	                                          "severity","message","evidence":{"word","records":[…]},"suggestion"}]}
//	POST /api/names/sign-check                {"name","sign"} → {"ok","correct","errors":[{"code","message"}]};
//	                                          a text/csv or XLSX body (columns name,sign) → a report in the same
//	                                          format (CSV; XLSX for an XLSX body), one row per sign
//	GET  /api/names/lists                     {"lists":[{"list","version","entries"}]} (version 0: the default)
//	GET  /api/names/lists/{list}              one list, ETag "<version>"
//	PUT  /api/names/lists/{list}              {"entries":[…]} (reviewer); If-Match "<version>" ("0" or * for
//	                                          the default); 200 {"list","version"}
//	POST /api/screenings                      {"division": CODE} (editor) → the Report, 201
//	GET  /api/screenings                      the screenings run, newest first
//	GET  /api/screenings/{id}?format=json|csv|xlsx|html|geojson   the report, grouped by township and kind, with
//	                                          progress; geojson: the findings as Point features (the map's layer)
//	GET  /api/name-findings?division=&kind=&state=&format=json|geojson   tracked findings (each with its point)
//	GET  /api/name-findings/{id}              one finding, ETag
//	POST /api/name-findings/{id}/state        {"state","reason"} (reviewer); If-Match optional
func Routes(r *mux.Router, s *Service) {
	h := &api{svc: s}
	sub := httpx.Sub(r)
	get := []string{http.MethodGet, http.MethodHead}
	sub.Handle("/api/names/pinyin", httpx.HandlerFunc(h.pinyin)).Methods(get...)
	sub.Handle("/api/names/check", httpx.HandlerFunc(h.check)).Methods(http.MethodPost)
	sub.Handle("/api/names/sign-check", httpx.HandlerFunc(h.signCheck)).Methods(http.MethodPost)
	sub.Handle("/api/names/lists", httpx.HandlerFunc(h.lists)).Methods(get...)
	sub.Handle("/api/names/lists/{list}", httpx.HandlerFunc(h.list)).Methods(get...)
	sub.Handle("/api/names/lists/{list}", httpx.HandlerFunc(h.putList)).Methods(http.MethodPut)
	h.screeningRoutes(sub)
}

// NewHandler returns the place-name API as a complete handler (tests, tools).
func NewHandler(s *Service) http.Handler {
	r := httpx.NewRouter()
	Routes(r, s)
	return httpx.Recover(r)
}

type api struct{ svc *Service }

func (h *api) pinyin(w http.ResponseWriter, r *http.Request) error {
	res, err := h.svc.Romanize(r.Context(), r.URL.Query().Get("name"))
	if err != nil {
		return queryError(err)
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

// queryError makes a validation error about the request's shape a 400.
func queryError(err error) error {
	if _, ok := apierr.AsInvalid(err); ok {
		return httpx.BadRequest(err)
	}
	return err
}

func (h *api) check(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.CheckContentType(r, true, "application/json"); err != nil {
		return err
	}
	var req CheckRequest
	if err := httpx.DecodeJSON(w, r, maxBody, &req); err != nil {
		return err
	}
	fs, err := h.svc.Check(r.Context(), req)
	if err != nil {
		return queryError(err)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"findings": fs})
	return nil
}

// SignRequest is the body of POST /api/names/sign-check.
type SignRequest struct {
	Name string `json:"name"`
	Sign string `json:"sign"`
}

func (h *api) signCheck(w http.ResponseWriter, r *http.Request) error {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0]))
	if ct == "text/csv" || ct == xlsxType {
		return h.signBatch(w, r, ct)
	}
	if err := httpx.CheckContentType(r, true, "application/json", "text/csv", xlsxType); err != nil {
		return err
	}
	var req SignRequest
	if err := httpx.DecodeJSON(w, r, maxBody, &req); err != nil {
		return err
	}
	if err := checkNameInput("name", req.Name); err != nil {
		return httpx.BadRequest(err)
	}
	if len(req.Sign) > 4*MaxNameInput {
		return httpx.BadParam("sign", "is %d bytes long; at most %d are accepted", len(req.Sign), 4*MaxNameInput)
	}
	e, err := h.svc.Engine(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, e.SignCheck(req.Name, req.Sign))
	return nil
}

func (h *api) lists(w http.ResponseWriter, r *http.Request) error {
	ls, err := h.svc.AllLists(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"lists": ls})
	return nil
}

func (h *api) list(w http.ResponseWriter, r *http.Request) error {
	name, err := httpx.PathVar(r, "list")
	if err != nil {
		return err
	}
	li, err := h.svc.List(r.Context(), name)
	if err != nil {
		return err
	}
	if httpx.NotModified(w, r, li.Version) {
		return nil
	}
	httpx.SetETag(w, li.Version)
	httpx.WriteJSON(w, http.StatusOK, li)
	return nil
}

func (h *api) putList(w http.ResponseWriter, r *http.Request) error {
	if err := edit.Require(r.Context(), edit.RoleReviewer); err != nil {
		return err
	}
	name, err := httpx.PathVar(r, "list")
	if err != nil {
		return err
	}
	expect, err := expectVersion(r, true)
	if err != nil {
		return err
	}
	if err := httpx.CheckContentType(r, true, "application/json"); err != nil {
		return err
	}
	var body struct {
		Entries json.RawMessage `json:"entries"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &body); err != nil {
		return err
	}
	if _, err := h.svc.List(r.Context(), name); err != nil {
		return err
	}
	v, err := h.svc.PutList(r.Context(), name, body.Entries, expect)
	if err != nil {
		return queryError(err)
	}
	httpx.SetETag(w, v)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"list": name, "version": v})
	return nil
}

// expectVersion reads If-Match as a document's expected version: "n" → n, "0" → 0 (create over a default), * →
// edit.AnyVersion. Without the header: a 428 when required, else edit.AnyVersion.
func expectVersion(r *http.Request, required bool) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	switch {
	case h == "" && !required:
		return edit.AnyVersion, nil
	case h == "":
		_, err := httpx.ParseIfMatch(r) // the standard 428
		return 0, err
	case h == "*":
		return edit.AnyVersion, nil
	}
	if len(h) >= 3 && h[0] == '"' && h[len(h)-1] == '"' {
		if v, err := strconv.ParseInt(h[1:len(h)-1], 10, 64); err == nil && v >= 0 {
			return v, nil
		}
	}
	return 0, httpx.BadParam("If-Match", "must be one strong ETag \"<version>\" or * (got %s)", httpx.Quote(h))
}
