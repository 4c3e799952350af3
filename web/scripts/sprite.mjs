// Builds the MapLibre sprite of the facility icons from the SVG files in src/map/icons/ (one per facility type,
// fac-<type>.svg, 24×24 px), with resvg (@resvg/resvg-js, a Rust SVG renderer; nothing is fetched): public/sprite/
// facilities.png + facilities.json at pixel ratio 1 and facilities@2x.png + facilities@2x.json at 2, which Vite copies
// into dist/sprite/ and civmap serves at /sprite/facilities (the style's "sprite").
//
//   node scripts/sprite.mjs      (run by `npm run build`)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

const here = new URL('..', import.meta.url);
const iconsDir = new URL('src/map/icons/', here);
const outDir = new URL('public/sprite/', here);
const SIZE = 24; // icon size in CSS pixels
const PAD = 2; // gap between icons, so that linear filtering never bleeds a neighbour in

const icons = readdirSync(iconsDir)
  .filter((f) => f.endsWith('.svg'))
  .sort()
  .map((f) => ({ name: f.slice(0, -4), svg: readFileSync(new URL(f, iconsDir), 'utf8') }));
if (icons.length === 0) throw new Error('sprite: no SVG icons in src/map/icons/');

// One row of icons, each a nested <svg> at its place.
const cell = SIZE + PAD;
const inner = (svg) => svg.replace(/^[\s\S]*?<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
const sheet = `<svg xmlns="http://www.w3.org/2000/svg" width="${cell * icons.length}" height="${SIZE}">${icons
  .map((ic, i) => `<svg x="${i * cell}" y="0" width="${SIZE}" height="${SIZE}" viewBox="0 0 24 24">${inner(ic.svg)}</svg>`)
  .join('')}</svg>`;

mkdirSync(outDir, { recursive: true });
for (const ratio of [1, 2]) {
  const png = new Resvg(sheet, { fitTo: { mode: 'zoom', value: ratio }, background: 'rgba(0,0,0,0)' }).render().asPng();
  const index = Object.fromEntries(icons.map((ic, i) => [ic.name,
    { x: i * cell * ratio, y: 0, width: SIZE * ratio, height: SIZE * ratio, pixelRatio: ratio }]));
  const suffix = ratio === 1 ? '' : `@${ratio}x`;
  writeFileSync(new URL(`facilities${suffix}.png`, outDir), png);
  writeFileSync(new URL(`facilities${suffix}.json`, outDir), `${JSON.stringify(index, null, 1)}\n`);
}
console.log(`sprite: ${icons.length} icons → public/sprite/facilities{,@2x}.{png,json}`);
