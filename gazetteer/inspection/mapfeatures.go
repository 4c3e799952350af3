package inspection

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"civmap/geo"
)

// Map layers of a round: the names its GeoJSON features carry in "layer" and its vector tiles use (tiles/inspectiontiles).
const (
	LayerMarkers      = "inspection_markers"       // Point per marker: observed position, else registered; coloured by verdict
	LayerLineFindings = "inspection_line_findings" // LineString: the segment of the line a line finding covers
	LayerSides        = "inspection_sides"         // Polygon per gap or overlap between the two sides
)

// MapFeature is one feature of a round's map layers: lon/lat (EPSG:4490) geometry and properties of string, float64,
// int or bool (a nil displacement is left out).
type MapFeature struct {
	ID         string
	Layer      string
	Geometry   orb.Geometry
	Properties map[string]any
}

// MapFeatures returns the report's map features, layer by layer (markers in register order, line findings by id, gaps
// then overlaps by chainage): markers with their verdict and its colour (the report's legend), line findings as
// the segment of the line they cover, gaps and overlaps as their outline. A line finding whose segment cannot be
// placed (the line has changed since) is left out of the map; the report still lists it.
func MapFeatures(rep Report) []MapFeature {
	var out []MapFeature
	for _, m := range rep.Markers {
		g := m.Registered
		if m.Observed != nil {
			g = *m.Observed
		}
		p := map[string]any{"marker_no": m.MarkerNo, "type": m.Type, "condition": m.Condition, "verdict": m.Verdict,
			"colour": verdictColour[m.Verdict], "off_line": m.OffLine, "out_of_order": m.OutOfOrder, "inspected_on": m.InspectedOn}
		if m.DisplacementM != nil {
			p["displacement_m"] = *m.DisplacementM
		}
		out = append(out, MapFeature{ID: m.MarkerNo, Layer: LayerMarkers, Geometry: g, Properties: p})
	}
	if crs, err := geo.ParseCRS(rep.Checks.CRS); err == nil {
		if pl, err := projectLine(crs, rep.Line.Geometry); err == nil {
			for _, lf := range rep.LineFindings {
				from, to, err := findingSpan(rep, pl, lf)
				if err != nil {
					continue
				}
				seg := pl.substring(from, to)
				ls := make(orb.LineString, 0, len(seg.pts))
				for _, q := range seg.pts {
					ll, err := geo.ToLonLat(crs, q.x, q.y)
					if err != nil {
						break
					}
					ls = append(ls, ll)
				}
				out = append(out, MapFeature{ID: lf.ID, Layer: LayerLineFindings, Geometry: ls, Properties: map[string]any{
					"id": lf.ID, "from_marker": lf.FromMarker, "to_marker": lf.ToMarker, "from_m": round2(from), "to_m": round2(to),
					"change": lf.Change, "construction": lf.Construction}})
			}
		}
	}
	for i, p := range append(append([]SidePiece{}, rep.Checks.Sides.Gaps...), rep.Checks.Sides.Overlaps...) {
		out = append(out, MapFeature{ID: fmt.Sprintf("%s-%d", p.Kind, i+1), Layer: LayerSides, Geometry: p.Outline,
			Properties: map[string]any{"kind": p.Kind, "area_m2": p.AreaM2, "max_width_m": p.MaxWidthM, "from_m": p.FromM, "to_m": p.ToM}})
	}
	return out
}

// findingSpan is the chainage range (metres along the line in the report's CRS) of a line finding: between its markers'
// registered chainages when it names them, else from_m–to_m; clamped to the line.
func findingSpan(rep Report, pl polyline, lf LineFinding) (float64, float64, error) {
	from, to := lf.FromM, lf.ToM
	station := map[string]float64{}
	for _, m := range rep.Markers {
		station[m.MarkerNo] = m.StationM
	}
	if lf.FromMarker != "" || lf.ToMarker != "" {
		a, okA := station[lf.FromMarker]
		b, okB := station[lf.ToMarker]
		switch {
		case okA && okB:
			from, to = math.Min(a, b), math.Max(a, b)
		case okA:
			from, to = a, a
		case okB:
			from, to = b, b
		default:
			return 0, 0, fmt.Errorf("line finding %s: its markers are not on the line", lf.ID)
		}
	}
	from, to = math.Max(0, from), math.Min(pl.length(), to)
	if to-from < 0.01 { // one marker: a metre either side, so the finding shows on the map
		from, to = math.Max(0, from-1), math.Min(pl.length(), to+1)
	}
	if !(to > from) {
		return 0, 0, fmt.Errorf("line finding %s: empty segment", lf.ID)
	}
	return from, to, nil
}
