package edithttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// Records serves the writes of one record kind that is written whole (divisions, boundary lines, markers,
// facilities, demand units; places have their own workflow): POST, PUT, PATCH (RFC 7396 merge patch) and DELETE, and
// GET of one record with its ETag. Documents are the kind's GeoJSON Feature as its GET answers it (lon/lat degrees,
// EPSG:4490). Every write needs role editor (401/403); PUT, PATCH and DELETE need If-Match (428 without, 412 stale).
// A write's reason is the body's top-level "reason" member or the reason query parameter (400 naming "reason" over
// edit.MaxReason characters).
type Records[T any] struct {
	Kind edit.Kind
	// Prefix is the collection's path, e.g. "/api/divisions"; Location headers are Prefix + "/" + the key.
	Prefix string
	Store  Store
	// Key points at the record's key field (division code, line id, marker number, facility id, demand-unit code),
	// and KeyField is that member's JSON name, for errors.
	Key      func(*T) *string
	KeyField string
	// SetGeometry stores a Feature's geometry in the record; its error is a 400 naming "geometry".
	SetGeometry func(*T, orb.Geometry) error
	// Validate normalises and checks a record as an import would (apierr.Invalid naming each field: 422), including
	// the territory check (gazetteer.CheckPlacement). cur is the stored record for a replace, nil for a create.
	Validate func(ctx context.Context, rec *T, cur *T) error
	// Put writes rec: expect 0 creates, otherwise replaces the record at version expect (the stores' Put*).
	Put func(ctx context.Context, rec T, expect int64, meta edit.Meta) (int64, error)
	// Delete is what DELETE does to the record cur at version expect (a kind decides: remove it, refuse while it is
	// referenced, or mark it and keep it). nil: DELETE is not offered (405).
	Delete func(ctx context.Context, id string, cur T, expect int64, meta edit.Meta) (int64, error)
}

// Routes registers GET (when get), POST on Prefix, PUT, PATCH and DELETE on Prefix/{id}.
func (k Records[T]) Routes(sub *mux.Router, get bool) {
	if get {
		sub.Handle(k.Prefix+"/{id}", httpx.HandlerFunc(k.Get)).Methods(http.MethodGet, http.MethodHead)
	}
	sub.Handle(k.Prefix, httpx.HandlerFunc(k.Create)).Methods(http.MethodPost)
	sub.Handle(k.Prefix+"/{id}", httpx.HandlerFunc(k.Replace)).Methods(http.MethodPut)
	sub.Handle(k.Prefix+"/{id}", httpx.HandlerFunc(k.Patch)).Methods(http.MethodPatch)
	if k.Delete != nil {
		sub.Handle(k.Prefix+"/{id}", httpx.HandlerFunc(k.DeleteHandler)).Methods(http.MethodDelete)
	}
}

func (k Records[T]) notFound(id string) error {
	return fmt.Errorf("no %s record %q: %w", k.Kind, id, apierr.ErrNotFound)
}

// current is the record's latest version (404 when absent or deleted).
func (k Records[T]) current(ctx context.Context, id string) (edit.Version, error) {
	v, err := k.Store.Current(ctx, k.Kind, id)
	if errors.Is(err, apierr.ErrNotFound) || (err == nil && v.Deleted()) {
		return edit.Version{}, k.notFound(id)
	}
	return v, err
}

func writeDoc(w http.ResponseWriter, status int, v edit.Version) error {
	httpx.SetETag(w, v.Version)
	w.Header().Set("Content-Type", httpx.GeoJSONContentType)
	w.WriteHeader(status)
	_, err := w.Write(v.Record)
	return err
}

// Get answers GET Prefix/{id}: the record's document, ETag its version, If-None-Match → 304.
func (k Records[T]) Get(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	v, err := k.current(r.Context(), id)
	if err != nil {
		return err
	}
	if httpx.NotModified(w, r, v.Version) {
		return nil
	}
	return writeDoc(w, http.StatusOK, v)
}

// DecodeFeature reads a record from a GeoJSON Feature (RFC 7946) whose properties are T's JSON fields: unknown
// members are refused (400 naming the member), edit.ServerFields ignored; the Feature's id (string or number) fills
// the key when properties leave it empty and must equal it otherwise (400 naming "id"); geometry goes to SetGeometry.
func (k Records[T]) DecodeFeature(data []byte) (T, error) {
	var rec T
	var fb struct {
		Type       *string         `json:"type"`
		ID         json.RawMessage `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties json.RawMessage `json:"properties"`
	}
	if err := httpx.UnmarshalJSON(data, &fb, false); err != nil {
		return rec, err
	}
	if fb.Type == nil || *fb.Type != "Feature" {
		return rec, httpx.BadParam("type", `want a GeoJSON Feature: {"type":"Feature","geometry":…,"properties":…}`)
	}
	if !isNull(fb.Properties) {
		var props map[string]json.RawMessage
		if err := json.Unmarshal(fb.Properties, &props); err != nil {
			return rec, httpx.BadParam("properties", "want a JSON object")
		}
		for _, f := range edit.ServerFields {
			delete(props, f)
		}
		clean, err := json.Marshal(props)
		if err != nil {
			return rec, httpx.BadParam("properties", "%v", err)
		}
		if err := httpx.UnmarshalJSON(clean, &rec, true); err != nil {
			return rec, err
		}
	}
	key := k.Key(&rec)
	*key = strings.TrimSpace(*key)
	if !isNull(fb.ID) {
		var id string
		switch t := bytes.TrimSpace(fb.ID); t[0] {
		case '"':
			if err := json.Unmarshal(t, &id); err != nil {
				return rec, httpx.BadParam("id", "not a valid JSON string")
			}
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			id = string(t)
		default:
			return rec, httpx.BadParam("id", "a Feature id must be a string or a number (RFC 7946 §3.2)")
		}
		id = strings.TrimSpace(id)
		if *key != "" && *key != id {
			return rec, httpx.BadParam("id", "the Feature id %q and properties.%s %q differ", id, k.KeyField, *key)
		}
		*key = id
	}
	if !isNull(fb.Geometry) {
		g, err := geo.DecodeGeometry(fb.Geometry)
		if err != nil {
			return rec, httpx.BadParam("geometry", "%s", strings.TrimPrefix(err.Error(), "geo: "))
		}
		if err := k.SetGeometry(&rec, g); err != nil {
			return rec, httpx.BadParam("geometry", "%v", err)
		}
	}
	return rec, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// body reads a JSON body of one of the allowed types (missing Content-Type accepted when allowMissing) and takes its
// reason out (BodyReason).
func body(w http.ResponseWriter, r *http.Request, allowMissing bool, allowed ...string) (*http.Request, []byte, error) {
	if err := httpx.CheckContentType(r, allowMissing, allowed...); err != nil {
		return r, nil, err
	}
	var raw json.RawMessage
	if err := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &raw); err != nil {
		return r, nil, err
	}
	return BodyReason(r, raw)
}

// Create answers POST Prefix: a new record from a Feature, validated; 201 with Location, ETag (its first version, "1"
// unless the key held a record that was deleted: numbering continues) and the stored document. A key already held is
// 409.
func (k Records[T]) Create(w http.ResponseWriter, r *http.Request) error {
	if err := edit.Require(r.Context(), edit.RoleEditor); err != nil {
		return err
	}
	r, raw, err := body(w, r, true, httpx.JSONContentType, httpx.GeoJSONContentType)
	if err != nil {
		return err
	}
	rec, err := k.DecodeFeature(raw)
	if err != nil {
		return err
	}
	if err := k.Validate(r.Context(), &rec, nil); err != nil {
		return err
	}
	id := *k.Key(&rec)
	if _, err := k.Put(r.Context(), rec, 0, edit.MetaFor(r.Context(), "create")); err != nil {
		if errors.Is(err, apierr.ErrConflict) {
			return fmt.Errorf("%s %q already exists; PUT or PATCH it with If-Match to change it: %w", k.Kind, id,
				apierr.ErrConflict)
		}
		return err
	}
	v, err := k.current(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Location", k.Prefix+"/"+url.PathEscape(id))
	return writeDoc(w, http.StatusCreated, v)
}

// start reads what every change of an existing record needs, in this order: the role (401/403), the path key,
// If-Match (428 before the body is read).
func (k Records[T]) start(r *http.Request) (string, httpx.IfMatch, error) {
	if err := edit.Require(r.Context(), edit.RoleEditor); err != nil {
		return "", httpx.IfMatch{}, err
	}
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return "", httpx.IfMatch{}, err
	}
	m, err := httpx.ParseIfMatch(r)
	return id, m, err
}

// expect resolves If-Match against the stored record: its current version and document, or 412 when stale.
func (k Records[T]) expect(ctx context.Context, id string, m httpx.IfMatch) (edit.Version, error) {
	cur, err := k.current(ctx, id)
	if err != nil {
		return cur, err
	}
	want, err := m.Expect(func() (int64, error) { return cur.Version, nil })
	if err != nil {
		return cur, err
	}
	if want != cur.Version {
		return cur, fmt.Errorf("%s %q is at version %d, not %d; GET it again and retry: %w", k.Kind, id, cur.Version,
			want, apierr.ErrVersionMismatch)
	}
	return cur, nil
}

// replace validates next (whose key must be id) against the stored cur and writes it at cur's version.
func (k Records[T]) replace(w http.ResponseWriter, r *http.Request, id string, cur edit.Version, next T) error {
	key := k.Key(&next)
	if *key == "" {
		*key = id
	}
	if *key != id {
		return httpx.BadParam(k.KeyField, "%q differs from the record's %s %q; keys cannot be changed", *key,
			k.KeyField, id)
	}
	old, err := k.DecodeFeature(cur.Record)
	if err != nil {
		return fmt.Errorf("decoding the stored %s %q: %w", k.Kind, id, err)
	}
	if err := k.Validate(r.Context(), &next, &old); err != nil {
		return err
	}
	if edit.Unchanged(old, next) { // an identical PUT or an empty PATCH: no version, no audit entry
		return writeDoc(w, http.StatusOK, cur)
	}
	if _, err := k.Put(r.Context(), next, cur.Version, edit.MetaFor(r.Context(), "update")); err != nil {
		return err
	}
	v, err := k.current(r.Context(), id)
	if err != nil {
		return err
	}
	return writeDoc(w, http.StatusOK, v)
}

// Replace answers PUT Prefix/{id} with If-Match: the record replaced by the body's Feature (fields it leaves out are
// cleared), validated; 200 with the new document and ETag.
func (k Records[T]) Replace(w http.ResponseWriter, r *http.Request) error {
	id, m, err := k.start(r)
	if err != nil {
		return err
	}
	r, raw, err := body(w, r, true, httpx.JSONContentType, httpx.GeoJSONContentType)
	if err != nil {
		return err
	}
	next, err := k.DecodeFeature(raw)
	if err != nil {
		return err
	}
	cur, err := k.expect(r.Context(), id, m)
	if err != nil {
		return err
	}
	return k.replace(w, r, id, cur, next)
}

// Patch answers PATCH Prefix/{id} (application/merge-patch+json, RFC 7396) with If-Match: the patch merged into the
// stored document (a "geometry" member replaces the geometry whole), validated; 200 with the new document and ETag.
func (k Records[T]) Patch(w http.ResponseWriter, r *http.Request) error {
	id, m, err := k.start(r)
	if err != nil {
		return err
	}
	r, raw, err := body(w, r, false, httpx.MergePatchContentType, httpx.JSONContentType)
	if err != nil {
		return err
	}
	patch, err := DecodeAny(raw)
	if err != nil {
		return err
	}
	cur, err := k.expect(r.Context(), id, m)
	if err != nil {
		return err
	}
	target, err := DecodeAny(cur.Record)
	if err != nil {
		return err
	}
	merged, err := json.Marshal(MergePatchFeature(target, patch))
	if err != nil {
		return err
	}
	next, err := k.DecodeFeature(merged)
	if err != nil {
		return err
	}
	return k.replace(w, r, id, cur, next)
}

// DeleteHandler answers DELETE Prefix/{id} with If-Match (reason from the query): the kind's Delete; 204 when the
// record is gone (its history stays), 200 with the document and ETag when the kind keeps it marked.
func (k Records[T]) DeleteHandler(w http.ResponseWriter, r *http.Request) error {
	id, m, err := k.start(r)
	if err != nil {
		return err
	}
	if r, err = ReasonQuery(r); err != nil {
		return err
	}
	cur, err := k.expect(r.Context(), id, m)
	if err != nil {
		return err
	}
	rec, err := k.DecodeFeature(cur.Record)
	if err != nil {
		return fmt.Errorf("decoding the stored %s %q: %w", k.Kind, id, err)
	}
	n, err := k.Delete(r.Context(), id, rec, cur.Version, edit.MetaFor(r.Context(), "delete"))
	if err != nil {
		return err
	}
	v, err := k.Store.Current(r.Context(), k.Kind, id)
	if errors.Is(err, apierr.ErrNotFound) || (err == nil && v.Deleted()) {
		httpx.SetETag(w, n)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err != nil {
		return err
	}
	return writeDoc(w, http.StatusOK, v)
}

// DecodeAny decodes JSON keeping numbers as json.Number, so that a merge patch round-trips them exactly (400 naming
// "body" when malformed).
func DecodeAny(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, httpx.BadParam("body", "malformed JSON: %v", err)
	}
	return v, nil
}

// MergePatch applies an RFC 7396 JSON merge patch to target (both decoded JSON: map[string]any, []any, string,
// json.Number or float64, bool, nil) and returns the result: an object patch merges key by key, recursively, a null
// member deletes the key, and any other patch value replaces the target. target may be modified.
func MergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
		} else {
			tm[k] = MergePatch(tm[k], v)
		}
	}
	return tm
}

// MergePatchFeature is MergePatch for a GeoJSON Feature, except that a "geometry" member of the patch replaces the
// geometry as a whole (merging the members of two geometry objects of different types would make nonsense).
func MergePatchFeature(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	g, hasGeom := pm["geometry"]
	merged := MergePatch(target, pm)
	if m, ok := merged.(map[string]any); ok && hasGeom && g != nil {
		m["geometry"] = g
	}
	return merged
}
