// HTTP pieces shared by the phone app's and the console's API clients: the API base, query encoding, the two
// error classes and one fetch with a timeout that reads the API's one error shape {error: {code, message, ...}}.

/** The request failed before an answer came back: no connection, a timeout, DNS. */
export class NetworkError extends Error {
  constructor(cause, { timedOut = false } = {}) {
    super(timedOut ? 'timeout' : 'network', { cause });
    this.name = 'NetworkError';
    this.timedOut = timedOut;
  }
}

/** The server answered with an error. `message` is what a client shows; the server's own text is `serverMessage`. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}, requestId = null, fields = [], serverMessage = message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
    this.fields = fields;
    this.serverMessage = serverMessage;
  }
}

/** The API base: <meta name="hadir-api"> when a deployment sets it, the page's own origin otherwise. */
export function apiBase() {
  const meta = document.querySelector('meta[name="hadir-api"]');
  const configured = meta ? meta.content.trim() : '';
  return (configured || window.location.origin).replace(/\/+$/, '');
}

// RFC 3986: only unreserved characters stay as they are (Python's urllib.parse.quote(value, safe='')).
export function encodeQueryValue(value) {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** k=v joined by &, keys sorted, values URL-encoded; undefined, null and '' values are left out. */
export function canonicalQuery(query = {}) {
  return Object.keys(query)
    .filter((key) => query[key] !== undefined && query[key] !== null && query[key] !== '')
    .sort()
    .map((key) => `${encodeQueryValue(key)}=${encodeQueryValue(String(query[key]))}`)
    .join('&');
}

/**
 * fetch with a timeout. Resolves to the Response when the server answered 2xx; rejects with NetworkError
 * (no answer, or none within `timeoutMs`) or ApiError (the API's error shape, read from the body).
 */
export async function send(url, { method = 'GET', headers = {}, body, timeoutMs = 30000 } = {}) {
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; abort.abort(); }, timeoutMs);
  let response;
  try {
    response = await fetch(url, { method, headers, body, cache: 'no-store', signal: abort.signal });
  } catch (err) {
    clearTimeout(timer);
    throw new NetworkError(err, { timedOut });
  }
  if (response.ok) {
    clearTimeout(timer);
    return response;
  }
  let text = '';
  try {
    text = await response.text();
  } catch (err) {
    throw new NetworkError(err, { timedOut });
  } finally {
    clearTimeout(timer);
  }
  throw errorFromBody(response.status, text);
}

/** The ApiError for an error answer's status and body text (the body may be anything, even empty). */
export function errorFromBody(status, text) {
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  const error = (data && typeof data === 'object' && data.error) || {};
  return new ApiError(
    status, error.code || `http_${status}`, error.message || '', error.details || {}, error.request_id || null,
    Array.isArray(error.fields) ? error.fields : [],
  );
}
