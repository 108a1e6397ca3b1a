// The orchestrator's HTTP API (docs/api.md) as seen from the page: the
// person's token, JSON requests with their `{"error": "…"}` bodies, and URLs
// for what a browser opens itself (images, downloads, EventSource, WebSocket),
// which carry the token as `?access_token=` because they cannot set headers.

const TOKEN_KEY = 'manga.token';

/** An API error: the HTTP status and the server's sentence for a person. */
export class ApiError extends Error {
  constructor(status, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

let token = null;
const unauthorizedListeners = new Set();

/** Reads `#token=…` from the address (then removes it) or the stored token. */
export function loadToken() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromHash = params.get('token');
  if (fromHash) {
    setToken(fromHash);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
  } else {
    try {
      token = localStorage.getItem(TOKEN_KEY);
    } catch {
      token = null;
    }
  }
  return token;
}

export function setToken(value) {
  token = value ? value.trim() : null;
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage may be unavailable (private mode); the token lives in memory then.
  }
}

export function getToken() {
  return token;
}

/** Called with the error whenever the server answers 401. */
export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
}

/**
 * Sends a request and returns the parsed JSON body (or null for an empty one).
 * @throws {ApiError} with the server's `error` sentence, or a network message.
 */
export async function api(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, signal };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob) {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server cannot be reached. Is `manga serve` still running?');
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = (data && typeof data.error === 'string' && data.error) || `${response.status} ${response.statusText}`.trim();
    const error = new ApiError(response.status, message, response.headers.get('Retry-After'));
    if (response.status === 401) unauthorizedListeners.forEach((fn) => fn(error));
    throw error;
  }
  return data;
}

/** A same-origin URL with the token as `access_token`, for <img>, links and streams. */
export function withToken(path) {
  if (!path) return path;
  const url = new URL(path, location.origin);
  if (token) url.searchParams.set('access_token', token);
  return url.pathname + url.search;
}

/** The WebSocket URL of a path on this server, with the token. */
export function wsUrl(path) {
  const url = new URL(withToken(path), location.origin);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** An artifact's URL (`pages/page-001.png`, `manga.pdf`), optionally of a version. */
export function artifactPath(jobId, name, version) {
  const query = version ? `?version=${encodeURIComponent(version)}` : '';
  return `/v1/jobs/${encodeURIComponent(jobId)}/artifacts/${name}${query}`;
}

/**
 * The API URL of a stored artifact key (`jobs/<id>/v2/panels/p01-1.png`),
 * as the server builds preview URLs: published files by their plain names.
 */
export function keyPath(jobId, key) {
  const m = /^jobs\/[^/]+\/v(\d+)\/(.+)$/.exec(key || '');
  if (!m) return null;
  return artifactPath(jobId, m[2].replace(/^publish\//, ''), m[1]);
}
