package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
)

// locateTownshipSQL finds the township-level divisions whose polygon covers the point (boundary included, as
// orb/planar.PolygonContains) through the GiST index, and their county by parent_code. There is no ORDER BY … LIMIT 1:
// it would make the planner walk the townships in code order instead of using the spatial index; Locate picks the lowest
// code (a point on the shared edge of two townships) itself.
const locateTownshipSQL = `
SELECT t.code, t.name, t.kind, coalesce(c.code, ''), coalesce(c.name, ''), coalesce(c.kind, '')
FROM divisions t LEFT JOIN divisions c ON c.code = t.parent_code
WHERE t.level = 'township' AND ST_Covers(t.geom, ST_SetSRID(ST_MakePoint($1, $2), 4490)) AND ST_Dimension(t.geom) = 2`

// locateVillageSQL returns the candidates for the geodesically nearest village: every village anchor within a planar
// (degree) radius R of the point, where d0 is the degree distance of the KNN (<->, GiST-ordered) winner and
//
//	R = 1.02 · d0 / cos(|lat| + 3·d0).
//
// Why that is enough: over a path that stays within latitude Φ, one degree of planar distance is at least
// a(1−e²)·cosΦ and at most a/√(1−e²) of geodesic length (meridional and parallel radii of the ellipsoid), so a village
// whose planar distance exceeds (1−e²)^−1.5/cosΦ ≈ 1.0101/cosΦ times d0 is farther on the ellipsoid than the KNN winner;
// a geodesic that leaves the band |lat| + 3·d0 is longer than 3·a(1−e²)·d0 > the winner's length, so Φ = |lat| + 3·d0
// bounds the paths that matter as long as R ≤ 3·d0, that is while Φ < 70°. Beyond that (polar points, far-away
// villages) every village is a candidate. Not antimeridian-aware (China is far from it). The point is spelled out in
// each clause rather than in a CTE: KNN ordering uses the index only against a constant. The CTE is MATERIALIZED so that
// the KNN search runs once whatever the planner's statistics say (inlined, it was re-run per village in a nested loop).
const locateVillageSQL = `
WITH w AS MATERIALIZED (
	SELECT anchor <-> ST_SetSRID(ST_MakePoint($1, $2), 4490) AS d0 FROM divisions
	WHERE level = 'village' AND anchor IS NOT NULL
	ORDER BY anchor <-> ST_SetSRID(ST_MakePoint($1, $2), 4490)
	LIMIT 1
)
SELECT v.code, v.name, v.kind, ST_X(v.anchor), ST_Y(v.anchor)
FROM divisions v, w
WHERE v.level = 'village' AND ST_DWithin(v.anchor, ST_SetSRID(ST_MakePoint($1, $2), 4490),
	CASE WHEN abs($2) + 3 * w.d0 < 70 THEN 1.02 * w.d0 / cos(radians(abs($2) + 3 * w.d0)) ELSE 1e9 END)`

// Locate finds the township-level division whose polygon contains p (lon/lat, boundary included) and its county, and the
// nearest village-level unit by geodesic distance in metres (geo.Distance, on the CGCS2000 ellipsoid) to its point (its
// geometry if that is a point, else its seat); equal distances go to the lower code. A point inside no township polygon
// is apierr.ErrNotFound. Both queries go in one round trip.
func (s *Store) Locate(ctx context.Context, p orb.Point) (gazetteer.Location, error) {
	var loc gazetteer.Location
	b := &pgx.Batch{}
	found := false
	b.Queue(locateTownshipSQL, p[0], p[1]).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var t, c gazetteer.DivisionRef
			if err := rows.Scan(&t.Code, &t.Name, &t.Kind, &c.Code, &c.Name, &c.Kind); err != nil {
				return err
			}
			if !found || t.Code < loc.Township.Code {
				loc.Township, loc.County, found = t, c, true
			}
		}
		return rows.Err()
	})
	b.Queue(locateVillageSQL, p[0], p[1]).Query(func(rows pgx.Rows) error {
		best := -1.0
		for rows.Next() {
			var ref gazetteer.DivisionRef
			var at orb.Point
			if err := rows.Scan(&ref.Code, &ref.Name, &ref.Kind, &at[0], &at[1]); err != nil {
				return err
			}
			// Equal distances go to the lower code, as in the embedded store.
			if d := geo.Distance(p, at); best < 0 || d < best || d == best && ref.Code < loc.Village.Code {
				best = d
				loc.Village = &gazetteer.NearestDivision{DivisionRef: ref, DistanceM: d}
			}
		}
		return rows.Err()
	})
	if err := s.read(ctx).SendBatch(ctx, b); err != nil {
		return gazetteer.Location{}, fmt.Errorf("postgis: locate: %w", err)
	}
	if !found {
		return gazetteer.Location{}, fmt.Errorf("no township-level division contains %v: %w", p, apierr.ErrNotFound)
	}
	return loc, nil
}
