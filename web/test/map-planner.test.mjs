// Browser test of the map as a planner's product (issue 11), at a desktop (1400 px) and a phone (360 px) screen: the
// basemap's sea and land colours, the first view holding the county, one label per polygon feature in three dense
// views, the facility symbol layer with an icon per type, measuring a known segment (geodesic, within 0.5 %, by the
// tool's API and by clicks), the service radius, the coordinate readout (under the cursor after a move it did not make,
// and after a search), layer opacity (by pixel), the URL hash, township names in popups, Chinese attribution, and the
// print: PDF at A4 landscape and A3 portrait read back with pdftotext (legend text, scale bar, north arrow, sources),
// the bar's printed length against the map's scale, PNG sheets. Screenshots of each view:
// test-results/planner-<size>-<view>.png; the sheets test-results/planner-<size>-<paper>-<orientation>.{pdf,png}.
// Run by scripts/browser-test.sh (CIVMAP_URL, CHROMIUM_PATH).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { BASE, CHROMIUM, RESULTS, CHROMIUM_ARGS } from './browser.mjs';


const SIZES = [
  { name: 'desktop', viewport: { width: 1400, height: 900 } },
  { name: 'phone', viewport: { width: 360, height: 740 } },
];
const LAND = [121.45, 29.30]; // inside 宁海县 (neighbour_counties.geojson), no county layer there
const SEA = [122.15, 29.25]; // east of the county, outside every land and township polygon
const DENSE = [ // views where area places crowd and cross tile seams
  { name: 'dancheng', center: [121.8845, 29.4782], zoom: 16, must: ['象山文峰学校'] },
  { name: 'qingcaoxiang', center: [121.8642, 29.4781], zoom: 17, must: ['象山县青草巷特色街区'] },
  { name: 'danchengz15', center: [121.875, 29.479], zoom: 15, must: [] },
];
const FACILITY_ID = 'CT-330225002008';

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

/** Meridian arc length in metres between latitudes (degrees) on GRS80/WGS84, by Simpson's rule over
 * M(φ) = a(1−e²)/(1−e² sin²φ)^{3/2} — independent of the client's GeographicLib. */
function meridianArc(lat1, lat2) {
  const a = 6378137;
  const f = 1 / 298.257222101;
  const e2 = f * (2 - f);
  const M = (p) => (a * (1 - e2)) / (1 - e2 * Math.sin(p) ** 2) ** 1.5;
  const n = 1000;
  const p1 = (lat1 * Math.PI) / 180;
  const h = (((lat2 - lat1) * Math.PI) / 180) / n;
  let s = M(p1) + M(p1 + n * h);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * M(p1 + i * h);
  return (s * h) / 3;
}

function haversine([lon1, lat1], [lon2, lat2]) {
  const r = Math.PI / 180;
  const q = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(q));
}

async function getJSON(path) {
  const res = await fetch(new URL(path, BASE));
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status}`);
  return res.json();
}

for (const size of SIZES) {
  describe(`planner map (${size.name} ${size.viewport.width}×${size.viewport.height})`, { timeout: 900_000 }, () => {
    let browser;
    let page;
    const problems = [];
    const shot = (view) => page.screenshot({ path: `${RESULTS}planner-${size.name}-${view}.png` });
    const settled = (timeout = 60_000) => page.waitForFunction(() => {
      const m = window.__civmap?.map;
      return !!m && m.isStyleLoaded() && m.areTilesLoaded() && m.loaded() && !m.isMoving();
    }, null, { timeout, polling: 100 });
    const jump = async (center, zoom) => {
      await page.evaluate(([c, z]) => window.__civmap.map.jumpTo({ center: c, zoom: z }), [center, zoom]);
      await settled();
    };
    /** RGB of the map canvas at CSS pixel (x, y), read in the frame just rendered. */
    const pixel = (x, y) => page.evaluate(([px, py]) => new Promise((resolve) => {
      const { map } = window.__civmap;
      map.once('render', () => {
        const c = map.getCanvas();
        const gl = c.getContext('webgl2') || c.getContext('webgl');
        const r = window.devicePixelRatio || 1;
        const out = new Uint8Array(4);
        gl.readPixels(Math.round(px * r), Math.round(c.height - py * r), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, out);
        resolve([...out.slice(0, 3)]);
      });
      map.triggerRepaint();
    }), [x, y]);

    before(async () => {
      assert.ok(BASE, 'CIVMAP_URL is not set: run scripts/browser-test.sh');
      await mkdir(RESULTS, { recursive: true });
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      const context = await browser.newContext({ viewport: size.viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
      page = await context.newPage();
      page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`); });
      const origin = new URL(BASE).origin;
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
        problems.push(`external request: ${url}`);
        return route.abort('blockedbyclient');
      });
      await page.goto(BASE, { waitUntil: 'load' });
      await page.waitForFunction(() => !!window.__civmap?.map, null, { timeout: 20_000 });
      await settled(90_000);
      await page.evaluate(() => window.__civmap.tools.ready);
    });
    after(async () => { await browser?.close(); });

    test('the first view holds the whole county; attribution is Chinese', async () => {
      const r = await page.evaluate(() => {
        const { map, style } = window.__civmap;
        const b = map.getBounds();
        return { view: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], county: style.metadata['civmap:bounds'] };
      });
      const [w, s, e, n] = r.county;
      assert.ok(r.view[0] <= w && r.view[1] <= s && r.view[2] >= e && r.view[3] >= n, `view ${r.view} does not hold county ${r.county}`);
      assert.ok(e - w > 0.5 && n - s > 0.7, `county bounds ${r.county} too small to be Xiangshan`);
      // On a phone the attribution is MapLibre's compact ⓘ button, closed at start: its text is there, one tap away.
      const attrib = await page.locator('.maplibregl-ctrl-attrib').textContent();
      assert.match(attrib, /OpenStreetMap 贡献者/);
      assert.doesNotMatch(attrib, /contributors|synthetic/i);
      await shot('first');
    });

    test('the facilities layer is a symbol layer with a distinct icon per type', async () => {
      const r = await page.evaluate(() => {
        const { map } = window.__civmap;
        const l = map.getStyle().layers.find((x) => x.id === 'facilities');
        const types = window.__civmap.style.metadata['civmap:facility-types'].map((t) => t.type);
        const img = l.layout['icon-image'];
        const icons = types.map((t) => img[img.indexOf(t) + 1]);
        return { type: l.type, types, icons, loaded: icons.filter((i) => map.hasImage(i)).length };
      });
      assert.equal(r.type, 'symbol');
      assert.equal(r.types.length, 11);
      assert.equal(new Set(r.icons).size, 11, `icons ${r.icons}`);
      assert.equal(r.loaded, 11, 'sprite images not loaded');
    });

    test('a pixel over the sea has the sea colour, one over land the land colour', async () => {
      const colours = await page.evaluate(() => window.__civmap.style.metadata['civmap:colors']);
      const near = (got, want, what) => assert.ok(got.every((v, i) => Math.abs(v - want[i]) <= 3), `${what}: pixel ${got}, want ${want}`);
      for (const [what, pt, colour] of [['sea', SEA, colours.sea], ['land', LAND, colours.land]]) {
        await jump(pt, 11);
        const c = await page.evaluate(() => { const m = window.__civmap.map; const p = m.project(m.getCenter()); return [p.x, p.y]; });
        const hits = await page.evaluate(([x, y]) => window.__civmap.map.queryRenderedFeatures([x, y]).map((f) => f.layer.id), c);
        assert.deepEqual(hits.filter((h) => !['land', 'coastline'].includes(h)), [], `${what}: features drawn at the test point`);
        near(await pixel(c[0], c[1]), hex(colour), what);
        await shot(what);
        // The basemap is for orientation: a click there opens no popup (it showed the land polygon's raw adcode).
        const box = await page.locator('#map canvas').boundingBox();
        await page.mouse.click(box.x + c[0], box.y + c[1]);
        await page.waitForTimeout(300);
        assert.equal(await page.locator('.maplibregl-popup.feature').count(), 0, `${what}: a click opened a popup`);
      }
    });

    test('one label per polygon feature in three dense views', async () => {
      for (const v of DENSE) {
        await jump(v.center, v.zoom);
        // Labels are placed (and faded in) after the tiles load: wait until the named ones are placed, then count.
        await page.waitForFunction((must) => {
          const names = new Set(window.__civmap.map.queryRenderedFeatures({ layers: ['place-labels'] }).map((f) => f.properties.name));
          return must.every((n) => names.has(n));
        }, v.must, { timeout: 15_000, polling: 200 }).catch(() => {});
        const r = await page.evaluate(() => {
          const { map } = window.__civmap;
          const labels = map.queryRenderedFeatures({ layers: ['place-labels'] });
          const areas = map.queryRenderedFeatures({ layers: ['place-areas'] });
          const count = {};
          for (const f of labels) count[f.properties.name] = (count[f.properties.name] ?? 0) + 1;
          return { count, areas: [...new Set(areas.map((f) => f.properties.name))] };
        });
        assert.ok(r.areas.length >= 1, `${v.name}: no polygon places drawn`);
        for (const [name, n] of Object.entries(r.count)) assert.equal(n, 1, `${v.name}: ${name} labelled ${n} times`);
        for (const name of v.must) assert.equal(r.count[name], 1, `${v.name}: ${name} not labelled once (${JSON.stringify(r.count)})`);
        await shot(`labels-${v.name}`);
      }
    });

    test('measuring a known segment gives its geodesic length within 0.5 %', async () => {
      // Along the meridian 121.87° E from 29.40° to 29.45° N: 5,542 m or so, by the meridian arc.
      const pts = [[121.87, 29.40], [121.87, 29.45]];
      const want = meridianArc(29.40, 29.45);
      const got = await page.evaluate((p) => window.__civmap.tools.measure.measure('length', p), pts);
      assert.ok(Math.abs(got.metres - want) / want < 0.005, `measured ${got.metres} m, meridian arc ${want.toFixed(1)} m`);
      assert.match(got.text, /距离：5\.5\d* 千米/);
      // And by hand: the tool's buttons and clicks on the map (pixel positions: within a few metres). On a phone the
      // panel starts collapsed: open it first (it takes the lower part of the screen, the map the upper).
      try {
        if (await page.evaluate(() => document.body.classList.contains('panel-collapsed'))) {
          await page.locator('#panel-toggle').click();
          await page.waitForTimeout(300);
        }
        await page.locator('#tool-measure').evaluate((b) => { b.closest('details').open = true; });
        // Along the parallel 29.425° N from 121.855° to 121.905° E (≈ 580 px at z13, 290 px at z12 on a phone; MapLibre's
        // world is 512 · 2^z px): N·cos φ·Δλ, N the
        // prime-vertical radius (the geodesic is shorter than the parallel arc by well under a millimetre here).
        const lat = 29.425;
        const sin = Math.sin((lat * Math.PI) / 180);
        const across = (6378137 / Math.sqrt(1 - 0.0066943800229 * sin * sin)) * Math.cos((lat * Math.PI) / 180) * ((0.05 * Math.PI) / 180);
        await jump([121.88, lat], size.name === 'phone' ? 12 : 13);
        await page.locator('#measure-length').click();
        for (const p of [[121.855, lat], [121.905, lat]]) {
          const box = await page.locator('#map canvas').boundingBox();
          const xy = await page.evaluate((c) => window.__civmap.map.project(c), p);
          await page.mouse.click(box.x + xy.x, box.y + xy.y);
          await page.waitForTimeout(400); // two clicks, not a double-click
        }
        await shot('measure');
        await page.locator('#measure-done').click();
        const text = await page.locator('#tool-measure .tool-result').innerText();
        const km = Number(/距离：([\d.]+) 千米/.exec(text)?.[1]);
        assert.ok(Math.abs(km * 1000 - across) / across < 0.005, `clicked measure ${text}, want ${across.toFixed(0)} m`);
      } finally {
        await page.locator('#measure-clear').click();
      }
      // An area: about 0.01° × 0.01° at 29.4° N ≈ 1,113 m × 969 m.
      const a = await page.evaluate(() => window.__civmap.tools.measure.measure('area', [[121.87, 29.40], [121.88, 29.40], [121.88, 29.41], [121.87, 29.41]]));
      const approx = meridianArc(29.40, 29.41) * (Math.PI / 180) * 0.01 * 6378137 * Math.cos((29.405 * Math.PI) / 180) / Math.sqrt(1 - 0.00669438 * Math.sin((29.405 * Math.PI) / 180) ** 2);
      assert.ok(Math.abs(a.squareMetres - approx) / approx < 0.005, `area ${a.squareMetres} m², want ≈ ${approx.toFixed(0)}`);
      assert.match(a.text, /面积：1\.\d+ 平方千米/);
    });

    test('the service radius lists the facilities within it', async () => {
      const fac = await getJSON(`/api/facilities/${FACILITY_ID}`);
      const c = fac.geometry.coordinates;
      await jump(c, 14);
      const r = await page.evaluate((center) => window.__civmap.tools.radius.cover(center, 1000).then((x) => ({
        ids: x.facilities.map((f) => f.id), d: x.facilities.map((f) => f.d), elderly: x.elderly })), c);
      assert.ok(r.ids.includes(FACILITY_ID), `radius misses the facility at its centre: ${r.ids}`);
      assert.ok(r.d.every((d) => d <= 1000), 'a facility beyond the radius');
      const all = await getJSON('/api/facilities?limit=1000');
      const want = all.features.filter((f) => f.properties.status !== 'closed' && haversine(c, f.geometry.coordinates) < 995).map((f) => f.properties.id);
      for (const id of want) assert.ok(r.ids.includes(id), `${id} within 995 m (haversine) not listed`);
      await shot('radius');
    });

    test('after a search the readout shows the zoom and the place under the cursor', async () => {
      // The mouse rests on the map; the view then moves without it (a search, here by the API the search box uses).
      await jump([121.87, 29.47], 12);
      const box = await page.locator('#map canvas').boundingBox();
      const at = [Math.round(box.width * 0.6), Math.round(box.height * 0.4)];
      await page.mouse.move(box.x + at[0], box.y + at[1]);
      const readout = () => page.locator('#coords').innerText();
      await page.waitForFunction(() => !/中心/.test(document.querySelector('#coords').textContent));
      await jump([121.95, 29.20], 17);
      const r = await page.evaluate((p) => { const m = window.__civmap.map; const ll = m.unproject(p); return { lng: ll.lng, lat: ll.lat, z: m.getZoom() }; }, at);
      const text = await readout();
      const got = /经度 ([\d.]+)°，纬度 ([\d.]+)° · 缩放 ([\d.]+)/.exec(text);
      assert.ok(got, `readout ${text}`);
      assert.ok(Math.abs(Number(got[1]) - r.lng) < 2e-6 && Math.abs(Number(got[2]) - r.lat) < 2e-6, `readout ${text}, under the cursor ${r.lng}, ${r.lat}`);
      assert.equal(got[3], r.z.toFixed(1));
      // A real search from the box: the map flies to the hit; the readout follows to the end of the flight.
      await page.mouse.move(0, 0);
      if (await page.evaluate(() => document.body.classList.contains('panel-collapsed'))) await page.locator('#panel-toggle').click();
      await jump([121.87, 29.47], 11);
      await page.locator('#search-input').fill('象山文峰学校');
      await page.locator('#search-input').press('Enter');
      await page.waitForFunction(() => window.__civmap.map.getZoom() > 15.5, null, { timeout: 20_000 });
      await settled();
      const z = await page.evaluate(() => window.__civmap.map.getZoom().toFixed(1));
      assert.match(await readout(), new RegExp(`缩放 ${z.replace('.', '\\.')}$`));
      // The hit's popup gives its position with units.
      assert.match(await page.locator('.maplibregl-popup.place-popup').innerText(), /经度 121\.\d{6}°，纬度 29\.\d{6}°/);
      if (size.name === 'phone') await page.locator('#panel-toggle').click();
    });

    test('layer opacity fades a layer, its zoom curve kept', async () => {
      // A point inside a township where nothing but the land and the township fill is drawn, at z11.
      await jump([121.87, 29.40], 11);
      const pt = await page.evaluate(() => {
        const { map } = window.__civmap;
        const c = map.getCanvas().getBoundingClientRect();
        // In one of the three darker classes, so that the fill stands well clear of the land.
        const expr = map.getPaintProperty('township-fill', 'fill-color');
        const dark = window.__civmap.style.metadata['civmap:choropleth'].colors.slice(2);
        for (let y = 0.2; y < 0.8; y += 0.02) {
          for (let x = 0.2; x < 0.8; x += 0.02) {
            const p = [c.width * x, c.height * y];
            const fs = map.queryRenderedFeatures(p);
            const town = fs.find((f) => f.layer.id === 'township-fill');
            const colour = town && Array.isArray(expr) ? expr[expr.indexOf(town.properties.code, 2) + 1] : null;
            if (dark.includes(colour) && fs.every((f) => ['land', 'township-fill'].includes(f.layer.id))) return p;
          }
        }
        return null;
      });
      assert.ok(pt, 'no bare township point in view');
      const land = hex(await page.evaluate(() => window.__civmap.style.metadata['civmap:colors'].land));
      const dist = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      const full = await pixel(pt[0], pt[1]);
      assert.ok(dist(full, land) > 8, `township fill ${full} is the land colour ${land}`);
      const set = (v) => page.locator('#tool-opacity input[data-layer="township-fill"]').evaluate((i, val) => {
        i.value = String(val);
        i.dispatchEvent(new Event('input'));
      }, v);
      await set(0);
      await settled();
      const none = await pixel(pt[0], pt[1]);
      assert.ok(dist(none, land) <= 3, `township fill at opacity 0: ${none}, want the land ${land}`);
      await set(50);
      await settled();
      const half = await pixel(pt[0], pt[1]);
      // Half the opacity: the colour halfway (within rounding) between the land and the full fill.
      assert.ok(half.every((v, i) => Math.abs(v - (land[i] + full[i]) / 2) <= 4), `half: ${half}, full ${full}, land ${land}`);
      const v = await page.evaluate(() => window.__civmap.map.getPaintProperty('township-fill', 'fill-opacity'));
      assert.equal(v[0], 'interpolate', `fill-opacity ${JSON.stringify(v)}`);
      await set(100);
      await settled();
    });

    test('the readout tracks zoom; popups name the township; the hash keeps view and layers', async () => {
      await jump([121.87, 29.47], 17);
      await page.waitForFunction(() => /缩放 17\.0/.test(document.querySelector('#coords').textContent));
      const fac = await getJSON(`/api/facilities/${FACILITY_ID}`);
      const town = await getJSON(`/api/divisions/${fac.properties.township_code}`);
      await jump(fac.geometry.coordinates, 15);
      const box = await page.locator('#map canvas').boundingBox();
      const xy = await page.evaluate((c) => window.__civmap.map.project(c), fac.geometry.coordinates);
      await page.mouse.click(box.x + xy.x, box.y + xy.y);
      const popup = page.locator('.maplibregl-popup.feature');
      await popup.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match(await popup.innerText(), new RegExp(`${town.properties.name}（${fac.properties.township_code}）`));
      await shot('popup');
      await page.keyboard.press('Escape');
      await page.evaluate(() => window.__civmap.map.setLayoutProperty('demand-circles', 'visibility', 'none'));
      await page.waitForFunction(() => /off=demand-circles/.test(location.hash) && /map=15/.test(location.hash));
      const url = page.url();
      await page.goto('about:blank');
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => !!window.__civmap?.map, null, { timeout: 20_000 });
      await settled(90_000);
      await page.evaluate(() => window.__civmap.tools.ready);
      const r = await page.evaluate(() => { const m = window.__civmap.map; return { z: m.getZoom(), c: m.getCenter().toArray(), vis: m.getLayoutProperty('demand-circles', 'visibility') }; });
      assert.equal(r.vis, 'none', 'the link did not keep the layer off');
      assert.ok(Math.abs(r.z - 15) < 0.01 && haversine(r.c, fac.geometry.coordinates) < 20, `the link reopened at ${r.c} z${r.z}`);
      await page.evaluate(() => window.__civmap.map.setLayoutProperty('demand-circles', 'visibility', 'visible'));
    });

    test('the print PDF holds the legend and the scale bar', async () => {
      await jump([121.87, 29.45], 11);
      for (const [paper, orientation, pageSize] of [['A4', 'landscape', /Page size:\s+841\.\d+ x 59[45]\.\d+ pts \(A4\)/],
        ['A3', 'portrait', /Page size:\s+841\.\d+ x 119[01]\.\d+ pts \(A3\)/]]) {
        const title = `象山县养老服务设施分布图（${paper}${orientation === 'landscape' ? '横' : '纵'}）`;
        const prep = await page.evaluate((o) => window.__civmap.tools.print.prepare(o)
          .then((p) => ({ scale: p.scale, frame: p.frame, sections: p.legend.map((s) => s.title) })), { title, paper, orientation });
        // The printed bar measures what its label says: bar ÷ map image on the sheet = bar ÷ map on the screen, and
        // that many screen pixels are the label's metres at the map's centre (measured here along the parallel).
        const screen = await page.evaluate(() => {
          const { map } = window.__civmap;
          const p = map.project(map.getCenter());
          return { a: map.unproject([p.x - 50, p.y]).toArray(), b: map.unproject([p.x + 50, p.y]).toArray() };
        });
        await page.emulateMedia({ media: 'print' });
        const geo = { ...screen, ...await page.evaluate(() => {
          const svg = document.querySelector('#print-sheet .ps-map svg');
          const box = svg.parentElement.getBoundingClientRect();
          const im = svg.querySelector('image').getBoundingClientRect();
          return { bar: svg.querySelector('.ps-bar').getBoundingClientRect().width, image: im.width, imageH: im.height, boxW: box.width, boxH: box.height };
        }) };
        // The map was drawn for the paper: it fills its box on the sheet (no band of white beside or under it).
        assert.ok(geo.image / geo.boxW > 0.97 && geo.imageH / geo.boxH > 0.95,
          `${paper} ${orientation}: the map image is ${geo.image.toFixed(0)} × ${geo.imageH.toFixed(0)} px in a ${geo.boxW.toFixed(0)} × ${geo.boxH.toFixed(0)} box`);
        const mapW = prep.frame.W;
        // The size legend's circles on the sheet: area ∝ population (200, 1,000, 3,000 人), at the printed map's scale.
        const circles = await page.evaluate(() => [...document.querySelectorAll('#print-sheet .ps-legend .ps-circle')].map((c) => c.getBoundingClientRect().width));
        assert.equal(circles.length, 3, 'the print legend has no size circles');
        assert.ok(Math.abs(circles[2] / circles[0] - Math.sqrt(3000 / 200)) < 0.1, `circle diameters ${circles}`);
        const metresPerPx = haversine(geo.a, geo.b) / 100;
        const printed = (geo.bar / geo.image) * mapW * metresPerPx;
        assert.ok(Math.abs(printed - prep.scale.metres) / prep.scale.metres < 0.01,
          `${paper} ${orientation}: the printed bar spans ${printed.toFixed(0)} m of the printed map, labelled ${prep.scale.label}`);
        const pdf = `${RESULTS}planner-${size.name}-${paper}-${orientation}.pdf`;
        await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
        await page.emulateMedia({ media: 'screen' });
        const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
        const pages = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
        assert.match(pages, /Pages:\s+1\b/, `${paper} ${orientation}: the sheet is not one page`);
        assert.match(pages, pageSize, `not ${paper} ${orientation}`);
        for (const want of [title, '图例', '养老服务', '老年食堂', '助餐点', '社会工作站', '村（社区）老年人口', '乡镇老年人口密度',
          '北', '制图日期', '数据来源', 'OpenStreetMap', 'CGCS2000']) {
          assert.ok(text.includes(want), `${paper} ${orientation}: PDF text lacks ${want}:\n${text}`);
        }
        assert.ok(text.includes(`比例尺 0 — ${prep.scale.label}`), `PDF lacks the scale bar 比例尺 0 — ${prep.scale.label}`);
        assert.match(prep.scale.label, /^\d+ (米|千米)$/);
        await page.evaluate(() => document.querySelector('#print-sheet')?.remove());
      }
      // PNG too: a data URL of an A4 sheet at 150 dpi (1754 × 1240 px), and an A3 portrait one (1754 × 2480 px).
      for (const [paper, orientation, want] of [['A4', 'landscape', [1754, 1240]], ['A3', 'portrait', [1754, 2480]]]) {
        const got = await page.evaluate((o) => window.__civmap.tools.print.png(o, false)
          .then((u) => new Promise((r) => { const i = new Image(); i.onload = () => r({ dims: [i.width, i.height], url: u }); i.src = u; })), { paper, orientation });
        assert.deepEqual(got.dims, want, `PNG ${paper} ${orientation}`);
        await writeFile(`${RESULTS}planner-${size.name}-${paper}-${orientation}.png`, Buffer.from(got.url.split(',')[1], 'base64'));
      }
    });

    test('no console errors, failed requests or external requests', () => {
      assert.deepEqual(problems, []);
    });
  });
}
