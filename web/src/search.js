// The map's search box over GET /api/search: Chinese (simplified or traditional), full pinyin, initials, homophones
// and one typo find divisions, places and facilities; each result says how it matched (拼音、首字母、曾用名 …).
import { Marker, Popup } from 'maplibre-gl';

import { el } from './dom.js';
import { apiFetch, serverURL } from './editor/api.js';

/** How a hit matched (the answer's "matched"), as shown beside it. */
export const MATCH_LABELS = {
  name: '名称',
  alias: '别名',
  former: '曾用名',
  pinyin: '拼音',
  initials: '首字母',
  homophone: '同音',
  typo: '近似拼写',
};

/** The kinds of record searched. */
export const KIND_LABELS = { division: '行政区划', place: '地名', facility: '设施' };

/** The note shown for a hit: how it matched, and the former name or alias that did. */
export function matchNote(p) {
  const how = MATCH_LABELS[p.matched] ?? p.matched;
  if ((p.field === 'former' || p.field === 'alias') && p.matched_name && p.matched_name !== p.name) {
    return `${how}：${p.matched_name}`;
  }
  return how;
}

/**
 * Wires #search-form, #search-input, #search-status and #search-results to /api/search. label(p) gives a hit's
 * category in words; limit is the page size.
 */
export function setupSearch(map, { limit = 10, label = (p) => p.category } = {}) {
  const $ = (s) => document.querySelector(s);
  const input = $('#search-input');
  const form = $('#search-form');
  const results = $('#search-results');
  const status = $('#search-status');
  let seq = 0;
  let timer = 0;
  let marker = null;
  let popup = null;

  const goTo = (f) => {
    if (f.geometry?.type !== 'Point') return;
    const p = f.properties ?? {};
    const point = f.geometry.coordinates;
    const zoom = p.rank === 'county' ? 10 : p.rank === 'township' ? 13 : 16;
    map.flyTo({ center: point, zoom: Math.max(map.getZoom(), zoom), essential: true });
    marker?.remove();
    popup?.remove();
    marker = new Marker({ color: '#c23b22' }).setLngLat(point).addTo(map);
    popup = new Popup({ offset: 30, closeButton: true, className: 'place-popup' })
      .setLngLat(point)
      .setDOMContent(el('div', { class: 'feature-popup' },
        el('div', { class: 'fp-head' }, el('strong', { class: 'fp-name' }, p.name ?? '地名'),
          el('span', { class: 'fp-layer' }, KIND_LABELS[p.kind] ?? '搜索结果')),
        el('table', { class: 'fp-table' }, el('tbody', {},
          p.category ? el('tr', {}, el('th', {}, '类别'), el('td', {}, label(p))) : null,
          el('tr', {}, el('th', {}, '匹配'), el('td', {}, matchNote(p))),
          el('tr', {}, el('th', {}, '坐标'), el('td', {}, `经度 ${point[0].toFixed(6)}°，纬度 ${point[1].toFixed(6)}°`))))))
      .addTo(map);
    for (const li of results.children) li.classList.toggle('active', li.dataset.id === `${p.kind}:${p.id}`);
  };

  const search = async (q, fly) => {
    const my = ++seq;
    if (!q) {
      results.replaceChildren();
      status.textContent = '';
      return;
    }
    status.textContent = '正在搜索…';
    let fc;
    try {
      const res = await apiFetch(serverURL(`api/search?q=${encodeURIComponent(q)}&limit=${limit}`));
      if (res.status === 400) {
        const prob = await res.json().catch(() => ({}));
        if (my === seq) status.textContent = `无法搜索：${prob.errors?.[0]?.reason ?? prob.detail ?? '查询有误'}`;
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      fc = await res.json();
    } catch (err) {
      if (my === seq) status.textContent = `搜索失败：${err.message}`;
      return;
    }
    if (my !== seq) return; // a newer search has started
    const feats = (fc.features ?? []).filter((f) => f.geometry);
    const total = fc.numberMatched ?? feats.length;
    const simplified = fc.query?.simplified ? `（按简体“${fc.query.simplified}”）` : '';
    status.textContent = feats.length
      ? `找到 ${total} 条${total > feats.length ? `，显示前 ${feats.length} 条` : ''}${simplified}`
      : `没有找到“${q}”${simplified}`;
    results.replaceChildren(...feats.map((f) => {
      const p = f.properties ?? {};
      const li = el('li', { tabindex: 0, 'data-id': `${p.kind}:${p.id}`, 'data-matched': p.matched },
        el('span', { class: 'r-name' }, p.name ?? p.id),
        el('span', { class: 'r-match', title: '匹配方式' }, matchNote(p)),
        el('span', { class: 'r-meta' }, [KIND_LABELS[p.kind], p.category ? label(p) : null].filter(Boolean).join(' · ')));
      li.addEventListener('click', () => goTo(f));
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter') goTo(f); });
      return li;
    }));
    if (fly && feats.length) goTo(feats[0]);
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value.trim(), false), 300);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    search(input.value.trim(), true);
  });
}
