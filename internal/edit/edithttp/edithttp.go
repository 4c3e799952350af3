// Package edithttp is the HTTP side of the edit machinery that every record kind shares: the reason of a write, and
// the generic history, version and restore handlers (issue 6, EDIT-API.md "Versions, history, workflow"). Domain
// packages register them for their kinds; it lives beside internal/edit because internal/httpx imports edit.
package edithttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// Store is what the handlers read: History and Current of both stores.
type Store interface {
	History(ctx context.Context, kind edit.Kind, id string) ([]edit.Version, error)
	Current(ctx context.Context, kind edit.Kind, id string) (edit.Version, error)
}

// Kind serves the history of one record kind.
type Kind struct {
	Kind  edit.Kind
	Store Store
	// Distance is geo.Distance on lon/lat points (metres), for moved_m.
	Distance edit.Distance
	// Restore writes doc (a version's record) back as the record id's next version, if its current version is expect,
	// and returns the new version. The caller checks the role (reviewer).
	Restore func(ctx context.Context, id string, doc json.RawMessage, expect int64) (int64, error)
	// Visible reports whether the requester may see this version's document (staff-only drafts); nil: always. A
	// record whose latest version is not visible has no history (404); otherwise the versions that are not are left
	// out of the list (each patch is then from the visible version before) and are 404 by number.
	Visible func(ctx context.Context, doc json.RawMessage) bool
	// BodyExtras, when set, takes the members of a restore body that are the kind's own (the reason and, for places,
	// a rename's approving document) into the request's context; what it leaves must be {} or {"reason":…}.
	BodyExtras func(r *http.Request, body []byte) (*http.Request, []byte, error)
}

// ReasonQuery reads the reason query parameter into ctx (edit.WithReason): 400 naming "reason" when it is longer than
// edit.MaxReason characters.
func ReasonQuery(r *http.Request) (*http.Request, error) {
	return WithReason(r, r.URL.Query().Get("reason"))
}

// WithReason checks reason and returns r carrying it.
func WithReason(r *http.Request, reason string) (*http.Request, error) {
	reason, err := edit.CheckReason(reason)
	if err != nil {
		return r, httpx.BadRequest(err)
	}
	if reason == "" {
		reason = edit.ReasonFrom(r.Context())
	}
	return r.WithContext(edit.WithReason(r.Context(), reason)), nil
}

// BodyReason takes the top-level member "reason" out of a JSON object body (it is no field of the record) and puts it
// in the request's context, after the reason query parameter. Bodies that are not objects pass unchanged.
func BodyReason(r *http.Request, body []byte) (*http.Request, []byte, error) {
	r, err := ReasonQuery(r)
	if err != nil {
		return r, body, err
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return r, body, nil
	}
	raw, ok := m["reason"]
	if !ok {
		return r, body, nil
	}
	var reason string
	if err := json.Unmarshal(raw, &reason); err != nil {
		return r, body, httpx.BadParam("reason", "must be a string")
	}
	if r, err = WithReason(r, reason); err != nil {
		return r, body, err
	}
	delete(m, "reason")
	body, err = json.Marshal(m)
	return r, body, err
}

func (k Kind) notFound(id string) error {
	return fmt.Errorf("no %s record %q: %w", k.Kind, id, apierr.ErrNotFound)
}

func (k Kind) history(ctx context.Context, id string) ([]edit.Version, error) {
	vs, err := k.Store.History(ctx, k.Kind, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, k.notFound(id)
	}
	if err != nil {
		return nil, err
	}
	if k.Visible == nil {
		return vs, nil
	}
	if !k.Visible(ctx, vs[len(vs)-1].Record) {
		return nil, k.notFound(id)
	}
	return slices.DeleteFunc(slices.Clone(vs), func(v edit.Version) bool { return !v.Deleted() && !k.Visible(ctx, v.Record) }), nil
}

// HistoryList answers GET /api/{kind}/{id}/history?limit=&offset=: {"items":[edit.HistoryItem…] newest first,
// "numberMatched","numberReturned","links"}.
func (k Kind) HistoryList(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r, httpx.DefaultLimit, httpx.MaxLimit)
	if err != nil {
		return err
	}
	vs, err := k.history(r.Context(), id)
	if err != nil {
		return err
	}
	items, err := edit.HistoryItems(vs, k.Distance)
	if err != nil {
		return err
	}
	got := httpx.PageOf(items, page)
	if got == nil {
		got = []edit.HistoryItem{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": got, "numberMatched": len(items),
		"numberReturned": len(got), "links": httpx.PageLinks(r, page, len(got), len(items))})
	return nil
}

func (k Kind) version(r *http.Request) (string, edit.Version, error) {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return "", edit.Version{}, err
	}
	raw, err := httpx.PathVar(r, "version")
	if err != nil {
		return "", edit.Version{}, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || n < 1 {
		return "", edit.Version{}, httpx.BadParam("version", "%q is not a version number (1, 2, …)", raw)
	}
	vs, err := k.history(r.Context(), id)
	if err != nil {
		return "", edit.Version{}, err
	}
	v, err := edit.VersionOf(vs, k.Kind, id, n)
	if edit.IsNoVersion(err) { // a 404 that names the path's version
		err = httpx.WithStatus(http.StatusNotFound, apierr.Invalid{{Field: "version", Reason: err.Error()}})
	}
	return id, v, err
}

// Version answers GET /api/{kind}/{id}/history/{version}: that version's document whole, ETag its version; 404 for
// a version the record does not have, or a delete.
func (k Kind) Version(w http.ResponseWriter, r *http.Request) error {
	_, v, err := k.version(r)
	if err != nil {
		return err
	}
	if v.Deleted() {
		return fmt.Errorf("version %d of %s %q is its deletion: %w", v.Version, k.Kind, v.ID, apierr.ErrNotFound)
	}
	httpx.SetETag(w, v.Version)
	w.Header().Set("Content-Type", httpx.GeoJSONContentType)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(v.Record)
	return err
}

// RestoreHandler answers POST /api/{kind}/{id}/restore/{version} (role reviewer, 401/403 first) with If-Match
// (428/412): writes that version's
// document back as a new version (action "restore", reason from the body's "reason" member or the query) and answers
// 200 with the record and its new ETag.
func (k Kind) RestoreHandler(w http.ResponseWriter, r *http.Request) error {
	if err := edit.Require(r.Context(), edit.RoleReviewer); err != nil { // the role first (403 before 404 or 428)
		return err
	}
	m, err := httpx.ParseIfMatch(r)
	if err != nil {
		return err
	}
	if r, err = ReasonQuery(r); err != nil {
		return err
	}
	if r.ContentLength != 0 {
		var body struct {
			Reason *string `json:"reason"`
		}
		var raw json.RawMessage
		if err := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &raw); err != nil {
			return err
		}
		if k.BodyExtras != nil {
			if r, raw, err = k.BodyExtras(r, raw); err != nil {
				return err
			}
		}
		if err := httpx.UnmarshalJSON(raw, &body, true); err != nil {
			return err
		}
		if body.Reason != nil {
			if r, err = WithReason(r, *body.Reason); err != nil {
				return err
			}
		}
	}
	id, v, err := k.version(r)
	if err != nil {
		return err
	}
	if v.Deleted() {
		return httpx.WithStatus(http.StatusConflict, fmt.Errorf("version %d of %s %q is its deletion; restore an earlier one",
			v.Version, k.Kind, id))
	}
	expect, err := m.Expect(func() (int64, error) {
		vs, err := k.Store.History(r.Context(), k.Kind, id)
		if err != nil {
			return 0, err
		}
		return vs[len(vs)-1].Version, nil
	})
	if err != nil {
		return err
	}
	ctx := edit.WithReason(r.Context(), edit.ReasonFrom(r.Context()))
	if _, err := k.Restore(ctx, id, v.Record, expect); err != nil {
		return err
	}
	cur, err := k.Store.Current(r.Context(), k.Kind, id)
	if err != nil {
		return err
	}
	httpx.SetETag(w, cur.Version)
	w.Header().Set("Content-Type", httpx.GeoJSONContentType)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(cur.Record)
	return err
}

// Routes registers history, history/{version} and restore/{version} of k under prefix (e.g. "/api/facilities").
func (k Kind) Routes(sub *mux.Router, prefix string) {
	get := []string{http.MethodGet, http.MethodHead}
	sub.Handle(prefix+"/{id}/history", httpx.HandlerFunc(k.HistoryList)).Methods(get...)
	sub.Handle(prefix+"/{id}/history/{version}", httpx.HandlerFunc(k.Version)).Methods(get...)
	sub.Handle(prefix+"/{id}/restore/{version}", httpx.HandlerFunc(k.RestoreHandler)).Methods(http.MethodPost)
}

// Distance is geo.Distance on two lon/lat points (metres), the edit.Distance of moved_m.
func Distance(a, b [2]float64) float64 { return geo.Distance(orb.Point(a), orb.Point(b)) }

// Restore is the Restore of a Kind whose records Records writes: the role is checked (reviewer), the version's
// document decoded as a record (Records.DecodeFeature) and written back whole with put (action "restore").
func Restore[T any](rs Records[T]) func(ctx context.Context, id string, doc json.RawMessage, expect int64) (int64, error) {
	return func(ctx context.Context, id string, doc json.RawMessage, expect int64) (int64, error) {
		if err := edit.Require(ctx, edit.RoleReviewer); err != nil {
			return 0, err
		}
		rec, err := rs.DecodeFeature(doc)
		if err != nil {
			return 0, fmt.Errorf("decoding version of %s %q: %w", rs.Kind, id, err)
		}
		return rs.Put(ctx, rec, expect, edit.MetaFor(ctx, "restore"))
	}
}
