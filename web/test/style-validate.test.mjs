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
