package ingest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
)

var known = func(code string) bool {
	return strings.HasPrefix(code, "330225") && len(code) != 12 || code == "330225001003"
}

func read(t *testing.T, kind Kind, crs geo.CRS, content string) (*Result, error) {
	t.Helper()
	return Read(strings.NewReader(content), Options{Kind: kind, CRS: crs, KnownDivision: known, KnownLine: func(id string) bool { return id == "象宁线" }})
}

func TestGeoJSONShapes(t *testing.T) {
	feat := `{"type":"Feature","id":"A1","properties":{"name":"甲村","category":"village","division_codes":["330225001"]},` +
		`"geometry":{"type":"Polygon","coordinates":[[[121.8,29.4,5],[121.8,29.5,5],[121.9,29.5,5],[121.9,29.4,5]]]}}`
	for name, content := range map[string]string{
		"collection":       `{"type":"FeatureCollection","features":[` + feat + `]}`,
		"bare array":       `[` + feat + `]`,
		"single feature":   feat,
		"BOM":              "\uFEFF" + `{"type":"FeatureCollection","features":[` + feat + `]}`,
		"members reversed": `{"features":[` + feat + `],"type":"FeatureCollection"}`,
	} {
		t.Run(name, func(t *testing.T) {
			res, err := read(t, Places, "", content)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Batch.Places) != 1 {
				t.Fatalf("%d places", len(res.Batch.Places))
			}
			p := res.Batch.Places[0]
			poly, ok := p.Geometry.(orb.Polygon)
			// The ring was open, clockwise and 3-D: it comes out closed, counter-clockwise (RFC 7946) and 2-D.
			if !ok || p.ID != "A1" || len(poly[0]) != 5 || poly[0][0] != poly[0][4] || poly[0].Orientation() != orb.CCW {
				t.Errorf("place %+v geometry %v", p, p.Geometry)
			}
		})
	}
}

func TestCSVErrorsNameLineAndField(t *testing.T) {
	for _, c := range []struct {
		name, content string
		crs           geo.CRS
		kind          Kind
		loc, field    string
	}{
		{"bad number", "name,category,division_code,lon,lat\n甲,x,330225001,121.8,29.4\n乙,x,330225001,12a,29.4\n", "", Places, "line 3", "lon"},
		{"quoted newline shifts lines", "name,category,division_code,description,lon,lat\n甲,x,330225001,\"two\nlines\",121.8,29.4\n乙,x,330225001,,121.8,abc\n", "", Places, "line 4", "lat"},
		{"NaN", "name,category,lon,lat\n甲,x,NaN,29.4\n", "", Places, "line 2", "lon"},
		{"swapped", "marker_no,marker_type,x_north_m,y_east_m\n象宁002,单立,366316.956,3265312.875\n", geo.EPSG4550, Markers, "line 2", "x_north_m/y_east_m"},
		{"mixed crs", "marker_no,marker_type,x_north_m,y_east_m,crs\n象宁002,单立,3265312.875,366316.956,EPSG:4550\n象宁003,单立,3263519.644,361576.831,EPSG:4549\n", "", Markers, "line 3", "crs"},
		{"bad bool", "name,category,heritage,lon,lat\n甲,x,maybe,121.8,29.4\n", "", Places, "line 2", "heritage"},
		{"single with pair letter", "marker_no,marker_type,pair_letter,x_north_m,y_east_m\n象宁002,单立,A,3265312.875,366316.956\n", geo.EPSG4550, Markers, "line 2", "pair_letter"},
		{"unknown line", "marker_no,marker_type,x_north_m,y_east_m\n象奉001,单立,3265312.875,366316.956\n", geo.EPSG4550, Markers, "line 2", "line"},
		{"duplicate id", "id,name,category,division_code,lon,lat\nA,甲,x,330225001,121.8,29.4\nA,乙,x,330225001,121.8,29.4\n", "", Places, "line 3", "id"},
		{"negative population", "code,elderly_population,lon,lat\n330225001003,-5,121.8,29.4\n", "", Demand, "line 2", "elderly_population"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := read(t, c.kind, c.crs, c.content)
			inv, ok := apierr.AsInvalid(err)
			if !ok {
				t.Fatalf("error %v (%T); want field errors", err, err)
			}
			if inv[0].Location != c.loc || inv[0].Field != c.field {
				t.Errorf("got %v; want %s field %s", inv, c.loc, c.field)
			}
		})
	}
}

// A GBK/GB 18030 file (what Excel and WPS save on Chinese Windows) is named as such, with its line and the iconv
// command, in CSV and in GeoJSON (where encoding/json would otherwise turn the bytes into U+FFFD); other bytes that
// are not UTF-8 are "not UTF-8".
func TestNotUTF8(t *testing.T) {
	gbk := func(s string) string {
		b, err := simplifiedchinese.GB18030.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct{ name, content, want string }{
		{"GBK header", gbk("名称,category,lon,lat\n"), "line 1: this file is GBK/GB 18030"},
		{"GBK value", "name,category,lon,lat\n" + gbk("东陈村") + ",x,121.8,29.4\n", "line 2: this file is GBK/GB 18030"},
		{"GBK GeoJSON", gbk(`{"type":"FeatureCollection","features":[` + "\n" +
			`{"type":"Feature","properties":{"name":"东陈村","category":"x"},"geometry":{"type":"Point","coordinates":[121.8,29.4]}}]}`),
			"line 2: this file is GBK/GB 18030"},
		{"Latin-1 value", "name,category,lon,lat\nCaf\xe9,x,121.8,29.4\n", "line 2: the file is not UTF-8"},
	} {
		_, err := read(t, Places, "", c.content)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
		if strings.Contains(c.want, "GBK") && !strings.Contains(err.Error(), "iconv -f GB18030 -t UTF-8") {
			t.Errorf("%s: %v does not say how to convert it", c.name, err)
		}
	}
	// A multi-byte character split across reads is not a false alarm.
	big := "name,category,lon,lat\n" + strings.Repeat("东陈村测试,x,121.8,29.4\n", 20000)
	if _, err := read(t, Places, "", big); err != nil && strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("a large UTF-8 file: %v", err)
	}
}

// square is a township polygon [lon0,lon1]×[lat0,lat1] with its code, for territory tests.
func square(code string, lon0, lat0, lon1, lat1 float64) gazetteer.Division {
	return gazetteer.Division{Code: code, Level: gazetteer.LevelTownship, ParentCode: code[:6],
		Geometry: orb.Polygon{{{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}}}}
}

// testTerritory is a county 330225 of two townships: 330225001 west of 121.85°E, 330225002 east of it.
func testTerritory() *gazetteer.Shapes {
	return gazetteer.ShapesOf([]gazetteer.Division{
		{Code: "330225", Level: gazetteer.LevelCounty, Geometry: orb.Polygon{{{121.5, 28.9}, {122.2, 28.9}, {122.2, 29.7}, {121.5, 29.7}, {121.5, 28.9}}}},
		square("330225001", 121.5, 28.9, 121.85, 29.7),
		square("330225002", 121.85, 28.9, 122.2, 29.7),
	})
}

// A place wholly outside the county (here a point in Ningbo city) is rejected when the caller says what is inside.
func TestOutsideTheCounty(t *testing.T) {
	csv := "name,category,division_code,lon,lat\n甲,x,330225001,121.8,29.4\n乙,x,330225001,121.55,29.87\n"
	_, err := Read(strings.NewReader(csv), Options{Kind: Places, Territory: testTerritory(), KnownDivision: known})
	if inv, ok := apierr.AsInvalid(err); !ok || len(inv) != 1 || inv[0].Location != "line 3" || inv[0].Field != "geometry" {
		t.Errorf("got %v; want line 3 geometry outside", err)
	}
	// A polygon with one vertex inside passes.
	wkt := "name,category,division_code,wkt\n丙,x,330225001,\"POLYGON((121.0 29.0,121.6 29.0,121.6 29.5,121.0 29.5,121.0 29.0))\"\n"
	if _, err := Read(strings.NewReader(wkt), Options{Kind: Places, Territory: testTerritory(), KnownDivision: known}); err != nil {
		t.Errorf("a polygon reaching into the county: %v", err)
	}
}

// Every point kind is checked against the county and against the township it names, within gazetteer.ToleranceM.
func TestTerritoryOfEveryKind(t *testing.T) {
	known := func(string) bool { return true }
	cases := []struct {
		name, kind, csv string
		field           string // "" when the record is accepted
	}{
		{"facility in Beijing", "facilities", "id,name,type,township_code,lon,lat\nF1,甲,canteen,330225001,116.397,39.909\n", "geometry"},
		{"facility in the other township", "facilities", "id,name,type,township_code,lon,lat\nF1,甲,canteen,330225001,121.95,29.4\n", "township_code"},
		{"facility 30 m over the township edge", "facilities", "id,name,type,township_code,lon,lat\nF1,甲,canteen,330225001,121.8503,29.4\n", ""},
		{"facility 2 km over the township edge", "facilities", "id,name,type,township_code,lon,lat\nF1,甲,canteen,330225001,121.87,29.4\n", "township_code"},
		{"facility in its township", "facilities", "id,name,type,township_code,lon,lat\nF1,甲,canteen,330225002,121.95,29.4\n", ""},
		{"demand unit in the other township", "demand", "code,name,elderly_population,lon,lat\n330225001201,甲村,10,121.95,29.4\n", "township_code"},
		{"demand unit in Beijing", "demand", "code,name,elderly_population,lon,lat\n330225002201,甲村,10,116.397,39.909\n", "geometry"},
		{"place point in the other township", "places", "name,category,division_code,lon,lat\n甲,x,330225001,121.95,29.4\n", "division_codes"},
		{"place named by its village", "places", "name,category,division_code,lon,lat\n甲,x,330225002201,121.95,29.4\n", ""},
		{"village point in another township", "divisions", "code,name,level,parent_code,lon,lat\n330225001201,甲村,village,330225001,121.95,29.4\n", "parent_code"},
		{"marker 60 m off the coast", "markers", "marker_no,marker_type,line,lon,lat\n象宁001,单立,象宁线,122.2006,29.4\n", ""},
		{"marker in Beijing", "markers", "marker_no,marker_type,line,lon,lat\n象宁001,单立,象宁线,116.397,39.909\n", "geometry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(c.csv), Options{Kind: Kind(c.kind), Territory: testTerritory(),
				KnownDivision: known, KnownLine: known})
			if c.field == "" {
				if err != nil {
					t.Fatalf("want accepted, got %v", err)
				}
				return
			}
			inv, ok := apierr.AsInvalid(err)
			if !ok || len(inv) != 1 || inv[0].Field != c.field {
				t.Fatalf("want one error naming %s, got %v", c.field, err)
			}
		})
	}
}

// A line far from the county is refused; one along its edge passes.
func TestTerritoryOfLines(t *testing.T) {
	known := func(string) bool { return true }
	for wkt, ok := range map[string]bool{
		"LINESTRING(122.2 29.0,122.2 29.5)":       true,
		"LINESTRING(116.3 39.9,116.4 39.9)":       false,
		"LINESTRING(122.2005 29.0,122.2005 29.5)": true,
		"LINESTRING(122.3 29.0,122.3 29.5)":       false,
	} {
		csv := "id,name,left_code,right_code,wkt\n象宁线,象宁线,330225,330226,\"" + wkt + "\"\n"
		_, err := Read(strings.NewReader(csv), Options{Kind: Lines, Territory: testTerritory(), KnownDivision: known})
		if (err == nil) != ok {
			t.Errorf("%s: got %v, want accepted=%v", wkt, err, ok)
		}
	}
}

func TestSkipInvalidKeepsTheRest(t *testing.T) {
	res, err := Read(strings.NewReader("name,category,division_code,lon,lat\n甲,x,330225001,121.8,29.4\n乙,x,330225001,200,29.4\n丙,x,330225002,121.9,29.4\n"),
		Options{Kind: Places, SkipInvalid: true, KnownDivision: known})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 3 || len(res.Batch.Places) != 2 || len(res.Rejected) != 1 || res.Rejected[0].Location != "line 3" {
		t.Errorf("read %d, kept %d, rejected %v", res.Read, len(res.Batch.Places), res.Rejected)
	}
}

// Markers keep the register's numbers as printed (northing first) and get their lon/lat once.
func TestMarkerRegisterKept(t *testing.T) {
	res, err := read(t, Markers, "", "marker_no,marker_type,pair_letter,material,x_north_m,y_east_m,crs,registered_year\n"+
		"象宁001,三立,\"\",混凝土,3267275.078,364815.454,EPSG:4550,2018\n")
	if err != nil {
		t.Fatal(err)
	}
	m := res.Batch.Markers[0]
	if m.LineID != "象宁线" || m.Registered.First != 3267275.078 || m.Registered.Second != 364815.454 || m.RegisteredYear != 2018 {
		t.Errorf("marker %+v", m)
	}
	// PostGIS 3.3.2 / PROJ 9.1.1: ST_Transform(ST_SetSRID(ST_MakePoint(364815.454, 3267275.078), 4550), 4490).
	if d := geo.Distance(m.Position, orb.Point{121.6057122026907, 29.516016502011244}); d > 0.01 {
		t.Errorf("position %v is %.4f m from PostGIS's", m.Position, d)
	}
}

// Places without an id get the same derived id on every import, so a re-import updates instead of duplicating.
func TestDerivedIDStable(t *testing.T) {
	csv := "name,category,division_code,lon,lat\n甲,x,330225001,121.8,29.4\n"
	a, _ := read(t, Places, "", csv)
	b, _ := read(t, Places, "", csv)
	if a.Batch.Places[0].ID != b.Batch.Places[0].ID || !strings.HasPrefix(a.Batch.Places[0].ID, "p-") {
		t.Errorf("ids %q, %q", a.Batch.Places[0].ID, b.Batch.Places[0].ID)
	}
}

// Projected GeoJSON gives [easting, northing] in metres; it is range-checked after conversion, not before.
func TestProjectedGeoJSON(t *testing.T) {
	// 象宁001 as the register gives it (EPSG:4550), as a GeoJSON point.
	content := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"象宁001附近","category":"x","division_codes":["330225001"]},` +
		`"geometry":{"type":"Point","coordinates":[364815.454,3267275.078]}}]}`
	res, err := read(t, Places, geo.EPSG4550, content)
	if err != nil {
		t.Fatal(err)
	}
	if d := geo.Distance(res.Batch.Places[0].Geometry.(orb.Point), orb.Point{121.6057122026907, 29.516016502011244}); d > 0.01 {
		t.Errorf("%.4f m from PostGIS's ST_Transform", d)
	}
	if _, err := read(t, Places, "", content); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("the same file read as lon/lat: %v", err)
	}
}

func TestGeoJSONCRSMember(t *testing.T) {
	content := `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4550"}},"features":[]}`
	if _, err := read(t, Places, "", content); err == nil || !strings.Contains(err.Error(), "refusing to mix") {
		t.Errorf("a 4550 file read as 4326: %v", err)
	}
	if _, err := read(t, Places, geo.EPSG4550, content); err != nil {
		t.Errorf("a 4550 file read as 4550: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a","category":"b"},"geometry":{"type":"Point","coordinates":[121,29]}}]}`))
	f.Add([]byte("name,category,lon,lat\n甲,x,121.8,29.4\n"))
	f.Add([]byte("name,category,wkt\n甲,x,\"POLYGON((0 0,1 1,1 0,0 1,0 0))\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, k := range []Kind{Places, Facilities, Markers, Divisions} {
			_, _ = Read(bytes.NewReader(b), Options{Kind: k, CRS: geo.EPSG4326})
		}
	})
}
