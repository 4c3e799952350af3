package postgis_test

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"civmap/data/postgis"
	"civmap/data/sample"
	"civmap/gazetteer/inspection"
	"civmap/gazetteer/inspection/inspectiontest"
	"civmap/geo"
)

// sidesSQL is the gap/overlap check of inspection.CheckSides in PostGIS 3.3 terms, in EPSG:4550: the corridor is the
// flat-ended buffer of the line less its first and last $5 metres, less the flat-ended buffer of the line meeting it
// at the tri-junction; gaps are corridor − (left ∪ right), overlaps corridor ∩ left ∩ right; each piece with its area
// (m²), its width (twice the radius of its largest inscribed circle, m) and a point on it.
const sidesSQL = `
WITH l AS (SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4490), 4550) AS g),
     a AS (SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($2), 4490), 4550) AS g),
     b AS (SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($3), 4490), 4550) AS g),
     o AS (SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($4), 4490), 4550) AS g),
     c AS (SELECT ST_Difference(
                    ST_Buffer(ST_LineSubstring(l.g, $5 / ST_Length(l.g), 1 - $5 / ST_Length(l.g)), $5, 'endcap=flat join=round quad_segs=8'),
                    ST_Buffer(o.g, $5, 'endcap=flat join=round quad_segs=8')) AS g FROM l, o),
     ca AS (SELECT ST_Intersection(a.g, c.g) AS g FROM a, c),
     cb AS (SELECT ST_Intersection(b.g, c.g) AS g FROM b, c),
     pieces AS (
       SELECT 'gap' AS kind, (ST_Dump(ST_Difference(c.g, ST_Union(ca.g, cb.g)))).geom AS g FROM c, ca, cb
       UNION ALL
       SELECT 'overlap', (ST_Dump(ST_Intersection(ca.g, cb.g))).geom FROM ca, cb)
SELECT kind, ST_Area(g), 2 * (ST_MaximumInscribedCircle(g)).radius
FROM pieces WHERE ST_Dimension(g) = 2 AND ST_Area(g) >= $6
ORDER BY kind, ST_Area(g)`

type piece struct {
	kind         string
	area, widthM float64
}

func sampleGeoms(t *testing.T) (line, other orb.LineString, xiangshan, ninghai orb.MultiPolygon) {
	t.Helper()
	for name, dst := range map[string]*orb.LineString{"象宁线": &line, "象奉线": &other} {
		raw, _ := sample.File("county_boundary_lines.geojson")
		fc, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fc.Features {
			if f.Properties.MustString("name", "") == name {
				*dst = f.Geometry.(orb.LineString)
			}
		}
	}
	raw, _ := sample.File("neighbour_counties.geojson")
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fc.Features {
		mp, _ := geo.AsMultiPolygon(f.Geometry)
		switch f.Properties.MustString("adcode", "") {
		case "330225":
			xiangshan = mp
		case "330226":
			ninghai = mp
		}
	}
	return line, other, xiangshan, ninghai
}

// TestInspectionSidesPostGIS: PostGIS 3.3's ST_Buffer/ST_Difference/ST_Intersection find the same planted 3 m sliver
// (1500 m²) and 200 m² overlap as inspection.CheckSides (within 0.05 m² and 0.01 m), and nothing on the sample's
// shared edge; so the method gives the same answer on either store.
func TestInspectionSidesPostGIS(t *testing.T) {
	_, url := openFresh(t, postgis.Options{})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	line, other, xs, nh := sampleGeoms(t)
	g, o, err := inspectiontest.LongSegments(geo.EPSG4550, line, 600)
	if err != nil {
		t.Fatal(err)
	}
	left, err := inspectiontest.Plant(geo.EPSG4550, line, xs, nh, o, 100, 150, 4)
	if err != nil {
		t.Fatal(err)
	}
	right, err := inspectiontest.Plant(geo.EPSG4550, line, nh, nh, g, 50, 550, 3)
	if err != nil {
		t.Fatal(err)
	}
	opts := inspection.DefaultSideCheck
	for _, c := range []struct {
		name        string
		left, right orb.MultiPolygon
		want        []piece
	}{
		{"sample edge", xs, nh, nil},
		{"planted", left, right, []piece{{"gap", 1500, 3}, {"overlap", 200, 4}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			js := func(g orb.Geometry) string {
				b, err := json.Marshal(geojson.NewGeometry(g))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			rows, err := conn.Query(ctx, sidesSQL, js(line), js(c.left), js(c.right), js(other), opts.CorridorM, opts.MinAreaM2)
			if err != nil {
				t.Fatal(err)
			}
			var pg []piece
			for rows.Next() {
				var p piece
				if err := rows.Scan(&p.kind, &p.area, &p.widthM); err != nil {
					t.Fatal(err)
				}
				if p.widthM >= opts.MinWidthM {
					pg = append(pg, p)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			res, err := inspection.CheckSides(geo.EPSG4550, line, c.left, c.right, []orb.Geometry{other}, opts)
			if err != nil {
				t.Fatal(err)
			}
			var goPieces []piece
			for _, p := range append(res.Gaps, res.Overlaps...) {
				goPieces = append(goPieces, piece{p.Kind, p.AreaM2, p.MaxWidthM})
			}
			sort.Slice(goPieces, func(i, j int) bool { return goPieces[i].kind < goPieces[j].kind })
			if len(pg) != len(c.want) || len(goPieces) != len(c.want) {
				t.Fatalf("PostGIS %+v, Go %+v; want %+v", pg, goPieces, c.want)
			}
			for i, w := range c.want {
				for _, got := range []struct {
					who string
					p   piece
				}{{"PostGIS", pg[i]}, {"Go", goPieces[i]}} {
					if got.p.kind != w.kind || math.Abs(got.p.area-w.area) > 0.05 || math.Abs(got.p.widthM-w.widthM) > 0.01 {
						t.Errorf("%s piece %d: %+v, want %+v", got.who, i, got.p, w)
					}
				}
			}
			t.Logf("PostGIS %+v Go %+v", pg, goPieces)
		})
	}
}
