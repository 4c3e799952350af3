// Browser test of the planner's coverage dashboard (coverage.html) against a running civmap server
// (scripts/browser-test.sh starts one and sets CIVMAP_URL and CIVMAP_PLANNER_TOKEN). Checks numbers in the chart's data
// against the API: the township values of the gap table, the uncovered villages on the map, a site added by clicking
// the map (the chart must show what POST /api/coverage answers for that site), and MCLP siting. Fails on console
// errors, page errors and requests leaving the server. Screenshot: test-results/coverage.png.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { BASE, CHROMIUM, RESULTS, CHROMIUM_ARGS } from './browser.mjs';

const TOKEN = process.env.CIVMAP_PLANNER_TOKEN;

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body) {
    headers['Content-Type'] = 'application/json';
    headers.Authorization = `Bearer ${TOKEN}`;
  }
  const res = await fetch(new URL(path, BASE), { method, headers, body: body && JSON.stringify(body) });
  assert.equal(res.status, 200, `${method} ${path}: HTTP ${res.status}: ${await res.clone().text()}`);
  return res.json();
}

describe('civmap coverage dashboard', { timeout: 240_000 }, () => {
  let browser;
  let page;
  const problems = [];
  const origin = BASE && new URL(BASE).origin;

  before(async () => {
    assert.ok(BASE, 'CIVMAP_URL is not set: run scripts/browser-test.sh');
    assert.ok(TOKEN, 'CIVMAP_PLANNER_TOKEN is not set: scripts/browser-test.sh makes a planner token');
    await mkdir(RESULTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
    // Signed in as the planner for the tab (the page keeps the token in sessionStorage, as the editor does).
    await context.addInitScript((t) => sessionStorage.setItem('civmap.token', t), TOKEN);
    page = await context.newPage();
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`); });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
      problems.push(`external request: ${url}`);
      return route.abort('blockedbyclient');
    });
  });

  after(async () => {
    await page?.screenshot({ path: `${RESULTS}coverage.png` }).catch(() => {});
    await browser?.close();
    assert.deepEqual(problems, [], 'the page had problems');
  });

  const chartData = () => page.evaluate(() => {
    const c = window.__coverage.chart;
    return { labels: c.data.labels, codes: c.data.codes, sets: c.data.datasets.map((d) => ({ label: d.label, data: [...d.data] })) };
  });
  const nextRefresh = async (before) => page.waitForFunction((g) => window.__coverage.generation > g, before, { timeout: 60_000 });

  test('the chart shows the API numbers of the default plan', async () => {
    await page.goto(new URL('coverage.html', BASE).href, { waitUntil: 'load' });
    await page.waitForFunction(() => window.__coverage?.chart && window.__coverage.generation > 0, null, { timeout: 60_000 });
    await page.evaluate(() => window.__coverage.ready);
    const api0 = await api('GET', '/api/coverage?phase=2025&scenario=existing');
    const ind = await page.evaluate(() => window.__coverage.state.indicator);
    assert.equal(ind, 'home-care', 'the first coverage indicator of the default plan');
    const c = await chartData();
    assert.equal(c.labels.length, 18);
    const i = c.codes.indexOf('330225002');
    const t = api0.townships.find((x) => x.code === '330225002');
    assert.equal(c.labels[i], t.name);
    assert.equal(c.sets[0].data[i], t.values['home-care'], 'the chart value of 丹西街道 is the API value');
    assert.equal(c.sets[1].data[i], 90, 'the 2025 target of home-care is 90 %');
    const error = await page.evaluate(() => (document.getElementById('cov-error').hidden ? '' : document.getElementById('cov-error').textContent));
    assert.equal(error, '');
    // The uncovered villages of the map are those of the API.
    const un = await api('GET', '/api/coverage/uncovered?indicator=home-care&scenario=existing');
    const onMap = await page.evaluate(() => window.__coverage.state.uncovered.features.length);
    assert.equal(onMap, un.features.length);
  });

  test('the coverage tiles colour every village as the API says, with the service areas', async () => {
    const units = await api('GET', '/api/coverage/units?indicator=home-care&scenario=existing');
    const byCode = new Map(units.features.map((f) => [f.properties.code, f.properties.status]));
    const shown = await page.evaluate(async () => {
      const m = window.__coverage.map;
      m.jumpTo({ center: [121.8, 29.25], zoom: 8 }); // the whole county in view
      await new Promise((r) => (m.loaded() && m.areTilesLoaded() ? r() : m.once('idle', r)));
      return {
        units: m.querySourceFeatures('coverage', { sourceLayer: 'coverage' }).map((f) => [f.properties.code, f.properties.status, f.properties.indicator]),
        areas: m.querySourceFeatures('coverage', { sourceLayer: 'service_areas' }).map((f) => f.properties.radius_m),
      };
    });
    assert.equal(new Set(shown.units.map((u) => u[0])).size, byCode.size, 'every village of the county is in the coverage tiles');
    for (const [code, status, ind] of shown.units) {
      assert.equal(status, byCode.get(code), `${code}: the tile's status is the API's`);
      assert.equal(ind, 'home-care');
    }
    assert.ok(shown.areas.length > 0 && shown.areas.every((r) => r === 1000), 'home-care service areas of 1,000 m');
  });

  test('switching the indicator and scenario redraws the chart from the API', async () => {
    const g = await page.evaluate(() => window.__coverage.generation);
    await page.selectOption('#cov-indicator', 'meal');
    await nextRefresh(g);
    const g2 = await page.evaluate(() => window.__coverage.generation);
    await page.selectOption('#cov-scenario', 'planned');
    await nextRefresh(g2);
    const res = await api('GET', '/api/coverage?phase=2025&scenario=planned');
    const c = await chartData();
    assert.deepEqual(c.sets[0].data, res.townships.map((t) => t.values.meal));
    assert.equal(c.sets[1].data[0], 60);
    const row = await page.locator('#cov-table tr[data-indicator="meal"] td').nth(3).innerText();
    assert.equal(Number(row), res.rows.find((r) => r.indicator === 'meal').actual);
  });

  test('a site added by clicking the map changes the numbers as the API says', async () => {
    const un = await api('GET', '/api/coverage/uncovered?indicator=meal&scenario=planned');
    // the largest uncovered village: a site on it covers it
    const v = un.features.reduce((a, b) => (b.properties.elderly > a.properties.elderly ? b : a));
    await page.evaluate(async (c) => {
      const m = window.__coverage.map;
      m.jumpTo({ center: c, zoom: 14 });
      await new Promise((r) => (m.loaded() ? r() : m.once('idle', r)));
    }, v.geometry.coordinates);
    const pt = await page.evaluate((c) => window.__coverage.map.project(c), v.geometry.coordinates);
    const box = await page.locator('#cov-map canvas').boundingBox();
    const g = await page.evaluate(() => window.__coverage.generation);
    await page.mouse.click(box.x + pt.x, box.y + pt.y);
    await nextRefresh(g);
    const sites = await page.evaluate(() => window.__coverage.state.sites);
    assert.equal(sites.length, 1);
    assert.equal(sites[0].type, 'canteen');
    const res = await api('POST', '/api/coverage', { phase: '2025', scenario: 'planned', sites });
    const c = await chartData();
    const i = c.codes.indexOf(v.properties.township_code);
    assert.equal(c.sets[0].data[i], res.townships.find((t) => t.code === v.properties.township_code).values.meal);
    const before = (await api('GET', '/api/coverage?phase=2025&scenario=planned')).townships.find((t) => t.code === v.properties.township_code).values.meal;
    assert.ok(c.sets[0].data[i] > before, `the site raised ${v.properties.township_code}'s meal coverage (${before} → ${c.sets[0].data[i]})`);
  });

  test('MCLP siting shows p sites with the elderly each adds', async () => {
    await page.fill('#cov-p', '2');
    const g = await page.evaluate(() => window.__coverage.generation);
    await page.click('#cov-run-siting');
    await nextRefresh(g);
    const shown = await page.evaluate(() => window.__coverage.state.siting);
    const sites = await page.evaluate(() => window.__coverage.state.sites);
    const res = await api('POST', '/api/coverage/siting', { indicator: 'meal', scenario: 'planned', p: 2, solver: 'greedy', sites });
    assert.equal(shown.sites.length, 2);
    assert.deepEqual(shown.sites.map((s) => [s.id, s.added_elderly]), res.sites.map((s) => [s.id, s.added_elderly]));
    assert.equal(await page.locator('#cov-siting li[data-id]').count(), 2);
  });
});
