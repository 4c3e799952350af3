package httpx

import (
	"net/http"
	"strings"

	"github.com/paulmach/orb"

	"civmap/geo"
)

// ParseBBox reads the optional bbox query parameter (minLon,minLat,maxLon,maxLat, degrees, EPSG:4490): nil when absent,
// a 400 naming "bbox" when malformed (wrong arity, not numbers, out of range, min > max).
func ParseBBox(r *http.Request) (*orb.Bound, error) {
	s := r.URL.Query().Get("bbox")
	if s == "" {
		return nil, nil
	}
	b, err := geo.ParseBBox(s)
	if err != nil {
		return nil, BadParam("bbox", "%s", strings.TrimPrefix(err.Error(), "geo: "))
	}
	return &b, nil
}
