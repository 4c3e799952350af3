// The field view's API calls. The token lives in sessionStorage (this tab only). A network failure (offline, no
// answer) is a NetworkError, which the caller queues; an HTTP error is an ApiError with the problem's field reasons.
const TOKEN_KEY = 'civmap.inspector.token';

export const serverURL = (path) => new URL(String(path).replace(/^\//, ''), document.baseURI).href;

export class NetworkError extends Error {}

export class ApiError extends Error {
  constructor(status, problem) {
    const reasons = (problem?.errors ?? []).map((e) => `${e.field}：${e.reason}`).join('；');
    super(reasons || problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export const getToken = () => sessionStorage.getItem(TOKEN_KEY) ?? '';
export const setToken = (t) => (t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY));

/** fetch with the token; body is JSON unless it is a Blob (sent as is). Resolves to the parsed JSON, or null on 404 when allow404. */
export async function api(method, path, { body, allow404 = false } = {}) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof Blob) {
    headers['Content-Type'] = body.type || 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(serverURL(path), { method, headers, body: payload, cache: 'no-store' });
  } catch (e) {
    throw new NetworkError(String(e?.message ?? e));
  }
  if (allow404 && res.status === 404) return null;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const enc = encodeURIComponent;
