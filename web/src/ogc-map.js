// The small map of the OGC API's HTML pages (/ogc/collections/{id}/items?f=html and …/items/{fid}?f=html): the page's
// features, from the GeoJSON in <script id="features">, over the county's basemap (/tiles/style.json), fitted to them.
// Built by Vite to the fixed name assets/ogc-map.js (vite.config.js) so the Go templates can name it.
import { Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import cssUrl from 'maplibre-gl/dist/maplibre-gl.css?url';

setWorkerUrl(new URL(workerUrl, document.baseURI).href);
// A script entry's CSS is not linked by Vite (only an HTML entry's is): link it here.
document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: cssUrl }));

const data = JSON.parse(document.getElementById('features').textContent);
const bounds = [[180, 90], [-180, -90]];
const extend = (c) => {
  if (typeof c[0] === 'number') {
    bounds[0][0] = Math.min(bounds[0][0], c[0]);
    bounds[0][1] = Math.min(bounds[0][1], c[1]);
    bounds[1][0] = Math.max(bounds[1][0], c[0]);
    bounds[1][1] = Math.max(bounds[1][1], c[1]);
    return;
  }
  c.forEach(extend);
};
for (const f of data.features) if (f.geometry) extend(f.geometry.coordinates);

const found = bounds[0][0] <= bounds[1][0];
const map = new MapLibreMap({
  container: 'map', style: '/tiles/style.json', center: [121.87, 29.47], zoom: 9,
  ...(found ? { bounds, fitBoundsOptions: { padding: 40, maxZoom: 16 } } : {}),
});
map.addControl(new NavigationControl(), 'top-right');
map.addControl(new ScaleControl({ unit: 'metric' }));
map.once('style.load', () => {
  map.addSource('ogc-features', { type: 'geojson', data });
  map.addLayer({ id: 'ogc-fill', type: 'fill', source: 'ogc-features', filter: ['==', ['geometry-type'], 'Polygon'],
    paint: { 'fill-color': '#d9480f', 'fill-opacity': 0.25 } });
  map.addLayer({ id: 'ogc-line', type: 'line', source: 'ogc-features',
    filter: ['in', ['geometry-type'], ['literal', ['LineString', 'Polygon']]],
    paint: { 'line-color': '#d9480f', 'line-width': 2 } });
  map.addLayer({ id: 'ogc-point', type: 'circle', source: 'ogc-features', filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-color': '#d9480f', 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } });
});
