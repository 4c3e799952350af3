// A small client for the civmap API as the editor uses it: the sign-in token (sessionStorage only — never a URL, never
// localStorage), `Authorization: Bearer` on every API and tile request, entity tags (ETag / If-Match) and RFC 9457
// problem+json errors turned into ApiError with the field errors.

const TOKEN_KEY = 'civmap.token';

/** Resolves a path of the civmap server against the page (works at / and under a path prefix ending in /). */
export const serverURL = (path) => new URL(String(path).replace(/^\//, ''), document.baseURI).href;

/** An HTTP error answer. problem is the RFC 9457 body when there was one; fields maps a field name to its reasons. */
export class ApiError extends Error {
  constructor(status, problem, method, path) {
    const detail = problem?.detail || problem?.title || `HTTP ${status}`;
    super(`${method} ${path}: ${detail}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem ?? null;
    this.detail = detail;
    /** @type {{field: string, reason: string, location?: string}[]} */
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

/** The token of this browser tab, or ''. */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Keeps token for this tab (sessionStorage); '' forgets it. */
export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  tileGeneration++;
  events.dispatchEvent(new Event('token'));
}

/** Fires "token" when the token changes and "write" after each successful write. */
export const events = new EventTarget();

// Bumped after each write and each sign-in/out: tile URLs carry it (?g=N; the tile endpoints ignore the query), so a
// reload fetches fresh tiles instead of the browser's cached ones (tiles are served with max-age=60).
let tileGeneration = 0;

const sameOrigin = (url) => {
  try {
    return new URL(url, document.baseURI).origin === location.origin;
  } catch {
    return false;
  }
};

/** Request headers for url: the bearer token when signed in and url is on the civmap server. */
export function authHeaders(url, token = getToken()) {
  return token && sameOrigin(url) ? { Authorization: `Bearer ${token}` } : {};
}

/** fetch with the bearer token added (for the map's own requests: style, search). */
export function apiFetch(input, init = {}) {
  const url = typeof input === 'string' ? input : input.url;
  const headers = new Headers(init.headers ?? {});
  for (const [k, v] of Object.entries(authHeaders(url))) headers.set(k, v);
  return fetch(input, { ...init, headers });
}

/** MapLibre transformRequest: the bearer token on the server's TileJSON and tile requests, and the tile generation. */
export function transformRequest(url, resourceType) {
  if (!sameOrigin(url)) return { url };
  let out = url;
  if (resourceType === 'Tile' && tileGeneration > 0) {
    const u = new URL(url, document.baseURI);
    u.searchParams.set('g', String(tileGeneration));
    out = u.href;
  }
  return { url: out, headers: authHeaders(url) };
}

/** Tells the map that records changed: bumps the tile generation (callers then reload the vector sources). */
export function tilesChanged() {
  tileGeneration++;
  events.dispatchEvent(new Event('write'));
}

/** The version number in an ETag such as "3" or W/"3", or null. */
export function versionOf(etag) {
  const m = /^(?:W\/)?"(\d+)"$/.exec(String(etag ?? '').trim());
  return m ? Number(m[1]) : null;
}

/**
 * Calls the civmap API. path is relative to the server ("api/places/X"); body is sent as JSON (contentType defaults to
 * application/json). etag, when given, is sent as If-Match. Answers {status, etag, data}; throws ApiError for 4xx/5xx
 * and TypeError when the server cannot be reached.
 */
export async function call(method, path, { body, etag, contentType, token, query } = {}) {
  const url = new URL(serverURL(path));
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  const headers = { Accept: 'application/geo+json, application/json, application/problem+json', ...authHeaders(url.href, token ?? getToken()) };
  if (etag) headers['If-Match'] = etag;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = contentType ?? 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const type = res.headers.get('Content-Type') ?? '';
  let data = null;
  if (res.status !== 204 && /json/.test(type)) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, data, method, url.pathname);
  return { status: res.status, etag: res.headers.get('ETag'), data };
}

const enc = encodeURIComponent;

/** The editor's calls, named after EDIT-API.md. */
export const places = {
  get: (id) => call('GET', `api/places/${enc(id)}`),
  patch: (id, etag, patch) => call('PATCH', `api/places/${enc(id)}`, { body: patch, etag, contentType: 'application/merge-patch+json' }),
  create: (feature) => call('POST', 'api/places', { body: feature, contentType: 'application/geo+json' }),
  history: (id, limit = 100) => call('GET', `api/places/${enc(id)}/history`, { query: { limit } }),
  version: (id, v) => call('GET', `api/places/${enc(id)}/history/${v}`),
  restore: (id, v, etag, reason) => call('POST', `api/places/${enc(id)}/restore/${v}`, { body: { reason }, etag }),
  /** A workflow move: submit, approve, reject, historical. */
  move: (id, action, etag, body) => call('POST', `api/places/${enc(id)}/${action}`, { body, etag }),
};

export const me = (token) => call('GET', 'api/auth/me', { token });
export const locate = (lon, lat) => call('GET', 'api/locate', { query: { lon, lat } });
