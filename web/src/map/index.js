// The map's planner views and tools, mounted by main.js: view state in the URL hash, coordinate readout, side panel
// toggle, legend, township choropleth, measure, service radius, layer opacity and print.
import { el } from '../dom.js';
import { mountChoropleth } from './choropleth.js';
import { mountLegend } from './legend.js';
import { createMeasure } from './measure.js';
import { createPrint } from './print.js';
import { createRadius } from './radius.js';
import { mountCoords, mountPanelToggle, trackHashLayers } from './view.js';

import { withProtomaps } from './basemap.js';
import { applyHashLayers } from './view.js';

export { hashHasView } from './view.js';

/** Readies the style before the map is made: a local vector basemap (--basemap, Protomaps schema) gets the layers of
 * @protomaps/basemaps with Chinese labels, under the county's; then the URL hash's hidden layers are applied. */
export function prepareStyle(style) {
  withProtomaps(style);
  applyHashLayers(style);
  return style;
}

/** An opacity paint value times f: a number scaled; a zoom curve (interpolate or step on ["zoom"]) with each stop's
 * value scaled, since MapLibre allows ["zoom"] only at the top of an expression; any other expression wrapped in "*". */
export function scaleOpacity(v, f) {
  if (typeof v === 'number') return v * f;
  if (Array.isArray(v) && (v[0] === 'interpolate' || v[0] === 'step')) {
    const first = v[0] === 'interpolate' ? 3 : 2; // interpolate: type, input, then stops; step: input, base value, stops
    const outputs = v[0] === 'interpolate' ? (i) => i >= first && (i - first) % 2 === 1 : (i) => i === first || (i > first && (i - first) % 2 === 0);
    return v.map((x, i) => (outputs(i) ? scaleOpacity(x, f) : x));
  }
  return ['*', f, v];
}

/** Opacity sliders for the groups a planner fades: basemap, townships, demand circles, facilities. */
function opacityControls(map, panel) {
  const rows = [
    ['basemap-raster', 'raster-opacity', '在线底图'],
    ['basemap-pmtiles', 'raster-opacity', '本地底图'],
    ['township-fill', 'fill-opacity', '乡镇密度分级'],
    ['demand-circles', 'circle-opacity', '老年人口圆'],
    ['facilities', 'icon-opacity', '设施'],
  ].filter(([id]) => map.getLayer(id));
  for (const [id, prop, label] of rows) {
    const layer = map.getLayer(id);
    const prop2 = layer.type === 'circle' && prop === 'icon-opacity' ? 'circle-opacity' : prop;
    const orig = map.getPaintProperty(id, prop2) ?? 1;
    const input = el('input', { type: 'range', min: 0, max: 100, value: 100, 'data-layer': id, 'aria-label': `${label}透明度` });
    input.addEventListener('input', () => map.setPaintProperty(id, prop2, scaleOpacity(orig, Number(input.value) / 100)));
    panel.append(el('label', { class: 'opacity-row' }, el('span', {}, label), input));
  }
}

export function mountMapTools(map, style, ctx) {
  const tools = document.querySelector('#tools');
  const section = (title, id) => {
    const body = el('div', { class: 'tool-body', id });
    tools.append(el('details', { class: 'tool' }, el('summary', {}, title), body));
    return body;
  };
  mountPanelToggle(map);
  const coords = mountCoords(map, document.querySelector('#coords'));
  trackHashLayers(map, style);
  const legend = mountLegend(map, style, ctx);
  const measure = createMeasure(map, section('测量（测距、测面）', 'tool-measure'));
  const radius = createRadius(map, section('服务半径', 'tool-radius'), ctx);
  const print = createPrint(map, section('打印与导出', 'tool-print'), style, ctx);
  const ready = new Promise((resolve) => map.once('load', resolve)).then(() => {
    opacityControls(map, section('图层透明度', 'tool-opacity'));
    return mountChoropleth(map, style, ctx).then(() => legend.draw()).catch((err) => console.warn(`civmap: choropleth: ${err.message}`));
  });
  return { coords, legend, measure, radius, print, ready, claimsClick: (e) => measure.claimsClick(e) || radius.claimsClick(e) };
}
