package tiles

import (
	"slices"

	"github.com/paulmach/orb"

	"civmap/facilities"
)

// FacilityColors is the colour of each facility type (facilities.Types) on the map and in the legend: institutions in
// reds, home care in oranges, meals in greens, community services in blues and purples.
var FacilityColors = map[string]string{
	"nursing_home":         "#c0392b",
	"home_care_center":     "#e67e22",
	"home_care_station":    "#f5b041",
	"kangyang_union":       "#8e44ad",
	"mutual_aid_courtyard": "#a04000",
	"canteen":              "#1e8449",
	"shared_restaurant":    "#52be80",
	"meal_point":           "#a9dfbf",
	"service_complex":      "#2471a3",
	"residents_station":    "#5dade2",
	"social_work_station":  "#17a589",
}

// facilityStatusOpacity shows a facility's status: built ones solid, ones under construction faded, planned ones
// fainter still (and ringed, see the stroke).
var facilityStatusOpacity = []any{"match", []any{"get", "status"}, "existing", 1.0, "under_construction", 0.65, 0.35}

// labelFont names the fonts for text: MapLibre GL JS (≥ 5.11) draws text with the browser's local fonts when the
// style has no glyphs, so labels render offline; CJK is drawn locally in any case.
var labelFont = []any{"Noto Sans CJK SC", "sans-serif"}

// StyleSource is the name of the style's one vector source.
const StyleSource = "civmap"

// Style returns the MapLibre style (version 8) of all layers, reading the tileset from tileJSONURL and centred on
// center (lon/lat) at DefaultCenterZoom. It has no glyphs
// and no sprite, so it renders offline. Each style layer carries metadata {"civmap:group": <tiles layer>,
// "civmap:title": <Chinese title>} for the client's layer switcher and legend; the style's metadata lists the
// facility types (type, Chinese name, colour) under "civmap:facility-types" and statuses under
// "civmap:facility-statuses".
func Style(tileJSONURL string, center orb.Point) map[string]any {
	src := StyleSource
	meta := func(group, title string) map[string]any {
		return map[string]any{"civmap:group": group, "civmap:title": title}
	}
	isPolygon := []any{"==", []any{"geometry-type"}, "Polygon"}
	notLabel := []any{"!=", []any{"get", "label_point"}, true}
	level := func(l string) []any { return []any{"==", []any{"get", "level"}, l} }

	types := make([]string, 0, len(facilities.Types))
	for t := range facilities.Types {
		types = append(types, t)
	}
	slices.Sort(types)
	colour := []any{"match", []any{"get", "type"}}
	var legend []map[string]any
	for _, t := range types {
		colour = append(colour, t, FacilityColors[t])
		legend = append(legend, map[string]any{"type": t, "name": facilities.Types[t], "color": FacilityColors[t]})
	}
	colour = append(colour, "#7f8c8d")
	statuses := []map[string]any{}
	for _, st := range []string{"existing", "under_construction", "planned"} {
		statuses = append(statuses, map[string]any{"status": st, "name": facilities.Statuses[st]})
	}

	layers := []map[string]any{
		{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f4f1ea"},
			"metadata": meta("base", "底图")},
		{"id": "township-fill", "type": "fill", "source": src, "source-layer": "divisions",
			"filter":   []any{"all", isPolygon, level("township"), notLabel},
			"paint":    map[string]any{"fill-color": "#e8e2d0", "fill-opacity": 0.5},
			"metadata": meta("divisions", "乡镇（街道）")},
		{"id": "township-outline", "type": "line", "source": src, "source-layer": "divisions",
			"filter": []any{"all", isPolygon, level("township"), notLabel},
			"paint": map[string]any{"line-color": "#9c8f72", "line-width": 1,
				"line-dasharray": []any{4, 2}},
			"metadata": meta("divisions", "乡镇（街道）界")},
		{"id": "county-outline", "type": "line", "source": src, "source-layer": "divisions",
			"filter":   []any{"all", isPolygon, level("county"), notLabel},
			"paint":    map[string]any{"line-color": "#5d4e37", "line-width": 2.5},
			"metadata": meta("divisions", "县界")},
		{"id": "demand-circles", "type": "circle", "source": src, "source-layer": "demand",
			"paint": map[string]any{
				"circle-color": "#d35400", "circle-opacity": 0.25,
				"circle-radius": []any{"interpolate", []any{"linear"}, []any{"get", "elderly_population"},
					0, 2, 200, 4, 1000, 9, 3000, 16},
				"circle-stroke-color": "#d35400", "circle-stroke-width": 0.5},
			"metadata": meta("demand", "村（社区）老年人口")},
		{"id": "boundary-lines", "type": "line", "source": src, "source-layer": "boundary_lines",
			"layout": map[string]any{"line-cap": "butt", "line-join": "round"},
			"paint": map[string]any{"line-color": "#7b241c", "line-width": 2.5,
				"line-dasharray": []any{3, 1.5, 0.5, 1.5}},
			"metadata": meta("boundary_lines", "行政区域界线")},
		{"id": "markers", "type": "circle", "source": src, "source-layer": "markers",
			"paint": map[string]any{"circle-color": "#ffffff", "circle-radius": 4,
				"circle-stroke-color": "#7b241c", "circle-stroke-width": 2.5},
			"metadata": meta("markers", "界桩")},
		// Place records may be areas (schools, hospitals in OSM), lines (roads) or points: each kind its own layer, so an
		// area is not drawn as dots at its corners.
		{"id": "place-areas", "type": "fill", "source": src, "source-layer": "places",
			"filter":   []any{"==", []any{"geometry-type"}, "Polygon"},
			"paint":    map[string]any{"fill-color": "#34495e", "fill-opacity": 0.15, "fill-outline-color": "#34495e"},
			"metadata": meta("places", "地名（面）")},
		{"id": "place-lines", "type": "line", "source": src, "source-layer": "places",
			"filter":   []any{"==", []any{"geometry-type"}, "LineString"},
			"paint":    map[string]any{"line-color": "#34495e", "line-width": 1.5},
			"metadata": meta("places", "地名（线）")},
		{"id": "places", "type": "circle", "source": src, "source-layer": "places",
			"filter": []any{"==", []any{"geometry-type"}, "Point"},
			"paint": map[string]any{"circle-color": "#34495e", "circle-radius": 2.5,
				"circle-stroke-color": "#ffffff", "circle-stroke-width": 0.5},
			"metadata": meta("places", "地名")},
		{"id": "facilities", "type": "circle", "source": src, "source-layer": "facilities",
			// A closed facility (DELETE keeps it, status closed) stays in the tiles but is not drawn.
			"filter": []any{"!=", []any{"get", "status"}, "closed"},
			"paint": map[string]any{
				"circle-color":   colour,
				"circle-radius":  []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 2.5, 14, 6},
				"circle-opacity": facilityStatusOpacity,
				"circle-stroke-color": []any{"match", []any{"get", "status"}, "planned", "#2c3e50",
					"under_construction", "#7f8c8d", "#ffffff"},
				"circle-stroke-width": []any{"match", []any{"get", "status"}, "existing", 0.5, 1.5}},
			"metadata": meta("facilities", "养老、助餐与社区服务设施")},
		{"id": "place-labels", "type": "symbol", "source": src, "source-layer": "places", "minzoom": 11,
			"layout": map[string]any{"text-field": []any{"get", "name"}, "text-font": labelFont, "text-size": 12,
				"text-offset": []any{0, 0.8}, "text-anchor": "top", "text-optional": true},
			"paint":    map[string]any{"text-color": "#2c3e50", "text-halo-color": "#ffffff", "text-halo-width": 1.2},
			"metadata": meta("places", "地名注记")},
		{"id": "township-labels", "type": "symbol", "source": src, "source-layer": "divisions",
			"filter":   []any{"all", []any{"==", []any{"get", "label_point"}, true}, level("township")},
			"layout":   map[string]any{"text-field": []any{"get", "name"}, "text-font": labelFont, "text-size": 14},
			"paint":    map[string]any{"text-color": "#5d4e37", "text-halo-color": "#ffffff", "text-halo-width": 1.5},
			"metadata": meta("divisions", "乡镇（街道）注记")},
		{"id": "county-label", "type": "symbol", "source": src, "source-layer": "divisions", "maxzoom": 11,
			"filter":   []any{"all", []any{"==", []any{"get", "label_point"}, true}, level("county")},
			"layout":   map[string]any{"text-field": []any{"get", "name"}, "text-font": labelFont, "text-size": 18},
			"paint":    map[string]any{"text-color": "#3e2f1c", "text-halo-color": "#ffffff", "text-halo-width": 2},
			"metadata": meta("divisions", "县注记")},
	}
	return map[string]any{
		"version": 8,
		"name":    "civmap 象山县",
		"metadata": map[string]any{
			"civmap:facility-types":    legend,
			"civmap:facility-statuses": statuses,
		},
		"center":  []any{center[0], center[1]},
		"zoom":    DefaultCenterZoom,
		"sources": map[string]any{src: map[string]any{"type": "vector", "url": tileJSONURL, "attribution": Attribution}},
		"layers":  layers,
	}
}
