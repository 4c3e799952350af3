package inspection

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// conditionKey maps a condition as the teams write it (完好, 损坏, 丢失, 注记不清) or its English key to the key.
func conditionKey(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if _, ok := Conditions[strings.ToLower(s)]; ok {
		return strings.ToLower(s), true
	}
	for k, zh := range Conditions {
		if s == zh {
			return k, true
		}
	}
	return "", false
}

// parseSheetDate reads a date cell: YYYY-MM-DD (or with / or .), or an Excel serial day number (1900 date system)
// as XLSX stores date cells.
func parseSheetDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 20000 && n < 80000 {
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(n))), nil
	}
	norm := strings.NewReplacer("/", "-", ".", "-").Replace(s)
	if t, err := time.Parse("2006-1-2", norm); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
}

// Unconvertible CRSs that inspection sheets name: the old national datums, for which no public transformation to
// CGCS2000 exists (DOMAIN.md §3), so their coordinates cannot be compared with a CGCS2000 register.
var oldDatums = []string{"4214", "4610", "2401", "2402", "2403", "2404", "2405", "2406", "2407", "2408", "2409", "2410",
	"2411", "2412", "2413", "2414", "2415", "2416", "2417", "2418", "2419", "2420", "2421", "2422", "2423", "2424",
	"2425", "2426", "2427", "2428", "2429", "2430", "2431", "2432", "2433", "2434", "2435", "2436", "2437", "2438",
	"2439", "2440", "2441", "2442", "2327", "2328", "2329", "2330", "2331", "2332", "2333", "2334", "2335", "2336",
	"2337", "2338", "2339", "2340", "2341", "2342", "2343", "2344", "2345", "2346", "2347", "2348", "2349", "2350",
	"2351", "2352", "2353", "2354", "2355", "2356", "2357", "2358", "2359", "2360", "2361", "2362", "2363", "2364",
	"2365", "2366", "2367", "2368", "2369", "2370", "2371", "2372", "2373", "2374", "2375", "2376", "2377", "2378",
	"2379", "2380", "2381", "2382", "2383", "2384", "2385", "2386", "2387", "2388", "2389", "2390", "XIAN80",
	"XIAN1980", "BEIJING54", "BEIJING1954", "西安80", "西安1980", "北京54", "北京1954"}

// MaxPlausibleMoveM: an observed position farther than this from the register is not a moved marker but coordinates
// in another CRS than the column names (a zone 40 value labelled zone 41, an old datum): the row is refused as
// crs_mismatch. 1 km is far beyond any displacement an inspection records.
const MaxPlausibleMoveM = 1000

// ObservedInRegister converts an observed position to the marker's register CRS and returns (northing, easting) in
// metres. Gauss–Krüger values are x = northing, y = easting; EPSG:4490/4326 values are x = latitude, y = longitude
// (EPSG:4326 is taken as EPSG:4490, as geo does: they agree to well under a metre). A position in a different
// CGCS2000 zone is converted through lon/lat, which is exact (same datum). It returns a reason code and message on
// failure: crs_mismatch (an old datum or unsupported CRS), axes_swapped (northing and easting exchanged, by the
// zone's plausible ranges, or lon/lat exchanged), bad_coordinate (out of range).
func ObservedInRegister(p Position, reg gazetteer.RegisteredPosition) (north, east float64, reason, msg string) {
	regCRS, err := geo.ParseCRS(reg.CRS)
	if err != nil || !regCRS.Projected() {
		return 0, 0, ReasonCRSMismatch, fmt.Sprintf("the register's CRS %q is not a Gauss–Krüger CRS; positions cannot be compared in metres", reg.CRS)
	}
	raw := strings.ToUpper(strings.Join(strings.Fields(p.CRS), ""))
	if raw == "" {
		return 0, 0, ReasonCRSMismatch, fmt.Sprintf("no CRS given for the position; the register is in %s", regCRS)
	}
	for _, o := range oldDatums {
		if strings.TrimPrefix(raw, "EPSG:") == o {
			return 0, 0, ReasonCRSMismatch, fmt.Sprintf("%s is an old datum (Xi'an 1980 / Beijing 1954) with no public transformation to CGCS2000; the register is in %s: survey in CGCS2000", p.CRS, regCRS)
		}
	}
	c, err := geo.ParseCRS(p.CRS)
	if err != nil || c == geo.GCJ02 || c == geo.BD09 {
		return 0, 0, ReasonCRSMismatch, fmt.Sprintf("%q cannot be converted to the register's %s without loss; use EPSG:4549, EPSG:4550 (northing first) or EPSG:4490 lat/lon", p.CRS, regCRS)
	}
	var ll orb2
	viaLonLat := false
	if c.Projected() {
		if err := geo.CheckProjectedPlausible(c, p.East, p.North); err != nil {
			var swap *geo.AxisSwapError
			if errors.As(err, &swap) {
				return 0, 0, ReasonAxesSwapped, fmt.Sprintf("x_north_m %.3f looks like an easting and y_east_m %.3f like a northing in %s (survey tables print X = northing first)", p.North, p.East, c)
			}
			return 0, 0, ReasonBadCoordinate, strings.TrimPrefix(err.Error(), "geo: ")
		}
		if c == regCRS {
			north, east = p.North, p.East
		} else {
			pt, err := geo.ToLonLat(c, p.East, p.North)
			if err != nil {
				return 0, 0, ReasonBadCoordinate, strings.TrimPrefix(err.Error(), "geo: ")
			}
			ll, viaLonLat = orb2{pt[0], pt[1]}, true
		}
	} else {
		lat, lon := p.North, p.East
		if lat >= 73 && lat <= 136 && lon >= 3 && lon <= 54 {
			return 0, 0, ReasonAxesSwapped, fmt.Sprintf("x_north_m %v looks like a longitude and y_east_m %v like a latitude in %s (the x column takes the latitude)", lat, lon, c)
		}
		if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return 0, 0, ReasonBadCoordinate, fmt.Sprintf("latitude %v / longitude %v out of range", lat, lon)
		}
		ll, viaLonLat = orb2{lon, lat}, true
	}
	if viaLonLat {
		e, n, err := geo.FromLonLat(regCRS, [2]float64(ll))
		if err != nil {
			return 0, 0, ReasonBadCoordinate, strings.TrimPrefix(err.Error(), "geo: ")
		}
		north, east = n, e
	}
	if d := math.Hypot(north-reg.First, east-reg.Second); d > MaxPlausibleMoveM {
		return 0, 0, ReasonCRSMismatch, fmt.Sprintf("the position is %.0f m from the registered one: the coordinates do not look like %s (another zone or datum?)", d, p.CRS)
	}
	return north, east, "", ""
}

type orb2 [2]float64

// Import reads a team's spreadsheet (CSV or XLSX, see SniffFormat and Columns) into round roundID (inspector). Rows
// that fail are returned by file line with a reason code and kept for review in an ImportRecord; the good rows and
// that record are written in one WriteDocs transaction, so nothing is half-written. A whole-file problem (missing
// column, GBK, unreadable workbook) is a 400 naming the column or "body" and writes nothing. Importing the same file
// again replaces nothing (its record has the file's SHA-256 as id).
func (s *Service) Import(ctx context.Context, roundID string, body []byte, contentType string) (ImportResult, error) {
	if err := edit.Require(ctx, edit.RoleInspector); err != nil {
		return ImportResult{}, err
	}
	rd, err := s.Round(ctx, roundID)
	if err != nil {
		return ImportResult{}, err
	}
	format, err := SniffFormat(body, contentType)
	if err != nil {
		return ImportResult{}, httpx.BadRequest(err)
	}
	rows, err := readSheet(body, format)
	if err != nil {
		return ImportResult{}, httpx.BadRequest(err)
	}
	markers, err := s.Store.Markers(ctx, rd.LineID)
	if err != nil {
		return ImportResult{}, err
	}
	byNo := map[string]gazetteer.Marker{}
	for _, m := range markers {
		byNo[m.Number] = m
	}
	sum := sha256.Sum256(body)
	sha := hex.EncodeToString(sum[:])
	findings, rejected := s.checkRows(rd, rows, byNo, "import "+sha[:16])
	rec := ImportRecord{RoundID: rd.ID, SHA256: sha, Format: format, ImportedAt: s.now().Format(time.RFC3339),
		Imported: len(findings), Rejected: rejected}
	if p, ok := edit.PrincipalFrom(ctx); ok {
		rec.Actor = p.Name
	}
	var ws []edit.DocWrite
	for _, f := range findings {
		b, err := json.Marshal(f)
		if err != nil {
			return ImportResult{}, err
		}
		ws = append(ws, edit.DocWrite{Kind: KindMarkerFinding, ID: rd.ID + "/" + f.MarkerNo, Body: b, ExpectVersion: edit.AnyVersion})
	}
	// The record of an earlier import of the same file is kept as it was (its time and actor).
	if _, err := s.Store.Doc(ctx, KindImport, rd.ID+"/"+sha[:16]); err != nil {
		b, err := json.Marshal(rec)
		if err != nil {
			return ImportResult{}, err
		}
		ws = append(ws, edit.DocWrite{Kind: KindImport, ID: rd.ID + "/" + sha[:16], Body: b, ExpectVersion: edit.AnyVersion})
	}
	if len(ws) > 0 {
		if _, err := s.Store.WriteDocs(ctx, ws, edit.MetaFor(ctx, "import")); err != nil {
			return ImportResult{}, err
		}
	}
	return ImportResult{Imported: len(findings), Rejected: rejected}, nil
}

// checkRows turns rows into findings and rejected rows (file order).
func (s *Service) checkRows(rd Round, rows []row, byNo map[string]gazetteer.Marker, source string) ([]MarkerFinding, []Rejected) {
	start, _ := parseDate(rd.StartedOn)
	end, _ := parseDate(rd.EndedOn)
	seen := map[string][]int{}
	for _, r := range rows {
		no := r.cells["marker_no"]
		seen[no] = append(seen[no], r.line)
	}
	var out []MarkerFinding
	rejected := []Rejected{}
	for _, r := range rows {
		c := r.cells
		no := c["marker_no"]
		reject := func(reason, format string, args ...any) {
			rejected = append(rejected, Rejected{Line: r.line, MarkerNo: no, Reason: reason, Message: fmt.Sprintf(format, args...)})
		}
		m, ok := byNo[no]
		if !ok {
			reject(ReasonUnknownMarker, "marker %q is not in the register of line %s", no, rd.LineID)
			continue
		}
		if lines := seen[no]; len(lines) > 1 {
			reject(ReasonDuplicateMarker, "marker %s has %d rows (lines %s); keep one", no, len(lines), joinInts(lines))
			continue
		}
		cond, ok := conditionKey(c["condition"])
		if !ok {
			reject(ReasonBadCondition, "condition %q is not one of 完好 损坏 丢失 注记不清 (or intact, damaged, missing, inscription_unclear)", c["condition"])
			continue
		}
		day, err := parseSheetDate(c["inspected_on"])
		if err != nil {
			reject(ReasonBadDate, "inspected_on: %v", err)
			continue
		}
		if day.Before(start) || day.After(end) {
			reject(ReasonDateOutsideRound, "inspected on %s, outside the round %s to %s", day.Format(dateLayout), rd.StartedOn, rd.EndedOn)
			continue
		}
		f := MarkerFinding{RoundID: rd.ID, MarkerNo: no, InspectedOn: day.Format(dateLayout), Condition: cond,
			Team: c["team"], Note: c["note"], Repairs: c["repairs"], Source: source}
		xs, ys := c["x_north_m"], c["y_east_m"]
		switch {
		case xs == "" && ys == "":
			if cond != "missing" {
				reject(ReasonNoPosition, "no position for marker %s, which is not reported missing (丢失)", no)
				continue
			}
		case xs == "" || ys == "":
			reject(ReasonBadCoordinate, "x_north_m and y_east_m must both be given (or both empty for a missing marker)")
			continue
		default:
			x, errX := strconv.ParseFloat(xs, 64)
			y, errY := strconv.ParseFloat(ys, 64)
			if errX != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				reject(ReasonBadCoordinate, "x_north_m %q is not a number", xs)
				continue
			}
			if errY != nil || math.IsNaN(y) || math.IsInf(y, 0) {
				reject(ReasonBadCoordinate, "y_east_m %q is not a number", ys)
				continue
			}
			p := Position{CRS: c["crs"], North: x, East: y}
			if crs, err := geo.ParseCRS(p.CRS); err == nil {
				p.CRS = crs.String()
			}
			if _, _, reason, msg := ObservedInRegister(p, m.Registered); reason != "" {
				reject(reason, "%s", msg)
				continue
			}
			f.Observed = &p
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].MarkerNo < out[j].MarkerNo })
	return out, rejected
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}
