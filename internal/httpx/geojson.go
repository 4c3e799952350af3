package httpx

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/paulmach/orb"

	"civmap/geo"
)

// Feature is an RFC 7946 Feature: {"type":"Feature","id":…,"geometry":…,"properties":…}. ID is a string or a number
// (omitted when nil or ""); Geometry is lon/lat in degrees, encoded by geo.EncodeGeometry (nil is "geometry": null);
// Properties is any value that marshals to a JSON object (nil is "properties": null).
type Feature struct {
	ID         any
	Geometry   orb.Geometry
	Properties any
}

// MarshalJSON encodes the Feature as RFC 7946 GeoJSON. It fails if the geometry has a coordinate that is not a valid
// lon/lat.
func (f Feature) MarshalJSON() ([]byte, error) {
	var out struct {
		Type       string          `json:"type"`
		ID         any             `json:"id,omitempty"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties any             `json:"properties"`
	}
	out.Type = "Feature"
	if s, ok := f.ID.(string); !ok || s != "" {
		out.ID = f.ID
	}
	out.Geometry = json.RawMessage("null")
	if f.Geometry != nil {
		g, err := geo.EncodeGeometry(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("feature %v: %w", f.ID, err)
		}
		out.Geometry = g
	}
	out.Properties = f.Properties
	return json.Marshal(out)
}

// FeatureCollection is an RFC 7946 FeatureCollection with the OGC API – Features members numberMatched (omitted when
// nil), numberReturned (always len(Features)) and links.
type FeatureCollection struct {
	Features      []Feature
	NumberMatched *int
	Links         []Link
}

// MarshalJSON encodes the collection; an empty collection has "features": [].
func (fc FeatureCollection) MarshalJSON() ([]byte, error) {
	feats := fc.Features
	if feats == nil {
		feats = []Feature{}
	}
	return json.Marshal(struct {
		Type           string    `json:"type"`
		NumberMatched  *int      `json:"numberMatched,omitempty"`
		NumberReturned int       `json:"numberReturned"`
		Links          []Link    `json:"links,omitempty"`
		Features       []Feature `json:"features"`
	}{"FeatureCollection", fc.NumberMatched, len(feats), fc.Links, feats})
}

// Count returns a pointer to n, for FeatureCollection.NumberMatched.
func Count(n int) *int { return &n }

// Features maps items to their Features with feature.
func Features[T any](items []T, feature func(T) Feature) []Feature {
	fs := make([]Feature, len(items))
	for i, it := range items {
		fs[i] = feature(it)
	}
	return fs
}

// PagedCollection is page p of items (already filtered and ordered) as a FeatureCollection: numberMatched len(items),
// numberReturned the page's length, and links self, next and prev (PageLinks).
func PagedCollection[T any](r *http.Request, items []T, p Page, feature func(T) Feature) FeatureCollection {
	page := PageOf(items, p)
	return FeatureCollection{Features: Features(page, feature), NumberMatched: Count(len(items)),
		Links: PageLinks(r, p, len(page), len(items))}
}
