// The township choropleth: elderly people per km² of each township (the demand layer's village populations summed by
// township_code, over the township polygon's geodesic area), in 5 quantile classes coloured with the style's
// civmap:choropleth colours (ColorBrewer Greys). Also the division names by code, for popups.
import { apiFetch, serverURL } from '../editor/api.js';
import { geometryArea } from './geodesy.js';

async function getJSON(path) {
  const res = await apiFetch(serverURL(path));
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

/** Quantile class breaks of values into n classes: n−1 ascending upper bounds. */
export function quantileBreaks(values, n) {
  const v = [...values].sort((a, b) => a - b);
  const out = [];
  for (let i = 1; i < n; i++) out.push(v[Math.min(v.length - 1, Math.floor((i * v.length) / n))]);
  return out;
}

export async function mountChoropleth(map, style, ctx) {
  const cfg = style.metadata?.['civmap:choropleth'];
  const [divs, demand] = await Promise.all([
    getJSON('api/divisions?level=township&limit=1000'),
    getJSON('api/demand?limit=1000'),
  ]);
  ctx.divisionNames = new Map((divs.features ?? []).map((f) => [f.properties.code, f.properties.name]));
  ctx.divisionNames.set(divs.features?.[0]?.properties?.parent_code, '象山县');
  if (!cfg || !map.getLayer('township-fill')) return;
  const people = new Map();
  for (const f of demand.features ?? []) {
    const p = f.properties ?? {};
    people.set(p.township_code, (people.get(p.township_code) ?? 0) + (p.elderly_population ?? 0));
  }
  const density = [];
  for (const f of divs.features ?? []) {
    const km2 = geometryArea(f.geometry) / 1e6;
    if (km2 > 0) density.push({ code: f.properties.code, name: f.properties.name, value: (people.get(f.properties.code) ?? 0) / km2 });
  }
  if (density.length === 0) return;
  const colors = cfg.colors;
  const breaks = quantileBreaks(density.map((d) => d.value), colors.length);
  const classOf = (v) => breaks.filter((b) => v > b).length;
  const expr = ['match', ['get', 'code']];
  for (const d of density) expr.push(d.code, colors[classOf(d.value)]);
  expr.push(style.metadata?.['civmap:colors']?.land ?? '#f4f1e8');
  map.setPaintProperty('township-fill', 'fill-color', expr);
  const fmt = (x) => Math.round(x).toLocaleString('zh-CN');
  const lo = Math.min(...density.map((d) => d.value));
  const hi = Math.max(...density.map((d) => d.value));
  const bounds = [lo, ...breaks, hi];
  ctx.choropleth = {
    unit: cfg.unit,
    density,
    classes: colors.map((color, i) => ({ color, label: `${fmt(bounds[i])}–${fmt(bounds[i + 1])}` })),
  };
}
