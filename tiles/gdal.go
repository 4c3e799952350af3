package tiles

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"civmap/internal/httpx"
)

// GDAL's MVT driver (and other tippecanoe-style readers) open a tileset as a folder: metadata.json at its root, in the
// MBTiles metadata convention (every value a string, the layers as a JSON string in "json"), beside {z}/{x}/{y}.pbf.
// civmap serves each layer list as such a folder:
//
//	GET /tiles/{layers}/metadata.json   the tileset's MBTiles metadata (TilesetMetadata)
//	GET /tiles/{layers}/{z}/{x}/{y}.pbf the same tiles as .mvt
//
// so that `ogrinfo MVT:http://host/tiles/facilities,places/12` reads zoom 12 (GDAL takes the last path segment as the
// zoom and fetches ../metadata.json). GDAL does not expand a {z}/{x}/{y} template: it sends the braces percent-encoded,
// and such a request is a 400 that says what to use instead.

// gdalRoutes registers the tileset metadata and the refusal of literal URL templates, before the tile route.
func gdalRoutes(r *mux.Router, svc *Service) {
	sr := httpx.Sub(r)
	sr.Use(CORS.Handler)
	methods := []string{http.MethodGet, http.MethodHead, http.MethodOptions}
	sr.HandleFunc("/tiles/{layers}/metadata.json", svc.serveTilesetMetadata).Methods(methods...)
	sr.MatcherFunc(isURLTemplate).HandlerFunc(serveURLTemplate)
}

// layerGeometry is each layer's geometry type for tilestats (GDAL reports it as the layer's type); layers that mix
// types (divisions: polygons and label points; places) are left out and read as "Unknown".
var layerGeometry = map[string]string{
	"demand": "Point", "boundary_lines": "LineString", "markers": "Point", "facilities": "Point",
}

// TilesetMetadata is the MBTiles 1.3 metadata of a layer list (the metadata.json of tippecanoe's folders, which GDAL's
// MVT driver reads): bounds "west,south,east,north" and center "lon,lat,zoom" in degrees, zooms as decimal strings,
// and Json holding {"vector_layers": […], "tilestats": {…}} as a string.
type TilesetMetadata struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     string `json:"version"`
	Attribution string `json:"attribution"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	Scheme      string `json:"scheme"`
	MinZoom     string `json:"minzoom"`
	MaxZoom     string `json:"maxzoom"`
	Bounds      string `json:"bounds"`
	Center      string `json:"center"`
	Json        string `json:"json"`
}

type tileStatsLayer struct {
	Layer    string `json:"layer"`
	Geometry string `json:"geometry,omitempty"`
}

// TilesetMetadataFor builds the metadata.json of layers from the same facts as their TileJSON.
func (s *Service) TilesetMetadataFor(r *http.Request, layers []Layer) TilesetMetadata {
	tj := s.TileJSONFor(r, s.baseURL(r), layers)
	stats := make([]tileStatsLayer, len(layers))
	for i, l := range layers {
		stats[i] = tileStatsLayer{Layer: l.Name, Geometry: layerGeometry[l.Name]}
	}
	inner, _ := json.Marshal(map[string]any{
		"vector_layers": tj.VectorLayers,
		"tilestats":     map[string]any{"layerCount": len(layers), "layers": stats},
	})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return TilesetMetadata{
		Name: tj.Name, Description: tj.Description, Version: tj.Version, Attribution: tj.Attribution,
		Type: "overlay", Format: "pbf", Scheme: "xyz",
		MinZoom: strconv.Itoa(tj.MinZoom), MaxZoom: strconv.Itoa(tj.MaxZoom),
		Bounds: strings.Join([]string{f(tj.Bounds[0]), f(tj.Bounds[1]), f(tj.Bounds[2]), f(tj.Bounds[3])}, ","),
		Center: f(tj.Center[0]) + "," + f(tj.Center[1]) + "," + f(tj.Center[2]),
		Json:   string(inner),
	}
}

func (s *Service) serveTilesetMetadata(w http.ResponseWriter, r *http.Request) {
	s.serveLayersDocument(w, r, func(layers []Layer) any { return s.TilesetMetadataFor(r, layers) })
}

// isURLTemplate matches a tile request whose path still holds a URL template's {z}, {x} or {y}, braces raw or
// percent-encoded (%7B, %7D).
func isURLTemplate(r *http.Request, _ *mux.RouteMatch) bool {
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, "/tiles/") {
		return false
	}
	p = strings.NewReplacer("%7B", "{", "%7b", "{", "%7D", "}", "%7d", "}").Replace(p)
	return strings.Contains(p, "{z}") || strings.Contains(p, "{x}") || strings.Contains(p, "{y}") ||
		strings.Contains(p, "{Z}") || strings.Contains(p, "{X}") || strings.Contains(p, "{Y}")
}

// serveURLTemplate answers a literal template with a 400 that says how each client reads civmap's tiles.
func serveURLTemplate(w http.ResponseWriter, r *http.Request) {
	layers, _, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/tiles/"), "/")
	if len(layers) > 200 {
		layers = layers[:200] + "…"
	}
	httpx.WriteError(w, r, httpx.BadParam("z", "the path holds a URL template's {z}/{x}/{y} literally: the client did not "+
		"fill them in. Map clients (QGIS Vector Tiles, MapLibre) take the template or the TileJSON /tiles/%s.json; "+
		"GDAL's MVT driver does not expand templates: open the tileset at one zoom, e.g. "+
		"ogrinfo MVT:http://HOST/tiles/%s/12 (it reads /tiles/%s/metadata.json and the .pbf tiles)", layers, layers, layers))
}
