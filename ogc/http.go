// Package ogc serves OGC API – Features at /ogc: Part 1 Core (landing page, conformance, collections, items, one item;
// GeoJSON, HTML and an OpenAPI 3.0 document), Part 2 CRS by reference (crs, bbox-crs, Content-Crs; CRS84, EPSG:4326,
// 4490, 3857, 4549, 4550) and Part 3 Filtering (queryables, filter, filter-lang cql2-text and cql2-json, filter-crs).
// The collections are the records of the gazetteer and facilities packages (collections.go); a store answers them
// through FeatureStore. Reads are open to everyone, like the rest of the read API.
//
// Paging is keyset on each collection's natural key (an opaque cursor in the next and prev links), so a client paging
// through a collection that does not change sees every feature exactly once, at the same cost for the last page as for
// the first; numberMatched counts every match.
package ogc

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"civmap/internal/apierr"
	"civmap/internal/httpx"
	"civmap/ogc/cql2"
)

// Paging limits: limit defaults to DefaultLimit; a limit below 1 or above MaxLimit is a 400 naming it (not clamped, so
// a client never receives fewer features than it asked for without being told).
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Routes registers the OGC API on r under /ogc:
//
//	GET /ogc                                  landing page (links)
//	GET /ogc/conformance                      conformance classes (Conformance)
//	GET /ogc/api                              OpenAPI 3.0 document (application/vnd.oai.openapi+json;version=3.0)
//	GET /ogc/collections                      every collection with its extent, storageCrs and crs list
//	GET /ogc/collections/{id}                 one collection (404 problem for an unknown id)
//	GET /ogc/collections/{id}/queryables      JSON Schema of the queryables (application/schema+json)
//	GET /ogc/collections/{id}/schema          JSON Schema of one feature (rel describedBy; GDAL reads its fields)
//	GET /ogc/collections/{id}/items           ?bbox=&bbox-crs=&crs=&limit=&cursor=&datetime=&filter=&filter-lang=
//	                                          &filter-crs=&<queryable>=<value>  FeatureCollection
//	GET /ogc/collections/{id}/items/{fid}     one Feature (404 for an unknown fid)
//
// Every page answers JSON or HTML: f=json|html, else by Accept (text/html before JSON → HTML). Bad parameters are 400
// problems naming the parameter (a CQL2 syntax error says at which character); a filter longer than cql2.MaxLength is
// 413.
func Routes(r *mux.Router, st FeatureStore) {
	h := &api{st: st}
	sub := httpx.Sub(r)
	get := []string{http.MethodGet, http.MethodHead}
	sub.Handle("/ogc", httpx.HandlerFunc(h.landing)).Methods(get...)
	sub.Handle("/ogc/", httpx.HandlerFunc(h.landing)).Methods(get...)
	sub.Handle("/ogc/conformance", httpx.HandlerFunc(h.conformance)).Methods(get...)
	sub.Handle("/ogc/api", httpx.HandlerFunc(h.openapi)).Methods(get...)
	sub.Handle("/ogc/collections", httpx.HandlerFunc(h.collections)).Methods(get...)
	sub.Handle("/ogc/collections/{id}", httpx.HandlerFunc(h.collection)).Methods(get...)
	sub.Handle("/ogc/collections/{id}/queryables", httpx.HandlerFunc(h.queryables)).Methods(get...)
	sub.Handle("/ogc/collections/{id}/schema", httpx.HandlerFunc(h.schema)).Methods(get...)
	sub.Handle("/ogc/collections/{id}/items", httpx.HandlerFunc(h.items)).Methods(get...)
	sub.Handle("/ogc/collections/{id}/items/{fid}", httpx.HandlerFunc(h.item)).Methods(get...)
	sub.PathPrefix("/ogc/").Handler(httpx.NotFoundHandler())
}

type api struct{ st FeatureStore }

// timeNow is the clock of timeStamp.
var timeNow = time.Now

// Conformance lists the conformance classes served.
var Conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
}

// Link is an OGC API link.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// base is the absolute URL prefix of this server (scheme://host), so links work for clients (GDAL) that do not resolve
// relative references.
func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// wantHTML decides the representation: f=html|json (400 for anything else), else Accept (text/html listed before any
// JSON type → HTML).
func wantHTML(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("f"); f {
	case "html":
		return true, nil
	case "json", "geojson":
		return false, nil
	case "":
	default:
		return false, httpx.BadParam("f", "unknown format %q; want json or html", f)
	}
	acc := strings.ToLower(r.Header.Get("Accept"))
	h, j := strings.Index(acc, "text/html"), strings.Index(acc, "json")
	return h >= 0 && (j < 0 || h < j), nil
}

func (h *api) landing(w http.ResponseWriter, r *http.Request) error {
	b := base(r)
	doc := map[string]any{
		"title":       "civmap OGC API – Features",
		"description": "象山县地名、行政区划、界线界桩与养老服务设施（CGCS2000）",
		"links": []Link{
			{b + "/ogc", "self", "application/json", "本页"},
			{b + "/ogc?f=html", "alternate", "text/html", "本页（HTML）"},
			{b + "/ogc/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0", "OpenAPI 3.0 文档"},
			{b + "/ogc/conformance", "conformance", "application/json", "符合性类"},
			{b + "/ogc/collections", "data", "application/json", "要素集合"},
		},
	}
	return h.answer(w, r, http.StatusOK, doc, "landing")
}

func (h *api) conformance(w http.ResponseWriter, r *http.Request) error {
	return h.answer(w, r, http.StatusOK, map[string]any{"conformsTo": Conformance}, "conformance")
}

func (h *api) openapi(w http.ResponseWriter, r *http.Request) error {
	doc := OpenAPI(base(r))
	if html, err := wantHTML(r); err != nil {
		return err
	} else if html {
		return renderHTML(w, "openapi", map[string]any{"Title": "OpenAPI", "Doc": doc})
	}
	b, err := marshalJSON(doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.oai.openapi+json;version=3.0")
	_, err = w.Write(b)
	return err
}

// collectionDoc is one collection's description (OGC API – Features Part 1 §7.14, Part 2 §6.2).
func (h *api) collectionDoc(ctx context.Context, r *http.Request, c *Collection) (map[string]any, error) {
	ext, err := h.st.Extent(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	b := base(r)
	items := b + "/ogc/collections/" + c.ID + "/items"
	extent := map[string]any{}
	if ext.BBox != nil {
		extent["spatial"] = map[string]any{"bbox": [][]float64{{ext.BBox.Min[0], ext.BBox.Min[1], ext.BBox.Max[0],
			ext.BBox.Max[1]}}, "crs": CRS84}
	}
	if c.Temporal != "" {
		iv := []any{nil, nil}
		if ext.Start != nil {
			iv[0] = ext.Start.UTC().Format(time.RFC3339)
		}
		if ext.End != nil {
			iv[1] = ext.End.UTC().Format(time.RFC3339)
		}
		extent["temporal"] = map[string]any{"interval": [][]any{iv},
			"trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
	}
	doc := map[string]any{
		"id": c.ID, "title": c.Title, "itemType": "feature",
		"crs": CRSURIs(), "storageCrs": StorageCRS, "extent": extent,
		"links": []Link{
			{b + "/ogc/collections/" + c.ID, "self", "application/json", c.Title},
			{items, "items", "application/geo+json", c.Title + "（GeoJSON）"},
			{items + "?f=html", "items", "text/html", c.Title + "（HTML）"},
			{b + "/ogc/collections/" + c.ID + "/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
				"application/schema+json", "可查询属性"},
			{b + "/ogc/collections/" + c.ID + "/schema", "describedBy", "application/schema+json", "要素结构"},
		},
	}
	if c.Description != "" {
		doc["description"] = c.Description
	}
	return doc, nil
}

func (h *api) collections(w http.ResponseWriter, r *http.Request) error {
	var list []map[string]any
	for _, c := range AllCollections() {
		d, err := h.collectionDoc(r.Context(), r, c)
		if err != nil {
			return err
		}
		list = append(list, d)
	}
	b := base(r)
	return h.answer(w, r, http.StatusOK, map[string]any{
		"links": []Link{{b + "/ogc/collections", "self", "application/json", "要素集合"},
			{b + "/ogc/collections?f=html", "alternate", "text/html", "要素集合（HTML）"}},
		"crs":         CRSURIs(),
		"collections": list,
	}, "collections")
}

// lookup returns the collection named in the path, or a 404.
func lookup(r *http.Request) (*Collection, error) {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return nil, err
	}
	c, ok := CollectionByID(id)
	if !ok {
		names := make([]string, 0, len(registry))
		for _, c := range registry {
			names = append(names, c.ID)
		}
		return nil, fmt.Errorf("collection %q: %w (the collections are %s)", id, apierr.ErrNotFound, strings.Join(names, ", "))
	}
	return c, nil
}

func (h *api) collection(w http.ResponseWriter, r *http.Request) error {
	c, err := lookup(r)
	if err != nil {
		return err
	}
	d, err := h.collectionDoc(r.Context(), r, c)
	if err != nil {
		return err
	}
	return h.answer(w, r, http.StatusOK, d, "collection")
}

// QueryablesSchema is a collection's queryables as a JSON Schema (draft 2020-12), as Part 3 §6.2 gives it.
func QueryablesSchema(baseURL string, c *Collection) map[string]any {
	props := map[string]any{}
	for _, q := range c.Queryables {
		p := map[string]any{"title": q.Title}
		switch q.Type {
		case cql2.TypeGeometry:
			p["format"] = "geometry-any"
			if c.GeometryType != "" {
				p["format"] = "geometry-" + strings.ToLower(c.GeometryType)
			}
		case cql2.TypeTime:
			p["type"], p["format"] = "string", "date-time"
		default:
			p["type"] = string(q.Type)
		}
		if len(q.Enum) > 0 {
			p["enum"] = q.Enum
		}
		props[q.Name] = p
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  baseURL + "/ogc/collections/" + c.ID + "/queryables",
		"type":                 "object",
		"title":                c.Title,
		"properties":           props,
		"additionalProperties": false,
	}
}

func (h *api) queryables(w http.ResponseWriter, r *http.Request) error {
	c, err := lookup(r)
	if err != nil {
		return err
	}
	doc := QueryablesSchema(base(r), c)
	if html, err := wantHTML(r); err != nil {
		return err
	} else if html {
		return renderHTML(w, "queryables", map[string]any{"Title": c.Title + " 可查询属性", "C": c})
	}
	b, err := marshalJSON(doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/schema+json")
	_, err = w.Write(b)
	return err
}

// FeatureSchema is the JSON Schema of one GeoJSON feature of c, its properties typed as the queryables (numbers as
// "number", times as date-time strings): what GDAL's OAPIF driver reads through the describedBy link to type the
// fields before it sees a feature.
func FeatureSchema(baseURL string, c *Collection) map[string]any {
	q := QueryablesSchema(baseURL, c)
	props := q["properties"].(map[string]any)
	delete(props, GeometryProperty)
	return map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     baseURL + "/ogc/collections/" + c.ID + "/schema",
		"title":   c.Title,
		"type":    "object",
		"properties": map[string]any{
			"type":       map[string]any{"type": "string", "enum": []string{"Feature"}},
			"id":         map[string]any{"type": "string"},
			"geometry":   map[string]any{"type": "object"},
			"properties": map[string]any{"type": "object", "properties": props},
		},
	}
}

func (h *api) schema(w http.ResponseWriter, r *http.Request) error {
	c, err := lookup(r)
	if err != nil {
		return err
	}
	b, err := marshalJSON(FeatureSchema(base(r), c))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/schema+json")
	_, err = w.Write(b)
	return err
}

// answer writes doc as JSON or renders the named HTML page.
func (h *api) answer(w http.ResponseWriter, r *http.Request, status int, doc map[string]any, page string) error {
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	if html {
		return renderHTML(w, page, doc)
	}
	httpx.WriteJSON(w, status, doc)
	return nil
}

// ---- items ------------------------------------------------------------------------------------------------------------

// cursor is the opaque paging token: "a" + key (keys after it) or "b" + key (keys before it), base64url.
func encodeCursor(dir byte, key string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{dir}, key...))
}

func decodeCursor(s string) (after, before string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || (b[0] != 'a' && b[0] != 'b') {
		return "", "", httpx.BadParam("cursor", "not a cursor of this server: follow the next and prev links as given")
	}
	if b[0] == 'a' {
		return string(b[1:]), "", nil
	}
	return "", string(b[1:]), nil
}

// reserved are the items parameters that are not property filters.
var reserved = map[string]bool{"bbox": true, "bbox-crs": true, "crs": true, "limit": true, "cursor": true,
	"datetime": true, "filter": true, "filter-lang": true, "filter-crs": true, "f": true}

// ItemsRequest is a parsed /items request: the store query and the output CRS.
type ItemsRequest struct {
	Query Query
	CRS   CRS
}

// ParseItems reads an /items request for collection c (see Routes). Errors are 400 naming the parameter (413 for an
// oversized filter).
func ParseItems(r *http.Request, c *Collection) (ItemsRequest, error) {
	q := r.URL.Query()
	out := ItemsRequest{Query: Query{Collection: c.ID, Limit: DefaultLimit}, CRS: SupportedCRS[0]}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > MaxLimit {
			return out, httpx.BadParam("limit", "must be an integer between 1 and %d, got %q", MaxLimit, s)
		}
		out.Query.Limit = n
	}
	if s := q.Get("cursor"); s != "" {
		var err error
		if out.Query.After, out.Query.Before, err = decodeCursor(s); err != nil {
			return out, err
		}
	}
	if s := q.Get("crs"); s != "" {
		var err error
		if out.CRS, err = ParseCRS(s); err != nil {
			return out, httpx.BadParam("crs", "%v", err)
		}
	}
	var conds []cql2.Expr
	if s := q.Get("bbox"); s != "" {
		bc := SupportedCRS[0]
		if v := q.Get("bbox-crs"); v != "" {
			var err error
			if bc, err = ParseCRS(v); err != nil {
				return out, httpx.BadParam("bbox-crs", "%v", err)
			}
		}
		b, err := parseBBox(s, bc)
		if err != nil {
			return out, err
		}
		out.Query.BBox = &b
		conds = append(conds, cql2.Spatial{Op: "s_intersects", Left: cql2.Property{Name: GeometryProperty},
			Right: cql2.Geometry{G: cql2.BoundGeometry(b)}})
	} else if q.Get("bbox-crs") != "" {
		return out, httpx.BadParam("bbox-crs", "bbox-crs without bbox")
	}
	if s := q.Get("datetime"); s != "" {
		e, err := datetimeFilter(c, s)
		if err != nil {
			return out, err
		}
		conds = append(conds, e)
	}
	for name, vals := range q {
		if reserved[name] {
			continue
		}
		qb, ok := c.Queryable(name)
		if !ok || qb.Type == cql2.TypeGeometry {
			continue // OGC API – Features: unknown parameters are ignored
		}
		lit, err := literalOf(qb, vals[0])
		if err != nil {
			return out, err
		}
		conds = append(conds, cql2.Compare{Op: "=", Left: cql2.Property{Name: name}, Right: lit})
	}
	if s := q.Get("filter"); s != "" {
		e, err := parseFilter(c, s, q.Get("filter-lang"), q.Get("filter-crs"))
		if err != nil {
			return out, err
		}
		conds = append(conds, e)
	} else if q.Get("filter-lang") != "" || q.Get("filter-crs") != "" {
		return out, httpx.BadParam("filter-lang", "filter-lang and filter-crs need a filter")
	}
	out.Query.Filter = cql2.Conj(conds...)
	return out, nil
}

// parseBBox reads bbox (minA,minB,maxA,maxB in bc's axis order; 6 numbers, a 3D box, are refused) into an EPSG:4490
// lon/lat bound.
func parseBBox(s string, bc CRS) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return orb.Bound{}, httpx.BadParam("bbox", "want 4 comma-separated numbers (minx,miny,maxx,maxy in the bbox-crs's axis order), got %d", len(parts))
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f != f || f > 1e300 || f < -1e300 {
			return orb.Bound{}, httpx.BadParam("bbox", "value %d, %q, is not a finite number", i+1, p)
		}
		v[i] = f
	}
	if v[0] > v[2] || v[1] > v[3] {
		return orb.Bound{}, httpx.BadParam("bbox", "the minimum (%v, %v) is above the maximum (%v, %v)", v[0], v[1], v[2], v[3])
	}
	b, err := bc.BoundToStorage(v)
	if err != nil {
		return orb.Bound{}, httpx.BadParam("bbox", "%v in %s", err, bc.URI)
	}
	return b, nil
}

// literalOf reads a property filter's value as the queryable's type.
func literalOf(q Queryable, s string) (cql2.Scalar, error) {
	switch q.Type {
	case cql2.TypeNumber:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, httpx.BadParam(q.Name, "%q is not a number", s)
		}
		return cql2.Literal{Value: f}, nil
	case cql2.TypeBoolean:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, httpx.BadParam(q.Name, "%q is not true or false", s)
		}
		return cql2.Literal{Value: b}, nil
	case cql2.TypeTime:
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if err != nil {
			return nil, httpx.BadParam(q.Name, "%q is not an RFC 3339 time", s)
		}
		return cql2.Literal{Value: cql2.Time{T: t.UTC()}}, nil
	}
	if len(q.Enum) > 0 && !contains(q.Enum, s) {
		return nil, httpx.BadParam(q.Name, "unknown value %q (want one of %s)", s, strings.Join(q.Enum, ", "))
	}
	return cql2.Literal{Value: s}, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// datetimeFilter reads datetime (an RFC 3339 instant or date, or an interval a/b with ".." or "" for an open end) as a
// condition on c's temporal property, bounds included. A date instant is the whole day (UTC).
func datetimeFilter(c *Collection, s string) (cql2.Expr, error) {
	if c.Temporal == "" {
		return nil, httpx.BadParam("datetime", "collection %s has no dated property", c.ID)
	}
	parse := func(v string, end bool) (*time.Time, error) {
		if v == "" || v == ".." {
			return nil, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			t = t.UTC()
			return &t, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, httpx.BadParam("datetime", "%q is not an RFC 3339 date-time or date", v)
		}
		if end {
			t = t.Add(24*time.Hour - time.Microsecond)
		}
		return &t, nil
	}
	a, b, interval := strings.Cut(s, "/")
	if !interval {
		b = a
	}
	lo, err := parse(a, false)
	if err != nil {
		return nil, err
	}
	hi, err := parse(b, true)
	if err != nil {
		return nil, err
	}
	if !interval && lo == nil {
		return nil, httpx.BadParam("datetime", "an instant cannot be open (\"..\")")
	}
	if lo != nil && hi != nil && lo.After(*hi) {
		return nil, httpx.BadParam("datetime", "the interval %q ends before it starts", s)
	}
	p := cql2.Property{Name: c.Temporal}
	var conds []cql2.Expr
	if lo != nil {
		conds = append(conds, cql2.Compare{Op: ">=", Left: p, Right: cql2.Literal{Value: cql2.Time{T: *lo}}})
	}
	if hi != nil {
		conds = append(conds, cql2.Compare{Op: "<=", Left: p, Right: cql2.Literal{Value: cql2.Time{T: *hi}}})
	}
	if len(conds) == 0 {
		return cql2.IsNull{Value: p, Not: true}, nil
	}
	return cql2.Conj(conds...), nil
}

// parseFilter parses, checks and moves to EPSG:4490 a filter in lang (cql2-text, the default, or cql2-json) whose
// geometry literals are in filter-crs (default CRS84).
func parseFilter(c *Collection, s, lang, fcrs string) (cql2.Expr, error) {
	if len(s) > cql2.MaxLength {
		return nil, httpx.WithStatus(http.StatusRequestEntityTooLarge,
			apierr.Field("filter", "the filter is %d bytes; at most %d", len(s), cql2.MaxLength))
	}
	var e cql2.Expr
	var err error
	switch lang {
	case "", "cql2-text", "cql-text": // cql-text: the Part 3 draft's name, which GDAL 3.6 sends
		e, err = cql2.ParseText(s)
	case "cql2-json":
		e, err = cql2.ParseJSON([]byte(s))
	default:
		return nil, httpx.BadParam("filter-lang", "unknown filter language %q; want cql2-text or cql2-json", lang)
	}
	if err != nil {
		return nil, httpx.BadParam("filter", "%v", err)
	}
	if err := cql2.Check(e, c.types(), c.QueryableNames()); err != nil {
		return nil, httpx.BadParam("filter", "%v", err)
	}
	fc := SupportedCRS[0]
	if fcrs != "" {
		if fc, err = ParseCRS(fcrs); err != nil {
			return nil, httpx.BadParam("filter-crs", "%v", err)
		}
	}
	if e, err = cql2.MapGeometries(e, fc.GeometryToStorage); err != nil {
		return nil, httpx.BadParam("filter", "geometry literal in %s: %v", fc.URI, err)
	}
	if _, err := cql2.Compile(e); err != nil {
		return nil, httpx.BadParam("filter", "%v", err)
	}
	return e, nil
}

func (h *api) items(w http.ResponseWriter, r *http.Request) error {
	c, err := lookup(r)
	if err != nil {
		return err
	}
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	req, err := ParseItems(r, c)
	if err != nil {
		return err
	}
	page, err := h.st.Items(r.Context(), req.Query)
	if err != nil {
		return err
	}
	links := pageLinks(r, req.Query, page)
	fillNulls(c, page.Features)
	if html {
		return renderItemsHTML(w, c, page, links)
	}
	body, err := encodeCollection(page, links, req.CRS, timeNow())
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", httpx.GeoJSONContentType)
	hd.Set("Content-Crs", "<"+req.CRS.URI+">")
	_, err = w.Write(body)
	return err
}

// pageLinks returns self, alternate, collection and the next and prev links of a page.
func pageLinks(r *http.Request, q Query, p Page) []Link {
	b := base(r)
	withCursor := func(cur string, f string) string {
		v := r.URL.Query()
		v.Del("cursor")
		if cur != "" {
			v.Set("cursor", cur)
		}
		if f != "" {
			v.Set("f", f)
		} else {
			v.Del("f")
		}
		u := url.URL{Path: r.URL.Path, RawQuery: v.Encode()}
		return b + u.String()
	}
	self := withCursor(r.URL.Query().Get("cursor"), "")
	links := []Link{{Href: self, Rel: "self", Type: httpx.GeoJSONContentType, Title: "本页"},
		{Href: withCursor(r.URL.Query().Get("cursor"), "html"), Rel: "alternate", Type: "text/html", Title: "本页（HTML）"},
		{Href: b + "/ogc/collections/" + q.Collection, Rel: "collection", Type: httpx.JSONContentType, Title: "集合"}}
	n := len(p.Features)
	var next, prev bool
	switch {
	case q.Before != "":
		next, prev = true, p.More
	default:
		next, prev = p.More, q.After != ""
	}
	if next && n > 0 {
		links = append(links, Link{Href: withCursor(encodeCursor('a', p.Features[n-1].ID), ""), Rel: "next",
			Type: httpx.GeoJSONContentType, Title: "下一页"})
	}
	if prev {
		key := q.After + "\x00" // an empty page after q.After: the page before is the keys up to q.After
		if n > 0 {
			key = p.Features[0].ID
		}
		links = append(links, Link{Href: withCursor(encodeCursor('b', key), ""), Rel: "prev",
			Type: httpx.GeoJSONContentType, Title: "上一页"})
	}
	return links
}

// fillNulls gives every feature each queryable it lacks as null, so that a client that learns the fields from the
// first page (GDAL's OAPIF driver) sees them all.
func fillNulls(c *Collection, fs []Feature) {
	for i := range fs {
		for _, q := range c.Queryables {
			if _, ok := fs[i].Properties[q.Name]; !ok && q.Type != cql2.TypeGeometry {
				fs[i].Properties[q.Name] = nil
			}
		}
	}
}

func (h *api) item(w http.ResponseWriter, r *http.Request) error {
	c, err := lookup(r)
	if err != nil {
		return err
	}
	fid, err := httpx.PathVar(r, "fid")
	if err != nil {
		return err
	}
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	oc := SupportedCRS[0]
	if s := r.URL.Query().Get("crs"); s != "" {
		if oc, err = ParseCRS(s); err != nil {
			return httpx.BadParam("crs", "%v", err)
		}
	}
	f, err := h.st.Item(r.Context(), c.ID, fid)
	if errors.Is(err, apierr.ErrNotFound) {
		return fmt.Errorf("%s %q: %w", c.ID, fid, apierr.ErrNotFound)
	}
	if err != nil {
		return err
	}
	b := base(r)
	self := b + "/ogc/collections/" + c.ID + "/items/" + url.PathEscape(fid)
	links := []Link{{self, "self", httpx.GeoJSONContentType, "本要素"}, {self + "?f=html", "alternate", "text/html", "HTML"},
		{b + "/ogc/collections/" + c.ID, "collection", httpx.JSONContentType, c.Title}}
	if html {
		return renderItemHTML(w, c, f, links)
	}
	fillNulls(c, []Feature{f})
	body, err := encodeFeature(&f, oc, links)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", httpx.GeoJSONContentType)
	hd.Set("Content-Crs", "<"+oc.URI+">")
	_, err = w.Write(append(body, '\n'))
	return err
}
