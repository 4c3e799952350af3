// Drafts and submissions on the map, for signed-in staff only. Tiles are public and shared by every client (and any
// cache in front of civmap), so they never carry unpublished places; the editor draws them from the API instead, as a
// GeoJSON overlay that is fetched with the user's token and refreshed after every write, sign-in and sign-out.
import * as api from './api.js';

/** The overlay's source and layer ids; the editor treats clicks on these layers like clicks on tile places. */
export const DRAFT_SOURCE = 'ed-drafts';
export const DRAFT_LAYERS = ['ed-drafts-fill', 'ed-drafts-line', 'ed-drafts-point'];

/** At most this many unpublished places are drawn (one page of /api/places); the office works on a few at a time. */
const LIMIT = 1000;

const EMPTY = { type: 'FeatureCollection', features: [] };
const DRAFT_COLOR = '#c25e00';

/**
 * Mounts the overlay on map. Returns {refresh()}, which reloads it (an empty overlay when no one is signed in).
 * Errors while loading leave the previous overlay and go to onError (a Chinese message for the editor's status line).
 */
export function mountDrafts(map, { onError = () => {} } = {}) {
  let generation = 0;
  let source = null; // set once the style has loaded
  let latest = EMPTY;

  const add = () => {
    map.addSource(DRAFT_SOURCE, { type: 'geojson', data: latest });
    const isType = (...types) => ['in', ['geometry-type'], ['literal', types]];
    map.addLayer({ id: 'ed-drafts-fill', type: 'fill', source: DRAFT_SOURCE, filter: isType('Polygon', 'MultiPolygon'),
      paint: { 'fill-color': DRAFT_COLOR, 'fill-opacity': 0.18 } });
    map.addLayer({ id: 'ed-drafts-line', type: 'line', source: DRAFT_SOURCE,
      filter: isType('Polygon', 'MultiPolygon', 'LineString', 'MultiLineString'),
      paint: { 'line-color': DRAFT_COLOR, 'line-width': 2, 'line-dasharray': [2, 1.5] } });
    map.addLayer({ id: 'ed-drafts-point', type: 'circle', source: DRAFT_SOURCE, filter: isType('Point', 'MultiPoint'),
      paint: { 'circle-radius': 6, 'circle-color': '#fff', 'circle-stroke-color': DRAFT_COLOR, 'circle-stroke-width': 2.5 } });
    source = map.getSource(DRAFT_SOURCE);
  };
  // isStyleLoaded() is also false while tiles load after 'load', so it is asked once, here, before 'load' can fire.
  if (map.isStyleLoaded()) add();
  else map.once('load', add);

  async function refresh() {
    const g = ++generation;
    let data = EMPTY;
    if (api.getToken()) {
      try {
        data = (await api.call('GET', 'api/places', { query: { status: 'draft,submitted', limit: LIMIT } })).data ?? EMPTY;
      } catch (err) {
        onError(`草稿图层加载失败：${err.message}`);
        return;
      }
    }
    if (g !== generation) return; // a newer refresh is on its way
    latest = data;
    source?.setData(data);
  }

  api.events.addEventListener('write', refresh);
  api.events.addEventListener('token', refresh);
  refresh();
  return { refresh };
}
