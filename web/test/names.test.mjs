// Browser test of the 地名规范 block (src/names/) against a running civmap server (scripts/browser-test.sh starts one and
// sets CIVMAP_URL and CIVMAP_EDITOR_TOKEN): the name check (pinyin and findings), the sign check, and the screening
// findings layer with its filter by kind. Each answer is checked against what the API says.
//
//   cd web && CIVMAP_URL=http://127.0.0.1:8080 CIVMAP_EDITOR_TOKEN=… node --test test/names.test.mjs
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { BASE, CHROMIUM, RESULTS, CHROMIUM_ARGS } from './browser.mjs';

const TOKEN = process.env.CIVMAP_EDITOR_TOKEN ?? '';

async function api(method, path, body) {
  const headers = { Accept: 'application/json, application/geo+json', Authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(new URL(path, BASE), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, data: await res.json() };
}

describe('civmap 地名规范', { timeout: 240_000 }, () => {
  let browser;
  let page;
  const problems = [];

  before(async () => {
    assert.ok(BASE, 'CIVMAP_URL is not set: scripts/browser-test.sh starts a server and sets it');
    assert.ok(TOKEN, 'CIVMAP_EDITOR_TOKEN is not set: scripts/browser-test.sh makes the token');
    await mkdir(RESULTS, { recursive: true });
    // A county screening, so that the findings layer has something to show (the sample's duplicate 专名 and more).
    const s = await api('POST', '/api/screenings', { division: '330225' });
    assert.equal(s.status, 201, JSON.stringify(s.data));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
    await context.addInitScript((t) => sessionStorage.setItem('civmap.token', t), TOKEN);
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(BASE, { waitUntil: 'load' });
    await page.waitForFunction(() => !!window.__civmap?.names && !!window.__civmap?.map, null, { timeout: 60_000 });
    await page.evaluate(() => window.__civmap.ready);
  });

  after(async () => {
    await page?.screenshot({ path: `${RESULTS}names.png` }).catch(() => {});
    await browser?.close();
    assert.deepEqual(problems, []);
  });

  test('name check: the 1984 spelling with its steps, and the findings of a foreign name', async () => {
    await page.fill('#nm-name', '丹河东路');
    await page.click('#nm-check button[type=submit]');
    await page.waitForSelector('#nm-pinyin');
    assert.equal(await page.textContent('#nm-pinyin'), 'Danhe Donglu');
    assert.match(await page.textContent('#nm-result'), /单音节修饰词「东」与通名连写/);
    await page.waitForSelector('#nm-clean');

    await page.fill('#nm-name', '维多利亚花园');
    await page.selectOption('#nm-category', '小区');
    await page.fill('#nm-division', '330225001');
    await page.click('#nm-check button[type=submit]');
    await page.waitForSelector('#nm-findings li[data-kind="洋"]');
    assert.match(await page.textContent('#nm-findings'), /维多利亚/);
  });

  test('sign check: an English generic is reported with the right line', async () => {
    await page.fill('#nm-sign-name', '中山路');
    await page.fill('#nm-sign-line', 'Zhongshan Rd');
    await page.click('#nm-sign button[type=submit]');
    await page.waitForSelector('#nm-sign-result li[data-code="english_generic"]');
    assert.equal(await page.textContent('#nm-sign-correct'), 'Zhongshan Lu');
  });

  test('findings layer: every tracked finding with a point, filtered by kind', async () => {
    const want = (await api('GET', '/api/name-findings?format=geojson')).data.features;
    assert.ok(want.length >= 20, `only ${want.length} findings`);
    await page.click('#nm-layer');
    await page.waitForFunction(() => window.__civmap.names.shown);
    assert.equal(await page.evaluate(() => window.__civmap.names.findings), want.length);
    // Only 重: the layer's filter keeps that kind, and the source's features of that kind are the API's.
    for (const k of ['大', '洋', '怪', 'spelling', 'format', 'location', 'heritage']) await page.uncheck(`#nm-kinds input[value="${k}"]`);
    const filter = await page.evaluate(() => window.__civmap.map.getFilter('name-findings'));
    assert.deepEqual(filter, ['in', ['get', 'kind'], ['literal', ['重']]]);
    const zhong = want.filter((f) => f.properties.kind === '重').length;
    assert.ok(zhong >= 25, `${zhong} 重 findings: the sample alone has 14 duplicate and 11 homophone findings`);
  });
});
