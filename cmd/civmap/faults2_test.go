package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"civmap/internal/auth"
	"civmap/internal/edit"
)

// Faults 10: with --anonymous none a page on another origin can still read tiles with its token (the preflight needs
// no token and allows Authorization; the answers carry CORS headers), and /api allows and exposes X-Request-Id.
func TestCORSTilesTokenAndRequestID(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		st, audit := auditedStore(t, sf)
		viewer := newToken(t, st, edit.RoleViewer)
		url := serveWith(t, st, audit, auth.Options{Anonymous: auth.AnonymousNone}).URL
		origin := []string{"Origin", "https://planner.example.org"}
		for _, p := range []string{"/tiles/divisions/8/214/106.mvt", "/tiles/style.json", "/tiles/divisions.json"} {
			r := do(t, "OPTIONS", url+p, "", append(origin, "Access-Control-Request-Method", "GET",
				"Access-Control-Request-Headers", "authorization")...)
			if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" ||
				!strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "authorization") {
				t.Errorf("preflight %s: %d %v %s", p, r.status, r.header, r.body)
			}
			r = do(t, "GET", url+p, "", append(origin, "Authorization", viewer)...)
			if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("GET %s with a token: %d %v", p, r.status, r.header)
			}
		}
		r := do(t, "OPTIONS", url+"/api/places", "", append(origin, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization, x-request-id")...)
		if r.status != 204 || !strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "x-request-id") {
			t.Errorf("/api preflight: %d %v", r.status, r.header)
		}
		r = do(t, "GET", url+"/api/places?limit=1", "", append(origin, "Authorization", viewer)...)
		if r.status != 200 || !strings.Contains(strings.ToLower(r.header.Get("Access-Control-Expose-Headers")), "x-request-id") {
			t.Errorf("/api GET: %d %v", r.status, r.header)
		}
	})
}

// Fault 12: a path under /api that no route serves is a 404 for every method, not a 405 whose Allow implies the
// resource exists; a known path with a wrong method stays a 405 listing the right ones.
func TestAPIUnknownPathNotFound(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		e := newEditEnv(t, sf)
		for _, p := range []string{"/api/audit/1", "/api/nope", "/api/places/x/y/z"} {
			for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
				r := e.do(m, p, "", e.admin)
				if r.status != 404 || r.header.Get("Allow") != "" {
					t.Errorf("%s %s: %d Allow %q %s", m, p, r.status, r.header.Get("Allow"), r.body)
				}
			}
		}
		r := e.do("DELETE", "/api/audit", "", e.admin)
		if r.status != 405 || r.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("DELETE /api/audit: %d Allow %q", r.status, r.header.Get("Allow"))
		}
		r = e.do("PUT", "/api/places", "{}", e.admin)
		if r.status != 405 || !strings.Contains(r.header.Get("Allow"), "POST") {
			t.Errorf("PUT /api/places: %d Allow %q", r.status, r.header.Get("Allow"))
		}
	})
}

// Fault 15: `civmap import --dry-run` writes nothing: on a missing store it is refused with a message saying why (no
// data dir or civmap.db made; no schema created in PostgreSQL); on an existing store the file is left byte for byte.
func TestDryRunWritesNothing(t *testing.T) {
	csv := "name,category,division_codes,lon,lat\n甲,x,330225002,121.880694,29.432304\n"
	stores(t, func(t *testing.T, sf *storeFlags) {
		if sf.dataDir != "" {
			sf.dataDir = filepath.Join(sf.dataDir, "new")
		}
		args := append(append([]string{"import"}, storeArgs(sf)...), "--kind", "places", "--dry-run", writeFile(t, "p.csv", csv))
		code, _, errOut := cli(t, args...)
		if code == 0 || !strings.Contains(errOut, "--dry-run") || !strings.Contains(errOut, "read-only") {
			t.Errorf("dry run on a missing store: exit %d, %q; want a refusal saying why", code, errOut)
		}
		if sf.dataDir != "" {
			if _, err := os.Stat(sf.dataDir); !os.IsNotExist(err) {
				t.Errorf("the dry run made %s (%v)", sf.dataDir, err)
			}
		} else {
			conn, err := pgx.Connect(context.Background(), sf.databaseURL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			var n int
			if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil || n != 0 {
				t.Errorf("the dry run made %d tables (%v)", n, err)
			}
		}

		loadSample(t, sf)
		var before []byte
		if sf.dataDir != "" {
			before, _ = os.ReadFile(filepath.Join(sf.dataDir, "civmap.db"))
		}
		code, out, errOut := cli(t, args...)
		if code != 0 || !strings.Contains(out, `"would_insert":1`) {
			t.Errorf("dry run on the sample store: exit %d, %q %q", code, out, errOut)
		}
		if sf.dataDir != "" {
			after, _ := os.ReadFile(filepath.Join(sf.dataDir, "civmap.db"))
			if !bytes.Equal(before, after) {
				t.Errorf("the dry run changed civmap.db")
			}
		}
		if n := placeCount(t, sf); n == 0 {
			t.Errorf("no places after loading the sample")
		}
	})
}

// Fault 13: a serve on a store that already holds a token (made by `civmap token create` before the first serve)
// writes no admin-token file and says why in the log.
func TestFirstAdminTokenSkippedSaysWhy(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		st, _ := auditedStore(t, sf)
		newToken(t, st, edit.RoleEditor)
		newToken(t, st, edit.RoleViewer)
		var buf bytes.Buffer
		if err := firstAdminToken(context.Background(), st, sf, newLogger(&buf, slog.LevelInfo)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "the store holds 2 tokens") || !strings.Contains(buf.String(), "no first admin token made") {
			t.Errorf("log %q", buf.String())
		}
		if sf.dataDir != "" {
			if _, err := os.Stat(filepath.Join(sf.dataDir, "admin-token")); !os.IsNotExist(err) {
				t.Errorf("admin-token written (%v)", err)
			}
		}
	})
}

// Fault 13 (README): a POST creating a deleted marker again continues its versions: ETag = the delete's version + 1.
func TestRecreateDeletedContinuesVersions(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		e := newEditEnv(t, sf)
		_, _, _, marker := sampleRecords(t, e.st)
		path := "/api/markers/" + url.PathEscape(marker)
		r := e.record(edit.KindMarker, marker)
		feature, tag := string(r.body), r.header.Get("ETag")
		if r := e.do("DELETE", path, "", e.editor, "If-Match", tag); r.status != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		h := e.history(edit.KindMarker, marker)
		deleted := h.Items[0].Version
		r = e.do("POST", "/api/markers", feature, e.editor)
		if r.status != http.StatusCreated || r.header.Get("ETag") != `"`+strconv.FormatInt(deleted+1, 10)+`"` {
			t.Errorf("re-create: %d ETag %s after a delete at version %d; %s", r.status, r.header.Get("ETag"), deleted, r.body)
		}
	})
}

// Fault 9: an identical PUT, or a PATCH that changes nothing, makes no version on any kind: 200 with the current record
// and ETag, no history entry and no audit entry (a no-op writes nothing, as an identical re-import does).
func TestNoOpEditsMakeNoVersion(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		e := newEditEnv(t, sf)
		ctx := context.Background()
		fac, unit, township, marker := sampleRecords(t, e.st)
		lines, err := e.st.BoundaryLines(ctx)
		if err != nil {
			t.Fatal(err)
		}
		place := e.firstPlaceID(t)
		for _, c := range []struct {
			kind edit.Kind
			id   string
		}{
			{edit.KindPlace, place}, {edit.KindDivision, township}, {edit.KindLine, lines[0].ID},
			{edit.KindMarker, marker}, {edit.KindFacility, fac.ID}, {edit.KindDemand, unit.Code},
		} {
			path := "/api/" + string(c.kind) + "/" + url.PathEscape(c.id)
			for _, w := range []struct{ method, body string }{{"PUT", ""}, {"PATCH", `{"properties":{}}`}, {"PATCH", `{}`}} {
				cur := e.record(c.kind, c.id)
				tag := cur.header.Get("ETag")
				body := w.body
				if body == "" {
					body = string(cur.body)
				}
				versions := e.history(c.kind, c.id).NumberMatched
				audits := auditCount(t, e.st)
				hdr := []string{"If-Match", tag}
				if w.method == "PATCH" {
					hdr = append(hdr, "Content-Type", "application/merge-patch+json")
				}
				r := e.do(w.method, path, body, e.editor, hdr...)
				if r.status != 200 || r.header.Get("ETag") != tag || !bytes.Equal(bytes.TrimSpace(r.body), bytes.TrimSpace(cur.body)) {
					t.Errorf("%s %s %s: %d ETag %s (was %s)\n%s\nwas\n%s", w.method, c.kind, body, r.status,
						r.header.Get("ETag"), tag, r.body, cur.body)
				}
				if n := e.history(c.kind, c.id).NumberMatched; n != versions {
					t.Errorf("%s %s: %d versions, was %d", w.method, c.kind, n, versions)
				}
				if n := auditCount(t, e.st); n != audits {
					t.Errorf("%s %s: %d audit entries, was %d", w.method, c.kind, n, audits)
				}
			}
		}
	})
}

// Fault 6: PATCH and PUT validate the resulting record as an import does, on every kind: a one-point LineString (a
// place's or a boundary line's) is a 422 naming geometry, and a place without a division code (null, [] or absent) a
// 422 naming division_codes; nothing is written.
func TestEditResultValidated(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		e := newEditEnv(t, sf)
		lines, err := e.st.BoundaryLines(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		place := e.firstPlaceID(t)
		cur := e.record(edit.KindPlace, place)
		patch := func(kind edit.Kind, id string) []string {
			return []string{"Content-Type", "application/merge-patch+json", "If-Match", e.etag(kind, id)}
		}
		onePoint := `{"geometry":{"type":"LineString","coordinates":[[121.87,29.47]]}}`
		pp := "/api/places/" + url.PathEscape(place)
		lp := "/api/boundary-lines/" + url.PathEscape(lines[0].ID)
		for _, c := range []refusal{
			{name: "place one-point LineString", method: "PATCH", path: pp, body: onePoint, hdr: patch(edit.KindPlace, place),
				status: 422, fields: []string{"geometry"}, kind: edit.KindPlace, id: place},
			{name: "line one-point LineString", method: "PATCH", path: lp, body: onePoint, hdr: patch(edit.KindLine, lines[0].ID),
				status: 422, fields: []string{"geometry"}, kind: edit.KindLine, id: lines[0].ID},
			{name: "line one position twice", method: "PATCH", path: lp,
				body: `{"geometry":{"type":"LineString","coordinates":[[121.6,29.5],[121.6,29.5]]}}`,
				hdr:  patch(edit.KindLine, lines[0].ID), status: 422, fields: []string{"geometry"}, kind: edit.KindLine, id: lines[0].ID},
			{name: "place division_codes []", method: "PATCH", path: pp, body: `{"properties":{"division_codes":[]}}`,
				hdr: patch(edit.KindPlace, place), status: 422, fields: []string{"division_codes"}, kind: edit.KindPlace, id: place},
			{name: "place division_codes null", method: "PATCH", path: pp, body: `{"properties":{"division_codes":null}}`,
				hdr: patch(edit.KindPlace, place), status: 422, fields: []string{"division_codes"}, kind: edit.KindPlace, id: place},
		} {
			c.tok = e.editor
			e.refuse(c)
		}
		if !strings.Contains(string(cur.body), `"division_codes":["`) {
			t.Fatalf("the place has no division_codes to drop: %s", cur.body)
		}
	})
}

// Fault 4: into a store without the sample, the bundled files import in the README's order — divisions.csv, the county
// outline, townships, then facilities — every record accepted: the county is the county's polygon (and the store's
// townships), never the townships read earlier from the same file. Before any polygon is known, a point naming a
// township cannot be checked and is refused, saying what to import first; after, a Beijing point is refused.
func TestTerritoryImportOrder(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		imp := func(kind string, extra ...string) (int, string, string) {
			args := append(append([]string{"import"}, storeArgs(sf)...), "--kind", kind)
			return cli(t, append(args, extra...)...)
		}
		beijing := writeFile(t, "bj.csv", "id,name,type,township_code,lon,lat\nF-BJ,北京某食堂,canteen,330225002,116.397,39.909\n")
		if code, out, errOut := imp("divisions", sampleFile(t, "divisions.csv")); code != 0 || !strings.Contains(out, `"inserted":`) {
			t.Fatalf("divisions.csv: %d %s %s", code, out, errOut)
		}
		code, _, errOut := imp("facilities", "--dry-run", beijing)
		if code == 0 || !strings.Contains(errOut, "township_code") || !strings.Contains(errOut, "county_outline.gcj02.json") ||
			!strings.Contains(errOut, "townships.geojson") {
			t.Errorf("a Beijing facility before any polygon: exit %d %q; want a refusal naming the files to import first", code, errOut)
		}
		// The API's edits use the same check (the store's territory).
		func() {
			st, _, err := sf.open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			editor := newToken(t, st, edit.RoleEditor)
			u := serveWith(t, st, st, auth.Options{}).URL
			r := do(t, "POST", u+"/api/facilities", `{"type":"Feature","id":"F-BJ","geometry":{"type":"Point",`+
				`"coordinates":[116.397,39.909]},"properties":{"name":"北京某食堂","type":"canteen","township_code":"330225002"}}`,
				"Authorization", editor, "Content-Type", "application/geo+json")
			if r.status != 422 || !strings.Contains(string(r.body), `"field":"township_code"`) {
				t.Errorf("POST of a Beijing facility before any polygon: %d %s", r.status, r.body)
			}
		}()
		for _, step := range []struct {
			kind, file string
			n          int
			extra      []string
		}{
			{"divisions", "county_outline.gcj02.json", 1, []string{"--crs", "GCJ-02"}},
			{"divisions", "townships.geojson", 18, nil},
			{"facilities", "facilities.synthetic.geojson", 0, nil},
		} {
			code, out, errOut := imp(step.kind, append(step.extra, sampleFile(t, step.file))...)
			if code != 0 || !strings.Contains(out, `"rejected":0`) || (step.n > 0 && !strings.Contains(out, `"valid":`+itoa(step.n))) {
				t.Fatalf("%s: exit %d %s %s", step.file, code, out, errOut)
			}
		}
		code, _, errOut = imp("facilities", "--dry-run", beijing)
		if code == 0 || !strings.Contains(errOut, "inside the county") {
			t.Errorf("a Beijing facility with the polygons: exit %d %q", code, errOut)
		}
	})
}

// firstPlaceID is the id of the first place the API lists to a reviewer.
func (e *editEnv) firstPlaceID(t *testing.T) string {
	t.Helper()
	pl := e.do("GET", "/api/places?limit=1", "", e.reviewer)
	place := decode[struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
	}](t, pl)
	if len(place.Features) == 0 {
		t.Fatalf("no place: %s", pl.body)
	}
	return place.Features[0].ID
}
