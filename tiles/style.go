package tiles

import (
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"civmap/facilities"
)

// Colours of the map. Facility families take Okabe & Ito's colour-blind-safe palette ("Color Universal Design", 2008):
// eldercare vermillion, meals bluish green, community services blue; within a family each type has its own icon shape
// (Facility types share a family colour, so they are told apart by shape, not by shades too close to name). The
// elderly-population circles are Okabe–Ito reddish purple, which no facility uses: TestStyleColourDistances checks
// CIEDE2000 ΔE ≥ 20 from every facility colour, the sea and the land. The township choropleth is ColorBrewer's
// sequential Greys (Brewer 2003), so hue is left to the symbols.
const (
	SeaColour       = "#cde3f0"
	LandColour      = "#f4f1e8"
	CoastColour     = "#6f9bb8"
	DemandColour    = "#cc79a7"
	ElderColour     = "#d55e00"
	MealColour      = "#009e73"
	CommunityColour = "#0072b2"
)

// FacilityFamilies maps each facility type (facilities.Types) to its service family: eldercare, meal or community.
var FacilityFamilies = map[string]string{
	"nursing_home": "eldercare", "home_care_center": "eldercare", "home_care_station": "eldercare",
	"kangyang_union": "eldercare", "mutual_aid_courtyard": "eldercare",
	"canteen": "meal", "shared_restaurant": "meal", "meal_point": "meal",
	"service_complex": "community", "residents_station": "community", "social_work_station": "community",
}

// FamilyColours and FamilyNames are each family's colour and Chinese name, as in the legend.
var (
	FamilyColours = map[string]string{"eldercare": ElderColour, "meal": MealColour, "community": CommunityColour}
	FamilyNames   = map[string]string{"eldercare": "养老服务", "meal": "助餐服务", "community": "社区服务"}
)

// FacilityColors is the colour of each facility type on the map and in the legend: its family's.
var FacilityColors = func() map[string]string {
	m := map[string]string{}
	for t, f := range FacilityFamilies {
		m[t] = FamilyColours[f]
	}
	return m
}()

// FacilityIcon is the sprite image of a facility type: "fac-<type>" (web/src/map/icons/fac-<type>.svg, packed into
// the sprite by the client's build, web/scripts/sprite.mjs); "fac-other" for a type the style does not know.
func FacilityIcon(t string) string { return "fac-" + strings.ReplaceAll(t, "_", "-") }

// ChoroplethColours are the township choropleth's classes, lightest first (ColorBrewer Greys, the lighter five of the
// nine classes, so that icons and labels stay legible on the darkest); the client
// sets the class breaks from the data (elderly per km²) and draws the legend.
var ChoroplethColours = []string{"#f7f7f7", "#e0e0e0", "#c8c8c8", "#a8a8a8", "#878787"}

// DemandScale is how the elderly-population circles grow: radius in pixels = k·√(elderly population) with k
// interpolated linearly in zoom between these (zoom, k) stops, so a circle's area is proportional to the population
// (proportional symbols; the size legend computes radii from the same stops, metadata civmap:demand-scale).
var DemandScale = [][2]float64{{8, 0.12}, {12, 0.3}, {16, 0.8}}

// facilityStatusOpacity shows a facility's status: built ones solid, ones under construction faded, planned ones
// fainter still.
var facilityStatusOpacity = []any{"match", []any{"get", "status"}, "existing", 1.0, "under_construction", 0.7, 0.45}

// labelFont names the fonts for text: MapLibre GL JS (≥ 5.11) draws text with the browser's local fonts when the
// style has no glyphs, so labels render offline; CJK is drawn locally in any case.
var labelFont = []any{"Noto Sans CJK SC", "sans-serif"}

// StyleSource is the name of the style's vector source of the county's layers.
const StyleSource = "civmap"

// Basemap is what the style draws beneath the county's layers besides the sea (the background): URL paths are under
// the server's base URL (Style prefixes it). The zero Basemap draws the sea alone, without sprite.
type Basemap struct {
	// LandURL is a GeoJSON FeatureCollection of land polygons (the county and its neighbours), filled with LandColour
	// and outlined as the coastline.
	LandURL string
	// SpriteURL is the sprite (without .json/.png) holding the facility icons (FacilityIcon); "" draws facilities as
	// circles.
	SpriteURL string
	// Archive is a local PMTiles basemap; Raster an online raster (proxied). Either may be nil.
	Archive, Raster *BasemapSource
}

// BasemapSource is a tile source of a Basemap: Tiles is a {z}/{x}/{y} path; Vector for MVT in the Protomaps basemap
// schema (the client styles it with @protomaps/basemaps), else raster; Bounds are [west, south, east, north] degrees
// (all zero: the world).
type BasemapSource struct {
	Tiles            string
	Vector           bool
	MinZoom, MaxZoom int
	Attribution      string
	Bounds           [4]float64
}

// Style returns the MapLibre style (version 8) of all layers over the basemap b, the county's tiles read from
// base+"/tiles/<all layers>.json", centred on center (lon/lat) at DefaultCenterZoom (the client fits bounds, the
// county's, at start: metadata civmap:bounds). It has no glyphs, so labels render offline from local fonts. Each
// style layer carries metadata {"civmap:group": <tiles layer or "base">, "civmap:title": <Chinese title>} for the
// client's layer switcher and legend; the style's metadata lists the facility types (type, Chinese name, colour,
// family, icon) under "civmap:facility-types", the families under "civmap:facility-families", statuses under
// "civmap:facility-statuses", the choropleth classes under "civmap:choropleth" and the circle scale under
// "civmap:demand-scale". Layer order: sea, online raster, PMTiles basemap, land, coastline, townships (choropleth),
// county's lines and areas, circles, symbols; labels last, ranked by symbol-sort-key (lower first).
func Style(base string, center orb.Point, bounds orb.Bound, b Basemap) map[string]any {
	src := StyleSource
	meta := func(group, title string) map[string]any {
		return map[string]any{"civmap:group": group, "civmap:title": title}
	}
	isPolygon := []any{"==", []any{"geometry-type"}, "Polygon"}
	// Point or MultiPoint (MapLibre ≥ 2 tells them apart in geometry-type).
	isPoint := []any{"match", []any{"geometry-type"}, []any{"Point", "MultiPoint"}, true, false}
	notLabel := []any{"!=", []any{"get", "label_point"}, true}
	isLabel := []any{"==", []any{"get", "label_point"}, true}
	level := func(l string) []any { return []any{"==", []any{"get", "level"}, l} }

	types := make([]string, 0, len(facilities.Types))
	for t := range facilities.Types {
		types = append(types, t)
	}
	slices.Sort(types)
	icon := []any{"match", []any{"get", "type"}}
	rank := []any{"match", []any{"get", "type"}}
	var legend []map[string]any
	facLayer, _ := LayerByName("facilities")
	for _, t := range types {
		icon = append(icon, t, FacilityIcon(t))
		rank = append(rank, t, facLayer.ClassRankOf(t))
		legend = append(legend, map[string]any{"type": t, "name": facilities.Types[t], "color": FacilityColors[t],
			"family": FacilityFamilies[t], "icon": FacilityIcon(t)})
	}
	icon = append(icon, "fac-other")
	rank = append(rank, UnlistedClassRank)
	families := []map[string]any{}
	for _, f := range []string{"eldercare", "meal", "community"} {
		families = append(families, map[string]any{"family": f, "name": FamilyNames[f], "color": FamilyColours[f]})
	}
	statuses := []map[string]any{}
	for _, st := range []string{"existing", "under_construction", "planned"} {
		statuses = append(statuses, map[string]any{"status": st, "name": facilities.Statuses[st]})
	}
	var demandRadius []any = []any{"interpolate", []any{"linear"}, []any{"zoom"}}
	var scale [][]float64
	for _, s := range DemandScale {
		demandRadius = append(demandRadius, s[0], []any{"*", s[1], []any{"sqrt", []any{"max", 0, []any{"get", "elderly_population"}}}})
		scale = append(scale, []float64{s[0], s[1]})
	}
	sources := map[string]any{src: map[string]any{"type": "vector", "url": base + "/tiles/" + AllLayers() + ".json",
		"attribution": Attribution}}

	layers := []map[string]any{
		{"id": "background", "type": "background", "paint": map[string]any{"background-color": SeaColour},
			"metadata": meta("base", "海域")},
	}
	if r := b.Raster; r != nil {
		sources["basemap-raster"] = rasterSource(base, r)
		layers = append(layers, map[string]any{"id": "basemap-raster", "type": "raster", "source": "basemap-raster",
			"paint": map[string]any{"raster-opacity": 1}, "metadata": meta("base", "在线影像/矢量底图")})
	}
	if a := b.Archive; a != nil {
		if a.Vector {
			s := rasterSource(base, a)
			s["type"] = "vector"
			delete(s, "tileSize")
			sources["basemap"] = s
			// The layers are the client's: @protomaps/basemaps (Chinese labels) inserted here, after the sea.
		} else {
			sources["basemap"] = rasterSource(base, a)
			layers = append(layers, map[string]any{"id": "basemap-pmtiles", "type": "raster", "source": "basemap",
				"metadata": meta("base", "本地底图")})
		}
	}
	if b.LandURL != "" {
		sources["land"] = map[string]any{"type": "geojson", "data": base + b.LandURL,
			"attribution": "陆地轮廓 © 阿里云 DataV.GeoAtlas"}
		layers = append(layers,
			map[string]any{"id": "land", "type": "fill", "source": "land",
				"paint": map[string]any{"fill-color": LandColour}, "metadata": meta("base", "陆地")},
			map[string]any{"id": "coastline", "type": "line", "source": "land",
				"paint":    map[string]any{"line-color": CoastColour, "line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 0.6, 14, 1.4}},
				"metadata": meta("base", "海岸线")})
	}
	layers = append(layers, []map[string]any{
		{"id": "township-fill", "type": "fill", "source": src, "source-layer": "divisions",
			"filter": []any{"all", isPolygon, level("township"), notLabel},
			// The client colours townships by class (elderly per km², ChoroplethColours); until then, land. A
			// township-scale theme: it fades at street zooms, where a block of grey would bury the places.
			"paint": map[string]any{"fill-color": LandColour,
				"fill-opacity": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 12, 0.55, 16, 0.2}},
			"metadata": meta("divisions", "乡镇（街道）老年人口密度")},
		{"id": "township-outline", "type": "line", "source": src, "source-layer": "divisions",
			"filter": []any{"all", isPolygon, level("township"), notLabel},
			"paint": map[string]any{"line-color": "#8a7f6a", "line-width": 1,
				"line-dasharray": []any{4, 2}},
			"metadata": meta("divisions", "乡镇（街道）界")},
		{"id": "county-outline", "type": "line", "source": src, "source-layer": "divisions",
			"filter":   []any{"all", isPolygon, level("county"), notLabel},
			"paint":    map[string]any{"line-color": "#4a3f30", "line-width": 2.5},
			"metadata": meta("divisions", "县界")},
		// Place records may be areas (schools, hospitals in OSM), lines (roads) or points: each kind its own layer, so an
		// area is not drawn as dots at its corners.
		{"id": "place-areas", "type": "fill", "source": src, "source-layer": "places",
			"filter":   isPolygon,
			"paint":    map[string]any{"fill-color": "#34495e", "fill-opacity": 0.15, "fill-outline-color": "#34495e"},
			"metadata": meta("places", "地名（面）")},
		{"id": "place-lines", "type": "line", "source": src, "source-layer": "places",
			"filter":   []any{"==", []any{"geometry-type"}, "LineString"},
			"paint":    map[string]any{"line-color": "#34495e", "line-width": 1.5},
			"metadata": meta("places", "地名（线）")},
		{"id": "boundary-lines", "type": "line", "source": src, "source-layer": "boundary_lines",
			"layout": map[string]any{"line-cap": "butt", "line-join": "round"},
			"paint": map[string]any{"line-color": "#7b241c", "line-width": 2.5,
				"line-dasharray": []any{3, 1.5, 0.5, 1.5}},
			"metadata": meta("boundary_lines", "行政区域界线")},
		{"id": "demand-circles", "type": "circle", "source": src, "source-layer": "demand",
			"paint": map[string]any{
				"circle-color": DemandColour, "circle-opacity": 0.35, "circle-radius": demandRadius,
				"circle-stroke-color": DemandColour, "circle-stroke-width": 0.8},
			"metadata": meta("demand", "村（社区）老年人口")},
		{"id": "markers", "type": "circle", "source": src, "source-layer": "markers",
			"paint": map[string]any{"circle-color": "#ffffff", "circle-radius": 4,
				"circle-stroke-color": "#7b241c", "circle-stroke-width": 2.5},
			"metadata": meta("markers", "界桩")},
		{"id": "places", "type": "circle", "source": src, "source-layer": "places",
			"filter": []any{"all", isPoint, notLabel},
			"paint": map[string]any{"circle-color": "#34495e", "circle-radius": 2.5,
				"circle-stroke-color": "#ffffff", "circle-stroke-width": 0.5},
			"metadata": meta("places", "地名")},
	}...)
	facMeta := meta("facilities", "养老、助餐与社区服务设施")
	// A closed facility (DELETE keeps it, status closed) stays in the tiles but is not drawn.
	notClosed := []any{"!=", []any{"get", "status"}, "closed"}
	if b.SpriteURL != "" {
		layers = append(layers, map[string]any{"id": "facilities", "type": "symbol", "source": src,
			"source-layer": "facilities", "filter": notClosed,
			"layout": map[string]any{
				"icon-image":            icon,
				"icon-size":             []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 0.45, 12, 0.7, 15, 1},
				"icon-allow-overlap":    true,
				"icon-ignore-placement": true,
				"symbol-sort-key":       rank,
				"text-field":            []any{"step", []any{"zoom"}, "", 14, []any{"get", "name"}},
				"text-font":             labelFont, "text-size": 11, "text-anchor": "top", "text-offset": []any{0, 1.1},
				"text-optional": true, "text-max-width": 8},
			"paint": map[string]any{"icon-opacity": facilityStatusOpacity, "text-color": "#1f2d3a",
				"text-halo-color": "#ffffff", "text-halo-width": 1.2},
			"metadata": facMeta})
	} else {
		colour := []any{"match", []any{"get", "type"}}
		for _, t := range types {
			colour = append(colour, t, FacilityColors[t])
		}
		colour = append(colour, "#7f8c8d")
		layers = append(layers, map[string]any{"id": "facilities", "type": "circle", "source": src,
			"source-layer": "facilities", "filter": notClosed,
			"paint": map[string]any{"circle-color": colour,
				"circle-radius":  []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 2.5, 14, 6},
				"circle-opacity": facilityStatusOpacity, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1},
			"metadata": facMeta})
	}
	placeRank := []any{"match", []any{"get", "category"}, "hospital", 1, "school", 2, 3}
	layers = append(layers, []map[string]any{
		// Points and the one label point of each area place (tiles.PlaceFeatures), never the polygon itself, which
		// would be labelled once per tile piece.
		{"id": "place-labels", "type": "symbol", "source": src, "source-layer": "places", "minzoom": 12,
			"filter": isPoint,
			"layout": map[string]any{"text-field": []any{"get", "name"}, "text-font": labelFont, "text-size": 12,
				"text-offset": []any{0, 0.6}, "text-anchor": "top", "text-optional": true, "text-max-width": 9,
				"symbol-sort-key": placeRank},
			"paint":    map[string]any{"text-color": "#2c3e50", "text-halo-color": "#ffffff", "text-halo-width": 1.2},
			"metadata": meta("places", "地名注记")},
		{"id": "place-line-labels", "type": "symbol", "source": src, "source-layer": "places", "minzoom": 13,
			"filter": []any{"==", []any{"geometry-type"}, "LineString"},
			"layout": map[string]any{"text-field": []any{"get", "name"}, "text-font": labelFont, "text-size": 12,
				"symbol-placement": "line"},
			"paint":    map[string]any{"text-color": "#2c3e50", "text-halo-color": "#ffffff", "text-halo-width": 1.2},
			"metadata": meta("places", "地名注记")},
		{"id": "township-labels", "type": "symbol", "source": src, "source-layer": "divisions",
			"filter":   []any{"all", isLabel, level("township")},
			"layout":   map[string]any{"text-field": []any{"get", "name"}, "text-font": labelFont, "text-size": 14},
			"paint":    map[string]any{"text-color": "#4a3f30", "text-halo-color": "#ffffff", "text-halo-width": 1.5},
			"metadata": meta("divisions", "乡镇（街道）注记")},
		{"id": "county-label", "type": "symbol", "source": src, "source-layer": "divisions", "maxzoom": 11,
			"filter":   []any{"all", isLabel, level("county")},
			"layout":   map[string]any{"text-field": []any{"get", "name"}, "text-font": labelFont, "text-size": 18},
			"paint":    map[string]any{"text-color": "#3e2f1c", "text-halo-color": "#ffffff", "text-halo-width": 2},
			"metadata": meta("divisions", "县注记")},
	}...)
	style := map[string]any{
		"version": 8,
		"name":    "civmap 象山县",
		"metadata": map[string]any{
			"civmap:facility-types":    legend,
			"civmap:facility-families": families,
			"civmap:facility-statuses": statuses,
			"civmap:choropleth":        map[string]any{"colors": ChoroplethColours, "unit": "人/平方千米", "title": "老年人口密度"},
			"civmap:demand-scale":      scale,
			"civmap:bounds":            []float64{bounds.Min[0], bounds.Min[1], bounds.Max[0], bounds.Max[1]},
			"civmap:colors":            map[string]string{"sea": SeaColour, "land": LandColour, "demand": DemandColour},
		},
		"center":  []any{center[0], center[1]},
		"zoom":    DefaultCenterZoom,
		"sources": sources,
		"layers":  layers,
	}
	if b.SpriteURL != "" {
		style["sprite"] = base + b.SpriteURL
	}
	if a := b.Archive; a != nil && a.Vector {
		style["metadata"].(map[string]any)["civmap:basemap"] = map[string]any{"source": "basemap", "schema": "protomaps"}
	}
	return style
}

func rasterSource(base string, s *BasemapSource) map[string]any {
	m := map[string]any{"type": "raster", "tiles": []any{base + s.Tiles}, "tileSize": 256, "minzoom": s.MinZoom,
		"maxzoom": s.MaxZoom}
	if s.Attribution != "" {
		m["attribution"] = s.Attribution
	}
	if s.Bounds != ([4]float64{}) {
		m["bounds"] = []any{s.Bounds[0], s.Bounds[1], s.Bounds[2], s.Bounds[3]}
	}
	return m
}
