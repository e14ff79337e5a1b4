// The console's API client: the X-API-Key header, timeouts, and the API's one error shape turned into words a
// civil servant understands. Screens call it; they never build URLs or headers themselves.

import { ApiError, NetworkError, apiBase, canonicalQuery, send } from '../../shared/http.js';

export { ApiError, NetworkError };

const TIMEOUT_MS = 30000;
const DOWNLOAD_TIMEOUT_MS = 120000;

// Messages by error code first (the server's codes are stable), then by HTTP status.
const BY_CODE = {
  unauthenticated: 'Kunci API tidak dikenal atau sudah dicabut. Masuk lagi dengan kunci yang berlaku.',
  forbidden: 'Anda tidak berhak melihat data ini.',
  not_found: 'Data yang diminta tidak ditemukan. Mungkin sudah dihapus atau alamatnya salah.',
  validation_failed: 'Isian belum benar. Periksa kolom yang ditandai lalu coba lagi.',
  malformed_request: 'Permintaan tidak dapat dibaca oleh server.',
  conflict: 'Permintaan ditolak karena bertentangan dengan keadaan data saat ini. Muat ulang halaman lalu periksa lagi.',
  device_already_active: 'Pegawai ini sudah memiliki ponsel aktif. Reset ponsel dan wajah terlebih dahulu bila ingin pindah ke ponsel lain.',
  already_resolved: 'Peringatan ini sudah diselesaikan sebelumnya.',
  not_resolvable: 'Peringatan jenis ini tidak dapat diselesaikan sebagai orang berbeda.',
  assignment_overlap: 'Pada tanggal itu sudah ada penugasan jadwal lain.',
  profile_published: 'Versi profil ini sudah terbit dan tidak dapat diubah.',
  profile_draft_exists: 'Sudah ada draf untuk profil ini.',
  template_exists: 'Kode pola jadwal ini sudah dipakai.',
  shift_code_in_use: 'Kode shift ini masih dipakai di jadwal dinas.',
  day_not_over: 'Hari itu belum selesai.',
  not_in_review: 'Absensi ini sudah diputuskan sebelumnya (mungkin oleh admin lain). Muat ulang daftar.',
  status_overlap: 'Pada tanggal itu pegawai sudah memiliki status lain.',
  status_cancelled: 'Status ini sudah dibatalkan sebelumnya.',
  bad_review: 'Manipulasi hanya dapat dikonfirmasi dengan menolak absensi.',
  bad_month: 'Bulan tidak valid.',
  bad_state: 'Pilihan keadaan tidak valid.',
  too_many_requests: 'Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi.',
  service_busy: 'Layanan sedang sibuk. Coba lagi dalam beberapa saat.',
  face_service_busy: 'Layanan pengenal wajah sedang sibuk. Coba lagi dalam beberapa saat.',
  request_in_progress: 'Permintaan yang sama sedang diproses. Tunggu sebentar.',
  idempotency_key_reused: 'Permintaan ini sudah dikirim dengan isi berbeda. Muat ulang halaman lalu coba lagi.',
  payload_too_large: 'Berkas atau isian terlalu besar.',
  gone: 'Data ini sudah tidak tersedia.',
  employee_inactive: 'Pegawai ini sudah tidak aktif.',
  change_applied: 'Perubahan ini sudah berlaku sehingga tidak dapat dibatalkan. Koreksi dengan perubahan baru pada tanggal yang sama.',
  change_not_latest: 'Ada perubahan lain sesudahnya. Batalkan perubahan yang paling akhir terlebih dahulu.',
};

const BY_STATUS = {
  400: 'Permintaan tidak valid.',
  401: BY_CODE.unauthenticated,
  403: BY_CODE.forbidden,
  404: BY_CODE.not_found,
  409: BY_CODE.conflict,
  410: BY_CODE.gone,
  413: BY_CODE.payload_too_large,
  422: BY_CODE.validation_failed,
  429: BY_CODE.too_many_requests,
  503: BY_CODE.service_busy,
};

const NETWORK_MESSAGE = 'Tidak dapat terhubung ke server. Periksa koneksi internet lalu coba lagi.';
const TIMEOUT_MESSAGE = 'Server terlalu lama menjawab. Coba lagi sebentar lagi.';
const SERVER_MESSAGE = 'Terjadi kesalahan di server. Coba lagi; bila berulang, hubungi Diskominfo.';

/** What to tell a person about `err` (an ApiError, a NetworkError or anything else thrown). */
export function messageFor(err) {
  if (err && err.forPeople) return err.message; // already written for people (a screen that failed to load, …)
  if (err instanceof NetworkError) return err.timedOut ? TIMEOUT_MESSAGE : NETWORK_MESSAGE;
  if (err instanceof ApiError) {
    if (BY_CODE[err.code]) return BY_CODE[err.code];
    if (BY_STATUS[err.status]) return BY_STATUS[err.status];
    if (err.status >= 500) return SERVER_MESSAGE;
    return err.serverMessage || `Permintaan gagal (kode ${err.status}).`;
  }
  return 'Terjadi kesalahan pada halaman ini. Muat ulang halaman; bila berulang, hubungi Diskominfo.';
}

// Put the words on the error itself (the server's own text stays in serverMessage) so callers show err.message.
function humane(err) {
  if (err instanceof ApiError || err instanceof NetworkError) err.message = messageFor(err);
  return err;
}

function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The client for one API key. `onUnauthorized(err)` is called when the API answers 401 (the key was revoked
 * while the console was open), so the shell can send the person back to sign-in.
 *
 * Every method rejects with ApiError {status, code, message (in words), serverMessage, fields, requestId}
 * or NetworkError {message, timedOut}.
 */
export function createApi(key, { onUnauthorized = () => {} } = {}) {
  async function call(method, path, { query, body, idempotencyKey, timeoutMs = TIMEOUT_MS, accept } = {}) {
    const search = canonicalQuery(query || {});
    const url = `${apiBase()}${path}${search ? `?${search}` : ''}`;
    const headers = { Accept: accept || 'application/json', 'X-API-Key': key };
    let payload;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey || newIdempotencyKey();
    try {
      return await send(url, { method, headers, body: payload, timeoutMs });
    } catch (err) {
      const human = humane(err);
      if (human instanceof ApiError && human.status === 401) onUnauthorized(human);
      throw human;
    }
  }

  async function json(method, path, options) {
    const response = await call(method, path, options);
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  return {
    /** GET path?query -> parsed JSON. */
    get: (path, query) => json('GET', path, { query }),
    /** POST a JSON body. `options.idempotencyKey` reuses one key across retries of the same action. */
    post: (path, body = {}, options = {}) => json('POST', path, { body, ...options }),
    put: (path, body = {}, options = {}) => json('PUT', path, { body, ...options }),
    patch: (path, body = {}, options = {}) => json('PATCH', path, { body, ...options }),
    del: (path, options = {}) => json('DELETE', path, options),
    /** GET a file (a photo, a CSV) with the key -> Blob. */
    async download(path, query) {
      const response = await call('GET', path, { query, timeoutMs: DOWNLOAD_TIMEOUT_MS, accept: '*/*' });
      return response.blob();
    },
    /**
     * Every item of a paginated listing ({items, next_cursor}), following cursors up to `max` items. When it stops
     * at `max` with more left, the array's `truncated` is true (say so on the page).
     */
    async all(path, query = {}, { max = 5000 } = {}) {
      const items = [];
      let cursor;
      do {
        const page = await json('GET', path, { query: { ...query, limit: 500, cursor } });
        items.push(...(page.items || []));
        cursor = page.next_cursor;
      } while (cursor && items.length < max);
      items.truncated = Boolean(cursor);
      return items;
    },
  };
}
