// Browser test of the inspectors' field view (inspector.html, src/inspector/) at phone size (360×740) against a running
// civmap server (scripts/browser-test.sh starts one and makes an inspector token: CIVMAP_INSPECTOR_TOKEN). Every check
// reads the finding back from the API: the displacement the server computed from the typed position, the verdict, and
// that an offline save reached the server only once the connection was back.
//
//   cd web && CIVMAP_URL=http://127.0.0.1:8080 CIVMAP_INSPECTOR_TOKEN=… npm test
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { BASE, CHROMIUM, RESULTS, CHROMIUM_ARGS } from './browser.mjs';

const TOKEN = process.env.CIVMAP_INSPECTOR_TOKEN ?? '';
const LINE = '象宁线';
// The sample register (data/sample/xiangshan/xiangning_markers_registered.csv), EPSG:4550 northing, easting (m).
const REG = { 象宁002: [3265312.875, 366316.956], 象宁003: [3263519.644, 361576.831], 象宁004: [3259825.682, 363595.248] };
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

async function apiCall(method, path, body) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(new URL(path, BASE), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, data: text ? JSON.parse(text) : null };
}

async function reportRow(round, no) {
  const r = await apiCall('GET', `/api/inspections/${encodeURIComponent(round)}/report?f=json`);
  assert.equal(r.status, 200);
  return r.data.markers.find((m) => m.marker_no === no);
}

describe('civmap inspectors field view', { timeout: 240_000 }, () => {
  let browser;
  let round;

  before(async () => {
    assert.ok(BASE, 'CIVMAP_URL is not set: run scripts/browser-test.sh');
    assert.ok(TOKEN, 'CIVMAP_INSPECTOR_TOKEN is not set: scripts/browser-test.sh makes one');
    await mkdir(RESULTS, { recursive: true });
    // This year's round of 象宁线 (the field view's date defaults to today).
    const year = new Date().getFullYear();
    const r = await apiCall('POST', `/api/boundary-lines/${encodeURIComponent(LINE)}/inspections`, {
      year, teams: [{ side: '330225', name: '象山县联检组' }, { side: '330226', name: '宁海县联检组' }],
      started_on: `${year}-01-01`, ended_on: `${year}-12-31`,
    });
    assert.equal(r.status, 201, JSON.stringify(r.data));
    round = r.data.id;
    const reg = await apiCall('PUT', `/api/markers/${encodeURIComponent('象宁001')}/register`, {
      faces: 3, references: [{ name: '电杆', bearing_deg: 45, distance_m: 12.5 }, { name: '水塘', bearing_deg: 210.5, distance_m: 30 }],
    });
    assert.equal(reg.status, 200, JSON.stringify(reg.data));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => browser?.close());

  test('walk, record, offline save sent later, photo limits, server refusal, geolocation at 360×740', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(new URL('/inspector.html', BASE).href, { waitUntil: 'load' });

    // Sign in; the line and its latest round are picked; the walk starts at 001.
    await page.locator('#token').fill(TOKEN);
    await page.locator('#signin-button').click();
    await page.locator('#marker-no', { hasText: '象宁001（1/16）' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('#round').inputValue(), round);
    assert.match(await page.locator('#register').textContent(), /类型三立.*面数3 面/);
    assert.equal(await page.locator('#references').textContent(), '电杆：方位 45°，距离 12.5 米水塘：方位 210.5°，距离 30 米');
    // No horizontal scrolling at phone width.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'the page is wider than 360 px');

    // 002: typed position 0.300 m north and 0.400 m east of the register → 0.500 m, intact.
    await page.locator('#next').click();
    await page.locator('#marker-no', { hasText: '象宁002' }).waitFor();
    await page.locator('#x').fill((REG['象宁002'][0] + 0.3).toFixed(3));
    await page.locator('#y').fill((REG['象宁002'][1] + 0.4).toFixed(3));
    await page.locator('#save').click();
    await page.locator('#result', { hasText: '已保存 象宁002：位移 0.500 米，结论 完好' }).waitFor({ timeout: 10_000 });
    let row = await reportRow(round, '象宁002');
    assert.equal(row.displacement_m, 0.5);
    assert.equal(row.verdict, 'intact');

    // 003 offline: damaged, 3 m north and 4 m east → queued, not on the server.
    await context.setOffline(true);
    await page.locator('#net', { hasText: '离线' }).waitFor();
    await page.locator('#next').click();
    await page.locator('#marker-no', { hasText: '象宁003' }).waitFor();
    await page.locator('#condition').selectOption('damaged');
    await page.locator('#x').fill((REG['象宁003'][0] + 3).toFixed(3));
    await page.locator('#y').fill((REG['象宁003'][1] + 4).toFixed(3));
    await page.locator('#save').click();
    await page.locator('#result', { hasText: '已离线保存 象宁003' }).waitFor();
    await page.locator('#queue', { hasText: '待发送 1 条' }).waitFor();
    row = await reportRow(round, '象宁003');
    assert.equal(row.verdict, 'not_inspected', 'the offline finding reached the server while offline');
    await page.screenshot({ path: `${RESULTS}inspector-offline.png`, fullPage: true });

    // Back online: it is sent, and the answer shows at once (5.000 m, moved).
    await context.setOffline(false);
    await page.locator('#result', { hasText: '已发送离线保存的 象宁003：位移 5.000 米，结论 移位' }).waitFor({ timeout: 15_000 });
    row = await reportRow(round, '象宁003');
    assert.equal(row.displacement_m, 5);
    assert.equal(row.verdict, 'moved');
    assert.equal(row.condition, 'damaged');
    assert.equal((await page.locator('#queue').textContent()).trim(), '');

    // 004: a photo over 1 MB is refused in the page with its size; nothing is sent.
    await page.locator('#next').click();
    await page.locator('#marker-no', { hasText: '象宁004' }).waitFor();
    const big = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(1_600_000)]);
    await page.locator('#photo').setInputFiles({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: big });
    await page.locator('#x').fill(REG['象宁004'][0].toFixed(3));
    await page.locator('#y').fill(REG['象宁004'][1].toFixed(3));
    await page.locator('#save').click();
    await page.locator('#result.error', { hasText: '照片过大（1.5 MB），上限 1 MB' }).waitFor();
    assert.equal((await reportRow(round, '象宁004')).verdict, 'not_inspected');

    // Northing and easting swapped: the server refuses, and the page says why.
    await page.locator('#photo').setInputFiles([]);
    await page.locator('#x').fill(REG['象宁004'][1].toFixed(3));
    await page.locator('#y').fill(REG['象宁004'][0].toFixed(3));
    await page.locator('#save').click();
    await page.locator('#result.error', { hasText: /保存失败：observed：axes_swapped/ }).waitFor({ timeout: 10_000 });

    // Right axes with a small PNG: saved with its photo, intact at 0.000 m.
    await page.locator('#photo').setInputFiles({ name: 'marker.png', mimeType: 'image/png', buffer: PNG });
    await page.locator('#x').fill(REG['象宁004'][0].toFixed(3));
    await page.locator('#y').fill(REG['象宁004'][1].toFixed(3));
    await page.locator('#save').click();
    await page.locator('#result', { hasText: '已保存 象宁004：位移 0.000 米，结论 完好' }).waitFor({ timeout: 10_000 });
    row = await reportRow(round, '象宁004');
    assert.equal(row.photos?.length, 1);
    const photo = await fetch(new URL(`/api/inspections/${encodeURIComponent(round)}/photos/${encodeURIComponent(row.photos[0].split('/').pop())}`, BASE));
    assert.equal(photo.status, 200);
    assert.deepEqual(Buffer.from(await photo.arrayBuffer()), PNG);

    // The last finding shows when walking back.
    await page.locator('#prev').click();
    await page.locator('#last', { hasText: '损坏，位移 5.000 米，结论 移位' }).waitFor();
    await page.screenshot({ path: `${RESULTS}inspector.png`, fullPage: true });

    // 005 by the phone's position: 0.00003° (≈ 3.3 m) north of its register → EPSG:4326 latitude in X, longitude in
    // Y, and the server's displacement and verdict shown at once.
    const [lon5, lat5] = (await reportRow(round, '象宁005')).registered_lonlat;
    await context.grantPermissions(['geolocation']);
    await context.setGeolocation({ latitude: lat5 + 0.00003, longitude: lon5, accuracy: 4 });
    await page.locator('#next').click();
    await page.locator('#next').click();
    await page.locator('#marker-no', { hasText: '象宁005' }).waitFor();
    await page.locator('#photo').setInputFiles([]);
    await page.locator('#condition').selectOption('intact');
    await page.locator('#locate').click();
    await page.locator('#result', { hasText: '已定位，精度约 4 米' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#crs').inputValue(), 'EPSG:4326');
    assert.equal(await page.locator('#x-label').textContent(), '纬度');
    assert.equal(Number(await page.locator('#x').inputValue()), Number((lat5 + 0.00003).toFixed(8)));
    await page.locator('#save').click();
    await page.locator('#result', { hasText: /^已保存 象宁005：位移 \d+\.\d{3} 米，结论 移位$/ }).waitFor({ timeout: 10_000 });
    row = await reportRow(round, '象宁005');
    assert.ok(row.displacement_m > 3.2 && row.displacement_m < 3.45, `displacement ${row.displacement_m}`);
    assert.equal(row.verdict, 'moved');
    assert.equal(await page.locator('#result').textContent(), `已保存 象宁005：位移 ${row.displacement_m.toFixed(3)} 米，结论 移位`);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
