// Browser tests of the place editor (src/editor/) against a running civmap server (scripts/browser-test.sh starts one
// and sets CIVMAP_URL; with token support it also creates tokens and sets CIVMAP_EDITOR_TOKEN, CIVMAP_REVIEWER_TOKEN).
// Each check reads the record back from the API: the saved values, the version numbers, the distance a point moved.
//
// Every test signs in with those tokens; without them the suite fails in before(): it never skips.
//
//   cd web && CIVMAP_URL=http://127.0.0.1:8080 [CIVMAP_EDITOR_TOKEN=… CIVMAP_REVIEWER_TOKEN=…] npm test
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { BASE, CHROMIUM, RESULTS, CHROMIUM_ARGS } from './browser.mjs';

const EDITOR_TOKEN = process.env.CIVMAP_EDITOR_TOKEN ?? '';
const REVIEWER_TOKEN = process.env.CIVMAP_REVIEWER_TOKEN ?? '';

// Sample places (data/sample): two points and two small polygons, each used by one test so the tests do not meet.
const EDIT_ID = 'p-9124814c735841ae'; // 象山港书院, Point
const DRAG_ID = 'p-5de8bf6b90641952'; // 东溪小学, Point
const CONFLICT_ID = 'p-188c7f9310dbff11'; // 下沈小学, Polygon


/** Distance in metres between two lon/lat points (haversine on a sphere of radius 6371008.8 m). */
function metres([lon1, lat1], [lon2, lat2]) {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

/** Calls the API from the test (not the browser): {status, etag, data}. */
async function apiCall(method, path, { token, body, etag, contentType } = {}) {
  const headers = { Accept: 'application/json, application/geo+json, application/problem+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (etag) headers['If-Match'] = etag;
  if (body !== undefined) headers['Content-Type'] = contentType ?? 'application/json';
  const res = await fetch(new URL(path, BASE), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  return { status: res.status, etag: res.headers.get('ETag'), data };
}

async function getPlace(id, token) {
  const r = await apiCall('GET', `/api/places/${encodeURIComponent(id)}`, { token });
  assert.equal(r.status, 200, `GET /api/places/${id}: HTTP ${r.status} ${JSON.stringify(r.data)}`);
  return { feature: r.data, version: Number(/"(\d+)"/.exec(r.etag)?.[1]) };
}

/** A representative lon/lat of a Point or Polygon (the point; the mean of the outer ring's vertices). */
function anchor(g) {
  if (g.type === 'Point') return g.coordinates;
  const ring = g.coordinates[0].slice(0, -1);
  return [ring.reduce((s, c) => s + c[0], 0) / ring.length, ring.reduce((s, c) => s + c[1], 0) / ring.length];
}

describe('civmap place editor', { timeout: 300_000 }, () => {
  let browser;
  let me = { editor: null, reviewer: null }; // /api/auth/me of the tokens
  const pages = [];

  /** A page in a new browser context (its own sessionStorage), watching for errors; expected(status, urlPart) allows one. */
  async function newPage() {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN', deviceScaleFactor: 1 });
    const page = await context.newPage();
    const origin = new URL(BASE).origin;
    page.problems = [];
    page.allowed = [];
    page.requests = [];
    page.expected = (status, part) => page.allowed.push({ status, part });
    // Chromium logs every 4xx as a console error too; the response handler below judges those (expected or not).
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) page.problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
    page.on('request', (req) => page.requests.push({ url: req.url(), auth: req.headers().authorization ?? '' }));
    page.on('requestfailed', (req) => {
      const why = req.failure()?.errorText ?? '';
      if (why === 'net::ERR_ABORTED' && /\/tiles\//.test(req.url())) return;
      page.problems.push(`request failed: ${req.method()} ${req.url()}: ${why}`);
    });
    page.on('response', (res) => {
      if (res.status() < 400) return;
      const i = page.allowed.findIndex((a) => a.status === res.status() && res.url().includes(a.part));
      if (i >= 0) page.allowed.splice(i, 1);
      else page.problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
      page.problems.push(`external request: ${url}`);
      return route.abort('blockedbyclient');
    });
    await page.goto(BASE, { waitUntil: 'load' });
    await page.waitForFunction(() => !!window.__civmap?.map && !!window.__civmap?.editor?.draw, null, { timeout: 30_000 });
    await settled(page, 60_000);
    pages.push(page);
    return page;
  }

  const settled = (page, timeout = 30_000) =>
    page.waitForFunction(() => {
      const m = window.__civmap?.map;
      return !!m && m.isStyleLoaded() && m.areTilesLoaded() && m.loaded() && !m.isMoving();
    }, null, { timeout, polling: 100 });

  async function signIn(page, token, who) {
    await page.locator('#ed-signin').click();
    await page.locator('#ed-token').fill(token);
    await page.locator('#ed-signin-ok').click();
    await page.locator('#ed-user', { hasText: who.name }).waitFor({ timeout: 10_000 });
  }

  /** Signs page in with the token of role (editor or reviewer). */
  async function signInAs(page, role) {
    await signIn(page, role === 'reviewer' ? REVIEWER_TOKEN : EDITOR_TOKEN, me[role]);
  }

  /** Turns on edit mode, shows the place at zoom 17 and clicks it; waits for the editor panel to show it. */
  async function openPlace(page, id, token) {
    const { feature, version } = await getPlace(id, token);
    if ((await page.locator('#ed-toggle').getAttribute('aria-pressed')) !== 'true') await page.locator('#ed-toggle').click();
    const at = anchor(feature.geometry);
    await page.evaluate((center) => window.__civmap.map.jumpTo({ center, zoom: 17 }), at);
    await settled(page);
    const pt = await page.evaluate((c) => window.__civmap.map.project(c), at);
    const box = await page.locator('#map canvas').boundingBox();
    await page.mouse.click(box.x + pt.x, box.y + pt.y);
    await page.locator('#ed-title', { hasText: feature.properties.name }).waitFor({ timeout: 10_000 });
    await page.locator('#ed-version', { hasText: `第 ${version} 版` }).waitFor({ timeout: 5_000 });
    return { feature, version, at, pt, box };
  }

  before(async () => {
    assert.ok(BASE, 'CIVMAP_URL is not set: run scripts/browser-test.sh, or start `civmap serve` and set CIVMAP_URL');
    await mkdir(RESULTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    for (const [role, token] of [['editor', EDITOR_TOKEN], ['reviewer', REVIEWER_TOKEN]]) {
      assert.ok(token, `no ${role} token: scripts/browser-test.sh makes them with \`civmap token create\``);
      const r = await apiCall('GET', '/api/auth/me', { token });
      assert.equal(r.status, 200, `GET /api/auth/me with the ${role} token: HTTP ${r.status}`);
      me[role] = r.data;
    }
  });

  after(async () => {
    await browser?.close();
  });

  test('sign-in with a token: name and role shown, token only in sessionStorage, Bearer on API and tile requests', async () => {
    const page = await newPage();
    page.expected(401, '/api/auth/me');
    await page.locator('#ed-signin').click();
    await page.locator('#ed-token').fill('not-a-token');
    await page.locator('#ed-signin-ok').click();
    await page.locator('#ed-signin-error', { hasText: '令牌无效或已吊销' }).waitFor({ timeout: 10_000 });
    await page.locator('#ed-token').fill(EDITOR_TOKEN);
    await page.locator('#ed-signin-ok').click();
    await page.locator('#ed-user', { hasText: me.editor.name }).waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#ed-user').innerText(), /编辑员/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('civmap.token')), EDITOR_TOKEN);
    const local = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    assert.ok(!local.includes(EDITOR_TOKEN), 'the token is in localStorage');
    // Requests after the sign-in carry the token; tiles are reloaded with it.
    const from = page.requests.length;
    await page.evaluate(() => window.__civmap.map.jumpTo({ center: [121.87, 29.47], zoom: 14 }));
    await settled(page);
    await page.locator('#search-input').fill('小学');
    await page.locator('#search-input').press('Enter');
    await page.locator('#search-results li').first().waitFor({ timeout: 10_000 });
    const later = page.requests.slice(from).filter((r) => /\/(api|tiles)\//.test(r.url));
    assert.ok(later.some((r) => /\/tiles\/.+\.(mvt|pbf)/.test(r.url)), 'no tile requests after the sign-in');
    assert.ok(later.some((r) => /\/api\/search\?/.test(r.url)), 'no search request after the sign-in');
    for (const r of later) assert.equal(r.auth, `Bearer ${EDITOR_TOKEN}`, `${r.url} without the bearer token`);
    for (const r of page.requests) assert.ok(!r.url.includes(EDITOR_TOKEN), `token in a URL: ${r.url}`);
    assert.ok(!page.url().includes(EDITOR_TOKEN));
    await page.locator('#ed-signout').click();
    await page.locator('#ed-signin').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('civmap.token')), null);
    assert.deepEqual(page.problems, []);
  });

  test('editing attributes saves a PATCH with If-Match and the reason', async () => {
    const page = await newPage();
    await signInAs(page, 'editor');
    const { feature, version } = await openPlace(page, EDIT_ID, EDITOR_TOKEN);
    assert.equal(await page.locator('#ed-f-name').inputValue(), feature.properties.name);
    assert.equal(await page.locator('#ed-f-status').innerText(), '现行（已批准）');
    const desc = `${feature.properties.name}位于丹城，2024 年复核。`;
    await page.locator('#ed-f-description').fill(desc);
    await page.locator('#ed-f-pinyin').fill('Xiàngshān Gǎng Shūyuàn');
    await page.locator('#ed-reason').fill('地名普查复核');
    await page.locator('#ed-save').click();
    await page.locator('#ed-message', { hasText: `已保存（第 ${version + 1} 版）` }).waitFor({ timeout: 10_000 });
    const after = await getPlace(EDIT_ID, EDITOR_TOKEN);
    assert.equal(after.version, version + 1);
    assert.equal(after.feature.properties.description, desc);
    assert.equal(after.feature.properties.pinyin, 'Xiàngshān Gǎng Shūyuàn');
    assert.equal(after.feature.properties.name, feature.properties.name, 'the name changed');
    assert.deepEqual(after.feature.geometry, feature.geometry, 'the geometry changed');
    const h = await apiCall('GET', `/api/places/${EDIT_ID}/history`, { token: EDITOR_TOKEN });
    assert.equal(h.data.items[0].version, version + 1);
    assert.equal(h.data.items[0].reason, '地名普查复核');
    assert.equal(h.data.items[0].actor, me.editor.name);
    assert.deepEqual(page.problems, []);
  });

  test('dragging a point moves it by the dragged distance', async () => {
    const page = await newPage();
    await signInAs(page, 'editor');
    const { feature, version, pt, box } = await openPlace(page, DRAG_ID, EDITOR_TOKEN);
    const dx = 80;
    const dy = -50;
    const target = await page.evaluate(([x, y]) => window.__civmap.map.unproject([x, y]).toArray(), [pt.x + dx, pt.y + dy]);
    const expected = metres(feature.geometry.coordinates, target);
    await page.mouse.move(box.x + pt.x, box.y + pt.y);
    await page.mouse.down();
    // terra-draw starts the drag on the first pointer move and moves the point from the next one on: start with 1 px.
    await page.mouse.move(box.x + pt.x + 1, box.y + pt.y);
    await page.mouse.move(box.x + pt.x + dx / 2, box.y + pt.y + dy / 2, { steps: 8 });
    await page.mouse.move(box.x + pt.x + dx, box.y + pt.y + dy, { steps: 8 });
    await page.mouse.up();
    await page.locator('#ed-geometry-note', { hasText: '位置移动' }).waitFor({ timeout: 5_000 });
    const note = await page.locator('#ed-geometry-note').innerText();
    const shown = Number(/位置移动 ([\d.]+) 米/.exec(note)?.[1]);
    // The point may trail the pointer by the first move's pixel: allow 4 px (metres per pixel at this zoom and latitude).
    const perPixel = metres(target, await page.evaluate(([x, y]) => window.__civmap.map.unproject([x, y]).toArray(), [pt.x + dx + 1, pt.y + dy]));
    const slack = 4 * perPixel;
    assert.ok(Math.abs(shown - expected) < slack, `panel says ${note}; the drag was ${expected.toFixed(1)} m (±${slack.toFixed(1)} m)`);
    await page.locator('#ed-reason').fill('按实地核查调整位置');
    await page.locator('#ed-save').click();
    await page.locator('#ed-message', { hasText: `已保存（第 ${version + 1} 版）` }).waitFor({ timeout: 10_000 });
    const after = await getPlace(DRAG_ID, EDITOR_TOKEN);
    assert.equal(after.version, version + 1);
    assert.equal(after.feature.geometry.type, 'Point');
    const moved = metres(feature.geometry.coordinates, after.feature.geometry.coordinates);
    assert.ok(expected > 20, `the drag was only ${expected.toFixed(1)} m`);
    // What was saved is what the panel showed before saving, and where the pointer let go.
    assert.ok(Math.abs(moved - shown) < 0.06, `saved a move of ${moved.toFixed(2)} m, the panel showed ${shown} m`);
    assert.ok(metres(after.feature.geometry.coordinates, target) < slack, `saved ${metres(after.feature.geometry.coordinates, target).toFixed(1)} m from where the pointer let go`);
    assert.equal(after.feature.properties.name, feature.properties.name);

    // The history shows the move with its distance (server's moved_m, or computed from the two versions).
    await page.locator('#ed-tab-history').click();
    const newest = page.locator('#ed-history > li').first();
    await newest.waitFor({ timeout: 10_000 });
    assert.equal(await newest.getAttribute('data-version'), String(version + 1));
    const geo = await newest.locator('[data-field="geometry"]').innerText();
    const listed = Number(/位置移动 ([\d.]+) 米/.exec(geo)?.[1]);
    assert.ok(Math.abs(listed - moved) < Math.max(0.2, moved * 0.006), `history says "${geo}", the point moved ${moved.toFixed(2)} m`);
    assert.deepEqual(page.problems, []);
  });

  test('two editors: the second save gets the conflict dialog and overwrites knowingly', async () => {
    const a = await newPage();
    const b = await newPage();
    await signInAs(a, 'editor');
    await signInAs(b, 'editor');
    const token = EDITOR_TOKEN;
    const { version } = await openPlace(a, CONFLICT_ID, token);
    await openPlace(b, CONFLICT_ID, token);
    await a.locator('#ed-f-meaning').fill('因下沈村得名（A 的修改）');
    await a.locator('#ed-save').click();
    await a.locator('#ed-message', { hasText: `已保存（第 ${version + 1} 版）` }).waitFor({ timeout: 10_000 });

    b.expected(412, `/api/places/${CONFLICT_ID}`);
    await b.locator('#ed-f-description').fill('B 填写的概况');
    await b.locator('#ed-save').click();
    const dialog = b.locator('dialog.ed-conflict');
    await dialog.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await dialog.innerText(), /记录已被他人修改/);
    assert.match(await dialog.innerText(), new RegExp(`第 ${version} 版`));
    await b.screenshot({ path: `${RESULTS}editor-conflict.png` });
    await b.locator('#ed-conflict-overwrite').click();
    await b.locator('#ed-message', { hasText: `已覆盖保存（第 ${version + 2} 版）` }).waitFor({ timeout: 10_000 });

    const after = await getPlace(CONFLICT_ID, token);
    assert.equal(after.version, version + 2);
    assert.equal(after.feature.properties.description, 'B 填写的概况');
    // B re-sent only its own change: A's saved field survives.
    assert.equal(after.feature.properties.meaning, '因下沈村得名（A 的修改）');
    assert.equal(await b.locator('#ed-f-meaning').inputValue(), '因下沈村得名（A 的修改）');
    assert.deepEqual(a.problems, []);
    assert.deepEqual(b.problems, []);
  });

  test('drawing a new point creates a place in the township /api/locate names', async () => {
    const page = await newPage();
    await signInAs(page, 'editor');
    await page.locator('#ed-toggle').click();
    const center = [121.8745, 29.4655];
    await page.evaluate((c) => window.__civmap.map.jumpTo({ center: c, zoom: 16 }), center);
    await settled(page);
    await page.locator('.ed-new[data-mode="point"]').click();
    const box = await page.locator('#map canvas').boundingBox();
    const pt = await page.evaluate((c) => window.__civmap.map.project(c), center);
    const at = await page.evaluate(([x, y]) => window.__civmap.map.unproject([x, y]).toArray(), [pt.x, pt.y]);
    await page.mouse.click(box.x + pt.x, box.y + pt.y);
    await page.locator('#ed-title', { hasText: '新建地名（点）' }).waitFor({ timeout: 5_000 });
    const loc = await apiCall('GET', `/api/locate?lon=${at[0]}&lat=${at[1]}`);
    assert.equal(loc.status, 200);
    await page.locator('#ed-township', { hasText: loc.data.township.code }).waitFor({ timeout: 5_000 });
    await page.locator('#ed-f-name').fill('青草巷口');
    await page.locator('#ed-f-category').fill('road');
    await page.locator('#ed-reason').fill('新增地名');
    await page.locator('#ed-save').click();
    await page.locator('#ed-message', { hasText: '已新建（第 1 版）' }).waitFor({ timeout: 10_000 });
    const id = (await page.locator('.ed-id').innerText()).trim();
    const got = await getPlace(id, EDITOR_TOKEN);
    assert.equal(got.version, 1);
    assert.equal(got.feature.properties.name, '青草巷口');
    assert.equal(got.feature.properties.category, 'road');
    assert.deepEqual(got.feature.properties.division_codes, [loc.data.township.code]);
    assert.ok(metres(got.feature.geometry.coordinates, at) < 0.5, `created at ${got.feature.geometry.coordinates}, clicked ${at}`);
    assert.deepEqual(page.problems, []);
  });

  test('the history lists versions newest first with readable diffs', async () => {
    const page = await newPage();
    await signInAs(page, 'reviewer');
    const token = REVIEWER_TOKEN;
    const { feature, version } = await openPlace(page, EDIT_ID, token);
    // The attribute test saved version `version` (description and pinyin) over version - 1.
    const prevDoc = (await apiCall('GET', `/api/places/${EDIT_ID}/history/${version - 1}`, { token })).data;
    assert.ok(prevDoc, `version ${version - 1} not found`);
    assert.notEqual(prevDoc.properties.description, feature.properties.description, 'the attribute test did not run first');
    await page.locator('#ed-tab-history').click();
    const items = page.locator('#ed-history > li');
    await items.first().waitFor({ timeout: 10_000 });
    const listed = await items.evaluateAll((lis) => lis.map((li) => Number(li.dataset.version)));
    assert.equal(listed[0], version);
    assert.deepEqual(listed, [...listed].sort((x, y) => y - x), 'not newest first');
    assert.equal(listed.at(-1), 1);
    const newest = items.first();
    assert.match(await newest.locator('.ed-action').innerText(), /修改/);
    const row = newest.locator('[data-field="description"]');
    assert.equal(await row.locator('.ed-dfield').innerText(), '地理实体概况');
    assert.equal(await row.locator('del').innerText(), prevDoc.properties.description || '（空）');
    assert.equal(await row.locator('ins').innerText(), feature.properties.description);
    assert.equal(await newest.locator('[data-field="pinyin"] ins').innerText(), feature.properties.pinyin);
    assert.match(await newest.locator('.ed-reason').innerText(), /地名普查复核/);
    assert.match(await newest.locator('.ed-actor').innerText(), new RegExp(me.editor.name));
    await page.screenshot({ path: `${RESULTS}editor-history.png` });
    assert.deepEqual(page.problems, []);
  });

  test('a reviewer restores the version before the attribute edit', async () => {
    const page = await newPage();
    await signIn(page, REVIEWER_TOKEN, me.reviewer);
    const token = REVIEWER_TOKEN;
    const { version } = await openPlace(page, EDIT_ID, token);
    const prevDoc = (await apiCall('GET', `/api/places/${EDIT_ID}/history/${version - 1}`, { token })).data;
    await page.locator('#ed-tab-history').click();
    const items = page.locator('#ed-history > li');
    await items.first().waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.ed-restore').count() > 0, true, 'a reviewer is offered no 恢复');
    await items.locator(`[data-version="${version - 1}"].ed-restore`).first().click();
    await page.locator('#ed-restore-reason').fill('撤销误改');
    await page.locator('#ed-restore-ok').click();
    await page.locator('#ed-message', { hasText: `已恢复第 ${version - 1} 版（第 ${version + 1} 版）` }).waitFor({ timeout: 10_000 });
    const after = await getPlace(EDIT_ID, token);
    assert.equal(after.version, version + 1);
    assert.equal(after.feature.properties.description ?? '', prevDoc.properties.description ?? '');
    // A version without pinyin comes back with the derived spelling (a place saved without pinyin gets it: issue 9).
    const wantPinyin = prevDoc.properties.pinyin ||
      (await apiCall('GET', `/api/names/pinyin?name=${encodeURIComponent(after.feature.properties.name)}`, { token })).data.pinyin;
    assert.equal(after.feature.properties.pinyin ?? '', wantPinyin);
    const h = await apiCall('GET', `/api/places/${EDIT_ID}/history`, { token });
    assert.equal(h.data.items[0].version, version + 1);
    assert.equal(h.data.items[0].action, 'restore');
    await page.locator('#ed-history > li[data-version="' + (version + 1) + '"]').waitFor({ timeout: 10_000 });
    assert.deepEqual(page.problems, []);
  });

  test('submit by an editor; an approval without its documents is refused with the fields named in Chinese', async () => {
    // A draft, created through the API by the editor.
    const created = await apiCall('POST', '/api/places', {
      token: EDITOR_TOKEN, contentType: 'application/geo+json',
      body: { type: 'Feature', geometry: { type: 'Point', coordinates: [121.8702, 29.4561] }, properties: { name: '启力路口', category: 'road', division_codes: ['330225002'] }, reason: '新增' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.data));
    const id = created.data.id ?? created.data.properties.id;
    assert.equal(created.data.properties.status, 'draft');

    const ed = await newPage();
    await signIn(ed, EDITOR_TOKEN, me.editor);
    await openPlace(ed, id, EDITOR_TOKEN);
    assert.equal(await ed.locator('#ed-status').innerText(), '草稿');
    assert.equal(await ed.locator('.ed-move[data-action="approve"]').count(), 0, 'an editor is offered 批准');
    await ed.locator('.ed-move[data-action="submit"]').click();
    await ed.locator('#ed-message', { hasText: '已提交审核（第 2 版）' }).waitFor({ timeout: 10_000 });
    assert.equal(await ed.locator('#ed-status').innerText(), '已提交待审');
    assert.equal(await ed.locator('.ed-move').count(), 0, 'an editor is offered a move on a submission');
    assert.equal((await getPlace(id, EDITOR_TOKEN)).feature.properties.status, 'submitted');

    const rv = await newPage();
    await signIn(rv, REVIEWER_TOKEN, me.reviewer);
    await openPlace(rv, id, REVIEWER_TOKEN);
    assert.equal(await rv.locator('.ed-move[data-action="submit"]').count(), 0);
    assert.equal(await rv.locator('.ed-move[data-action="reject"]').count(), 1);
    rv.expected(422, `/api/places/${id}/approve`);
    await rv.locator('.ed-move[data-action="approve"]').click();
    await rv.locator('#ed-a-authority').fill('象山县人民政府');
    await rv.locator('#ed-approve-ok').click();
    await rv.locator('#ed-approve-message', { hasText: '批准未通过' }).waitFor({ timeout: 10_000 });
    for (const field of ['document_no', 'approved_on', 'announced_on', 'filed_on']) {
      const err = await rv.locator(`.ed-approve-dialog [data-field="${field}"] .ed-ferr`).innerText();
      assert.match(err, /必填|不符合要求|无效/, `no error beside ${field}`);
    }
    assert.equal(await rv.locator('.ed-approve-dialog [data-field="authority"] .ed-ferr').innerText(), '');
    await rv.screenshot({ path: `${RESULTS}editor-approve.png` });
    const after = await getPlace(id, REVIEWER_TOKEN);
    assert.equal(after.feature.properties.status, 'submitted');
    assert.equal(after.version, 2);
    assert.deepEqual(ed.problems, []);
    assert.deepEqual(rv.problems, []);
  });
});
