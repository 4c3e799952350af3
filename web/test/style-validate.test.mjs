// gl-style-validate on the style civmap serves (CIVMAP_URL): @maplibre/maplibre-gl-style-spec's validator, the one
// the gl-style-validate command runs, must report no error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

test('the served style passes gl-style-validate', async () => {
  const base = process.env.CIVMAP_URL;
  assert.ok(base, 'CIVMAP_URL is not set: run scripts/browser-test.sh');
  const res = await fetch(new URL('/tiles/style.json', base));
  assert.equal(res.status, 200);
  const style = await res.json();
  const errors = validateStyleMin(style).map((e) => e.message);
  assert.deepEqual(errors, []);
  assert.ok(style.sprite && style.layers.find((l) => l.id === 'facilities')?.type === 'symbol', 'no sprite or no facility symbols');
});

// With --basemap FILE (a vector archive in the Protomaps schema) civmap's style gains a vector source "basemap" and
// metadata civmap:basemap (tiles/style.go; tiles/basemap TestVectorArchive); the client adds @protomaps/basemaps'
// layers (src/map/basemap.js). That style, too, passes the validator, draws the basemap under the county's layers,
// labels in Chinese and asks for no image the sprite lacks.
test('the style with a Protomaps vector basemap passes gl-style-validate', async () => {
  const { withProtomaps } = await import('../src/map/basemap.js');
  const base = process.env.CIVMAP_URL;
  assert.ok(base, 'CIVMAP_URL is not set: run scripts/browser-test.sh');
  const style = await (await fetch(new URL('/tiles/style.json', base))).json();
  style.sources.basemap = { type: 'vector', tiles: [new URL('/basemap/pmtiles/{z}/{x}/{y}.mvt', base).href], minzoom: 0, maxzoom: 15 };
  style.metadata['civmap:basemap'] = { source: 'basemap', schema: 'protomaps' };
  const own = style.layers.length;
  withProtomaps(style);
  assert.deepEqual(validateStyleMin(style).map((e) => e.message), []);
  const ids = style.layers.map((l) => l.id);
  const added = style.layers.filter((l) => l.source === 'basemap');
  assert.ok(added.length > 40 && style.layers.length === own + added.length, `${added.length} Protomaps layers added`);
  assert.equal(ids[0], 'background');
  assert.ok(ids.indexOf('land') > ids.indexOf(added.at(-1).id), 'the Protomaps layers are not under the land and the county');
  assert.match(JSON.stringify(added), /name:zh-Hans/);
  // Protomaps' icons are in its own sprite, on the internet; civmap's holds the facility icons only.
  assert.deepEqual(added.filter((l) => l.layout?.['icon-image'] !== undefined).map((l) => l.id), [], 'Protomaps layers asking for icons');
  const sprite = await (await fetch(new URL('/sprite/facilities.json', base))).json();
  const fac = style.layers.find((l) => l.id === 'facilities').layout['icon-image'];
  for (const n of fac.filter((x, i) => i > 2 && i % 2 === 1)) assert.ok(sprite[n], `facilities ask for icon ${n}, not in the sprite`);
  assert.ok(sprite[fac.at(-1)], `the fallback icon ${fac.at(-1)} is not in the sprite`);
});
