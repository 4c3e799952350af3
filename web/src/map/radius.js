// Service radius: a geodesic circle of R metres around a clicked point, and what it covers — the facilities (by type)
// and the village-level units with their elderly population within R (geodesic distance to their points).
import { el } from '../dom.js';
import { apiFetch, serverURL } from '../editor/api.js';
import { circleRing, distance, formatLength } from './geodesy.js';

const TOOL = { 'civmap:group': 'tool' }; // a tool's drawing: not a feature to click (main.js)
const SRC = 'civmap-radius';

export function createRadius(map, panel, ctx) {
  let picking = false;
  const input = el('input', { type: 'number', id: 'radius-metres', min: 50, max: 20000, step: 50, value: 1000, 'aria-label': '服务半径（米）' });
  const out = el('div', { class: 'tool-result', id: 'radius-result', 'aria-live': 'polite' });
  const ensure = () => {
    if (map.getSource(SRC)) return;
    map.addSource(SRC, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'radius-fill', metadata: TOOL, type: 'fill', source: SRC, paint: { 'fill-color': '#56b4e9', 'fill-opacity': 0.15 } });
    map.addLayer({ id: 'radius-line', metadata: TOOL, type: 'line', source: SRC, paint: { 'line-color': '#0072b2', 'line-width': 2 } });
  };
  const bbox = (ring) => {
    const xs = ring.map((p) => p[0]);
    const ys = ring.map((p) => p[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  };
  const fetchAll = async (path) => {
    const res = await apiFetch(serverURL(path));
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.json()).features ?? [];
  };

  /** Draws the circle around center ([lon, lat]) and lists what lies within radius metres. */
  async function cover(center, radius) {
    ensure();
    const ring = circleRing(center, radius);
    map.getSource(SRC).setData({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: {} });
    out.textContent = '正在统计…';
    const b = bbox(ring).map((v) => v.toFixed(6)).join(',');
    const [facs, units] = await Promise.all([fetchAll(`api/facilities?bbox=${b}&limit=1000`), fetchAll(`api/demand?bbox=${b}&limit=1000`)]);
    const within = (f) => f.geometry?.type === 'Point' && distance(center, f.geometry.coordinates) <= radius;
    const fin = facs.filter(within).filter((f) => f.properties?.status !== 'closed')
      .map((f) => ({ ...f.properties, d: distance(center, f.geometry.coordinates) })).sort((a, b) => a.d - b.d);
    const uin = units.filter(within).map((f) => f.properties);
    const elderly = uin.reduce((s, u) => s + (u.elderly_population ?? 0), 0);
    const res = { center, radius, facilities: fin, units: uin, elderly };
    out.replaceChildren(
      el('p', {}, `半径 ${formatLength(radius)}内：设施 ${fin.length} 处，村（社区）${uin.length} 个，老年人口 ${elderly.toLocaleString('zh-CN')} 人`),
      el('ol', { class: 'radius-list' }, fin.slice(0, 50).map((f) => el('li', {},
        `${f.name}（${ctx.typeNames?.get(f.type) ?? f.type}，${formatLength(f.d)}）`))));
    return res;
  }

  map.on('click', (e) => {
    if (!picking) return;
    picking = false;
    map.getCanvas().style.cursor = '';
    cover([e.lngLat.lng, e.lngLat.lat], Number(input.value) || 1000);
  });
  panel.append(el('div', { class: 'tool-row' },
    el('label', {}, '半径 ', input, ' 米'),
    el('button', { type: 'button', id: 'radius-pick', onclick: () => { picking = true; map.getCanvas().style.cursor = 'crosshair'; out.textContent = '在地图上单击圆心'; } }, '选圆心'),
    el('button', { type: 'button', id: 'radius-clear', onclick: () => { map.getSource(SRC)?.setData({ type: 'FeatureCollection', features: [] }); out.replaceChildren(); } }, '清除')), out);
  return { cover, claimsClick: () => picking };
}
