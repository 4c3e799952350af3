package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"civmap/geo"
)

// Column names accepted for coordinates, in order of preference.
var (
	lonCols   = []string{"lon", "lng", "longitude", "经度"}
	latCols   = []string{"lat", "latitude", "纬度"}
	northCols = []string{"x_north_m", "x_north", "northing", "north", "x坐标"}
	eastCols  = []string{"y_east_m", "y_east", "easting", "east", "y坐标"}
	wktCols   = []string{"wkt", "geometry", "geom"}
)

// requiredCols are the columns each kind's CSV must have (besides coordinates).
var requiredCols = map[Kind][]string{
	Places:     {"name", "category"},
	Facilities: {"id", "name", "type", "township_code"},
	Demand:     {"code", "elderly_population"},
	Divisions:  {"code", "name"},
	Markers:    {"marker_no", "marker_type"},
	Lines:      {"name", "left_code", "right_code"},
}

// readCSV reads a CSV with a header line. Coordinates come from lon/lat columns (geographic CRSs), from x_north/y_east
// columns (projected CRSs, northing first as survey tables print them) or from a WKT column. A "crs" column, where
// present, must agree with --crs and with itself on every line: civmap refuses to mix CRSs in one file.
func readCSV(r io.Reader, b *builder) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return csvError(err, 1)
	}
	for _, h := range header {
		if !utf8.ValidString(h) {
			return fmt.Errorf("line 1: the file is not UTF-8 (a GBK/GB18030 export from Excel or WPS?): save it as UTF-8 CSV")
		}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range requiredCols[b.opts.Kind] {
		if _, ok := col[c]; !ok {
			return fmt.Errorf("line 1: the %s CSV lacks the column %q (header: %s)", b.opts.Kind, c, strings.Join(header, ","))
		}
	}
	find := func(names []string) int {
		for _, n := range names {
			if i, ok := col[n]; ok {
				return i
			}
		}
		return -1
	}
	iLon, iLat, iN, iE, iWKT, iCRS := find(lonCols), find(latCols), find(northCols), find(eastCols), find(wktCols), find([]string{"crs", "srid"})
	switch {
	case iWKT >= 0, iLon >= 0 && iLat >= 0, iN >= 0 && iE >= 0:
	case b.opts.Kind == Divisions:
	default:
		return fmt.Errorf("line 1: no coordinate columns: want lon and lat, x_north_m and y_east_m (projected CRS, northing first), or wkt (header: %s)", strings.Join(header, ","))
	}
	var fileCRS geo.CRS
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvError(err, 0) // a csv.ParseError carries its own line
		}
		line, _ := cr.FieldPos(0)
		loc := "line " + strconv.Itoa(line)
		rec := &record{loc: loc, props: map[string]any{}}
		for name, i := range col {
			if i != iLon && i != iLat && i != iN && i != iE && i != iWKT && i != iCRS {
				rec.props[name] = row[i]
			}
		}
		// The CRS of this line: --crs, else the crs column, else lon/lat.
		c := b.opts.CRS
		if iCRS >= 0 && strings.TrimSpace(row[iCRS]) != "" {
			rc, err := geo.ParseCRS(strings.TrimSpace(row[iCRS]))
			switch {
			case err != nil:
				b.read++
				b.fail(loc, "crs", "%v", err)
				continue
			case c != "" && rc != c:
				b.read++
				b.fail(loc, "crs", "the line says %s but the import was told %s; refusing to mix CRSs", rc, c)
				continue
			}
			c = rc
		}
		if c == "" {
			c = geo.EPSG4326
		}
		if fileCRS == "" {
			fileCRS = c
		} else if c != fileCRS {
			b.read++
			b.fail(loc, "crs", "%s differs from %s on earlier lines; refusing to mix CRSs in one file", c, fileCRS)
			continue
		}
		rec.crs = c
		if err := csvGeometry(rec, row, c, iLon, iLat, iN, iE, iWKT); err != nil {
			b.read++
			b.errs = append(b.errs, *err)
			continue
		}
		b.add(rec)
	}
}

// csvGeometry fills rec.geom (lon/lat) from the line's coordinate columns.
func csvGeometry(rec *record, row []string, c geo.CRS, iLon, iLat, iN, iE, iWKT int) *fieldErr {
	num := func(i int, field string) (float64, *fieldErr) {
		s := strings.TrimSpace(row[i])
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v != v {
			return 0, &fieldErr{Location: rec.loc, Field: field, Reason: fmt.Sprintf("%q is not a number", s)}
		}
		return v, nil
	}
	switch {
	case iWKT >= 0 && strings.TrimSpace(row[iWKT]) != "":
		g, err := wkt.Unmarshal(strings.TrimSpace(row[iWKT]))
		if err != nil {
			return &fieldErr{Location: rec.loc, Field: "wkt", Reason: err.Error()}
		}
		if g, err = geo.GeometryToLonLat(g, c); err != nil {
			return &fieldErr{Location: rec.loc, Field: "wkt", Reason: err.Error()}
		}
		rec.geom = g
	case iN >= 0 && iE >= 0:
		if !c.Projected() {
			return &fieldErr{Location: rec.loc, Field: "crs", Reason: fmt.Sprintf("x_north/y_east columns need a projected CRS (e.g. --crs EPSG:4550), got %s", c)}
		}
		n, e := num(iN, "x_north_m")
		if e != nil {
			return e
		}
		east, e := num(iE, "y_east_m")
		if e != nil {
			return e
		}
		if err := geo.CheckProjectedPlausible(c, east, n); err != nil {
			return &fieldErr{Location: rec.loc, Field: "x_north_m/y_east_m", Reason: err.Error()}
		}
		p, err := geo.ToLonLat(c, east, n)
		if err != nil {
			return &fieldErr{Location: rec.loc, Field: "x_north_m/y_east_m", Reason: err.Error()}
		}
		rec.geom, rec.projected, rec.north, rec.east = p, true, n, east
	case iLon >= 0 && iLat >= 0:
		if c.Projected() {
			return &fieldErr{Location: rec.loc, Field: "crs", Reason: fmt.Sprintf("lon/lat columns cannot be in the projected %s; use x_north_m/y_east_m", c)}
		}
		lon, e := num(iLon, "lon")
		if e != nil {
			return e
		}
		lat, e := num(iLat, "lat")
		if e != nil {
			return e
		}
		if lon < -180 || lon > 180 {
			return &fieldErr{Location: rec.loc, Field: "lon", Reason: fmt.Sprintf("%v is outside -180..180", lon)}
		}
		if lat < -90 || lat > 90 {
			return &fieldErr{Location: rec.loc, Field: "lat", Reason: fmt.Sprintf("%v is outside -90..90", lat)}
		}
		p, err := geo.ToLonLat(c, lon, lat)
		if err != nil {
			return &fieldErr{Location: rec.loc, Field: "lon/lat", Reason: err.Error()}
		}
		rec.geom = orb.Point(p)
	}
	return nil
}

func csvError(err error, line int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("line %d: the file has no header line", line)
	}
	return fmt.Errorf("line %d: %v", line, err)
}
