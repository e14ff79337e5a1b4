// The API client: request signing as docs/checkin.md specifies, and fetch with honest errors.

import { ApiError, NetworkError, apiBase, encodeQueryValue } from '../shared/http.js';

export { ApiError, NetworkError, apiBase, encodeQueryValue };

const encoder = new TextEncoder();
const REQUEST_TIMEOUT_MS = 30000;

export const SIGNATURE_SCHEME = 'HADIR-DEVICE-V1';

export function base64url(bytes) {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function newNonce() {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** The query line of the signed text: keys sorted, k=v joined by &, values URL-encoded; '' when there is none. */
export function canonicalQuery(query = {}) {
  return Object.keys(query)
    .sort()
    .map((key) => `${encodeQueryValue(key)}=${encodeQueryValue(String(query[key]))}`)
    .join('&');
}

export function canonicalText({ method, path, query, timestamp, nonce, bodyHash }) {
  return [SIGNATURE_SCHEME, method.toUpperCase(), path, query, timestamp, nonce, bodyHash].join('\n');
}

/**
 * The four X-Hadir-* headers of a signed request. `body` is the exact bytes sent (empty for GET); `timestamp`
 * and `nonce` are only given by tests.
 */
export async function signRequest(privateKey, deviceId, {
  method, path, query = {}, body = new Uint8Array(), timestamp = String(Date.now()), nonce = newNonce(),
}) {
  const text = canonicalText({
    method, path, query: canonicalQuery(query), timestamp, nonce, bodyHash: await sha256Hex(body),
  });
  // WebCrypto's ECDSA signature is already the raw 64-byte r‖s the server expects.
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, encoder.encode(text));
  return {
    'X-Hadir-Device': deviceId,
    'X-Hadir-Timestamp': timestamp,
    'X-Hadir-Nonce': nonce,
    'X-Hadir-Signature': base64url(signature),
  };
}

/**
 * Call the API. `device` ({deviceId, keyPair}) signs the request; `body` is sent as JSON; `idempotencyKey` is
 * sent as the Idempotency-Key header. Resolves to the parsed JSON; rejects with NetworkError or ApiError.
 */
export async function request(method, path, { query = {}, body, device, idempotencyKey } = {}) {
  if (!navigator.onLine) throw new NetworkError(new Error('navigator.onLine is false'));
  const bytes = body === undefined ? new Uint8Array() : encoder.encode(JSON.stringify(body));
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  if (device) {
    Object.assign(headers, await signRequest(device.keyPair.privateKey, device.deviceId, {
      method, path, query, body: bytes,
    }));
  }
  const search = canonicalQuery(query);
  const url = `${apiBase()}${path}${search ? `?${search}` : ''}`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  let response;
  let text;
  try {
    response = await fetch(url, {
      method, headers, body: body === undefined ? undefined : bytes, cache: 'no-store', signal: abort.signal,
    });
    text = await response.text();
  } catch (err) {
    throw new NetworkError(err);
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(
      response.status, error.code || `http_${response.status}`, error.message || '',
      // A validation error's field paths ride in details.fields, beside whatever details the server sent.
      { ...(error.details || {}), ...(Array.isArray(error.fields) ? { fields: error.fields } : {}) },
      error.request_id || null,
    );
  }
  return data;
}

// --- the phone's calls: screens name what they want; the paths and the signing stay here --------------------

/** The signed-in employee, device, enrolment state and office locations. */
export function getMe(device) {
  return request('GET', '/v1/mobile/me', { device });
}

/** Today so far where the employee works: shift, holiday or status, punches, lateness, the cost of leaving now. */
export function getToday(device) {
  return request('GET', '/v1/mobile/today', { device });
}

/** The employee's closed days of `month` (YYYY-MM) and the month's TPP once closed. */
export function getMonth(device, month) {
  return request('GET', '/v1/me/month', { device, query: month ? { month } : {} });
}

/** This month's check-ins and closed days. */
export function getCheckins(device, month) {
  return request('GET', '/v1/mobile/checkins', { device, query: { month } });
}

/** Bind this phone's public key to the employee with the one-time activation code (unsigned). */
export function activateDevice(body) {
  return request('POST', '/v1/mobile/activate', { body });
}

/** Enrol the reference face with its liveness frames. */
export function enrolFace(device, body) {
  return request('POST', '/v1/mobile/face', { device, body });
}

/** Check in or out; a retry sends the same body with the same idempotency key. */
export function postCheckin(device, body, idempotencyKey) {
  return request('POST', '/v1/mobile/checkins', { device, body, idempotencyKey });
}

/** Ask for cuti, sakit, izin or DL: {type, first, last, reason, letter?} (letter: base64 JPEG/PNG). */
export function askRequest(device, body) {
  return request('POST', '/v1/mobile/requests', { device, body });
}

/** The employee's requests, newest first, with their state. */
export function getRequests(device) {
  return request('GET', '/v1/mobile/requests', { device });
}
