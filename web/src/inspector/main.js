// The inspectors' field view (界线联检), for a phone: sign in with an inspector token, pick a line and its round, walk
// the markers in number order, see each one's register data, reference objects (方位物) and last finding, record a
// finding with the phone's position (or a typed one) and a photo, and see the displacement and verdict the server
// computes at once. Without a connection a finding waits in an IndexedDB queue (queue.js) and is sent when the
// connection returns; a refused save says why.
import './inspector.css';
import { api, ApiError, enc, getToken, NetworkError, setToken } from './api.js';
import * as queue from './queue.js';

const $ = (id) => document.getElementById(id);
const ZH = { intact: '完好', damaged: '损坏', missing: '丢失', inscription_unclear: '注记不清', moved: '移位', not_inspected: '未检查' };
const MAX_PHOTO = 1 << 20; // bytes, as the server's limit (gazetteer/inspection.MaxPhotoBytes)

const state = { line: null, round: null, markers: [], rows: new Map(), index: 0 };

function say(el, text, kind = '') {
  el.textContent = text;
  el.className = `msg ${kind}`;
}

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function fmtM(v) {
  return v === null || v === undefined ? '—' : `${Number(v).toFixed(3)} 米`;
}

function showNet() {
  const on = navigator.onLine;
  $('net').textContent = on ? '在线' : '离线';
  $('net').className = `net ${on ? 'on' : 'off'}`;
}

async function signIn(token) {
  setToken(token);
  say($('signin-status'), '正在登录…');
  try {
    const me = await api('GET', '/api/auth/me');
    if (me.role !== 'inspector' && me.role !== 'admin') {
      setToken('');
      say($('signin-status'), `此令牌的角色是 ${me.role}，记录联检结果需要联检员（inspector）令牌`, 'error');
      return;
    }
    say($('signin-status'), `已登录：${me.name}（${me.role}）`, 'ok');
    $('signin').hidden = true;
    $('pick').hidden = false;
    await loadLines();
    await flush();
  } catch (e) {
    setToken('');
    say($('signin-status'), e instanceof NetworkError ? '无法连接服务器，请联网后登录' : `登录失败：${e.message}`, 'error');
  }
}

async function loadLines() {
  const fc = await api('GET', '/api/boundary-lines?limit=1000');
  const sel = $('line');
  sel.replaceChildren(...fc.features.map((f) => new Option(f.properties.name || f.id, f.id)));
  const preferred = fc.features.find((f) => f.id === '象宁线') ?? fc.features[0];
  if (preferred) sel.value = preferred.id;
  await loadRounds();
}

async function loadRounds() {
  state.line = $('line').value;
  const res = await api('GET', `/api/boundary-lines/${enc(state.line)}/inspections`);
  const sel = $('round');
  sel.replaceChildren(...res.items.map((r) => new Option(`${r.year} 年（${r.started_on} 至 ${r.ended_on}）`, r.id)));
  if (!res.items.length) {
    say($('pick-status'), '该界线还没有检查轮次：请办公室先建立本年度的检查', 'error');
    $('walk').hidden = true;
    return;
  }
  sel.value = res.items[res.items.length - 1].id;
  say($('pick-status'), '');
  await loadRound();
}

async function loadRound() {
  state.round = $('round').value;
  const [fc, rep] = await Promise.all([
    api('GET', `/api/boundary-lines/${enc(state.line)}/markers?limit=1000`),
    api('GET', `/api/inspections/${enc(state.round)}/report?f=json`),
  ]);
  state.markers = fc.features;
  state.rows = new Map(rep.markers.map((m) => [m.marker_no, m]));
  state.index = 0;
  $('walk').hidden = false;
  await showMarker();
}

async function showMarker() {
  const f = state.markers[state.index];
  if (!f) return;
  const p = f.properties;
  $('marker-no').textContent = `${p.number}（${state.index + 1}/${state.markers.length}）`;
  $('prev').disabled = state.index === 0;
  $('next').disabled = state.index === state.markers.length - 1;
  const r = p.registered;
  $('marker-pos').textContent = `登记坐标 ${r.crs}：X ${r.first.toFixed(3)}，Y ${r.second.toFixed(3)}`;
  const reg = await api('GET', `/api/markers/${enc(p.number)}/register`, { allow404: true }).catch(() => null);
  const kv = [
    ['类型', `${p.type}${p.pair_letter ? ` ${p.pair_letter}` : ''}`],
    ['材质', p.material || '—'],
    ['面数', reg?.faces ? `${reg.faces} 面` : '—'],
    ['埋设年份', p.registered_year || '—'],
  ];
  $('register').replaceChildren(...kv.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = String(v);
    return [dt, dd];
  }));
  const refs = reg?.references ?? [];
  $('references').replaceChildren(...(refs.length ? refs : [null]).map((ro) => {
    const li = document.createElement('li');
    li.textContent = ro ? `${ro.name}：方位 ${ro.bearing_deg}°，距离 ${ro.distance_m} 米` : '未登记';
    return li;
  }));
  showLast();
  $('x').value = '';
  $('y').value = '';
  $('photo').value = '';
  $('condition').value = 'intact';
  $('note').value = '';
  $('repairs').value = '';
  say($('result'), '');
}

function showLast() {
  const f = state.markers[state.index];
  const row = state.rows.get(f.properties.number);
  $('last').textContent = row && row.verdict !== 'not_inspected'
    ? `${row.inspected_on} ${ZH[row.condition] ?? row.condition}，位移 ${fmtM(row.displacement_m)}，结论 ${ZH[row.verdict] ?? row.verdict}`
    : '本轮尚未检查';
}

function setAxisLabels() {
  const geo = $('crs').value === 'EPSG:4326';
  $('x-label').textContent = geo ? '纬度' : 'X（北）';
  $('y-label').textContent = geo ? '经度' : 'Y（东）';
}

function locate() {
  if (!navigator.geolocation) {
    say($('result'), '此浏览器不能定位：请手工输入坐标', 'error');
    return;
  }
  say($('result'), '正在定位…');
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      $('crs').value = 'EPSG:4326';
      setAxisLabels();
      $('x').value = pos.coords.latitude.toFixed(8);
      $('y').value = pos.coords.longitude.toFixed(8);
      say($('result'), `已定位，精度约 ${Math.round(pos.coords.accuracy)} 米（手机定位精度不足以判定厘米级位移，可改用测量仪器坐标）`);
    },
    (err) => say($('result'), `定位失败：${err.message}；请手工输入坐标`, 'error'),
    { enableHighAccuracy: true, timeout: 20000 },
  );
}

/** Sends one finding (and its photo first); resolves to the server's answer. */
async function send(item) {
  const finding = { ...item.finding };
  if (item.photo) {
    const ph = await api('POST', `/api/inspections/${enc(item.round)}/photos`, { body: item.photo });
    finding.photos = [ph.id];
  }
  return api('POST', `/api/inspections/${enc(item.round)}/marker-findings`, { body: finding });
}

function showAnswer(ans, prefix = '已保存') {
  const row = ans.row;
  state.rows.set(row.marker_no, row);
  say($('result'), `${prefix} ${row.marker_no}：位移 ${fmtM(row.displacement_m)}，结论 ${ZH[row.verdict] ?? row.verdict}`,
    row.verdict === 'intact' ? 'ok' : 'warn');
  if (state.markers[state.index]?.properties.number === row.marker_no) showLast();
}

async function save(ev) {
  ev.preventDefault();
  const no = state.markers[state.index].properties.number;
  const finding = { marker_no: no, inspected_on: $('date').value, condition: $('condition').value,
    note: $('note').value.trim(), repairs: $('repairs').value.trim() };
  const xs = $('x').value.trim();
  const ys = $('y').value.trim();
  if (xs || ys) {
    const x = Number(xs);
    const y = Number(ys);
    if (!xs || !ys || !Number.isFinite(x) || !Number.isFinite(y)) {
      say($('result'), '坐标必须是两个数字（或都留空：仅丢失的界桩可以没有坐标）', 'error');
      return;
    }
    finding.observed = { crs: $('crs').value, x_north: x, y_east: y };
  }
  const photo = $('photo').files[0] ?? null;
  if (photo) {
    if (photo.size > MAX_PHOTO) {
      say($('result'), `照片过大（${(photo.size / 1048576).toFixed(1)} MB），上限 1 MB：请缩小后再选`, 'error');
      return;
    }
    if (photo.type !== 'image/jpeg' && photo.type !== 'image/png') {
      say($('result'), `不是 JPEG 或 PNG 照片（${photo.type || '未知类型'}）`, 'error');
      return;
    }
  }
  const item = { round: state.round, finding, photo };
  if (!navigator.onLine) {
    await queue.enqueue(item);
    say($('result'), `已离线保存 ${no}，联网后自动发送`, 'warn');
    await showQueue();
    return;
  }
  $('save').disabled = true;
  try {
    showAnswer(await send(item));
  } catch (e) {
    if (e instanceof NetworkError) {
      await queue.enqueue(item);
      say($('result'), `网络中断：已离线保存 ${no}，联网后自动发送`, 'warn');
    } else {
      say($('result'), `保存失败：${e.message}`, 'error');
    }
  } finally {
    $('save').disabled = false;
    await showQueue();
  }
}

let flushing = false;
/** Sends the queued findings, oldest first; stops at the first network failure. */
async function flush() {
  if (flushing || !navigator.onLine || !getToken()) return;
  flushing = true;
  try {
    for (const item of await queue.all()) {
      if (item.failed) continue;
      try {
        const ans = await send(item);
        await queue.remove(item.id);
        showAnswer(ans, '已发送离线保存的');
      } catch (e) {
        if (e instanceof NetworkError) break;
        await queue.markFailed(item.id, e instanceof ApiError ? e.message : String(e));
        say($('result'), `离线保存的 ${item.finding.marker_no} 发送失败：${e.message}`, 'error');
      }
    }
  } finally {
    flushing = false;
    await showQueue();
  }
}

async function showQueue() {
  const items = await queue.all();
  const waiting = items.filter((i) => !i.failed).length;
  const failed = items.filter((i) => i.failed);
  const parts = [];
  if (waiting) parts.push(`待发送 ${waiting} 条`);
  for (const f of failed) parts.push(`${f.finding.marker_no} 未能发送：${f.failed}`);
  say($('queue'), parts.join('；'), failed.length ? 'error' : '');
}

function init() {
  $('date').value = today();
  showNet();
  window.addEventListener('online', () => {
    showNet();
    flush();
  });
  window.addEventListener('offline', showNet);
  $('signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    signIn($('token').value.trim());
  });
  $('line').addEventListener('change', () => loadRounds().catch((e) => say($('pick-status'), e.message, 'error')));
  $('round').addEventListener('change', () => loadRound().catch((e) => say($('pick-status'), e.message, 'error')));
  $('prev').addEventListener('click', () => { state.index--; showMarker(); });
  $('next').addEventListener('click', () => { state.index++; showMarker(); });
  $('crs').addEventListener('change', setAxisLabels);
  $('locate').addEventListener('click', locate);
  $('finding').addEventListener('submit', (ev) => save(ev).catch((e) => say($('result'), `保存失败：${e.message}`, 'error')));
  showQueue();
  if (getToken()) signIn(getToken());
}

init();
