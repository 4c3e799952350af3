// The place-name office's editor in the map (issue 6, EDIT-API.md): sign-in with a token, editing a place's attributes
// and geometry (terra-draw), new points, lines and polygons, the workflow (提交/批准/退回), the history with diffs and
// 恢复, and the conflict dialog on 412. main.js mounts it with mountEditor(map) and hands it map clicks first.
import * as api from './api.js';
import { actionLabel, diffRows, docPatch, movedMetres, readHistory, rebuild } from './diff.js';
import { el, localTime, modal } from './dom.js';
import { DRAFT_LAYERS, mountDrafts } from './drafts.js';
import { createDraw, editableGeometry } from './draw.js';
import { GEOMETRY_LABELS, PLACE_FIELDS, ROLE_LABELS, STATUS_LABELS, errorField, fieldErrorText, problemText } from './labels.js';
import { APPROVAL_FIELDS, allows, movesFor } from './workflow.js';
import './editor.css';

/** The attribute form: place members, in order. */
const FORM_FIELDS = [
  { name: 'name', type: 'text', required: true },
  { name: 'specific', type: 'text' },
  { name: 'generic', type: 'text' },
  { name: 'pinyin', type: 'text' },
  { name: 'category', type: 'text', required: true, list: 'ed-categories' },
  { name: 'meaning', type: 'textarea' },
  { name: 'history', type: 'textarea' },
  { name: 'description', type: 'textarea' },
  { name: 'heritage', type: 'checkbox' },
];

/** The layers a click in edit mode may pick a place from: the tiles' places layers and the staff-only drafts overlay. */
const PLACE_LAYERS = (map) => map.getStyle().layers
  .filter((l) => (l['source-layer'] === 'places' || DRAFT_LAYERS.includes(l.id)) && (l.layout?.visibility ?? 'visible') !== 'none')
  .map((l) => l.id);

/** A representative lon/lat of a geometry: the point, else the middle vertex of a line, else a polygon's first ring's mean. */
function anchor(g) {
  if (g.type === 'Point') return g.coordinates;
  if (g.type === 'LineString') return g.coordinates[Math.floor(g.coordinates.length / 2)];
  if (g.type === 'Polygon') {
    const ring = g.coordinates[0].slice(0, -1);
    return [ring.reduce((s, c) => s + c[0], 0) / ring.length, ring.reduce((s, c) => s + c[1], 0) / ring.length];
  }
  return null;
}

/**
 * Mounts the editor on map (a maplibregl.Map whose style is loading or loaded). Returns {claimsClick(e)}: main.js asks
 * it first on every map click, and opens its own popup only when the editor does not take the click.
 */
export function mountEditor(map, { categories = {} } = {}) {
  const wrap = map.getContainer().parentElement;
  const state = {
    user: null, // {name, role} after a sign-in
    editing: false, // 编辑模式: clicks on places open them in the editor
    place: null, // the Feature as the server answered it
    etag: null,
    isNew: false,
    geometry: null, // the geometry in the editor (moved, reshaped or newly drawn)
    tab: 'attrs',
  };
  let draw = null;
  const ui = {};
  window.__civmap = Object.assign(window.__civmap ?? {}, { editor: { state, ui } });

  // ---------------------------------------------------------------------------------------------------------------
  // Toolbar

  ui.toggle = el('button', { type: 'button', class: 'ed-btn', id: 'ed-toggle', 'aria-pressed': 'false', onclick: () => setEditing(!state.editing) }, '编辑地名');
  ui.newButtons = ['point', 'linestring', 'polygon'].map((mode) =>
    el('button', { type: 'button', class: 'ed-btn ed-new', 'data-mode': mode, hidden: true, onclick: () => startDrawing(mode) },
      `新建${{ point: '点', linestring: '线', polygon: '面' }[mode]}`));
  ui.user = el('span', { class: 'ed-user', id: 'ed-user' });
  ui.signIn = el('button', { type: 'button', class: 'ed-btn', id: 'ed-signin', onclick: () => signInDialog() }, '登录');
  ui.signOut = el('button', { type: 'button', class: 'ed-btn ed-quiet', id: 'ed-signout', hidden: true, onclick: signOut }, '退出');
  ui.hint = el('span', { class: 'ed-hint', id: 'ed-hint', 'aria-live': 'polite' });
  ui.bar = el('div', { class: 'ed-bar', id: 'ed-bar', role: 'toolbar', 'aria-label': '地名编辑' },
    ui.toggle, ...ui.newButtons, ui.hint, el('span', { class: 'ed-spacer' }), ui.user, ui.signIn, ui.signOut);
  ui.panel = el('aside', { class: 'ed-panel', id: 'ed-panel', hidden: true, 'aria-label': '地名编辑' });
  ui.categories = el('datalist', { id: 'ed-categories' }, Object.entries(categories).map(([k, v]) => el('option', { value: k }, v)));
  wrap.append(ui.bar, ui.panel, ui.categories);

  const hint = (msg) => { ui.hint.textContent = msg ?? ''; };

  function renderUser() {
    const u = state.user;
    ui.user.textContent = u ? `${u.name}（${ROLE_LABELS[u.role] ?? u.role}）` : '';
    ui.user.hidden = !u;
    ui.signIn.hidden = !!u;
    ui.signOut.hidden = !u;
  }

  function setEditing(on) {
    state.editing = on;
    ui.toggle.setAttribute('aria-pressed', String(on));
    ui.toggle.classList.toggle('on', on);
    for (const b of ui.newButtons) b.hidden = !on;
    hint(on ? '点击地图上的地名进行编辑，或新建点、线、面' : '');
    if (!on) closePlace();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Sign-in

  async function signInDialog(message) {
    await modal('ed-signin-dialog', (close) => {
      const input = el('input', { type: 'password', id: 'ed-token', autocomplete: 'off', spellcheck: 'false', placeholder: '粘贴管理员发放的令牌' });
      const err = el('p', { class: 'ed-error', id: 'ed-signin-error', 'aria-live': 'assertive' }, message ?? '');
      const submit = async (e) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) {
          err.textContent = '请输入令牌';
          return;
        }
        err.textContent = '正在验证…';
        try {
          const { data } = await api.me(token);
          state.user = { name: data.name, role: data.role };
          api.setToken(token);
          renderUser();
          close(true);
        } catch (e2) {
          err.textContent = e2.status === 401 ? '令牌无效或已吊销' : e2.status === 404 ? '服务器尚未启用令牌登录（/api/auth/me 不存在）' : `登录失败：${e2.message}`;
        }
      };
      return el('form', { method: 'dialog', onsubmit: submit },
        el('h2', {}, '登录'),
        el('label', { class: 'ed-field' }, el('span', {}, '令牌'), input),
        el('p', { class: 'ed-note' }, '令牌只保存在本标签页（关闭后失效），不会出现在网址中。'),
        err,
        el('div', { class: 'ed-actions' },
          el('button', { type: 'submit', class: 'ed-btn ed-primary', id: 'ed-signin-ok' }, '登录'),
          el('button', { type: 'button', class: 'ed-btn', onclick: () => close(false) }, '取消')));
    });
    if (state.place) renderPanel();
  }

  function signOut() {
    api.setToken('');
    state.user = null;
    renderUser();
    if (state.place) renderPanel();
  }

  // A token kept from before a page reload: check it again.
  if (api.getToken()) {
    api.me().then(({ data }) => {
      state.user = { name: data.name, role: data.role };
      renderUser();
      if (state.place) renderPanel();
    }).catch(() => {
      api.setToken('');
      renderUser();
    });
  }
  renderUser();

  // Tiles: reload the vector sources after a write or a sign-in/out (drafts are visible to staff only).
  const reloadTiles = () => {
    for (const [id, src] of Object.entries(map.getStyle()?.sources ?? {})) {
      if (src.type !== 'vector') continue;
      const s = map.getSource(id);
      if (s?.tiles) s.setTiles(s.tiles);
    }
  };
  api.events.addEventListener('write', reloadTiles);
  api.events.addEventListener('token', reloadTiles);
  mountDrafts(map, { onError: (msg) => message(msg, 'error') });

  // ---------------------------------------------------------------------------------------------------------------
  // Drawing

  const ready = () => {
    if (draw) return draw;
    draw = createDraw(map, {
      onDrawn: (geometry) => newPlace(geometry),
      onMoved: (geometry) => {
        state.geometry = geometry;
        renderGeometryNote();
      },
    });
    window.__civmap.editor.draw = draw;
    return draw;
  };
  if (map.isStyleLoaded()) ready();
  else map.once('load', ready);

  function startDrawing(mode) {
    closePlace();
    ready().start(mode);
    hint({ point: '在地图上单击放置新点', linestring: '单击添加折点，双击或单击最后一点结束', polygon: '单击添加顶点，单击第一个点闭合' }[mode]);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Opening a place

  async function openPlace(id) {
    try {
      const { data, etag } = await api.places.get(id);
      showPlace(data, etag);
    } catch (err) {
      hint(`无法打开地名 ${id}：${problemText(err)}`);
    }
  }

  function showPlace(feature, etag, { keepTab = true } = {}) {
    state.place = feature;
    state.etag = etag;
    state.isNew = false;
    state.geometry = feature.geometry;
    if (!keepTab) state.tab = 'attrs';
    const d = ready();
    const editable = editableGeometry(feature.geometry) && d.edit(feature.geometry);
    state.geometryEditable = editable;
    renderPanel();
  }

  async function newPlace(geometry) {
    state.place = { type: 'Feature', geometry, properties: { status: '' } };
    state.etag = null;
    state.isNew = true;
    state.geometry = geometry;
    state.tab = 'attrs';
    state.location = null;
    hint('');
    renderPanel();
    const at = anchor(geometry);
    if (!at) return;
    try {
      const { data } = await api.locate(at[0], at[1]);
      state.location = data;
    } catch (err) {
      state.location = { error: err.status === 404 ? '该位置不在任何乡镇（街道）范围内' : problemText(err) };
    }
    if (state.isNew) renderPanel();
  }

  function closePlace() {
    state.place = null;
    state.etag = null;
    state.isNew = false;
    state.geometry = null;
    draw?.clear();
    ui.panel.hidden = true;
    ui.panel.replaceChildren();
    wrap.classList.remove('ed-open');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The panel

  const version = () => api.versionOf(state.etag) ?? state.place?.properties?.version;

  function renderPanel() {
    const f = state.place;
    if (!f) return;
    const p = f.properties ?? {};
    ui.panel.hidden = false;
    wrap.classList.add('ed-open');
    const title = state.isNew ? `新建地名（${GEOMETRY_LABELS[f.geometry?.type] ?? ''}）` : p.name || f.id;
    const statusBadge = state.isNew ? null : el('span', { class: `ed-status ed-st-${p.status}`, id: 'ed-status' }, STATUS_LABELS[p.status] ?? p.status);
    const head = el('header', { class: 'ed-head' },
      el('div', {}, el('h2', { id: 'ed-title' }, title),
        el('div', { class: 'ed-sub' }, statusBadge, state.isNew ? null : el('span', { id: 'ed-version' }, `第 ${version()} 版`),
          state.isNew ? null : el('span', { class: 'ed-id' }, f.id ?? p.id))),
      el('button', { type: 'button', class: 'ed-close', title: '关闭', 'aria-label': '关闭', onclick: closePlace }, '×'));
    const tabs = state.isNew ? null : el('nav', { class: 'ed-tabs', role: 'tablist' },
      el('button', { type: 'button', role: 'tab', id: 'ed-tab-attrs', 'aria-selected': String(state.tab === 'attrs'), onclick: () => { state.tab = 'attrs'; renderPanel(); } }, '属性'),
      el('button', { type: 'button', role: 'tab', id: 'ed-tab-history', 'aria-selected': String(state.tab === 'history'), onclick: () => { state.tab = 'history'; renderPanel(); } }, '历史版本'));
    const body = el('div', { class: 'ed-body' });
    ui.panel.replaceChildren(head, tabs ?? '', body);
    if (state.tab === 'history' && !state.isNew) renderHistory(body);
    else renderForm(body);
  }

  const signedOutNote = () => (state.user ? null : el('p', { class: 'ed-note', id: 'ed-anon-note' }, '未登录。服务器要求登录时，保存会提示您登录。'));

  function renderForm(body) {
    const p = state.place.properties ?? {};
    const inputs = {};
    const rows = FORM_FIELDS.map((fd) => {
      const id = `ed-f-${fd.name}`;
      let input;
      if (fd.type === 'textarea') input = el('textarea', { id, name: fd.name, rows: 2 });
      else if (fd.type === 'checkbox') input = el('input', { id, name: fd.name, type: 'checkbox', checked: !!p[fd.name] });
      else input = el('input', { id, name: fd.name, type: 'text', list: fd.list, autocomplete: 'off' });
      if (fd.type !== 'checkbox') input.value = p[fd.name] ?? '';
      inputs[fd.name] = input;
      const label = `${PLACE_FIELDS[fd.name]}${fd.required ? ' *' : ''}`;
      return fd.type === 'checkbox'
        ? el('label', { class: 'ed-field ed-check', 'data-field': fd.name }, input, el('span', {}, label), el('span', { class: 'ed-ferr' }))
        : el('label', { class: 'ed-field', 'data-field': fd.name }, el('span', {}, label), input, el('span', { class: 'ed-ferr' }));
    });
    const status = state.isNew ? null : el('div', { class: 'ed-field ed-readonly', 'data-field': 'status' },
      el('span', {}, PLACE_FIELDS.status), el('output', { id: 'ed-f-status' }, STATUS_LABELS[p.status] ?? p.status ?? '—'));
    const approval = p.approval ? el('div', { class: 'ed-field ed-readonly', 'data-field': 'approval' }, el('span', {}, '批准信息'),
      el('output', {}, APPROVAL_FIELDS.map((a) => p.approval[a.name] ? `${a.label}：${p.approval[a.name]}` : null).filter(Boolean).join('；'))) : null;
    const reason = el('textarea', { id: 'ed-reason', name: 'reason', rows: 2, placeholder: '如：根据 2024 年地名普查复核更正' });
    const where = state.isNew ? el('div', { class: 'ed-field ed-readonly', 'data-field': 'division_codes' }, el('span', {}, '所在乡镇（街道）'),
      el('output', { id: 'ed-township' }, state.location?.township ? `${state.location.township.name}（${state.location.township.code}）` : state.location?.error ?? '正在查询…')) : null;
    ui.geometryNote = el('p', { class: 'ed-note', id: 'ed-geometry-note' });
    ui.message = el('p', { class: 'ed-message', id: 'ed-message', 'aria-live': 'polite' });
    const save = el('button', { type: 'submit', class: 'ed-btn ed-primary', id: 'ed-save' }, state.isNew ? '保存新地名' : '保存修改');
    const form = el('form', { class: 'ed-form', id: 'ed-form', onsubmit: (e) => { e.preventDefault(); save.disabled = true; (state.isNew ? create(inputs, reason) : saveEdit(inputs, reason)).finally(() => { save.disabled = false; }); } },
      status, where, ...rows, approval,
      el('label', { class: 'ed-field', 'data-field': 'reason' }, el('span', {}, '修改原因'), reason, el('span', { class: 'ed-ferr' })),
      ui.geometryNote, signedOutNote(), ui.message,
      el('div', { class: 'ed-actions' }, save, workflowButtons()));
    ui.form = form;
    ui.inputs = inputs;
    ui.reason = reason;
    body.append(form);
    renderGeometryNote();
  }

  function renderGeometryNote() {
    if (!ui.geometryNote) return;
    const g0 = state.place?.geometry;
    const g1 = state.geometry;
    let text = '';
    if (state.isNew) text = '新图形已绘制，可拖动调整。';
    else if (!state.geometryEditable) text = g0 ? `${GEOMETRY_LABELS[g0.type] ?? g0.type}几何不能在地图上拖动编辑，只能修改属性。` : '';
    else if (JSON.stringify(g0) !== JSON.stringify(g1)) {
      const m = movedMetres(g0, g1);
      text = m !== null ? `位置移动 ${m.toFixed(1)} 米（尚未保存）` : '几何形状已修改（尚未保存）';
    } else text = g0?.type === 'Point' ? '可在地图上拖动该点修改位置。' : '可拖动顶点修改形状。';
    ui.geometryNote.textContent = text;
  }

  function showFieldErrors(container, errors) {
    for (const e of container.querySelectorAll('.ed-ferr')) e.textContent = '';
    for (const e of container.querySelectorAll('.ed-invalid')) e.classList.remove('ed-invalid');
    const unplaced = [];
    for (const err of errors) {
      const name = errorField(err);
      const row = container.querySelector(`[data-field="${CSS.escape(name)}"]`);
      if (row) {
        row.classList.add('ed-invalid');
        const slot = row.querySelector('.ed-ferr');
        slot.textContent = slot.textContent ? `${slot.textContent}；${fieldErrorText(err)}` : fieldErrorText(err);
      } else unplaced.push(`${PLACE_FIELDS[name] ?? err.field}：${fieldErrorText(err)}`);
    }
    return unplaced;
  }

  function message(text, kind = 'info') {
    if (!ui.message) return;
    ui.message.textContent = text;
    ui.message.dataset.kind = kind;
  }

  function failed(err, container = ui.form) {
    if (!(err instanceof api.ApiError)) {
      message(`无法连接服务器：${err.message}`, 'error');
      return;
    }
    const rest = container ? showFieldErrors(container, err.errors) : [];
    message([problemText(err), ...rest].join(' '), 'error');
    if (err.status === 401) signInDialog('需要登录后才能修改。请输入令牌。');
  }

  /** The merge patch (RFC 7396) from the loaded place to the form and the edited geometry. */
  function formPatch(inputs) {
    const p = state.place.properties ?? {};
    const props = {};
    for (const fd of FORM_FIELDS) {
      const input = inputs[fd.name];
      if (fd.type === 'checkbox') {
        if (input.checked !== !!p[fd.name]) props[fd.name] = input.checked;
        continue;
      }
      const v = input.value.trim();
      const old = p[fd.name] ?? '';
      if (v !== old) props[fd.name] = v === '' ? null : v;
    }
    const patch = {};
    if (Object.keys(props).length) patch.properties = props;
    if (state.geometryEditable && JSON.stringify(state.geometry) !== JSON.stringify(state.place.geometry)) patch.geometry = state.geometry;
    return patch;
  }

  async function saveEdit(inputs, reasonInput) {
    const patch = formPatch(inputs);
    if (Object.keys(patch).length === 0) {
      message('没有修改。');
      return;
    }
    const reason = reasonInput.value.trim();
    if (reason) patch.reason = reason;
    showFieldErrors(ui.form, []);
    message('正在保存…');
    try {
      const res = await api.places.patch(state.place.id ?? state.place.properties.id, state.etag, patch);
      saved(res, '已保存');
    } catch (err) {
      if (err.status === 412) return conflict(patch);
      failed(err);
    }
  }

  function saved(res, what) {
    showPlace(res.data, res.etag);
    api.tilesChanged();
    message(`${what}（第 ${version()} 版）`, 'ok');
  }

  async function create(inputs, reasonInput) {
    const props = {};
    for (const fd of FORM_FIELDS) {
      const input = inputs[fd.name];
      if (fd.type === 'checkbox') props[fd.name] = input.checked;
      else if (input.value.trim()) props[fd.name] = input.value.trim();
    }
    const township = state.location?.township?.code;
    if (township) props.division_codes = [township];
    const geometry = draw?.geometry() ?? state.geometry;
    const feature = { type: 'Feature', geometry, properties: props };
    const reason = reasonInput.value.trim();
    if (reason) feature.reason = reason;
    showFieldErrors(ui.form, []);
    message('正在保存…');
    try {
      const res = await api.places.create(feature);
      saved(res, '已新建');
    } catch (err) {
      failed(err);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 412: someone else saved first

  async function conflict(patch) {
    const mine = api.versionOf(state.etag);
    const choice = await modal('ed-conflict', (close) => [
      el('h2', {}, '记录已被他人修改'),
      el('p', {}, `您打开的是第 ${mine} 版，在此期间已有人保存了新的版本。`),
      el('p', {}, '重新加载：放弃您的修改，显示最新记录。覆盖：以最新版本为基础，重新提交您修改的字段（他人对这些字段的修改将被覆盖）。'),
      el('div', { class: 'ed-actions' },
        el('button', { type: 'button', class: 'ed-btn', id: 'ed-conflict-reload', onclick: () => close('reload') }, '重新加载'),
        el('button', { type: 'button', class: 'ed-btn ed-danger', id: 'ed-conflict-overwrite', onclick: () => close('overwrite') }, '覆盖'),
        el('button', { type: 'button', class: 'ed-btn ed-quiet', onclick: () => close(null) }, '取消')),
    ]);
    const id = state.place.id ?? state.place.properties.id;
    if (choice === 'reload') {
      await openPlace(id);
      message('已重新加载最新记录，您的修改已放弃。');
    } else if (choice === 'overwrite') {
      try {
        const fresh = await api.places.get(id);
        const res = await api.places.patch(id, fresh.etag, patch);
        saved(res, '已覆盖保存');
      } catch (err) {
        if (err.status === 412) return conflict(patch);
        failed(err);
      }
    } else {
      message('记录已被他人修改，尚未保存。', 'error');
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Workflow

  function workflowButtons() {
    if (state.isNew) return null;
    const moves = movesFor(state.place.properties?.status, state.user?.role);
    return moves.map((m) => el('button', { type: 'button', class: `ed-btn ed-move ed-move-${m.action}`, 'data-action': m.action, onclick: () => move(m) }, m.label));
  }

  async function move(m) {
    const id = state.place.id ?? state.place.properties.id;
    if (m.action === 'submit') {
      const reason = ui.reason?.value.trim();
      try {
        saved(await api.places.move(id, 'submit', state.etag, reason ? { reason } : {}), '已提交审核');
      } catch (err) {
        if (err.status === 412) message('记录已被他人修改，请重新加载后再提交。', 'error');
        else failed(err);
      }
      return;
    }
    await modal(`ed-${m.form}-dialog`, (close) => {
      const inputs = {};
      const rows = (m.form === 'approve' ? APPROVAL_FIELDS : []).map((a) => {
        inputs[a.name] = el('input', { type: a.type, id: `ed-a-${a.name}`, name: a.name });
        return el('label', { class: 'ed-field', 'data-field': a.name }, el('span', {}, a.label), inputs[a.name], el('span', { class: 'ed-ferr' }));
      });
      const reason = el('textarea', { id: `ed-${m.form}-reason`, rows: 2 });
      const msg = el('p', { class: 'ed-message', id: `ed-${m.form}-message`, 'aria-live': 'polite' });
      const form = el('form', { method: 'dialog' });
      const send = async (e) => {
        e.preventDefault();
        const body = {};
        for (const [k, input] of Object.entries(inputs)) if (input.value.trim()) body[k] = input.value.trim();
        if (reason.value.trim()) body.reason = reason.value.trim();
        showFieldErrors(form, []);
        msg.textContent = '正在提交…';
        try {
          const res = await api.places.move(id, m.action, state.etag, body);
          close(true);
          saved(res, m.action === 'approve' ? '已批准' : '已退回');
        } catch (err) {
          if (!(err instanceof api.ApiError)) {
            msg.textContent = `无法连接服务器：${err.message}`;
            return;
          }
          const rest = showFieldErrors(form, err.errors);
          msg.textContent = [err.status === 422 ? '批准未通过：请补全标出的字段。' : problemText(err), ...rest].join(' ');
          msg.dataset.kind = 'error';
        }
      };
      form.addEventListener('submit', send);
      form.append(
        el('h2', {}, m.form === 'approve' ? `批准地名“${state.place.properties?.name ?? ''}”` : `退回地名“${state.place.properties?.name ?? ''}”`),
        ...rows,
        el('label', { class: 'ed-field', 'data-field': 'reason' }, el('span', {}, m.form === 'reject' ? '退回原因 *' : '原因'), reason, el('span', { class: 'ed-ferr' })),
        msg,
        el('div', { class: 'ed-actions' },
          el('button', { type: 'submit', class: 'ed-btn ed-primary', id: `ed-${m.form}-ok` }, m.form === 'approve' ? '确认批准' : '确认退回'),
          el('button', { type: 'button', class: 'ed-btn', onclick: () => close(false) }, '取消')));
      return form;
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // History

  async function renderHistory(body) {
    const id = state.place.id ?? state.place.properties.id;
    const list = el('ol', { class: 'ed-history', id: 'ed-history' });
    const note = el('p', { class: 'ed-note', id: 'ed-history-note' }, '正在加载历史版本…');
    ui.message = el('p', { class: 'ed-message', id: 'ed-message', 'aria-live': 'polite' });
    body.append(note, ui.message, list);
    let hist;
    try {
      const { data } = await api.places.history(id);
      hist = readHistory(data);
      if (hist.serverDiffs && hist.items.length) {
        // Old values: rebuild the documents from the version before the oldest listed one.
        const oldest = hist.items.at(-1).version;
        const baseVersion = Math.max(1, oldest - 1);
        try {
          const { data: doc } = await api.places.version(id, baseVersion);
          rebuild(hist.items, { version: baseVersion, doc });
        } catch {
          // old values unknown; the rows show "…"
        }
      } else rebuild(hist.items, null);
    } catch (err) {
      note.textContent = `历史版本加载失败：${problemText(err)}`;
      return;
    }
    if (state.tab !== 'history' || (state.place.id ?? state.place.properties.id) !== id) return;
    note.textContent = `共 ${hist.total} 个版本，最新的在前。${hist.serverDiffs ? '' : '（服务器未提供差异，差异由页面比较得出）'}`;
    const current = version();
    const canRestore = hist.serverDiffs && allows(state.user?.role, 'reviewer');
    for (const it of hist.items) {
      const rows = diffRows(it);
      const who = [it.actor || '（未记录）', it.role ? ROLE_LABELS[it.role] ?? it.role : null].filter(Boolean).join(' · ');
      const restore = canRestore && it.version !== current
        ? el('button', { type: 'button', class: 'ed-btn ed-small ed-restore', 'data-version': it.version, onclick: () => restoreVersion(id, it.version) }, '恢复')
        : null;
      list.append(el('li', { class: 'ed-version', 'data-version': it.version },
        el('div', { class: 'ed-vhead' },
          el('strong', {}, `第 ${it.version} 版`),
          el('span', { class: 'ed-action', 'data-action': it.action }, actionLabel(it.action)),
          el('span', { class: 'ed-actor' }, who),
          el('time', { datetime: it.time }, localTime(it.time)),
          restore),
        it.reason ? el('p', { class: 'ed-reason' }, `原因：${it.reason}`) : null,
        rows.length
          ? el('ul', { class: 'ed-diff' }, rows.map((r) => el('li', { 'data-field': r.field },
            r.field === 'geometry' ? el('span', { class: 'ed-geo' }, r.text)
              : [el('span', { class: 'ed-dfield' }, r.label), el('del', {}, r.old), ' → ', el('ins', {}, r.new)])))
          : el('p', { class: 'ed-note' }, it.version === 1 || it.action === 'create' ? '新建记录' : '无字段变化')));
    }
  }

  async function restoreVersion(id, v) {
    const reason = await modal('ed-restore-dialog', (close) => {
      const input = el('textarea', { id: 'ed-restore-reason', rows: 2 });
      return el('form', { method: 'dialog', onsubmit: (e) => { e.preventDefault(); close(input.value.trim() || ''); } },
        el('h2', {}, `恢复到第 ${v} 版`),
        el('p', {}, `将以第 ${v} 版的内容写入一个新版本，现有版本都会保留。`),
        el('label', { class: 'ed-field' }, el('span', {}, '原因'), input),
        el('div', { class: 'ed-actions' },
          el('button', { type: 'submit', class: 'ed-btn ed-primary', id: 'ed-restore-ok' }, '确认恢复'),
          el('button', { type: 'button', class: 'ed-btn', onclick: () => close(null) }, '取消')));
    });
    if (reason === null) return;
    try {
      const res = await api.places.restore(id, v, state.etag, reason || `恢复第 ${v} 版`);
      state.tab = 'history';
      saved(res, `已恢复第 ${v} 版`);
    } catch (err) {
      if (err.status === 412) message('记录已被他人修改，请重新打开后再恢复。', 'error');
      else message(problemText(err), 'error');
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Map clicks

  return {
    /** Whether the editor takes this map click (edit mode or drawing); if so it handles it. */
    claimsClick(e) {
      if (draw?.drawing) return true;
      if (!state.editing) return false;
      const layers = PLACE_LAYERS(map);
      if (!layers.length) return true;
      const r = 6;
      const feats = map.queryRenderedFeatures([[e.point.x - r, e.point.y - r], [e.point.x + r, e.point.y + r]], { layers });
      const rank = (f) => (f.geometry.type.endsWith('Point') ? 0 : f.geometry.type.endsWith('LineString') ? 1 : 2);
      const dist = (f) => {
        if (f.geometry.type !== 'Point') return 0;
        const q = map.project(f.geometry.coordinates);
        return Math.hypot(q.x - e.point.x, q.y - e.point.y);
      };
      const f = feats.filter((x) => x.properties?.id).sort((a, b) => rank(a) - rank(b) || dist(a) - dist(b))[0];
      const openId = state.place && !state.isNew ? state.place.id ?? state.place.properties?.id : null;
      if (f && f.properties.id !== openId) openPlace(f.properties.id);
      return true;
    },
    openPlace,
    setEditing,
  };
}
