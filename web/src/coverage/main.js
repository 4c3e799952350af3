// The planner's coverage dashboard (coverage.html): pick a plan, phase, scenario and indicator; a Chart.js bar chart of
// each township's actual value against the target; the uncovered villages on a MapLibre map (GET
// /api/coverage/uncovered) over the coverage tiles (/tiles/coverage: every village covered / uncovered / uncoverable,
// and the service-area circles); click the map to add a site (POST /api/coverage with the posted sites, signed in) and see
// the numbers change; run MCLP siting for p sites (POST /api/coverage/siting) and see them with the elderly each adds;
// export the gap table (CSV, Excel). Everything comes from the civmap server this page is served by.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import './coverage.css';

import { el } from '../dom.js';
import { apiFetch, call, getToken, serverURL, setToken, transformRequest } from '../editor/api.js';

setWorkerUrl(new URL(workerUrl, document.baseURI).href);
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const CJK_FONTS = "'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif";
const $ = (id) => document.getElementById(id);
const KIND_UNITS = { coverage: '%', presence: '%' };

const state = { plans: [], plan: null, phase: '', scenario: 'existing', indicator: '', sites: [], result: null, siting: null };
let chart;
let map;
let resolveReady;
const ready = new Promise((r) => { resolveReady = r; });
let generation = 0; // bumped per refresh; window.__coverage.generation tells tests a refresh finished
window.__coverage = { state, ready, get chart() { return chart; }, get map() { return map; }, get generation() { return generation; } };

function showError(err) {
  const box = $('cov-error');
  if (!err) { box.hidden = true; return; }
  const fields = (err.errors ?? []).map((e) => `${e.field}：${e.reason}`).join('；');
  box.textContent = `${err.detail ?? err.message}${fields ? `（${fields}）` : ''}`;
  box.hidden = false;
}

const status = (text) => { $('cov-status').textContent = text; };
const indicator = () => state.plan?.indicators.find((i) => i.id === state.indicator);
const emptyFC = { type: 'FeatureCollection', features: [] };

async function loadPlans() {
  const { data } = await call('GET', 'api/plans');
  state.plans = data.plans;
  $('cov-plan').replaceChildren(...state.plans.map((p) => el('option', { value: p.id }, p.name)));
  await selectPlan(state.plans[0].id);
}

async function selectPlan(id) {
  const { data } = await call('GET', `api/plans/${encodeURIComponent(id)}`);
  state.plan = data;
  $('cov-plan').value = id;
  $('cov-phase').replaceChildren(...data.phases.map((p) => el('option', { value: p }, `${p}年`)));
  state.phase = data.phases[0];
  $('cov-indicator').replaceChildren(...data.indicators.map((i) => el('option', { value: i.id }, i.name)));
  state.indicator = (data.indicators.find((i) => i.kind === 'coverage') ?? data.indicators[0]).id;
  $('cov-indicator').value = state.indicator;
}

/** Reloads the gap table (with the posted sites when there are any), the chart, the table and the uncovered layer. */
async function refresh() {
  status('正在计算…');
  showError(null);
  const q = { plan: state.plan.id, phase: state.phase, scenario: state.scenario };
  try {
    state.result = state.sites.length
      ? (await call('POST', 'api/coverage', { body: { ...q, sites: state.sites } })).data
      : (await call('GET', 'api/coverage', { query: q })).data;
    drawChart();
    drawTable();
    await drawUncovered();
    const link = (ext, query) => serverURL(`api/coverage/gaps.${ext}?${new URLSearchParams(query)}`);
    $('cov-csv').href = link('csv', q);
    $('cov-xlsx').href = link('xlsx', { plan: q.plan, scenario: q.scenario });
    status(`距离：椭球面测地线（米）· 新增站点 ${state.sites.length} 个`);
  } catch (err) {
    showError(err);
    status('计算失败');
  }
  generation++;
}

/** The chart's data: per township the actual value of the indicator and the phase's target (none for counts). */
export function chartData(result, ind, phase) {
  const labels = result.townships.map((t) => t.name);
  const actual = result.townships.map((t) => t.values[ind.id] ?? 0);
  const target = ind.targets?.[phase];
  const datasets = [{ label: `现状（${ind.unit ?? KIND_UNITS[ind.kind] ?? ''}）`, data: actual, backgroundColor: '#2b5d8a' }];
  if (target !== undefined && ind.kind !== 'count') {
    datasets.push({ label: `${phase}年目标`, data: labels.map(() => target), backgroundColor: 'rgba(214, 96, 77, 0.55)' });
  }
  return { labels, codes: result.townships.map((t) => t.code), datasets };
}

function drawChart() {
  const ind = indicator();
  const data = chartData(state.result, ind, state.phase);
  if (!chart) {
    chart = new Chart($('cov-chart'), {
      type: 'bar',
      data,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { title: { display: false }, legend: { position: 'top' } },
        scales: { y: { beginAtZero: true } },
        font: { family: CJK_FONTS },
      },
    });
  } else {
    chart.data = data;
    chart.update();
  }
}

function drawTable() {
  const head = el('tr', {}, ...['指标', '范围', '目标', '现状', '差距', '达标'].map((h) => el('th', {}, h)));
  const rows = state.result.rows.map((r) => {
    const met = r.met === null ? '—' : r.met ? '达标' : '未达标';
    return el('tr', { class: r.met === null ? '' : r.met ? 'met' : 'unmet', 'data-indicator': r.indicator, 'data-code': r.code },
      el('td', {}, r.name), el('td', {}, r.scope_name), el('td', { class: 'num' }, r.target ?? '—'),
      el('td', { class: 'num' }, r.actual), el('td', { class: 'num' }, r.gap ?? '—'), el('td', { class: 'met' }, met));
  });
  $('cov-table').replaceChildren(el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
}

/** The coverage tiles' URL template for the current plan, scenario and indicator (null for a non-coverage indicator). */
function coverageTiles() {
  const ind = indicator();
  if (ind?.kind !== 'coverage') return null;
  const q = new URLSearchParams({ plan: state.plan.id, scenario: state.scenario, indicator: ind.id });
  return `${serverURL('tiles/coverage/')}{z}/{x}/{y}.mvt?${q}`; // braces kept: URL() would escape them
}

/** Points the coverage tile layers at the current choice, or hides them. */
function drawCoverageTiles() {
  const url = coverageTiles();
  if (!map?.getSource('coverage')) return;
  for (const id of ['service-areas', 'service-areas-line', 'coverage-units']) {
    map.setLayoutProperty(id, 'visibility', url ? 'visible' : 'none');
  }
  if (url) map.getSource('coverage').setTiles([url]);
}

async function drawUncovered() {
  drawCoverageTiles();
  const ind = indicator();
  let fc = emptyFC;
  if (ind?.kind === 'coverage') {
    fc = (await call('GET', 'api/coverage/uncovered', { query: { plan: state.plan.id, scenario: state.scenario, indicator: ind.id } })).data;
  }
  state.uncovered = fc;
  map?.getSource('uncovered')?.setData(fc);
}

function sitesFC() {
  return { type: 'FeatureCollection', features: state.sites.map((s, i) => ({ type: 'Feature', id: i, properties: { name: s.name ?? '' }, geometry: { type: 'Point', coordinates: [s.lon, s.lat] } })) };
}

function drawSites() {
  $('cov-sites').replaceChildren(...state.sites.map((s) => el('li', {}, `${s.type} ${s.lon.toFixed(5)}, ${s.lat.toFixed(5)}`)));
  map?.getSource('posted')?.setData(sitesFC());
}

async function addSite(lngLat) {
  const ind = indicator();
  if (!ind || !ind.types?.length) return;
  if (!getToken()) {
    showError({ detail: '添加站点需要登录：请先填写令牌（任意角色）' });
    return;
  }
  state.sites.push({ type: ind.types[0], lon: Number(lngLat.lng.toFixed(6)), lat: Number(lngLat.lat.toFixed(6)) });
  drawSites();
  await refresh();
}

async function runSiting() {
  const ind = indicator();
  showError(null);
  if (ind?.kind !== 'coverage') {
    showError({ detail: '选址只适用于覆盖率指标' });
    return;
  }
  status('正在选址…');
  try {
    const body = { plan: state.plan.id, indicator: ind.id, scenario: state.scenario, p: Number($('cov-p').value),
      solver: $('cov-solver').value, sites: state.sites };
    const { data } = await call('POST', 'api/coverage/siting', { body });
    state.siting = data;
    $('cov-siting').replaceChildren(
      ...data.sites.map((s) => el('li', { 'data-id': s.id }, `${s.name || s.id}：新增覆盖老人 ${s.added_elderly}`)),
      el('li', { class: 'hint' }, `覆盖率 ${data.coverage_pct_before}% → ${data.coverage_pct_after}%；不可覆盖村社 ${data.uncoverable.length} 个`));
    map?.getSource('siting')?.setData({ type: 'FeatureCollection', features: data.sites.map((s) => ({ type: 'Feature', properties: { name: s.name, added: s.added_elderly }, geometry: { type: 'Point', coordinates: [s.lon, s.lat] } })) });
    status(`选址完成（${data.solver}${data.bound ? '；' + data.bound : ''}）`);
  } catch (err) {
    showError(err);
    status('选址失败');
  }
  generation++;
}

async function startMap() {
  const style = await (await apiFetch(serverURL('tiles/style.json'))).json();
  map = new MapLibreMap({
    container: 'cov-map',
    style,
    center: style.center ?? [121.87, 29.35],
    zoom: style.zoom ?? 9,
    localIdeographFontFamily: CJK_FONTS,
    maxPitch: 0,
    dragRotate: false,
    transformRequest,
  });
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-right');
  await new Promise((r) => map.once('load', r));
  // The coverage tiles: every village coloured covered / uncovered / uncoverable, and the service areas (geodesic
  // circles of each counted site's service distance), computed by the server's coverage engine.
  map.addSource('coverage', { type: 'vector', tiles: [coverageTiles() ?? `${serverURL('tiles/coverage/')}{z}/{x}/{y}.mvt`], minzoom: 0, maxzoom: 14 });
  map.addLayer({ id: 'service-areas', type: 'fill', source: 'coverage', 'source-layer': 'service_areas', paint: {
    'fill-color': ['match', ['get', 'serves'], 'communities', '#5aae61', '#1b7837'], 'fill-opacity': 0.12 } });
  map.addLayer({ id: 'service-areas-line', type: 'line', source: 'coverage', 'source-layer': 'service_areas', paint: {
    'line-color': '#1b7837', 'line-width': 0.8, 'line-opacity': 0.6 } });
  map.addLayer({ id: 'coverage-units', type: 'circle', source: 'coverage', 'source-layer': 'coverage', paint: {
    'circle-color': ['match', ['get', 'status'], 'covered', '#1a9850', 'uncoverable', '#7f7f7f', '#d6604d'],
    'circle-radius': ['interpolate', ['linear'], ['get', 'elderly'], 0, 2, 1500, 6], 'circle-opacity': 0.85 } });
  drawCoverageTiles();
  map.addSource('uncovered', { type: 'geojson', data: state.uncovered ?? emptyFC });
  map.addSource('posted', { type: 'geojson', data: sitesFC() });
  map.addSource('siting', { type: 'geojson', data: emptyFC });
  map.addLayer({ id: 'uncovered', type: 'circle', source: 'uncovered', paint: {
    'circle-color': '#d6604d', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1,
    'circle-radius': ['interpolate', ['linear'], ['get', 'elderly'], 0, 3, 1500, 9] } });
  map.addLayer({ id: 'siting', type: 'circle', source: 'siting', paint: { 'circle-color': '#1e7b34', 'circle-radius': 8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  map.addLayer({ id: 'posted', type: 'circle', source: 'posted', paint: { 'circle-color': '#2b5d8a', 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  map.on('click', (e) => addSite(e.lngLat));
}

async function main() {
  $('cov-token').value = getToken();
  $('cov-token').addEventListener('change', (e) => setToken(e.target.value.trim()));
  $('cov-plan').addEventListener('change', async (e) => { await selectPlan(e.target.value); await refresh(); });
  $('cov-phase').addEventListener('change', (e) => { state.phase = e.target.value; refresh(); });
  $('cov-scenario').addEventListener('change', (e) => { state.scenario = e.target.value; refresh(); });
  $('cov-indicator').addEventListener('change', (e) => { state.indicator = e.target.value; refresh(); });
  $('cov-clear').addEventListener('click', () => { state.sites = []; drawSites(); refresh(); });
  $('cov-run-siting').addEventListener('click', runSiting);
  try {
    await loadPlans();
    await Promise.all([startMap(), refresh()]);
    map.getSource('uncovered').setData(state.uncovered ?? emptyFC);
  } catch (err) {
    showError(err);
  }
  resolveReady();
}

main();
