// civmap planners' map: the county's layers from /tiles/style.json, a layer switcher with legend, facility filters, feature
// popups, name search over /api/search (search.js), scale bar and cursor coordinates. Everything it loads comes from the civmap server
// it is served by (no external tiles, fonts, sprites or scripts): the style has no `glyphs`, so MapLibre draws every label
// locally with TinySDF from the fonts installed on the machine.
import {
  AttributionControl,
  Map as MapLibreMap,
  NavigationControl,
  Popup,
  ScaleControl,
  setWorkerUrl,
} from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';

import { el } from './dom.js';
import { apiFetch, serverURL, transformRequest } from './editor/api.js';
import { mountEditor } from './editor/index.js';
import { setupSearch } from './search.js';
import { mountNames } from './names/index.js';
import { hashHasView, mountMapTools, prepareStyle } from './map/index.js';
import { iconURL } from './map/legend.js';
import {
  FACILITY_STATUSES,
  FACILITY_TYPES,
  FALLBACK_CENTER,
  FALLBACK_ZOOM,
  FIELD_LABELS,
  GROUPS,
  SEARCH_LIMIT,
  SOURCE_LAYER_TITLES,
  VALUE_LABELS,
} from './catalog.js';

// The worker is bundled as its own file; tell MapLibre where Vite put it.
setWorkerUrl(new URL(workerUrl, document.baseURI).href);

const CJK_FONTS = "'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', sans-serif";

const LOCALE = {
  'AttributionControl.ToggleAttribution': '显示/隐藏数据来源',
  'AttributionControl.MapFeedback': '地图反馈',
  'FullscreenControl.Enter': '全屏',
  'FullscreenControl.Exit': '退出全屏',
  'GeolocateControl.FindMyLocation': '定位',
  'GeolocateControl.LocationNotAvailable': '无法定位',
  'LogoControl.Title': 'MapLibre',
  'Map.Title': '地图',
  'Marker.Title': '标记',
  'NavigationControl.ResetBearing': '拖动旋转，单击恢复正北',
  'NavigationControl.ZoomIn': '放大',
  'NavigationControl.ZoomOut': '缩小',
  'Popup.Close': '关闭',
  'ScaleControl.Feet': '英尺',
  'ScaleControl.Meters': '米',
  'ScaleControl.Kilometers': '千米',
  'ScaleControl.Miles': '英里',
  'ScaleControl.NauticalMiles': '海里',
  'CooperativeGesturesHandler.WindowsHelpText': '按住 Ctrl 并滚动以缩放地图',
  'CooperativeGesturesHandler.MacHelpText': '按住 ⌘ 并滚动以缩放地图',
  'CooperativeGesturesHandler.MobileHelpText': '使用双指移动地图',
};

const $ = (sel) => document.querySelector(sel);

const absolute = (u) => (typeof u === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(u) ? new URL(u, document.baseURI).href : u);

function showError(msg) {
  const box = $('#error');
  box.hidden = false;
  box.textContent = msg;
}

function setStatus(msg) {
  $('#load-status').textContent = msg;
}

// ---------------------------------------------------------------------------------------------------------------------
// Style

async function loadStyle() {
  const res = await apiFetch(serverURL('tiles/style.json'));
  if (!res.ok) throw new Error(`地图样式 /tiles/style.json 加载失败（HTTP ${res.status}）`);
  const style = await res.json();
  // MapLibre wants absolute URLs in a style object.
  for (const src of Object.values(style.sources ?? {})) {
    if (src.url) src.url = absolute(src.url);
    if (Array.isArray(src.tiles)) src.tiles = src.tiles.map(absolute);
    if (typeof src.data === 'string') src.data = absolute(src.data);
  }
  if (typeof style.glyphs === 'string') style.glyphs = absolute(style.glyphs);
  if (typeof style.sprite === 'string') style.sprite = absolute(style.sprite);
  return style;
}

const EMPTY_STYLE = {
  version: 8,
  sources: {},
  layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }],
};

const meta = (layer, key) => layer?.metadata?.[key];
const groupOf = (layer) => meta(layer, 'civmap:group') ?? layer['source-layer'] ?? null;
const isFacilityLayer = (layer) => groupOf(layer) === 'facilities' || layer['source-layer'] === 'facilities';

/** Facility types: the style's metadata civmap:facility_types where present, else the built-in list. */
function facilityTypes(style) {
  const fromStyle = meta(style, 'civmap:facility_types') ?? meta(style, 'civmap:facility-types');
  if (!Array.isArray(fromStyle) || fromStyle.length === 0) return FACILITY_TYPES;
  // The style's names and colours, listed in the planners' order (institutions, home care, meals, services); types the
  // built-in list does not know follow.
  const rank = (type) => {
    const i = FACILITY_TYPES.findIndex((k) => k.type === type);
    return i < 0 ? FACILITY_TYPES.length : i;
  };
  return fromStyle
    .filter((t) => t && typeof t.type === 'string')
    .map((t) => {
      const known = FACILITY_TYPES.find((k) => k.type === t.type);
      return { type: t.type, name: t.name || known?.name || t.type, color: t.color || known?.color || '#666' };
    })
    .sort((a, b) => rank(a.type) - rank(b.type));
}

function facilityStatuses(style) {
  const fromStyle = meta(style, 'civmap:facility_statuses') ?? meta(style, 'civmap:facility-statuses');
  if (!Array.isArray(fromStyle) || fromStyle.length === 0) return FACILITY_STATUSES;
  return fromStyle
    .filter((s) => s && typeof s.status === 'string')
    .map((s) => ({ status: s.status, name: s.name || FACILITY_STATUSES.find((k) => k.status === s.status)?.name || s.status }));
}

// ---------------------------------------------------------------------------------------------------------------------
// Legend swatches

const COLOR_PAINT = {
  fill: ['fill-color', 'fill-outline-color'],
  line: ['line-color'],
  circle: ['circle-color', 'circle-stroke-color'],
  symbol: ['text-color', 'text-halo-color'],
  'fill-extrusion': ['fill-extrusion-color'],
  heatmap: [],
};

/** A representative colour of a paint value: the value itself, or the first colour found in an expression. */
function firstColor(v) {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v[0] === 'match') return firstColor(v[v.length - 1]);
    if (v[0] === 'case') return firstColor(v[v.length - 1]);
    for (const x of v.slice(1)) {
      const c = firstColor(x);
      if (c) return c;
    }
  }
  if (v && typeof v === 'object' && Array.isArray(v.stops)) return firstColor(v.stops[0]?.[1]);
  return null;
}

/** For a colour ["match", ["get", field], value, colour, …, default], the categories it draws. */
function matchCategories(v) {
  if (!Array.isArray(v) || v[0] !== 'match' || !Array.isArray(v[1]) || v[1][0] !== 'get') return null;
  const field = v[1][1];
  const out = [];
  for (let i = 2; i + 1 < v.length; i += 2) {
    const values = Array.isArray(v[i]) ? v[i] : [v[i]];
    const color = firstColor(v[i + 1]);
    for (const value of values) out.push({ field, value, color });
  }
  return out;
}

/** The sprite icons an icon-image names (a name, or a match of names), the first of each colour family's. */
function iconNames(v, style) {
  const names = typeof v === 'string' ? [v] : Array.isArray(v) && v[0] === 'match' ? v.filter((x, i) => i > 2 && i % 2 === 1 && typeof x === 'string') : [];
  const types = meta(style, 'civmap:facility-types') ?? [];
  const seen = new Set();
  return names.filter((n) => {
    const fam = types.find((t) => t.icon === n)?.family ?? n;
    if (seen.has(fam)) return false;
    seen.add(fam);
    return true;
  }).slice(0, 3);
}

function swatch(layer, style) {
  const paint = layer.paint ?? {};
  const [main, edge] = (COLOR_PAINT[layer.type] ?? []).map((p) => firstColor(paint[p]));
  let color = main ?? '#888';
  // Colour by category (a match expression): show the categories' colours side by side.
  const cats = matchCategories(paint[(COLOR_PAINT[layer.type] ?? [])[0]]);
  if (cats && cats.length > 1 && (layer.type === 'circle' || layer.type === 'fill')) {
    const cs = cats.map((c) => c.color).filter(Boolean);
    const step = 100 / cs.length;
    color = `conic-gradient(${cs.map((c, i) => `${c} ${(i * step).toFixed(1)}% ${((i + 1) * step).toFixed(1)}%`).join(', ')})`;
  }
  switch (layer.type) {
    case 'fill': {
      const op = typeof paint['fill-opacity'] === 'number' ? paint['fill-opacity'] : 1;
      return el('span', { class: 'sw sw-fill', style: { background: color, opacity: String(Math.max(op, 0.35)), borderColor: edge ?? main ?? '#888' } });
    }
    case 'line': {
      const dashed = Array.isArray(paint['line-dasharray']);
      return el('span', { class: 'sw sw-line', style: { borderTopColor: color, borderTopStyle: dashed ? 'dashed' : 'solid' } });
    }
    case 'circle':
      return el('span', { class: 'sw sw-circle', style: { background: color, borderColor: edge ?? '#fff' } });
    case 'symbol': {
      // An icon layer shows its icons (one of each colour family's, as the legend groups them), a text layer 注.
      const icons = iconNames(layer.layout?.['icon-image'], style);
      if (icons.length) return el('span', { class: 'sw sw-icons' }, icons.map((i) => el('img', { src: iconURL(i), alt: '', width: 14, height: 14 })));
      return el('span', { class: 'sw sw-text', style: { color } }, '注');
    }
    default:
      return el('span', { class: 'sw sw-fill', style: { background: color } });
  }
}

function valueLabel(field, value, sourceLayer, ctx) {
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (/(^|_)code$/.test(field) && ctx.divisionNames?.has(value)) return `${ctx.divisionNames.get(value)}（${value}）`;
  if (sourceLayer === 'facilities' && field === 'type') return ctx.typeNames.get(value) ?? value;
  if (sourceLayer === 'facilities' && field === 'status') return ctx.statusNames.get(value) ?? value;
  const table = VALUE_LABELS[field];
  if (table && typeof value === 'string' && table[value]) return table[value];
  if (typeof value === 'number') return value.toLocaleString('zh-CN');
  return value;
}

// ---------------------------------------------------------------------------------------------------------------------
// Layer switcher

function buildLayerList(map, style, ctx) {
  const list = $('#layer-list');
  list.replaceChildren();
  const byGroup = new Map();
  for (const layer of style.layers ?? []) {
    const g = groupOf(layer);
    if (!g || layer.type === 'background') continue;
    if (!byGroup.has(g)) byGroup.set(g, []);
    byGroup.get(g).push(layer);
  }
  const order = [...GROUPS.map((g) => g.group).filter((g) => byGroup.has(g)), ...[...byGroup.keys()].filter((g) => !GROUPS.some((x) => x.group === g))];

  for (const g of order) {
    const layers = byGroup.get(g);
    const title = GROUPS.find((x) => x.group === g)?.title ?? meta(layers[0], 'civmap:group_title') ?? SOURCE_LAYER_TITLES[g] ?? g;
    const visible = (l) => (l.layout?.visibility ?? 'visible') !== 'none';
    const master = el('input', { type: 'checkbox', 'data-group': g });
    const rows = [];
    const sync = () => {
      const on = rows.filter((r) => r.box.checked).length;
      master.checked = on > 0;
      master.indeterminate = on > 0 && on < rows.length;
    };
    const seenTitles = new Set();
    for (const layer of layers) {
      const ltitle = meta(layer, 'civmap:title') ?? layer.id;
      const box = el('input', { type: 'checkbox', 'data-layer': layer.id });
      box.checked = visible(layer);
      box.addEventListener('change', () => {
        map.setLayoutProperty(layer.id, 'visibility', box.checked ? 'visible' : 'none');
        sync();
      });
      rows.push({ layer, box });
      // Layers sharing a title (a symbol layer labelling a circle layer, say) share one legend row.
      const dup = seenTitles.has(ltitle);
      seenTitles.add(ltitle);
      const colorProp = (COLOR_PAINT[layer.type] ?? [])[0];
      const cats = colorProp ? matchCategories(layer.paint?.[colorProp]) : null;
      const legend = cats && cats.length > 0 && !(isFacilityLayer(layer))
        ? el('ul', { class: 'cats' }, cats.map((c) => el('li', {}, el('span', { class: 'sw sw-dot', style: { background: c.color ?? '#888' } }), valueLabel(c.field, c.value, layer['source-layer'], ctx))))
        : null;
      const row = el('li', { class: dup ? 'layer dup' : 'layer' }, el('label', {}, box, swatch(layer, style), el('span', { class: 'ltitle' }, ltitle)), legend);
      row.dataset.layerId = layer.id;
      if (dup) row.hidden = true;
      rows.at(-1).row = row;
    }
    // Hidden duplicate rows follow their visible twin.
    for (const r of rows) {
      if (!r.row.hidden) continue;
      const twin = rows.find((x) => !x.row.hidden && (meta(x.layer, 'civmap:title') ?? x.layer.id) === (meta(r.layer, 'civmap:title') ?? r.layer.id));
      twin?.box.addEventListener('change', () => {
        r.box.checked = twin.box.checked;
        r.box.dispatchEvent(new Event('change'));
      });
    }
    master.addEventListener('change', () => {
      for (const r of rows) {
        r.box.checked = master.checked;
        map.setLayoutProperty(r.layer.id, 'visibility', master.checked ? 'visible' : 'none');
      }
      sync();
    });
    sync();
    const details = el('details', { open: true },
      el('summary', {}, el('label', { class: 'group', onclick: (e) => e.stopPropagation() }, master, el('span', {}, title))),
      el('ul', { class: 'group-layers' }, rows.map((r) => r.row)));
    list.append(el('li', { class: 'group-item', 'data-group': g }, details));
  }
  if (order.length === 0) list.append(el('li', { class: 'hint' }, '样式中没有图层'));
}

// ---------------------------------------------------------------------------------------------------------------------
// Facility filters

/** Whether a filter is an expression (not the legacy filter syntax), as in @maplibre/maplibre-gl-style-spec. */
function isExpressionFilter(filter) {
  if (filter === true || filter === false) return true;
  if (!Array.isArray(filter) || filter.length === 0) return false;
  switch (filter[0]) {
    case 'has':
      return filter.length >= 2 && filter[1] !== '$id' && filter[1] !== '$type';
    case 'in':
      return filter.length >= 3 && (typeof filter[1] !== 'string' || Array.isArray(filter[2]));
    case '!in':
    case '!has':
    case 'none':
      return false;
    case '==':
    case '!=':
    case '>':
    case '>=':
    case '<':
    case '<=':
      return filter.length !== 3 || Array.isArray(filter[1]) || Array.isArray(filter[2]);
    case 'any':
    case 'all':
      return filter.slice(1).every((f) => typeof f === 'boolean' || (Array.isArray(f) && isExpressionFilter(f)));
    default:
      return true;
  }
}

function buildFacilityFilters(map, style, ctx) {
  const layers = (style.layers ?? []).filter(isFacilityLayer);
  const original = new Map(layers.map((l) => [l.id, l.filter]));
  const types = ctx.types;
  const statuses = ctx.statuses;
  const typeList = $('#type-filter');
  const statusList = $('#status-filter');
  typeList.replaceChildren();
  statusList.replaceChildren();

  const apply = () => {
    const onTypes = [...typeList.querySelectorAll('input:checked')].map((b) => b.value);
    const onStatuses = [...statusList.querySelectorAll('input:checked')].map((b) => b.value);
    const parts = [];
    if (onTypes.length < types.length) parts.push(['in', ['get', 'type'], ['literal', onTypes]]);
    if (onStatuses.length < statuses.length) parts.push(['in', ['get', 'status'], ['literal', onStatuses]]);
    for (const l of layers) {
      const orig = original.get(l.id);
      let f = parts.length ? ['all', ...parts] : null;
      if (f && orig !== undefined && orig !== null) {
        f = isExpressionFilter(orig) ? ['all', orig, ...parts] : ['all', ...parts];
        if (!isExpressionFilter(orig)) console.warn(`civmap: layer ${l.id} has a legacy filter; the facility filter replaces it`);
      }
      map.setFilter(l.id, f ?? orig ?? null);
    }
    ctx.activeFilter = { types: onTypes, statuses: onStatuses };
  };

  for (const t of types) {
    typeList.append(el('li', {}, el('label', {},
      el('input', { type: 'checkbox', value: t.type, checked: true, onchange: apply }),
      el('span', { class: 'sw sw-dot', style: { background: t.color } }),
      el('span', {}, t.name))));
  }
  for (const s of statuses) {
    statusList.append(el('li', {}, el('label', {},
      el('input', { type: 'checkbox', value: s.status, checked: true, onchange: apply }),
      el('span', { class: `st st-${s.status}` }),
      el('span', {}, s.name))));
  }
  for (const b of document.querySelectorAll('button[data-bulk="type"]')) {
    b.onclick = () => {
      for (const box of typeList.querySelectorAll('input')) box.checked = b.dataset.on === '1';
      apply();
    };
  }
  if (layers.length === 0) {
    typeList.append(el('li', { class: 'hint' }, '样式中没有设施图层'));
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Popups

const HIDDEN_FIELDS = new Set(['name', 'label_point']);
const FIELD_ORDER = Object.keys(FIELD_LABELS);

function featureTitle(f) {
  const p = f.properties ?? {};
  if (p.name) return p.name;
  if (f.sourceLayer === 'markers' && p.number) return `界桩 ${p.number}`;
  return p.id ?? p.code ?? '（无名称）';
}

function popupContent(f, ctx) {
  const p = f.properties ?? {};
  const keys = Object.keys(p).filter((k) => !HIDDEN_FIELDS.has(k) && !k.startsWith('_') && p[k] !== '' && p[k] !== null);
  keys.sort((a, b) => {
    const ia = FIELD_ORDER.indexOf(a);
    const ib = FIELD_ORDER.indexOf(b);
    return (ia < 0 ? 1e3 : ia) - (ib < 0 ? 1e3 : ib) || a.localeCompare(b);
  });
  const layerTitle = meta(f.layer, 'civmap:title') ?? SOURCE_LAYER_TITLES[f.sourceLayer] ?? f.sourceLayer ?? '';
  const rows = keys.map((k) => el('tr', {}, el('th', { scope: 'row' }, FIELD_LABELS[k] ?? k), el('td', {}, String(valueLabel(k, p[k], f.sourceLayer, ctx)))));
  return el('div', { class: 'feature-popup', 'data-source-layer': f.sourceLayer ?? '' },
    el('div', { class: 'fp-head' }, el('strong', { class: 'fp-name' }, featureTitle(f)), el('span', { class: 'fp-layer' }, layerTitle)),
    rows.length ? el('table', { class: 'fp-table' }, el('tbody', {}, rows)) : null);
}

// ---------------------------------------------------------------------------------------------------------------------
// Search

// ---------------------------------------------------------------------------------------------------------------------
// Map

async function main() {
  let style;
  let styleError = null;
  try {
    style = prepareStyle(await loadStyle());
  } catch (err) {
    styleError = err;
    style = EMPTY_STYLE;
  }

  const ctx = {
    types: facilityTypes(style),
    statuses: facilityStatuses(style),
  };
  ctx.typeNames = new Map(ctx.types.map((t) => [t.type, t.name]));
  ctx.statusNames = new Map(ctx.statuses.map((s) => [s.status, s.name]));

  // The first view: the link's (URL hash), else the county's bounds (style metadata), else the style's centre.
  const hasView = Array.isArray(style.center) && typeof style.zoom === 'number';
  const bounds = style.metadata?.['civmap:bounds'];
  const linked = hashHasView(); // read before the map writes its own view into the hash
  const map = new MapLibreMap({
    container: 'map',
    style,
    center: hasView ? style.center : FALLBACK_CENTER,
    zoom: hasView ? style.zoom : FALLBACK_ZOOM,
    bounds: !linked && Array.isArray(bounds) ? bounds : undefined,
    fitBoundsOptions: { padding: 16 },
    hash: 'map',
    locale: LOCALE,
    localIdeographFontFamily: CJK_FONTS,
    attributionControl: false,
    maxPitch: 0,
    dragRotate: false,
    transformRequest, // the signed-in token on tile requests
  });
  const ready = new Promise((resolve) => map.once('load', resolve));
  window.__civmap = { map, style, ctx, ready };

  map.touchZoomRotate.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  const narrow = window.matchMedia('(max-width: 720px)').matches;
  map.addControl(new ScaleControl({ unit: 'metric', maxWidth: narrow ? 100 : 140 }), 'bottom-right');
  // Attribution: the sources' own (TileJSON attribution), plus OpenStreetMap's for the place names unless a source
  // already credits it. Added once the sources' metadata is in, so the credit is not shown twice.
  let attributed = false;
  const addAttribution = () => {
    if (attributed) return;
    attributed = true;
    const credits = Object.keys(map.getStyle().sources ?? {}).map((id) => map.getSource(id)?.attribution ?? '').join(' ');
    const osm = /OpenStreetMap/i.test(credits) ? undefined : '地名 © OpenStreetMap 贡献者';
    // Compact (an ⓘ button) on a map narrower than 640 px, as MapLibre does by default, and closed at start there:
    // open, its three lines would cover the legend, the coordinates and the scale.
    map.addControl(new AttributionControl({ customAttribution: osm }), 'bottom-right');
    if (narrow) document.querySelector('.maplibregl-ctrl-attrib.maplibregl-compact-show')?.classList.remove('maplibregl-compact-show');
  };
  map.on('sourcedata', (e) => { if (e.sourceDataType === 'metadata') addAttribution(); });
  map.once('idle', addAttribution);

  map.on('error', (e) => {
    const msg = e.error?.message ?? String(e.error ?? e);
    console.error(`civmap: map error: ${msg}`);
    showError(`地图错误：${msg}`);
  });

  if (styleError) {
    console.error(`civmap: ${styleError.message}`);
    showError(`${styleError.message}。请确认 civmap 服务已提供 /tiles 接口。`);
  }

  buildLayerList(map, style, ctx);
  buildFacilityFilters(map, style, ctx);
  setupSearch(map, {
    limit: SEARCH_LIMIT,
    label: (p) => valueLabel(p.kind === 'facility' ? 'type' : 'category', p.category, p.kind === 'facility' ? 'facilities' : 'places', ctx),
  });
  const editor = mountEditor(map, { categories: VALUE_LABELS.category });
  mountNames(map); // 地名规范: name check, sign check, screening findings layer
  const tools = mountMapTools(map, style, ctx); // web/src/map/: hash, coordinates, legend, measure, radius, print
  window.__civmap.tools = tools;
  // The first view, once the legend is drawn: the county's bounds clear of the controls over the map (the buttons at
  // the top, the scale and attribution at the bottom right, and the legend with the readout at the bottom left — beside
  // them or above them, whichever leaves the county larger). A link's view (the URL hash) is left as it is.
  if (!linked && Array.isArray(bounds)) {
    tools.ready.then(() => {
      const box = map.getContainer().getBoundingClientRect();
      const rects = ['#legend', '#coords'].map((s) => document.querySelector(s)?.getBoundingClientRect()).filter((r) => r && r.width > 0);
      const br = document.querySelector('.maplibregl-ctrl-bottom-right')?.getBoundingClientRect();
      const blW = Math.max(0, ...rects.map((r) => r.right - box.left));
      const blH = Math.max(0, ...rects.map((r) => box.bottom - r.top));
      const padding = { top: 56, right: 16, bottom: Math.max(16, br ? box.bottom - br.top + 8 : 16), left: 16 };
      const w = box.width - padding.left - padding.right;
      const h = box.height - padding.top - padding.bottom;
      const nw = map.project([bounds[0], bounds[3]]);
      const se = map.project([bounds[2], bounds[1]]);
      const [cw, ch] = [se.x - nw.x, se.y - nw.y]; // the county's bound in px at this zoom: only its aspect matters
      const beside = Math.min((w - blW) / cw, h / ch);
      const above = Math.min(w / cw, (h - blH) / ch);
      if (beside >= above) padding.left = Math.max(padding.left, blW + 8);
      else padding.bottom = Math.max(padding.bottom, blH + 8);
      if (padding.left + padding.right < box.width - 40 && padding.top + padding.bottom < box.height - 40) {
        map.fitBounds(bounds, { padding, animate: false });
      }
    });
  }

  // Clickable features: every layer drawn from a source but the basemap's (land, coastline, PMTiles, online raster:
  // orientation, not records — a click on the sea or a neighbouring county opens nothing) and the tools' drawings.
  const interactive = () => map.getStyle().layers.filter((l) => l.source && l.type !== 'background' && !['base', 'tool'].includes(groupOf(l))
    && (l.layout?.visibility ?? 'visible') !== 'none').map((l) => l.id);
  const hitBox = (pt, r) => [[pt.x - r, pt.y - r], [pt.x + r, pt.y + r]];
  let popup = null;
  map.on('click', (e) => {
    if (editor.claimsClick(e) || tools.claimsClick(e)) return; // edit mode or a tool: no popup
    const feats = map.queryRenderedFeatures(hitBox(e.point, 5), { layers: interactive() });
    // Points before lines before areas: a facility over a township polygon is what was meant.
    const rank = (f) => (f.geometry.type.endsWith('Point') ? 0 : f.geometry.type.endsWith('LineString') ? 1 : 2);
    const f = feats.filter((x) => !(x.properties?.label_point)).sort((a, b) => rank(a) - rank(b))[0];
    popup?.remove();
    if (!f) return;
    popup = new Popup({ maxWidth: '360px', className: 'feature' })
      .setLngLat(f.geometry.type === 'Point' ? f.geometry.coordinates : e.lngLat)
      .setDOMContent(popupContent(f, ctx))
      .addTo(map);
    window.__civmap.lastPopupFeature = { sourceLayer: f.sourceLayer, properties: f.properties };
  });
  map.on('mousemove', (e) => {
    const ids = interactive();
    const over = ids.length && map.queryRenderedFeatures(hitBox(e.point, 3), { layers: ids }).some((f) => f.geometry.type.endsWith('Point'));
    map.getCanvas().style.cursor = over ? 'pointer' : '';
  });

  map.on('dataloading', () => setStatus('正在加载瓦片…'));
  map.on('idle', () => setStatus(`就绪 · 缩放 ${map.getZoom().toFixed(1)}`));
}

main().catch((err) => {
  console.error(`civmap: ${err?.stack ?? err}`);
  showError(`地图初始化失败：${err?.message ?? err}`);
});
