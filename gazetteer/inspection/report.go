package inspection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// Summary is the report's summary (keys as issue 8 names them). markers_checked counts the markers with a finding;
// intact + damaged + missing + moved + inscription_unclear = markers_checked (each marker counted once, by its
// verdict); repaired counts findings with repairs done; rejected_rows the rows refused by the round's imports. Lengths
// are metres: line_length_m on the CGCS2000 ellipsoid, registered_length_m from the line or its agreement (0: unknown).
type Summary struct {
	MarkersChecked     int     `json:"markers_checked"`
	Intact             int     `json:"intact"`
	Damaged            int     `json:"damaged"`
	Missing            int     `json:"missing"`
	Moved              int     `json:"moved"`
	InscriptionUnclear int     `json:"inscription_unclear"`
	Repaired           int     `json:"repaired"`
	RejectedRows       int     `json:"rejected_rows"`
	LineLengthM        float64 `json:"line_length_m"`
	RegisteredLengthM  float64 `json:"registered_length_m"`
}

// MarkerRow is one row of the per-marker table. displacement_m is observed − registered in the register's projected
// CRS, to the millimetre (null when no position was taken); off_line_m the distance of the marker (observed, else
// registered) from the line in that CRS; off_line is set for single markers farther than the tolerance (double and
// triple markers stand off the line by design and are judged against their register only); station_m the registered
// position's chainage along the line.
type MarkerRow struct {
	MarkerNo      string     `json:"marker_no"`
	Type          string     `json:"type"`
	Condition     string     `json:"condition"`
	DisplacementM *float64   `json:"displacement_m"`
	Verdict       string     `json:"verdict"`
	InspectedOn   string     `json:"inspected_on,omitempty"`
	Team          string     `json:"team,omitempty"`
	Note          string     `json:"note,omitempty"`
	Repairs       string     `json:"repairs,omitempty"`
	Photos        []string   `json:"photos,omitempty"`
	DNorthM       *float64   `json:"d_north_m,omitempty"`
	DEastM        *float64   `json:"d_east_m,omitempty"`
	OffLineM      float64    `json:"off_line_m"`
	OffLine       bool       `json:"off_line"`
	StationM      float64    `json:"station_m"`
	OutOfOrder    bool       `json:"out_of_order"`
	Registered    orb.Point  `json:"registered_lonlat"`
	Observed      *orb.Point `json:"observed_lonlat,omitempty"`
	RegisteredCRS string     `json:"registered_crs"`
}

// TriJunction compares an end of the line with the nearest end of a neighbouring line (metres, projected CRS) and
// names the triple marker there, if any, with its registered distance from this line's end.
type TriJunction struct {
	End             string    `json:"end"` // "start" or "end" of this line
	Point           orb.Point `json:"point"`
	NeighbourLine   string    `json:"neighbour_line"`
	DistanceM       float64   `json:"distance_m"`
	OK              bool      `json:"ok"` // distance ≤ tolerance
	MarkerNo        string    `json:"marker_no,omitempty"`
	MarkerDistanceM *float64  `json:"marker_distance_m,omitempty"`
}

// Checks are the line-level checks.
type Checks struct {
	CRS          string        `json:"crs"`
	ToleranceM   float64       `json:"tolerance_m"`
	OffLine      []string      `json:"off_line"`
	OrderOK      bool          `json:"order_ok"`
	OutOfOrder   []string      `json:"out_of_order"`
	LengthDeltaM *float64      `json:"length_delta_m"` // now − registered (null when the registered length is unknown)
	Sides        SideResult    `json:"sides"`
	TriJunctions []TriJunction `json:"tri_junctions"`
}

// LineInfo names the line in the report.
type LineInfo struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	LeftCode  string         `json:"left_code"`
	LeftName  string         `json:"left_name,omitempty"`
	RightCode string         `json:"right_code"`
	RightName string         `json:"right_name,omitempty"`
	Agreement *LineAgreement `json:"agreement,omitempty"`
	Geometry  orb.Geometry   `json:"-"`
}

// Report is a round's report: JSON keys summary, markers, rejected and line_findings as issue 8 names them, and the
// round, the line and the checks.
type Report struct {
	Round        Round         `json:"round"`
	Line         LineInfo      `json:"line"`
	Summary      Summary       `json:"summary"`
	Markers      []MarkerRow   `json:"markers"`
	Rejected     []Rejected    `json:"rejected"`
	LineFindings []LineFinding `json:"line_findings"`
	Checks       Checks        `json:"checks"`
}

// NeighbourPolygon is a KindNeighbour document: the polygon of a neighbouring division that is not held as a
// division (宁海县 beside 象山县), lon/lat GeoJSON.
type NeighbourPolygon struct {
	Code     string          `json:"code"`
	Name     string          `json:"name"`
	Geometry json.RawMessage `json:"geometry"`
}

// sidePolygon returns a side's polygon: the held division's, else the neighbour-polygons document's.
func (s *Service) sidePolygon(ctx context.Context, code string) (orb.Geometry, string, error) {
	if d, err := s.Store.Division(ctx, code); err == nil {
		if _, ok := geo.AsMultiPolygon(d.Geometry); ok {
			return d.Geometry, d.Name, nil
		}
	} else if !errors.Is(err, apierr.ErrNotFound) {
		return nil, "", err
	}
	doc, err := s.Store.Doc(ctx, KindNeighbour, code)
	if err != nil {
		if errors.Is(err, apierr.ErrNotFound) {
			return nil, "", nil
		}
		return nil, "", err
	}
	np, err := edit.DecodeDoc[NeighbourPolygon](doc)
	if err != nil {
		return nil, "", err
	}
	g, err := geo.DecodeGeometry(np.Geometry)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", KindNeighbour, code, err)
	}
	return g, np.Name, nil
}

// registeredXY returns a marker's registered position in crs (easting, northing).
func registeredXY(m gazetteer.Marker, crs geo.CRS) (xy, error) {
	if c, err := geo.ParseCRS(m.Registered.CRS); err == nil && c == crs && m.Registered.AxisOrder != "lon,lat" {
		return xy{m.Registered.Second, m.Registered.First}, nil
	}
	return project(crs, m.Position)
}

// baseNumber strips a pair letter: 象宁006A → 象宁006.
func baseNumber(m gazetteer.Marker) string {
	if m.PairLetter != "" {
		return strings.TrimSuffix(m.Number, m.PairLetter)
	}
	return m.Number
}

// Report builds round id's report from the stored round, line, markers, findings and imports.
func (s *Service) Report(ctx context.Context, id string) (Report, error) {
	return s.report(ctx, id, true)
}

// DocVersions names the state of the documents round id's report reads: the round, its line's agreement, the round's
// marker findings, imports and line findings, and the neighbour polygons of the line's two sides, each as kind, id and
// version. A document's version grows with every write and goes on growing across a delete and a re-create, so any
// write to one of them changes the answer; it is a few cheap reads (no geometry is checked). The line, its markers,
// the other lines and the divisions are records, not documents: their writes come by the store's change signal
// (tiles.Notifier). Errors are the round's (apierr.ErrNotFound) or the store's.
func (s *Service) DocVersions(ctx context.Context, id string) (string, error) {
	rd, err := s.Round(ctx, id)
	if err != nil {
		return "", err
	}
	line, err := s.Store.BoundaryLine(ctx, rd.LineID)
	if err != nil {
		return "", err
	}
	var b []byte
	add := func(kind edit.Kind, d edit.Doc) {
		b = append(b, kind...)
		b = append(b, '/')
		b = append(b, d.ID...)
		b = append(b, '@')
		b = strconv.AppendInt(b, d.Version, 10)
		b = append(b, '\n')
	}
	add(KindRound, edit.Doc{ID: rd.ID, Version: rd.Version})
	for _, one := range []struct {
		kind edit.Kind
		id   string
	}{{KindLineAgreement, line.ID}, {KindNeighbour, line.LeftCode}, {KindNeighbour, line.RightCode}} {
		if one.id == "" {
			continue
		}
		switch d, err := s.Store.Doc(ctx, one.kind, one.id); {
		case err == nil:
			add(one.kind, d)
		case !errors.Is(err, apierr.ErrNotFound):
			return "", err
		}
	}
	for _, kind := range []edit.Kind{KindMarkerFinding, KindImport, KindLineFinding} {
		docs, err := s.Store.Docs(ctx, kind, rd.ID+"/")
		if err != nil {
			return "", err
		}
		for _, d := range docs {
			add(kind, d)
		}
	}
	return string(b), nil
}

// report builds the report; without sides it skips the polygon check (a field save answers only its marker's row).
func (s *Service) report(ctx context.Context, id string, sides bool) (Report, error) {
	rd, err := s.Round(ctx, id)
	if err != nil {
		return Report{}, err
	}
	line, err := s.Store.BoundaryLine(ctx, rd.LineID)
	if err != nil {
		return Report{}, err // the store's error names the line
	}
	markers, err := s.Store.Markers(ctx, rd.LineID)
	if err != nil {
		return Report{}, err
	}
	crs, err := lineCRS(line, markers)
	if err != nil {
		return Report{}, err
	}
	pl, err := projectLine(crs, line.Geometry)
	if err != nil {
		return Report{}, fmt.Errorf("line %s: %w", line.ID, err)
	}
	rep := Report{Round: rd, Line: LineInfo{ID: line.ID, Name: line.Name, LeftCode: line.LeftCode, RightCode: line.RightCode,
		RightName: line.RightName, Geometry: line.Geometry}, Rejected: []Rejected{}, LineFindings: []LineFinding{},
		Markers: []MarkerRow{}}
	rep.Checks = Checks{CRS: crs.String(), ToleranceM: rd.ToleranceM, OffLine: []string{}, OutOfOrder: []string{},
		TriJunctions: []TriJunction{}}
	if d, err := s.Store.Doc(ctx, KindLineAgreement, line.ID); err == nil {
		a, err := edit.DecodeDoc[LineAgreement](d)
		if err != nil {
			return Report{}, err
		}
		rep.Line.Agreement = &a
	}
	findings := map[string]MarkerFinding{}
	docs, err := s.Store.Docs(ctx, KindMarkerFinding, rd.ID+"/")
	if err != nil {
		return Report{}, err
	}
	for _, d := range docs {
		f, err := edit.DecodeDoc[MarkerFinding](d)
		if err != nil {
			return Report{}, err
		}
		findings[f.MarkerNo] = f
	}
	// Summary lengths.
	rep.Summary.LineLengthM = round2(GeodesicLength(line.Geometry))
	rep.Summary.RegisteredLengthM = line.RegisteredLengthM
	if rep.Summary.RegisteredLengthM == 0 && rep.Line.Agreement != nil {
		rep.Summary.RegisteredLengthM = rep.Line.Agreement.RegisteredLengthM
	}
	if rep.Summary.RegisteredLengthM > 0 {
		d := round2(rep.Summary.LineLengthM - rep.Summary.RegisteredLengthM)
		rep.Checks.LengthDeltaM = &d
	}
	// Per marker.
	for _, m := range markers {
		reg, err := registeredXY(m, crs)
		if err != nil {
			return Report{}, fmt.Errorf("marker %s: %w", m.Number, err)
		}
		row := MarkerRow{MarkerNo: m.Number, Type: m.Type, Verdict: VerdictNotInspected, Registered: m.Position,
			RegisteredCRS: m.Registered.CRS}
		at := reg
		f, ok := findings[m.Number]
		if ok {
			row.Condition, row.InspectedOn, row.Team, row.Note, row.Repairs, row.Photos = f.Condition, f.InspectedOn, f.Team, f.Note, f.Repairs, f.Photos
			row.Verdict = f.Condition
			rep.Summary.MarkersChecked++
			if strings.TrimSpace(f.Repairs) != "" {
				rep.Summary.Repaired++
			}
			if f.Observed != nil {
				n, e, reason, msg := ObservedInRegister(*f.Observed, m.Registered)
				if reason != "" {
					return Report{}, fmt.Errorf("finding %s/%s: %s: %s", rd.ID, m.Number, reason, msg)
				}
				// Displacement in the register's CRS (its First/Second as given), to the millimetre.
				dn, de := round3(n-m.Registered.First), round3(e-m.Registered.Second)
				disp := round3(math.Hypot(n-m.Registered.First, e-m.Registered.Second))
				row.DisplacementM, row.DNorthM, row.DEastM = &disp, &dn, &de
				if regCRS, _ := geo.ParseCRS(m.Registered.CRS); regCRS == crs {
					at = xy{e, n}
				} else if ll, err := geo.ToLonLat(regCRS, e, n); err == nil {
					at, _ = project(crs, ll)
				}
				if ll, err := geo.ToLonLat(crs, at.x, at.y); err == nil {
					ll = orb.Point{math.Round(ll[0]*1e8) / 1e8, math.Round(ll[1]*1e8) / 1e8}
					row.Observed = &ll
				}
				if disp > rd.ToleranceM && f.Condition != "missing" {
					row.Verdict = VerdictMoved
				}
			}
		}
		d, _ := pl.nearest(at)
		_, st := pl.nearest(reg)
		row.OffLineM, row.StationM = round3(d), round2(st)
		row.OffLine = m.Type == gazetteer.MarkerSingle && d > rd.ToleranceM && row.Verdict != "missing"
		if row.OffLine {
			rep.Checks.OffLine = append(rep.Checks.OffLine, m.Number)
		}
		switch row.Verdict {
		case "intact":
			rep.Summary.Intact++
		case "damaged":
			rep.Summary.Damaged++
		case "missing":
			rep.Summary.Missing++
		case VerdictMoved:
			rep.Summary.Moved++
		case "inscription_unclear":
			rep.Summary.InscriptionUnclear++
		}
		rep.Markers = append(rep.Markers, row)
	}
	s.checkOrder(&rep, markers)
	// Rejected rows of the round's imports, oldest import first.
	imps, err := s.Store.Docs(ctx, KindImport, rd.ID+"/")
	if err != nil {
		return Report{}, err
	}
	var recs []ImportRecord
	for _, d := range imps {
		r, err := edit.DecodeDoc[ImportRecord](d)
		if err != nil {
			return Report{}, err
		}
		recs = append(recs, r)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].ImportedAt < recs[j].ImportedAt })
	for _, r := range recs {
		rep.Rejected = append(rep.Rejected, r.Rejected...)
	}
	rep.Summary.RejectedRows = len(rep.Rejected)
	lfs, err := s.Store.Docs(ctx, KindLineFinding, rd.ID+"/")
	if err != nil {
		return Report{}, err
	}
	for _, d := range lfs {
		lf, err := edit.DecodeDoc[LineFinding](d)
		if err != nil {
			return Report{}, err
		}
		rep.LineFindings = append(rep.LineFindings, lf)
	}
	// Tri-junctions and the sides.
	lines, err := s.Store.BoundaryLines(ctx)
	if err != nil {
		return Report{}, err
	}
	others := s.triJunctions(&rep, crs, pl, line, lines, markers)
	left, leftName, err := s.sidePolygon(ctx, line.LeftCode)
	if err != nil {
		return Report{}, err
	}
	right, rightName, err := s.sidePolygon(ctx, line.RightCode)
	if err != nil {
		return Report{}, err
	}
	rep.Line.LeftName = leftName
	if rep.Line.RightName == "" {
		rep.Line.RightName = rightName
	}
	opts := SideCheckOptions{CorridorM: rd.CorridorM, MinAreaM2: rd.MinGapAreaM, MinWidthM: rd.MinGapWidth}
	switch {
	case !sides:
		rep.Checks.Sides = SideResult{Options: opts.withDefaults(), Gaps: []SidePiece{}, Overlaps: []SidePiece{}, Reason: "not run"}
	case left == nil || right == nil:
		missing := line.LeftCode
		if left != nil {
			missing = line.RightCode
		}
		rep.Checks.Sides = SideResult{Options: opts.withDefaults(), Gaps: []SidePiece{}, Overlaps: []SidePiece{},
			Reason: fmt.Sprintf("no polygon held for %s (a division or a %s document)", missing, KindNeighbour)}
	default:
		res, err := CheckSides(crs, line.Geometry, left, right, others, opts)
		if err != nil {
			res = SideResult{Options: opts.withDefaults(), Gaps: []SidePiece{}, Overlaps: []SidePiece{}, Reason: err.Error()}
		}
		rep.Checks.Sides = res
	}
	return rep, nil
}

// checkOrder compares the markers' numbering with their order along the line: the chainages of the numbers (a pair's
// mean) must run one way, either way (the line may be digitised against the numbering direction).
func (s *Service) checkOrder(rep *Report, markers []gazetteer.Marker) {
	type group struct {
		no  string
		st  float64
		n   int
		idx []int
	}
	var groups []*group
	byNo := map[string]*group{}
	for i, m := range markers {
		b := baseNumber(m)
		g := byNo[b]
		if g == nil {
			g = &group{no: b}
			byNo[b] = g
			groups = append(groups, g)
		}
		g.st += rep.Markers[i].StationM
		g.n++
		g.idx = append(g.idx, i)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].no < groups[j].no })
	up := 0
	for i := 1; i < len(groups); i++ {
		if groups[i].st/float64(groups[i].n) > groups[i-1].st/float64(groups[i-1].n) {
			up++
		} else {
			up--
		}
	}
	dir := 1.0
	if up < 0 {
		dir = -1
	}
	rep.Checks.OrderOK = true
	for i := 1; i < len(groups); i++ {
		if dir*(groups[i].st/float64(groups[i].n)-groups[i-1].st/float64(groups[i-1].n)) <= 0 {
			rep.Checks.OrderOK = false
			rep.Checks.OutOfOrder = append(rep.Checks.OutOfOrder, groups[i].no)
			for _, k := range groups[i].idx {
				rep.Markers[k].OutOfOrder = true
			}
		}
	}
}

// triJunctions compares each end of the line with the nearest end (within 1 km) of another line and returns those
// lines (their corridors are cut out of the side check's).
func (s *Service) triJunctions(rep *Report, crs geo.CRS, pl polyline, line gazetteer.BoundaryLine, lines []gazetteer.BoundaryLine, markers []gazetteer.Marker) []orb.Geometry {
	var others []orb.Geometry
	ends := []struct {
		name string
		p    xy
	}{{"start", pl.pts[0]}, {"end", pl.pts[len(pl.pts)-1]}}
	for _, e := range ends {
		best, bestD := "", math.Inf(1)
		var bestG orb.Geometry
		for _, o := range lines {
			if o.ID == line.ID {
				continue
			}
			opl, err := projectLine(crs, o.Geometry)
			if err != nil {
				continue
			}
			for _, q := range []xy{opl.pts[0], opl.pts[len(opl.pts)-1]} {
				if d := e.p.dist(q); d < bestD {
					best, bestD, bestG = o.ID, d, o.Geometry
				}
			}
		}
		if best == "" || bestD > 1000 {
			continue
		}
		others = append(others, bestG)
		ll, _ := geo.ToLonLat(crs, e.p.x, e.p.y)
		tj := TriJunction{End: e.name, Point: orb.Point{math.Round(ll[0]*1e7) / 1e7, math.Round(ll[1]*1e7) / 1e7},
			NeighbourLine: best, DistanceM: round3(bestD), OK: bestD <= rep.Round.ToleranceM}
		for _, m := range markers {
			if m.Type != gazetteer.MarkerTriple {
				continue
			}
			r, err := registeredXY(m, crs)
			if err != nil {
				continue
			}
			if d := r.dist(e.p); d < 1000 && (tj.MarkerDistanceM == nil || d < *tj.MarkerDistanceM) {
				dd := round3(d)
				tj.MarkerNo, tj.MarkerDistanceM = m.Number, &dd
			}
		}
		rep.Checks.TriJunctions = append(rep.Checks.TriJunctions, tj)
	}
	return others
}
