// 地名规范: a name-check box (pinyin by the 1984 rules and the compliance findings), the road-name sign check, and the
// screening findings on the map as a layer filtered by kind. API: /api/names/*, /api/name-findings (gazetteer/names).
import { el } from '../dom.js';
import { call, getToken } from '../editor/api.js';

/** Finding kinds, their labels and colours on the map. */
export const KINDS = [
  ['大', '大（夸大）', '#d7301f'],
  ['洋', '洋（崇洋）', '#7a0177'],
  ['怪', '怪（怪异）', '#fd8d3c'],
  ['重', '重（重名同音）', '#2171b5'],
  ['spelling', '拼写', '#238b45'],
  ['format', '格式', '#636363'],
  ['location', '区位', '#8c6d31'],
  ['heritage', '豁免', '#969696'],
];

const CATEGORIES = [
  ['road', '道路（街路巷）'], ['自然村', '自然村'], ['village', '村、社区'], ['township', '乡镇街道'], ['小区', '居民区'],
  ['桥', '桥梁'], ['公园', '公园'],
];

const SOURCE = 'name-findings';

/** Mounts the 地名规范 block in the side panel; returns its state for the tests. */
export function mountNames(map) {
  const state = { findings: 0, kinds: new Set(KINDS.map((k) => k[0])), shown: false };
  window.__civmap = Object.assign(window.__civmap ?? {}, { names: state });
  const out = el('div', { id: 'nm-result', class: 'nm-out', 'aria-live': 'polite' });
  const name = el('input', { id: 'nm-name', type: 'text', placeholder: '地名，如：丹河东路', 'aria-label': '地名', maxlength: 500 });
  const cat = el('select', { id: 'nm-category', 'aria-label': '类别' }, CATEGORIES.map(([v, l]) => el('option', { value: v }, l)));
  const div = el('input', { id: 'nm-division', type: 'text', placeholder: '所在区划代码，如 330225001', 'aria-label': '区划代码', maxlength: 12 });
  const check = el('form', { id: 'nm-check', class: 'nm-form', onsubmit: (e) => { e.preventDefault(); checkName(); } },
    name, cat, div, el('button', { type: 'submit' }, '检查'));

  const sname = el('input', { id: 'nm-sign-name', type: 'text', placeholder: '路名，如：中山路', 'aria-label': '路名' });
  const sline = el('input', { id: 'nm-sign-line', type: 'text', placeholder: '路名牌拼写，如：Zhongshan Lu', 'aria-label': '路名牌拼写' });
  const sout = el('div', { id: 'nm-sign-result', class: 'nm-out', 'aria-live': 'polite' });
  const sign = el('form', { id: 'nm-sign', class: 'nm-form', onsubmit: (e) => { e.preventDefault(); checkSign(); } },
    sname, sline, el('button', { type: 'submit' }, '核对'));

  const kinds = el('ul', { id: 'nm-kinds', class: 'checks' }, KINDS.map(([k, label, color]) =>
    el('li', {}, el('label', {},
      el('input', { type: 'checkbox', value: k, checked: true, onchange: (e) => { e.target.checked ? state.kinds.add(k) : state.kinds.delete(k); applyFilter(); } }),
      el('span', { class: 'nm-swatch', style: { background: color } }), label))));
  const layerStatus = el('p', { id: 'nm-layer-status', class: 'hint', 'aria-live': 'polite' });
  const layerBtn = el('button', { type: 'button', id: 'nm-layer', onclick: () => showFindings() }, '显示排查问题');

  const block = el('section', { class: 'block', id: 'names-block' },
    el('h2', {}, '地名规范'), check, out,
    el('h3', {}, '路名牌检查'), sign, sout,
    el('h3', {}, '排查问题图层'), layerBtn, kinds, layerStatus);
  const panel = document.getElementById('panel');
  panel.insertBefore(block, panel.querySelector('footer'));

  const show = (box, ...nodes) => box.replaceChildren(...nodes);
  const problem = (err) => el('p', { class: 'nm-bad' }, err?.errors?.map((e) => `${e.field}：${e.reason}`).join('；') || err?.message || String(err));

  async function checkName() {
    const n = name.value.trim();
    try {
      const { data: py } = await call('GET', 'api/names/pinyin', { query: { name: n } });
      const nodes = [el('p', {}, '拼写：', el('strong', { id: 'nm-pinyin' }, py.pinyin || '—'), `（专名「${py.specific}」，通名「${py.generic || '无'}」）`),
        el('ol', { class: 'nm-steps' }, py.steps.map((s) => el('li', {}, s)))];
      if (!getToken()) {
        nodes.push(el('p', { class: 'hint' }, '登录后可检查名称是否规范（重名、同音、大洋怪等）。'));
      } else {
        const { data } = await call('POST', 'api/names/check', { body: { name: n, category: cat.value, division_code: div.value.trim() } });
        nodes.push(data.findings.length === 0
          ? el('p', { id: 'nm-clean', class: 'nm-ok' }, '未发现问题')
          : el('ul', { id: 'nm-findings', class: 'nm-findings' }, data.findings.map((f) =>
            el('li', { 'data-kind': f.kind }, el('b', {}, `[${f.kind}] `), f.message, f.suggestion ? `。建议：${f.suggestion}` : ''))));
      }
      show(out, ...nodes);
    } catch (err) {
      show(out, problem(err));
    }
  }

  async function checkSign() {
    try {
      const { data } = await call('POST', 'api/names/sign-check', { body: { name: sname.value.trim(), sign: sline.value } });
      show(sout, el('p', { class: data.ok ? 'nm-ok' : 'nm-bad' }, data.ok ? '拼写正确' : '有误', '，应为 ', el('strong', { id: 'nm-sign-correct' }, data.correct)),
        el('ul', { class: 'nm-findings' }, data.errors.map((e) => el('li', { 'data-code': e.code }, `${e.code}：${e.message}`))));
    } catch (err) {
      show(sout, problem(err));
    }
  }

  function applyFilter() {
    if (!map.getLayer(SOURCE)) return;
    map.setFilter(SOURCE, ['in', ['get', 'kind'], ['literal', [...state.kinds]]]);
  }

  async function showFindings() {
    try {
      const { data } = await call('GET', 'api/name-findings', { query: { format: 'geojson' } });
      state.findings = data.features.length;
      if (map.getSource(SOURCE)) map.getSource(SOURCE).setData(data);
      else {
        map.addSource(SOURCE, { type: 'geojson', data });
        const color = ['match', ['get', 'kind'], ...KINDS.flatMap(([k, , c]) => [k, c]), '#000'];
        map.addLayer({ id: SOURCE, type: 'circle', source: SOURCE, paint: { 'circle-radius': 6, 'circle-color': color, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
      }
      applyFilter();
      state.shown = true;
      layerStatus.textContent = state.findings ? `共 ${state.findings} 个问题` : '暂无排查问题：请先运行排查（POST /api/screenings）';
    } catch (err) {
      layerStatus.textContent = problem(err).textContent;
    }
  }
  return state;
}
