// Geodesic measurement on the WGS84 ellipsoid (CGCS2000 differs from it by < 0.1 mm in these quantities) with
// GeographicLib (Karney, "Algorithms for geodesics", J. Geodesy 2013): lengths in metres, areas in m².
import geodesic from 'geographiclib-geodesic';

const geod = geodesic.Geodesic.WGS84;

/** Geodesic length in metres of a path of [lon, lat] points. */
export function pathLength(points) {
  let s = 0;
  for (let i = 1; i < points.length; i++) {
    s += geod.Inverse(points[i - 1][1], points[i - 1][0], points[i][1], points[i][0], geodesic.Geodesic.DISTANCE).s12;
  }
  return s;
}

/** Geodesic distance in metres between two [lon, lat] points. */
export const distance = (a, b) => pathLength([a, b]);

/** Geodesic area in m² of a ring of [lon, lat] points (open or closed; either winding). */
export function ringArea(points) {
  const p = geod.Polygon(false);
  const ring = points.length > 1 && points[0][0] === points.at(-1)[0] && points[0][1] === points.at(-1)[1] ? points.slice(0, -1) : points;
  for (const [lon, lat] of ring) p.AddPoint(lat, lon);
  return Math.abs(p.Compute(false, true).area);
}

/** Geodesic area in m² of a GeoJSON Polygon or MultiPolygon (holes subtracted). */
export function geometryArea(g) {
  const poly = (rings) => rings.reduce((a, r, i) => a + (i === 0 ? ringArea(r) : -ringArea(r)), 0);
  if (g?.type === 'Polygon') return poly(g.coordinates);
  if (g?.type === 'MultiPolygon') return g.coordinates.reduce((a, rings) => a + poly(rings), 0);
  return 0;
}

/** A geodesic circle: n points at radius metres around [lon, lat], closed, as a GeoJSON ring. */
export function circleRing(center, radius, n = 96) {
  const out = [];
  for (let i = 0; i <= n; i++) {
    const r = geod.Direct(center[1], center[0], (360 * i) / n, radius);
    out.push([r.lon2, r.lat2]);
  }
  return out;
}

/** "850 米" or "1.23 千米". */
export function formatLength(m) {
  return m < 1000 ? `${m.toFixed(m < 10 ? 1 : 0)} 米` : `${(m / 1000).toLocaleString('zh-CN', { maximumFractionDigits: m < 10000 ? 3 : 2 })} 千米`;
}

/** "8,500 平方米（0.0085 平方千米）" or "2.35 平方千米". */
export function formatArea(a) {
  if (a < 1e6) return `${Math.round(a).toLocaleString('zh-CN')} 平方米（${(a / 1e6).toLocaleString('zh-CN', { maximumSignificantDigits: 3 })} 平方千米）`;
  return `${(a / 1e6).toLocaleString('zh-CN', { maximumFractionDigits: 2 })} 平方千米`;
}
