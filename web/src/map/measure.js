// Measuring on the map: a distance (polyline) or an area (polygon), geodesic on the WGS84 ellipsoid (GeographicLib),
// in 米/千米 and 平方米/平方千米. Click to add points; double-click, Enter or 完成 ends; Esc clears.
import { el } from '../dom.js';
import { formatArea, formatLength, pathLength, ringArea } from './geodesy.js';

const TOOL = { 'civmap:group': 'tool' }; // a tool's drawing: not a feature to click (main.js)
const SRC = 'civmap-measure';

export function createMeasure(map, panel) {
  let mode = null; // 'length' | 'area' | null
  let points = [];
  const result = el('p', { class: 'tool-result', 'aria-live': 'polite' });

  const data = () => {
    const feats = points.map((p) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: {} }));
    if (points.length > 1) {
      const ring = mode === 'area' && points.length > 2 ? [...points, points[0]] : points;
      feats.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: ring }, properties: {} });
      if (mode === 'area' && points.length > 2) feats.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: {} });
    }
    return { type: 'FeatureCollection', features: feats };
  };
  const ensureLayers = () => {
    if (map.getSource(SRC)) return;
    map.addSource(SRC, { type: 'geojson', data: data() });
    map.addLayer({ id: 'measure-fill', metadata: TOOL, type: 'fill', source: SRC, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#e69f00', 'fill-opacity': 0.2 } });
    map.addLayer({ id: 'measure-line', metadata: TOOL, type: 'line', source: SRC, filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#000', 'line-width': 2, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'measure-points', metadata: TOOL, type: 'circle', source: SRC, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#fff', 'circle-stroke-color': '#000', 'circle-stroke-width': 2 } });
  };
  const value = () => {
    if (mode === 'length') return { metres: pathLength(points) };
    if (mode === 'area') return { squareMetres: points.length > 2 ? ringArea(points) : 0, metres: pathLength([...points, points[0]].filter(Boolean)) };
    return {};
  };
  const update = () => {
    ensureLayers();
    map.getSource(SRC).setData(data());
    const v = value();
    if (mode === 'length') result.textContent = points.length < 2 ? '单击地图添加点，双击结束' : `距离：${formatLength(v.metres)}`;
    else if (mode === 'area') result.textContent = points.length < 3 ? '单击地图添加至少 3 个点，双击结束' : `面积：${formatArea(v.squareMetres)}，周长 ${formatLength(v.metres)}`;
    else result.textContent = '';
  };
  const onClick = (e) => {
    if (!mode) return;
    points.push([e.lngLat.lng, e.lngLat.lat]);
    update();
  };
  const onDbl = (e) => {
    if (!mode) return;
    e.preventDefault();
    finish();
  };
  const start = (m) => {
    mode = m;
    points = [];
    map.getCanvas().style.cursor = 'crosshair';
    map.doubleClickZoom.disable();
    update();
  };
  const finish = () => {
    map.getCanvas().style.cursor = '';
    map.doubleClickZoom.enable();
    const m = mode;
    mode = null;
    const v = points.length ? (m === 'area' ? { squareMetres: ringArea(points), metres: pathLength([...points, points[0]]) } : { metres: pathLength(points) }) : {};
    return v;
  };
  const clear = () => {
    finish();
    points = [];
    if (map.getSource(SRC)) map.getSource(SRC).setData(data());
    result.textContent = '';
  };
  map.on('click', onClick);
  map.on('dblclick', onDbl);
  document.addEventListener('keydown', (e) => {
    if (!mode) return;
    if (e.key === 'Escape') clear();
    if (e.key === 'Enter') finish();
  });

  panel.append(el('div', { class: 'tool-row' },
    el('button', { type: 'button', id: 'measure-length', onclick: () => start('length') }, '测距离'),
    el('button', { type: 'button', id: 'measure-area', onclick: () => start('area') }, '测面积'),
    el('button', { type: 'button', id: 'measure-done', onclick: () => finish() }, '完成'),
    el('button', { type: 'button', id: 'measure-clear', onclick: clear }, '清除')), result);

  return {
    /** For tests and scripts: measure the given [lon, lat] points; returns {metres} or {squareMetres, metres}. */
    measure(m, pts) {
      start(m);
      points = pts.map((p) => [...p]);
      update();
      const text = result.textContent;
      return { ...finish(), text };
    },
    claimsClick: () => mode !== null,
    result,
  };
}
