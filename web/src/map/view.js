// The map view and its visible layers in the URL hash, so that a link reopens the same map:
//   #map=zoom/lat/lon&off=layer-id,layer-id
// MapLibre keeps map= (its `hash: 'map'` option, which leaves the other parameters alone); this module keeps off=, the
// style layers switched off (relative to the style), read before the map is made and written whenever a layer's
// visibility changes. The coordinate readout follows the cursor, and the map centre after every move and zoom.
import { el } from '../dom.js';

const params = () => new URLSearchParams(location.hash.replace(/^#/, ''));

/** Whether the URL already holds a view (then the first view is the link's, not the county's bounds). */
export const hashHasView = () => params().has('map');

/** Applies off= of the URL to the style's layers (before the map is made). */
export function applyHashLayers(style) {
  const off = new Set((params().get('off') ?? '').split(',').filter(Boolean));
  for (const l of style.layers ?? []) {
    if (!off.has(l.id)) continue;
    l.layout = { ...(l.layout ?? {}), visibility: 'none' };
  }
}

/** Keeps off= in the URL in step with the map's layers. */
export function trackHashLayers(map, style) {
  // The style as loaded, before the hash switched any off: a layer is "off" when the style has it on and the map not.
  const styleOn = new Set((style.layers ?? []).map((l) => l.id));
  let last = null;
  const write = () => {
    const off = map.getStyle().layers.filter((l) => styleOn.has(l.id) && (l.layout?.visibility ?? 'visible') === 'none').map((l) => l.id);
    const v = off.join(',');
    if (v === last) return;
    last = v;
    const p = params();
    if (v) p.set('off', v);
    else p.delete('off');
    // URLSearchParams would escape map's slashes; keep them readable.
    const hash = p.toString().replace(/%2F/g, '/').replace(/%2C/g, ',');
    history.replaceState(history.state, '', `${location.pathname}${location.search}${hash ? `#${hash}` : ''}`);
  };
  map.on('styledata', write);
  map.on('moveend', write); // MapLibre rewrote map=; keep off= with it
}

/** The readout: longitude, latitude (6 decimals ≈ 0.1 m) and zoom, under the cursor or at the centre. The cursor is
 * kept as a screen point and read back through the map at every move, so that a move the mouse did not make (a search,
 * the keyboard, a link) shows the place now under it, not the one it was over before. */
export function mountCoords(map, box) {
  let cursor = null; // the mouse's point on the map (CSS px), null when it is off the map
  const show = () => {
    const p = cursor ? map.unproject(cursor) : map.getCenter();
    const where = cursor ? '' : '（中心）';
    box.textContent = `经度 ${p.lng.toFixed(6)}°，纬度 ${p.lat.toFixed(6)}°${where} · 缩放 ${map.getZoom().toFixed(1)}`;
  };
  map.on('mousemove', (e) => { cursor = e.point; show(); });
  map.getCanvasContainer().addEventListener('mouseleave', () => { cursor = null; show(); });
  map.on('move', show); // zoom and pan, by hand, by search or by a link
  map.on('resize', show);
  map.once('load', show);
  return { show };
}

/** The side panel's collapse button (and its state at start: collapsed on a phone). */
export function mountPanelToggle(map) {
  const panel = document.querySelector('#panel');
  const btn = el('button', { type: 'button', id: 'panel-toggle', class: 'panel-toggle', 'aria-controls': 'panel', title: '收起/展开侧栏' });
  const set = (open) => {
    document.body.classList.toggle('panel-collapsed', !open);
    btn.setAttribute('aria-expanded', String(open));
    btn.textContent = open ? '‹ 收起' : '☰ 图层';
    btn.setAttribute('aria-label', open ? '收起侧栏' : '展开侧栏');
    // The map's container changed size.
    requestAnimationFrame(() => map.resize());
  };
  btn.addEventListener('click', () => set(document.body.classList.contains('panel-collapsed')));
  // In the editor's toolbar when there is one (first, so they never overlap), else on its own over the map.
  const bar = document.querySelector('#map-wrap .ed-bar');
  if (bar) bar.prepend(btn);
  else document.querySelector('#map-wrap').append(btn);
  set(!window.matchMedia('(max-width: 720px)').matches);
  return { set };
}
