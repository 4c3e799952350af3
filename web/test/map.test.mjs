// Browser test of the map client against a running civmap server (scripts/browser-test.sh starts one and sets CIVMAP_URL).
// Headless Debian Chromium (CHROMIUM_PATH, default /usr/bin/chromium) driven by playwright-core. Fails on any console
// error, page error, failed request, HTTP error response, or request that leaves the civmap server (the page must work
// offline). Leaves a screenshot at test-results/map.png.
//
//   cd web && CIVMAP_URL=http://127.0.0.1:8080 npm test
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { BASE, CHROMIUM, RESULTS, CHROMIUM_ARGS } from './browser.mjs';

const FACILITY_ID = 'CT-330225002008';
const FACILITY_NAME = '丹瀛社区老年食堂';
const PLACE_NAME = '旦门卫生院';

/** Distance in metres between two lon/lat points (haversine on a sphere of radius 6371008.8 m). */
function metres([lon1, lat1], [lon2, lat2]) {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

async function getJSON(path) {
  const res = await fetch(new URL(path, BASE));
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status}`);
  return res.json();
}

describe('civmap map client', { timeout: 180_000 }, () => {
  let browser;
  let page;
  const problems = [];
  const cancelledTiles = [];
  let loaded = false; // the first test got the map up; the others need it
  const needMap = () => assert.ok(loaded, 'the map did not load (see the first test); nothing else to check');
  const origin = BASE && new URL(BASE).origin;

  /** Waits until the map has its style, every visible tile loaded, and no camera movement. */
  const settled = (timeout = 30_000) =>
    page.waitForFunction(() => {
      const m = window.__civmap?.map;
      return !!m && m.isStyleLoaded() && m.areTilesLoaded() && m.loaded() && !m.isMoving();
    }, null, { timeout, polling: 100 });

  before(async () => {
    assert.ok(BASE, 'CIVMAP_URL is not set: run scripts/browser-test.sh, or start `civmap serve` and set CIVMAP_URL to its URL');
    await mkdir(RESULTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN', deviceScaleFactor: 1 });
    page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location()?.url ?? ''})`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => {
      const why = req.failure()?.errorText ?? '';
      // MapLibre cancels the tile requests a camera move made unnecessary (AbortController: net::ERR_ABORTED). That is
      // the client changing its mind, not a failure; any other error, or an aborted non-tile request, is one.
      if (why === 'net::ERR_ABORTED' && /\/tiles\/[^?]+\/\d+\/\d+\/\d+\.(mvt|pbf)(\?|$)/.test(req.url())) {
        cancelledTiles.push(req.url());
        return;
      }
      problems.push(`request failed: ${req.method()} ${req.url()}: ${why}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    });
    // Offline: nothing may be fetched from anywhere but the civmap server.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
      problems.push(`external request: ${url}`);
      return route.abort('blockedbyclient');
    });
  });

  after(async () => {
    await browser?.close();
  });

  test('loads the page, the style and the tiles', async () => {
    await page.goto(BASE, { waitUntil: 'load' });
    await page.waitForFunction(() => !!window.__civmap?.map, null, { timeout: 15_000 });
    await settled(60_000);
    const info = await page.evaluate(() => {
      const { map } = window.__civmap;
      const count = (sourceLayer) => map.querySourceFeatures('civmap', { sourceLayer }).length;
      return {
        title: document.title,
        layers: map.getStyle().layers.length,
        facilities: count('facilities'),
        divisions: count('divisions'),
        groups: [...document.querySelectorAll('#layer-list .group-item')].map((g) => g.dataset.group),
        types: document.querySelectorAll('#type-filter input[type=checkbox]').length,
        statuses: document.querySelectorAll('#status-filter input[type=checkbox]').length,
        error: document.querySelector('#error').hidden ? '' : document.querySelector('#error').textContent,
      };
    });
    assert.equal(info.error, '', 'the page shows an error');
    assert.match(info.title, /civmap/);
    assert.ok(info.layers > 1, `style has ${info.layers} layers`);
    assert.ok(info.divisions > 0, 'no division features in the loaded tiles');
    assert.ok(info.facilities > 0, 'no facility features in the loaded tiles');
    assert.ok(info.groups.includes('facilities'), `layer switcher groups: ${info.groups}`);
    assert.ok(info.types >= 11, `${info.types} facility type checkboxes`);
    assert.equal(info.statuses, 3, `${info.statuses} status checkboxes`);
    assert.match(await page.locator('.maplibregl-ctrl-scale').innerText(), /\d+\s*(米|千米)/);
    assert.match(await page.locator('.maplibregl-ctrl-attrib').innerText(), /OpenStreetMap/);
    loaded = true;
  });

  test('clicking a facility opens a popup with its attributes', async () => {
    needMap();
    const facility = await getJSON(`/api/facilities/${FACILITY_ID}`);
    assert.equal(facility.properties.name, FACILITY_NAME);
    const lngLat = facility.geometry.coordinates;
    await page.evaluate((center) => window.__civmap.map.jumpTo({ center, zoom: 15 }), lngLat);
    await settled();
    const pt = await page.evaluate((c) => window.__civmap.map.project(c), lngLat);
    const box = await page.locator('#map canvas').boundingBox();
    await page.mouse.click(box.x + pt.x, box.y + pt.y);
    const popup = page.locator('.maplibregl-popup.feature');
    await popup.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await popup.locator('.fp-name').innerText()).trim(), FACILITY_NAME);
    const text = await popup.innerText();
    assert.match(text, /老年食堂/, 'popup shows the type in Chinese');
    assert.match(text, /已建成/, 'popup shows the status in Chinese');
    assert.match(text, new RegExp(FACILITY_ID), 'popup shows the id');
    await page.screenshot({ path: `${RESULTS}facility.png` });

    // The type filter hides it; ticking the type again shows it.
    const visibleHere = () => page.evaluate(([x, y, id]) => {
      const { map } = window.__civmap;
      const layers = map.getStyle().layers.filter((l) => l['source-layer'] === 'facilities').map((l) => l.id);
      return map.queryRenderedFeatures([[x - 4, y - 4], [x + 4, y + 4]], { layers }).some((f) => f.properties.id === id);
    }, [pt.x, pt.y, FACILITY_ID]);
    assert.ok(await visibleHere(), 'facility not rendered before filtering');
    const canteen = page.locator('#type-filter input[value="canteen"]');
    await canteen.uncheck();
    await settled();
    assert.equal(await visibleHere(), false, 'facility still rendered with its type unticked');
    await canteen.check();
    await settled();
    assert.ok(await visibleHere(), 'facility not rendered after ticking its type again');
  });

  test('the cursor coordinates are shown', async () => {
    needMap();
    const box = await page.locator('#map canvas').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
    await page.waitForFunction(() => /经度 \d+\.\d{6}°，纬度 \d+\.\d{6}°/.test(document.querySelector('#coords').textContent));
  });

  test('searching a place flies to it', async () => {
    needMap();
    const fc = await getJSON(`/api/places?q=${encodeURIComponent(PLACE_NAME)}&limit=10`);
    const place = fc.features.find((f) => f.properties.name === PLACE_NAME);
    assert.ok(place, `${PLACE_NAME} not found by /api/places`);
    assert.equal(place.geometry.type, 'Point');
    const target = place.geometry.coordinates;
    const before = await page.evaluate(() => window.__civmap.map.getCenter().toArray());
    assert.ok(metres(before, target) > 1000, 'the map already shows the place');

    await page.locator('#search-input').fill(PLACE_NAME);
    await page.locator('#search-input').press('Enter');
    await page.locator('#search-results li', { hasText: PLACE_NAME }).first().waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => !window.__civmap.map.isMoving(), null, { timeout: 20_000, polling: 100 });
    await settled();
    const center = await page.evaluate(() => window.__civmap.map.getCenter().toArray());
    const d = metres(center, target);
    assert.ok(d < 100, `map centre ${center} is ${d.toFixed(0)} m from ${PLACE_NAME} ${target}`);
    await page.locator('.maplibregl-popup.place-popup', { hasText: PLACE_NAME }).waitFor({ timeout: 5_000 });

    await page.screenshot({ path: `${RESULTS}map.png` });
  });

  test('search finds names by initials and traditional characters and says how', async () => {
    needMap();
    // GET /api/search answers dxjd → 丹西街道 by its pinyin initials; the list shows 首字母 beside it.
    const fc = await getJSON('/api/search?q=dxjd&limit=5');
    assert.equal(fc.features[0]?.properties.name, '丹西街道');
    assert.equal(fc.features[0].properties.matched, 'initials');
    await page.locator('#search-input').fill('dxjd');
    await page.locator('#search-input').press('Enter');
    // Wait for this search's list (the previous search's list is still shown until it arrives).
    await page.locator('#search-results li[data-matched="initials"]', { hasText: '丹西街道' }).first().waitFor({ timeout: 10_000 });
    const first = page.locator('#search-results li').first();
    assert.equal(await first.locator('.r-name').textContent(), '丹西街道');
    assert.equal(await first.locator('.r-match').textContent(), '首字母');
    assert.equal(await first.getAttribute('data-matched'), 'initials');
    await page.locator('.maplibregl-popup.place-popup', { hasText: '丹西街道' }).waitFor({ timeout: 10_000 });

    await page.locator('#search-input').fill('丹東街道');
    await page.locator('#search-input').press('Enter');
    await page.locator('#search-status', { hasText: '按简体“丹东街道”' }).waitFor({ timeout: 10_000 });
    await page.locator('#search-results li', { hasText: '丹东街道' }).first().waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#search-results li .r-name').first().textContent(), '丹东街道');
    assert.equal(await page.locator('#search-results li .r-match').first().textContent(), '名称');
  });

  test('no console errors, failed requests or external requests', (t) => {
    if (cancelledTiles.length) t.diagnostic(`${cancelledTiles.length} tile request(s) cancelled by MapLibre after camera moves (not failures)`);
    assert.deepEqual(problems, []);
  });
});
