package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"civmap/internal/edit"
)

var changedLine = regexp.MustCompile(`(?m)^changed `)

// Issue 6/13, fault 1: on a store built in the README's order, importing divisions.csv (codes and names, no geometry,
// no seat) again changes nothing: the polygons and seats stay, and the facilities still import.
func TestDivisionsReimportKeepsPolygons(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		imp := func(kind string, extra ...string) (int, string, string) {
			args := append(append([]string{"import"}, storeArgs(sf)...), "--kind", kind)
			return cli(t, append(args, extra...)...)
		}
		for _, step := range []struct {
			kind, file string
			extra      []string
		}{
			{"divisions", "divisions.csv", nil},
			{"divisions", "county_outline.gcj02.json", []string{"--crs", "GCJ-02"}},
			{"divisions", "townships.geojson", nil},
		} {
			if code, out, errOut := imp(step.kind, append(step.extra, sampleFile(t, step.file))...); code != 0 {
				t.Fatalf("%s: exit %d %s %s", step.file, code, out, errOut)
			}
		}
		code, out, errOut := imp("divisions", "--dry-run", sampleFile(t, "divisions.csv"))
		if code != 0 || changedLine.MatchString(out) || !strings.Contains(out, "unchanged divisions/330225\n") ||
			!strings.Contains(out, "unchanged divisions/330225001\n") || !strings.Contains(out, `"would_update":0`) {
			t.Errorf("dry run of divisions.csv again: exit %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = imp("divisions", sampleFile(t, "divisions.csv"))
		if code != 0 || !strings.Contains(out, `"updated":0`) || !strings.Contains(out, `"inserted":0`) {
			t.Errorf("divisions.csv again: exit %d %s %s", code, out, errOut)
		}
		// The county outline's polygon and kind, and the townships' seats, are still there.
		code, out, errOut = imp("divisions", "--dry-run", sampleFile(t, "townships.geojson"))
		if code != 0 || changedLine.MatchString(out) || !strings.Contains(out, `"would_update":0`) {
			t.Errorf("dry run of townships.geojson after divisions.csv again: exit %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = imp("divisions", "--dry-run", "--crs", "GCJ-02", sampleFile(t, "county_outline.gcj02.json"))
		if code != 0 || !strings.Contains(out, "unchanged divisions/330225\n") {
			t.Errorf("dry run of the county outline after divisions.csv again: exit %d\n%s%s", code, out, errOut)
		}
		if code, out, errOut := imp("facilities", sampleFile(t, "facilities.synthetic.geojson")); code != 0 ||
			!strings.Contains(out, `"rejected":0`) {
			t.Errorf("facilities after divisions.csv again: exit %d %s %s", code, out, errOut)
		}
	})
}

// Issue 6/13, fault 2: while the store holds only divisions.csv (no polygon), a place of any geometry kind naming a
// township is refused like a point, not accepted unchecked; with the polygons, one in the county is accepted.
func TestTerritoryNonPointBeforePolygons(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		imp := func(kind string, extra ...string) (int, string, string) {
			args := append(append([]string{"import"}, storeArgs(sf)...), "--kind", kind)
			return cli(t, append(args, extra...)...)
		}
		place := func(name, coords string) string {
			return writeFile(t, name+".geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","id":"P-`+name+
				`","geometry":{"type":"LineString","coordinates":`+coords+`},"properties":{"name":"某路","category":"road",`+
				`"division_codes":["330225101"]}}]}`)
		}
		beijing := place("bj", "[[116.397,39.909],[116.41,39.92]]")
		inCounty := place("xs", "[[121.87,29.47],[121.875,29.472]]")
		if code, out, errOut := imp("divisions", sampleFile(t, "divisions.csv")); code != 0 {
			t.Fatalf("divisions.csv: %d %s %s", code, out, errOut)
		}
		for _, f := range []string{beijing, inCounty} {
			code, out, errOut := imp("places", "--dry-run", f)
			if code == 0 || !strings.Contains(errOut, "division_codes") || !strings.Contains(errOut, "cannot check") {
				t.Errorf("a LineString place before any polygon (%s): exit %d %s %q; want a refusal naming division_codes",
					f, code, out, errOut)
			}
		}
		for _, step := range [][]string{{"--crs", "GCJ-02", sampleFile(t, "county_outline.gcj02.json")},
			{sampleFile(t, "townships.geojson")}} {
			if code, out, errOut := imp("divisions", step...); code != 0 {
				t.Fatalf("%v: %d %s %s", step, code, out, errOut)
			}
		}
		if code, out, errOut := imp("places", "--dry-run", inCounty); code != 0 || !strings.Contains(out, "created places/P-xs") {
			t.Errorf("a LineString place in the county with the polygons: exit %d %s %s", code, out, errOut)
		}
		if code, out, errOut := imp("places", "--dry-run", beijing); code == 0 || !strings.Contains(errOut, "inside the county") {
			t.Errorf("a LineString place in Beijing with the polygons: exit %d %s %q", code, out, errOut)
		}
	})
}

// Issue 6/13, fault 3: an empty GeometryCollection PATCHed on a place is a 422 naming geometry that says it is empty
// (not "outside the county at lon 0 lat 0"), and no API answer names the CLI's --crs flag.
func TestEmptyGeometryPatch(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		e := newEditEnv(t, sf)
		place := e.create("空几何测试路", false)
		pp := "/api/places/" + url.PathEscape(place)
		hdr := func() []string {
			return []string{"Content-Type", "application/merge-patch+json", "If-Match", e.etag(edit.KindPlace, place)}
		}
		empty := `{"geometry":{"type":"GeometryCollection","geometries":[]}}`
		e.refuse(refusal{name: "empty GeometryCollection", method: "PATCH", path: pp, body: empty, tok: e.editor,
			hdr: hdr(), status: 422, fields: []string{"geometry"}, kind: edit.KindPlace, id: place})
		r := e.do("PATCH", pp, empty, e.editor, hdr()...)
		if r.status != 422 || !strings.Contains(string(r.body), "empty") || strings.Contains(string(r.body), "--crs") {
			t.Errorf("empty GeometryCollection: %d %s; want a 422 saying the geometry is empty", r.status, r.body)
		}
		r = e.do("PATCH", pp, `{"geometry":{"type":"Point","coordinates":[116.397,39.909]}}`, e.editor, hdr()...)
		if r.status != 422 || !strings.Contains(string(r.body), "inside the county") || strings.Contains(string(r.body), "--crs") {
			t.Errorf("Beijing point: %d %s; want a 422 without the CLI's --crs", r.status, r.body)
		}
	})
}
