// The legend on the map (and in the print): facility icons by service family, the proportional circles' size legend
// at the current zoom, the township choropleth's classes, and sea and land. legendModel() is the same content as data,
// which the PNG export draws.
import { el } from '../dom.js';

const ICONS = import.meta.glob('./icons/*.svg', { query: '?url', import: 'default', eager: true });
/** The URL of a sprite icon's SVG source (fac-canteen → ./icons/fac-canteen.svg). */
export const iconURL = (name) => ICONS[`./icons/${name}.svg`] ?? ICONS['./icons/fac-other.svg'];

const meta = (style, k) => style?.metadata?.[k];
const SIZE_VALUES = [200, 1000, 3000]; // elderly people, the circles of the size legend

/** Radius in px of the circle for population v at zoom z (the style's DemandScale stops, linear in zoom). */
export function demandRadius(style, z, v) {
  const stops = meta(style, 'civmap:demand-scale') ?? [[8, 0.12], [12, 0.3], [16, 0.8]];
  let k = stops[0][1];
  if (z >= stops.at(-1)[0]) k = stops.at(-1)[1];
  else {
    for (let i = 1; i < stops.length; i++) {
      if (z <= stops[i][0]) {
        const [z0, k0] = stops[i - 1];
        const [z1, k1] = stops[i];
        k = z <= z0 ? k0 : k0 + ((k1 - k0) * (z - z0)) / (z1 - z0);
        break;
      }
    }
  }
  return k * Math.sqrt(Math.max(0, v));
}

/** The legend as data: sections of rows {icon | color | radius, label}. */
export function legendModel(map, style, ctx) {
  const visible = (id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none';
  const types = meta(style, 'civmap:facility-types') ?? [];
  const families = meta(style, 'civmap:facility-families') ?? [];
  const colors = meta(style, 'civmap:colors') ?? {};
  const sections = [];
  if (visible('facilities')) {
    for (const f of families) {
      sections.push({ title: f.name, rows: types.filter((t) => t.family === f.family).map((t) => ({ icon: t.icon, color: t.color, label: t.name })) });
    }
  }
  if (visible('demand-circles')) {
    const z = map.getZoom();
    sections.push({ title: '村（社区）老年人口', rows: SIZE_VALUES.map((v) => ({ radius: demandRadius(style, z, v), color: colors.demand ?? '#cc79a7', label: `${v.toLocaleString('zh-CN')} 人` })) });
  }
  if (visible('township-fill') && ctx.choropleth?.classes?.length) {
    const c = ctx.choropleth;
    sections.push({ title: `乡镇老年人口密度（${c.unit}）`, rows: c.classes.map((k) => ({ color: k.color, label: k.label, opacity: 0.55 })) });
  }
  sections.push({ title: '底图', rows: [{ color: colors.land ?? '#f4f1e8', label: '陆地' }, { color: colors.sea ?? '#cde3f0', label: '海域' }] });
  return sections;
}

/** The legend's DOM, from legendModel. */
export function legendDOM(model) {
  return el('div', { class: 'legend-body' }, model.map((s) => el('section', { class: 'lg-section' },
    el('h4', {}, s.title),
    el('ul', {}, s.rows.map((r) => el('li', {},
      r.icon ? el('img', { src: iconURL(r.icon), alt: '', width: 18, height: 18 })
        : r.radius !== undefined ? el('span', { class: 'lg-circle', style: { width: `${2 * r.radius}px`, height: `${2 * r.radius}px`, background: `${r.color}59`, borderColor: r.color } })
          : el('span', { class: 'lg-swatch', style: { background: r.color, opacity: r.opacity ?? 1 } }),
      el('span', {}, r.label)))))));
}

/** The legend box on the map, redrawn on zoom (circle sizes) and when layers or classes change. */
export function mountLegend(map, style, ctx) {
  const body = el('div', { id: 'legend-content' });
  const toggle = el('button', { type: 'button', class: 'legend-toggle', 'aria-expanded': 'true', 'aria-controls': 'legend-content' }, '图例');
  const box = el('div', { id: 'legend', class: 'legend', role: 'region', 'aria-label': '图例' }, toggle, body);
  toggle.addEventListener('click', () => {
    const open = body.hidden;
    body.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
  });
  document.querySelector('#map-bl').prepend(box); // above the coordinates, in the bottom-left stack
  let last = '';
  const draw = () => {
    const model = legendModel(map, style, ctx);
    const key = JSON.stringify(model);
    if (key === last) return;
    last = key;
    body.replaceChildren(legendDOM(model));
  };
  map.on('zoomend', draw);
  map.on('styledata', draw);
  map.once('load', draw);
  // Closed at start where, open, it would cover a good part of the map (a phone, a small laptop): the first view fits
  // the county beside what stays open.
  if (document.querySelector('#map-wrap').clientWidth < 1000) toggle.click();
  return { draw };
}
