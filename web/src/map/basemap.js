// A local vector basemap (civmap serve --basemap FILE.pmtiles in the Protomaps basemap schema): the style civmap
// serves names the source (metadata civmap:basemap) and the client adds the layers of @protomaps/basemaps (light
// flavour, Chinese labels) under the county's. Kept free of the DOM, so that a test can run it in Node.
import { layers as protomapsLayers, namedFlavor } from '@protomaps/basemaps';

/** Adds the Protomaps layers to style (in place) when it has a Protomaps vector source; returns the style. The layers'
 * own background is left out (the sea is civmap's), and so are their icons (townspot, capital …): they live in
 * Protomaps' sprite, which is fetched from the internet, and civmap's sprite holds only the facility icons. */
export function withProtomaps(style) {
  const bm = style.metadata?.['civmap:basemap'];
  if (bm?.schema !== 'protomaps' || !style.sources?.[bm.source]) return style;
  const extra = protomapsLayers(bm.source, namedFlavor('light'), { lang: 'zh-Hans' })
    .filter((l) => l.type !== 'background')
    .map((l) => {
      const out = { ...l, metadata: { 'civmap:group': 'base', 'civmap:title': '本地底图' } };
      if (l.layout?.['icon-image'] !== undefined) {
        const { 'icon-image': _icon, ...layout } = l.layout;
        out.layout = layout;
      }
      return out;
    })
    .filter((l) => l.type !== 'symbol' || l.layout?.['text-field'] !== undefined); // an icon-only layer draws nothing now
  const at = Math.max(1, style.layers.findIndex((l) => l.id === 'land'));
  style.layers.splice(at, 0, ...extra);
  return style;
}
