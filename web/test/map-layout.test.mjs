// Browser test of the map's layout (issue 11) from a 360-px phone to a 2560-px screen: the first view holds the county,
// the page never scrolls sideways, the controls over the map (legend, coordinates, scale, attribution, zoom, toolbar)
// never cover one another, the side panel collapses and opens, and every control is reachable by the keyboard and has
// a name a screen reader can say. Screenshots: test-results/layout-<width>.png. Run by scripts/browser-test.sh.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { BASE, CHROMIUM, RESULTS, CHROMIUM_ARGS } from './browser.mjs';


const SIZES = [
  { width: 360, height: 740 },
  { width: 1024, height: 768 },
  { width: 2560, height: 1440 },
];

/** The boxes of the controls drawn over the map that are on screen, by name. */
const overlayBoxes = () => {
  const sel = {
    legend: '#legend', coords: '#coords', scale: '.maplibregl-ctrl-scale', attribution: '.maplibregl-ctrl-attrib',
    zoom: '.maplibregl-ctrl-group', toolbar: '#ed-bar', panelToggle: '#map-wrap > #panel-toggle',
  };
  const out = {};
  for (const [name, s] of Object.entries(sel)) {
    const e = document.querySelector(s);
    if (!e) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') continue;
    out[name] = { x: r.left, y: r.top, w: r.width, h: r.height };
  }
  return out;
};

const overlaps = (a, b) => a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;

/** The accessible name of each visible control without one (buttons, inputs, selects, summaries, links). */
const unnamedControls = () => {
  const name = (e) => (e.getAttribute('aria-label') ?? '').trim()
    || (e.getAttribute('aria-labelledby') ?? '').split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join('').trim()
    || [...(e.labels ?? [])].map((l) => l.textContent).join('').trim()
    || (['INPUT', 'SELECT'].includes(e.tagName) ? '' : e.textContent.trim())
    || (e.getAttribute('title') ?? '').trim();
  return [...document.querySelectorAll('button, input, select, textarea, summary, a[href]')]
    .filter((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' && !e.closest('[hidden]'))
    .filter((e) => !name(e))
    .map((e) => e.outerHTML.slice(0, 120));
};

for (const size of SIZES) {
  describe(`map layout at ${size.width}×${size.height}`, { timeout: 300_000 }, () => {
    let browser;
    let page;
    const problems = [];
    const settled = (timeout = 60_000) => page.waitForFunction(() => {
      const m = window.__civmap?.map;
      return !!m && m.isStyleLoaded() && m.areTilesLoaded() && m.loaded() && !m.isMoving();
    }, null, { timeout, polling: 100 });

    before(async () => {
      assert.ok(BASE, 'CIVMAP_URL is not set: run scripts/browser-test.sh');
      await mkdir(RESULTS, { recursive: true });
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      const context = await browser.newContext({ viewport: size, locale: 'zh-CN', deviceScaleFactor: 1 });
      page = await context.newPage();
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
      await page.goto(BASE, { waitUntil: 'load' });
      await page.waitForFunction(() => !!window.__civmap?.map, null, { timeout: 20_000 });
      await settled(90_000);
      await page.evaluate(() => window.__civmap.tools.ready);
      await page.waitForSelector('.maplibregl-ctrl-attrib');
    });
    after(async () => { await browser?.close(); });

    test('the first view holds the county; nothing scrolls sideways; no control covers another', async () => {
      const r = await page.evaluate(() => {
        const { map, style } = window.__civmap;
        const b = map.getBounds();
        return { view: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], county: style.metadata['civmap:bounds'],
          scroll: document.documentElement.scrollWidth, inner: window.innerWidth };
      });
      const [w, s, e, n] = r.county;
      assert.ok(r.view[0] <= w && r.view[1] <= s && r.view[2] >= e && r.view[3] >= n, `view ${r.view} does not hold county ${r.county}`);
      assert.ok(r.scroll <= r.inner, `the page is ${r.scroll} px wide in a ${r.inner} px window`);
      const check = async (when) => {
        const boxes = await page.evaluate(overlayBoxes);
        for (const need of ['coords', 'scale', 'zoom', 'attribution']) assert.ok(boxes[need], `${when}: no ${need} on screen`);
        const names = Object.keys(boxes);
        for (let i = 0; i < names.length; i++) {
          for (let j = i + 1; j < names.length; j++) {
            assert.ok(!overlaps(boxes[names[i]], boxes[names[j]]),
              `${when}: ${names[i]} ${JSON.stringify(boxes[names[i]])} overlaps ${names[j]} ${JSON.stringify(boxes[names[j]])}`);
          }
        }
      };
      await check('at start');
      // The county's bound on screen is clear of every control over the map: none hides a part of the county.
      const boxes = await page.evaluate(overlayBoxes);
      const county = await page.evaluate(() => {
        const { map, style } = window.__civmap;
        const [w, s, e, n] = style.metadata['civmap:bounds'];
        const c = map.getCanvas().getBoundingClientRect();
        const a = map.project([w, n]);
        const b = map.project([e, s]);
        return { x: c.left + a.x, y: c.top + a.y, w: b.x - a.x, h: b.y - a.y };
      });
      for (const [name, b] of Object.entries(boxes)) {
        if (name === 'panelToggle' || name === 'toolbar' || name === 'zoom') continue; // the top row: checked below
        assert.ok(!overlaps(county, b), `the county's bound ${JSON.stringify(county)} lies under the ${name} ${JSON.stringify(b)}`);
      }
      assert.ok(county.y >= 50, `the county's bound starts ${county.y} px from the top, under the buttons`);
      // The legend opened (it starts closed on a phone) still leaves the readout and the scale clear.
      if (await page.locator('#legend-content').isHidden()) await page.locator('.legend-toggle').click();
      await check('legend open');
      await page.screenshot({ path: `${RESULTS}layout-${size.width}.png` });
    });

    test('the side panel collapses and opens again; the map fills the space', async () => {
      const toggle = page.locator('#panel-toggle');
      const state = async () => page.evaluate(() => ({
        open: !document.body.classList.contains('panel-collapsed'),
        panel: document.querySelector('#panel').getBoundingClientRect().width,
        map: window.__civmap.map.getCanvas().getBoundingClientRect().width,
      }));
      const before0 = await state();
      assert.equal(before0.open, size.width > 720, 'the panel starts open on a screen, collapsed on a phone');
      await toggle.click();
      await page.waitForTimeout(300);
      const after1 = await state();
      assert.equal(after1.open, !before0.open);
      assert.equal(await toggle.getAttribute('aria-expanded'), String(after1.open));
      if (!after1.open) {
        assert.equal(after1.panel, 0);
        assert.ok(Math.abs(after1.map - size.width) <= 1, `collapsed, the map is ${after1.map} px of ${size.width}`);
      } else {
        assert.ok(after1.panel > 0);
      }
      await toggle.click();
      await page.waitForTimeout(300);
      assert.equal((await state()).open, before0.open);
    });

    test('every control has a name, and the keyboard reaches the panel, the tools and the map', async () => {
      if (size.width <= 720) await page.locator('#panel-toggle').click(); // open the panel on a phone
      await page.waitForTimeout(300);
      assert.deepEqual(await page.evaluate(unnamedControls), [], 'controls without an accessible name');
      // Tab from the top of the page and note what takes the focus.
      await page.evaluate(() => document.activeElement?.blur());
      await page.locator('body').focus();
      const seen = new Set();
      for (let i = 0; i < 400; i++) {
        await page.keyboard.press('Tab');
        const id = await page.evaluate(() => {
          const e = document.activeElement;
          return e?.id || e?.getAttribute('aria-label') || e?.textContent?.trim().slice(0, 20) || e?.tagName;
        });
        seen.add(id);
      }
      for (const want of ['search-input', 'panel-toggle', '测量（测距、测面）', '打印与导出', '放大', '缩小']) {
        assert.ok(seen.has(want), `Tab never reaches ${want}: ${[...seen].join(' | ')}`);
      }
      // A tool opened from the keyboard: its summary takes Enter, and its buttons come next.
      await page.locator('#tools summary', { hasText: '测量' }).focus();
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'measure-length');
      await page.keyboard.press('Enter');
      assert.match(await page.locator('#tool-measure .tool-result').innerText(), /单击地图添加点/);
      await page.locator('#measure-clear').click();
    });

    test('no page errors', () => {
      assert.deepEqual(problems, []);
    });
  });
}
