package postgis_test

import (
	"civmap/internal/edit"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"civmap/data"
	"civmap/data/postgis"
	"civmap/data/postgis/pgtest"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
)

// bruteLocate is Locate by exhaustive search: the lowest-coded township whose polygon covers p, and the village with the
// smallest geo.Distance (lowest code on a tie).
func bruteLocate(townships, villages []gazetteer.Division, p orb.Point) (township string, village string, dist float64) {
	for _, t := range townships {
		var in bool
		switch g := t.Geometry.(type) {
		case orb.Polygon:
			in = planar.PolygonContains(g, p)
		case orb.MultiPolygon:
			in = planar.MultiPolygonContains(g, p)
		}
		if in && (township == "" || t.Code < township) {
			township = t.Code
		}
	}
	dist = -1
	for _, v := range villages {
		d := geo.Distance(p, v.Geometry.(orb.Point))
		if dist < 0 || d < dist || (d == dist && v.Code < village) {
			village, dist = v.Code, d
		}
	}
	return township, village, dist
}

func checkLocate(t *testing.T, s *postgis.Store, townships, villages []gazetteer.Division, pts []orb.Point) {
	t.Helper()
	found := 0
	for _, p := range pts {
		wantT, wantV, wantD := bruteLocate(townships, villages, p)
		loc, err := s.Locate(context.Background(), p)
		if wantT == "" {
			if !errors.Is(err, apierr.ErrNotFound) {
				t.Errorf("Locate%v = %+v, %v; want ErrNotFound", p, loc, err)
			}
			continue
		}
		found++
		if err != nil {
			t.Errorf("Locate%v: %v", p, err)
			continue
		}
		if loc.Township.Code != wantT {
			t.Errorf("Locate%v: township %s, want %s", p, loc.Township.Code, wantT)
		}
		if loc.Village == nil || loc.Village.Code != wantV || math.Abs(loc.Village.DistanceM-wantD) > 1e-6 {
			t.Errorf("Locate%v: village %+v, want %s at %.6f m", p, loc.Village, wantV, wantD)
		}
	}
	if found < len(pts)/4 {
		t.Errorf("only %d of %d points fell in a township: the test is too weak", found, len(pts))
	}
}

// TestLocateMatchesBruteForce checks township containment and the nearest-village candidate radius against exhaustive
// search, on the real Xiangshan townships and at high latitudes, where degrees and metres disagree most.
func TestLocateMatchesBruteForce(t *testing.T) {
	t.Parallel()
	t.Run("xiangshan", func(t *testing.T) {
		t.Parallel()
		s, _ := openFresh(t, postgis.Options{})
		x := loadXiangshan(t)
		if _, err := s.Import(context.Background(), x.batch(), edit.Meta{Actor: "test", Action: "import"}); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		pts := make([]orb.Point, 1500)
		for i := range pts {
			pts[i] = orb.Point{x.bound.Min[0] + r.Float64()*(x.bound.Max[0]-x.bound.Min[0]),
				x.bound.Min[1] + r.Float64()*(x.bound.Max[1]-x.bound.Min[1])}
		}
		// Village points and township seats themselves (distance 0, and points on village anchors).
		for _, v := range x.villages[:50] {
			pts = append(pts, v.Geometry.(orb.Point))
		}
		checkLocate(t, s, x.townships, x.villages, pts)
	})
	for _, lat := range []float64{0, 45, 62, 68.5, 75, -80} {
		t.Run(fmt.Sprintf("lat%g", lat), func(t *testing.T) {
			t.Parallel()
			s, _ := openFresh(t, postgis.Options{})
			r := rand.New(rand.NewPCG(uint64(lat+1000), 7))
			// A 2°×1° township split in two, and sparse villages: the degree-nearest is often not the metre-nearest.
			tw := []gazetteer.Division{
				{Code: "999001", Name: "西", Level: gazetteer.LevelTownship, Kind: "town", ParentCode: "999",
					Geometry: orb.Polygon{{{10, lat}, {11, lat}, {11, lat + 1}, {10, lat + 1}, {10, lat}}}},
				{Code: "999002", Name: "东", Level: gazetteer.LevelTownship, Kind: "town", ParentCode: "999",
					Geometry: orb.MultiPolygon{{{{11, lat}, {12, lat}, {12, lat + 1}, {11, lat + 1}, {11, lat}}}}},
			}
			var vs []gazetteer.Division
			for i := range 40 {
				vs = append(vs, gazetteer.Division{Code: fmt.Sprintf("999%03d%03d", 1+i%2, i), Name: "村",
					Level: gazetteer.LevelVillage, Kind: "village", ParentCode: tw[i%2].Code,
					Geometry: orb.Point{9.5 + 3*r.Float64(), lat - 0.5 + 2*r.Float64()}})
			}
			b := data.Batch{Divisions: append(append([]gazetteer.Division{{Code: "999", Name: "县",
				Level: gazetteer.LevelCounty, Kind: "county"}}, tw...), vs...)}
			if _, err := s.Import(context.Background(), b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
				t.Fatal(err)
			}
			pts := make([]orb.Point, 400)
			for i := range pts {
				pts[i] = orb.Point{9.8 + 2.4*r.Float64(), lat - 0.1 + 1.2*r.Float64()}
			}
			pts = append(pts, orb.Point{11, lat + 0.5}) // on the shared edge: the lower code
			checkLocate(t, s, tw, vs, pts)
		})
	}
}

// TestBBoxIsExact checks the bbox filters at one ulp from a bound: the GiST && alone compares float4-rounded boxes.
func TestBBoxIsExact(t *testing.T) {
	t.Parallel()
	s, _ := openFresh(t, postgis.Options{})
	ctx := context.Background()
	x, y := 121.1, 29.1
	up, down := math.Nextafter(x, 200), math.Nextafter(x, 0)
	poly := orb.Polygon{{{121.0, 29.0}, {x, 29.0}, {x, y}, {121.0, y}, {121.0, 29.0}}}
	b := data.Batch{
		Places: []gazetteer.Place{
			{ID: "pt", Name: "点", Category: "c", Status: gazetteer.StatusCurrent, Geometry: orb.Point{x, y}},
			{ID: "poly", Name: "面", Category: "c", Status: gazetteer.StatusCurrent, Geometry: poly},
		},
		Facilities: []facilities.Facility{{ID: "f", Name: "院", Type: "canteen", Status: "existing", TownshipCode: "1",
			Location: orb.Point{x, y}}},
	}
	if _, err := s.Import(ctx, b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		box    orb.Bound
		places int
		facs   int
	}{
		{"touching", orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 1, y + 1}}, 2, 1},
		{"one ulp east", orb.Bound{Min: orb.Point{up, y}, Max: orb.Point{x + 1, y + 1}}, 0, 0},
		{"one ulp west of the point", orb.Bound{Min: orb.Point{x - 1, y}, Max: orb.Point{down, y}}, 1, 0},
	} {
		pp, err := s.Places(ctx, gazetteer.PlaceQuery{BBox: &c.box})
		if err != nil {
			t.Fatal(err)
		}
		fp, err := s.Facilities(ctx, facilities.FacilityQuery{BBox: &c.box})
		if err != nil {
			t.Fatal(err)
		}
		if pp.NumberMatched != c.places || len(pp.Items) != c.places || fp.NumberMatched != c.facs {
			t.Errorf("%s: %d places, %d facilities; want %d, %d", c.name, pp.NumberMatched, fp.NumberMatched, c.places, c.facs)
		}
	}
}

// TestSchema checks the typmod SRIDs, the spatial and text indexes and the key collations that the rest relies on.
func TestSchema(t *testing.T) {
	t.Parallel()
	s, _ := openFresh(t, postgis.Options{})
	ctx := context.Background()
	rows, err := s.Pool().Query(ctx, `SELECT f_table_name || '.' || f_geometry_column, srid, type FROM geometry_columns
		WHERE f_table_schema = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var col, typ string
		var srid int
		if err := rows.Scan(&col, &srid, &typ); err != nil {
			t.Fatal(err)
		}
		got[col] = fmt.Sprintf("%s,%d", typ, srid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"divisions.geom": "GEOMETRY,4490", "divisions.seat": "POINT,4490", "divisions.anchor": "POINT,4490",
		"places.geom": "GEOMETRY,4490", "place_versions.geom": "GEOMETRY,4490", "boundary_lines.geom": "GEOMETRY,4490",
		"markers.geom": "POINT,4490", "facilities.geom": "POINT,4490", "demand_units.geom": "POINT,4490",
	}
	for col, w := range want {
		if got[col] != w {
			t.Errorf("geometry column %s: %q, want %q", col, got[col], w)
		}
	}
	for _, idx := range []string{"places_search_trgm_idx", "places_geom_idx", "places_division_idx", "places_status_category_idx",
		"divisions_township_geom_idx", "divisions_village_anchor_idx", "markers_geom_idx", "facilities_geom_idx",
		"demand_units_geom_idx", "boundary_lines_geom_idx"} {
		var n int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE indexname = $1`, idx).Scan(&n); err != nil || n != 1 {
			t.Errorf("index %s: %d, %v", idx, n, err)
		}
	}
	var coll string
	if err := s.Pool().QueryRow(ctx, `SELECT collation_name FROM information_schema.columns
		WHERE table_name = 'places' AND column_name = 'id'`).Scan(&coll); err != nil || coll != "C" {
		t.Errorf("places.id collation %q, %v; want C", coll, err)
	}
}

// TestSearchUsesTrigramIndex checks that a CJK substring query can use the GIN trigram index (pg_trgm needs a UTF-8
// LC_CTYPE to see CJK characters as word characters).
func TestSearchUsesTrigramIndex(t *testing.T) {
	t.Parallel()
	s, _ := openFresh(t, postgis.Options{})
	ctx := context.Background()
	var ps []gazetteer.Place
	for i := range 3000 {
		ps = append(ps, gazetteer.Place{ID: fmt.Sprintf("p%05d", i), Name: fmt.Sprintf("第%d号石浦渔港路", i),
			Category: "road", Status: gazetteer.StatusCurrent, Geometry: orb.Point{121 + float64(i)/1e4, 29}})
	}
	if _, err := s.Import(ctx, data.Batch{Places: ps}, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	page, err := s.Places(ctx, gazetteer.PlaceQuery{Q: "第1234号石浦"})
	if err != nil || page.NumberMatched != 1 || page.Items[0].ID != "p01234" {
		t.Fatalf("Places(Q): %+v, %v", page, err)
	}
	// Usable, not necessarily chosen: 3000 rows are cheap to scan.
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, `RESET enable_seqscan`)
	var plan strings.Builder
	rows, err := conn.Query(ctx, `EXPLAIN SELECT id FROM places WHERE search_text LIKE '%第1234号石浦%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), "places_search_trgm_idx") {
		t.Errorf("substring search does not use the trigram index:\n%s", plan.String())
	}
}

// TestImportReplacesInBulk imports a batch twice: the second time every place is replaced and keeps its history.
func TestImportReplacesInBulk(t *testing.T) {
	t.Parallel()
	s, _ := openFresh(t, postgis.Options{})
	ctx := context.Background()
	ps := syntheticPlaces(loadXiangshan(t), 12000, 1)
	st, err := s.Import(ctx, data.Batch{Places: ps}, edit.Meta{Actor: "test", Action: "import"})
	if err != nil || st.Inserted != len(ps) || st.Updated != 0 {
		t.Fatalf("first import: %+v, %v", st, err)
	}
	for i := range ps {
		ps[i].Description += "（修订）"
	}
	ps[7].Name = "改过的名字"
	st, err = s.Import(ctx, data.Batch{Places: ps}, edit.Meta{Actor: "test", Action: "import"})
	if err != nil || st.Updated != len(ps) || st.Inserted != 0 || st.Unchanged != 0 {
		t.Fatalf("second import: %+v, %v", st, err)
	}
	h, err := placeVersions(t, s, ps[7].ID)
	if err != nil || len(h) != 2 || h[0].Name == h[1].Name || h[1].Name != "改过的名字" || h[1].Version != 2 ||
		!h[0].CreatedAt.Equal(h[1].CreatedAt) {
		t.Fatalf("history: %+v, %v", h, err)
	}
	page, err := s.Places(ctx, gazetteer.PlaceQuery{Division: ps[100].DivisionCodes[1], Limit: 1})
	if err != nil || page.NumberMatched == 0 {
		t.Fatalf("division filter: %+v, %v", page.NumberMatched, err)
	}
}

// TestBulkImport checks the bulk path (indexes dropped and rebuilt in the import's transaction): the same indexes come
// back, the data is found through them, and a bulk import that fails later in the transaction leaves indexes and rows as
// they were.
func TestBulkImport(t *testing.T) {
	t.Parallel()
	s, _ := openFresh(t, postgis.Options{BulkPlaces: 1000})
	ctx := context.Background()
	indexes := func() string {
		rows, err := s.Pool().Query(ctx, `SELECT indexdef FROM pg_indexes WHERE tablename = 'places' ORDER BY indexname`)
		if err != nil {
			t.Fatal(err)
		}
		var defs []string
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			defs = append(defs, d)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(defs, "\n")
	}
	want := indexes()
	ps := syntheticPlaces(loadXiangshan(t), 3000, 2)
	if st, err := s.Import(ctx, data.Batch{Places: ps}, edit.Meta{Actor: "test", Action: "import"}); err != nil || st.Inserted != len(ps) {
		t.Fatalf("bulk import: %+v, %v", st, err)
	}
	if got := indexes(); got != want {
		t.Errorf("indexes after a bulk import:\n%s\nwant\n%s", got, want)
	}
	page, err := s.Places(ctx, gazetteer.PlaceQuery{Q: strings.ToUpper(ps[42].Pinyin), Statuses: []string{ps[42].Status}})
	if err != nil || page.NumberMatched != 1 || page.Items[0].ID != ps[42].ID {
		t.Errorf("search after bulk import: %+v, %v", page, err)
	}

	// PostgreSQL refuses a NUL character in jsonb, after the places went in: everything rolls back.
	ps[0].Name = "不该留下"
	bad := data.Batch{Places: ps, Facilities: []facilities.Facility{{ID: "f", Name: "院", Type: "canteen",
		Status: "existing", TownshipCode: "1", Attributes: map[string]any{"x": "a\x00b"}}}}
	if _, err := s.Import(ctx, bad, edit.Meta{Actor: "test", Action: "import"}); err == nil {
		t.Fatal("import with a NUL in jsonb succeeded")
	}
	if got := indexes(); got != want {
		t.Errorf("indexes after a failed bulk import:\n%s\nwant\n%s", got, want)
	}
	if p, err := s.Place(ctx, ps[0].ID); err != nil || p.Name == "不该留下" || p.Version != 1 {
		t.Errorf("place after a failed bulk import: %+v, %v", p, err)
	}
}

func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	s, _ := openFresh(t, postgis.Options{StatementTimeout: 250 * time.Millisecond})
	_, err := s.Pool().Exec(context.Background(), `SELECT pg_sleep(2)`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("pg_sleep(2) with a 250 ms statement timeout: %v, want query_canceled (57014)", err)
	}
}

func TestPoolSizeFromURL(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, err := postgis.Open(context.Background(), url+sep+"pool_max_conns=3", postgis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.Pool().Config().MaxConns; n != 3 {
		t.Errorf("MaxConns = %d, want 3", n)
	}
}

// TestMigrate checks that Migrate is idempotent and that Open on a migrated database works.
func TestMigrate(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	for range 2 {
		if err := postgis.Migrate(ctx, url); err != nil {
			t.Fatal(err)
		}
	}
	s, err := postgis.Open(ctx, url, postgis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The newest migration file's number: every embedded migration was applied.
	files, _ := filepath.Glob("migrations/*.sql")
	want, _ := strconv.ParseInt(strings.SplitN(filepath.Base(files[len(files)-1]), "_", 2)[0], 10, 64)
	var version int64
	if err := s.Pool().QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil || version != want || want < 2 {
		t.Errorf("goose version %d, %v; want %d", version, err, want)
	}
	if empty, err := s.Empty(ctx); err != nil || !empty {
		t.Errorf("Empty = %v, %v", empty, err)
	}
}

// placeVersions decodes a place's versions (History) into places, oldest first.
func placeVersions(t *testing.T, s *postgis.Store, id string) ([]gazetteer.Place, error) {
	vs, err := s.History(context.Background(), edit.KindPlace, id)
	if err != nil {
		return nil, err
	}
	var out []gazetteer.Place
	for _, v := range vs {
		var f struct {
			Properties gazetteer.Place `json:"properties"`
		}
		if err := json.Unmarshal(v.Record, &f); err != nil {
			t.Fatal(err)
		}
		out = append(out, f.Properties)
	}
	return out, nil
}
