// Hadir's mobile web app: screens behind hash routes, no framework. Hari ini (hari-ini.js) and Bulan ini
// (bulan-ini.js) live in their own modules.

import {
  ApiError, NetworkError, activateDevice, enrolFace, getCheckins, getMe, postCheckin,
} from './api.js';
import { forgetDevice, loadDevice, saveDevice } from './store.js';
import {
  cameraErrorMessage, cameraReady, currentPosition, locationErrorMessage, startCamera, stopCamera,
  watchLocation,
} from './sensors.js';
import { LIVENESS_MESSAGES, hideGuide, takeLiveFrames } from './liveness.js';
import {
  earlyLeave, earlyLeaveQuestion, lastToday, loadToday, officeTime, renderToday, startTicking, stopTicking,
} from './hari-ini.js';
import { bindMonthSwitcher, loadMonth } from './bulan-ini.js';
import { enterAjukan, loadRequests, submitRequest } from './ajukan.js';

const CLOCK_WARNING_MS = 60 * 1000;
const DEFAULT_MAX_ACCURACY_M = 50;
const DEVICE_GONE = ['unknown_device', 'device_revoked', 'employee_inactive'];

const $ = (id) => document.getElementById(id);
const numbers = new Intl.NumberFormat('id-ID', { maximumFractionDigits: 1 });

const state = {
  device: null, // {deviceId, keyPair, employee, faceEnrolled, activatedAt}, kept in IndexedDB
  me: null, // the last GET /v1/mobile/me answer: offices, max_accuracy_m
  screen: null,
  position: null,
  stopLocation: null,
  attempt: null, // the check-in being sent: {kind, idempotencyKey, body}; a retry sends exactly this again
  busy: false,
  banners: new Map(),
};

// --- messages ------------------------------------------------------------------------------------------

function formatMeters(meters) {
  // A no-break space: the unit never sits alone on the next line.
  return meters < 1000 ? `${Math.round(meters)}\u00a0m` : `${numbers.format(meters / 1000)}\u00a0km`;
}

function clockMessage(serverTimeMs) {
  if (typeof serverTimeMs !== 'number') {
    return 'Jam di ponsel Anda tidak tepat. Nyalakan "Tanggal & waktu otomatis" di pengaturan ponsel, lalu coba lagi.';
  }
  const skew = Date.now() - serverTimeMs;
  const minutes = Math.round(Math.abs(skew) / 60000);
  const amount = minutes >= 1 ? `${numbers.format(minutes)} menit` : `${Math.round(Math.abs(skew) / 1000)} detik`;
  const direction = skew > 0 ? 'lebih cepat' : 'lebih lambat';
  return `Jam di ponsel Anda ${direction} ${amount} dari jam server. Nyalakan "Tanggal & waktu otomatis" `
    + 'di pengaturan ponsel, lalu coba lagi.';
}

const API_MESSAGES = {
  activation_failed: 'NIP atau kode aktivasi salah. Periksa lagi keduanya.',
  activation_expired: 'Kode aktivasi sudah kedaluwarsa. Minta kode baru ke admin OPD.',
  activation_used: 'Kode aktivasi ini sudah pernah dipakai. Minta kode baru ke admin OPD.',
  device_already_active: 'Anda sudah punya ponsel presensi yang aktif. Minta admin OPD me-reset perangkat lama, '
    + 'lalu aktivasi dengan kode baru.',
  too_many_attempts: 'Terlalu banyak percobaan yang salah. Aktivasi dikunci 15 menit; coba lagi nanti.',
  device_signature_missing: 'Permintaan tidak bertanda tangan perangkat. Muat ulang aplikasi.',
  bad_signature: 'Tanda tangan perangkat tidak cocok. Jika terus terjadi, minta admin OPD me-reset perangkat Anda.',
  replayed_nonce: 'Permintaan yang sama terkirim dua kali. Coba kirim lagi.',
  face_quality: 'Foto wajah belum memenuhi syarat:',
  face_already_enrolled: 'Wajah Anda sudah terekam. Untuk mengganti foto acuan, minta admin OPD me-reset rekaman wajah.',
  duplicate_face: 'Wajah ini sudah terdaftar atas nama pegawai lain. Rekam wajah dihentikan dan bagian kepegawaian '
    + 'sudah diberi tahu.',
  face_not_enrolled: 'Rekam wajah dulu sebelum presensi.',
  ...LIVENESS_MESSAGES,
};

function messageFor(err) {
  if (err instanceof NetworkError) {
    return navigator.onLine
      ? 'Server tidak bisa dihubungi. Periksa koneksi internet Anda, lalu coba lagi.'
      : 'Tidak ada koneksi internet. Presensi membutuhkan koneksi; coba lagi setelah ponsel tersambung.';
  }
  if (!(err instanceof ApiError)) return (err && err.message) || 'Terjadi kesalahan. Coba lagi.';
  if (err.code === 'stale_timestamp') return clockMessage(err.details.server_time_ms);
  if (API_MESSAGES[err.code]) return API_MESSAGES[err.code];
  if (err.status >= 500) return 'Server sedang bermasalah. Coba lagi beberapa saat lagi.';
  return err.message || `Permintaan ditolak server (HTTP ${err.status}).`;
}

function renderBanners() {
  const banner = $('banner');
  banner.replaceChildren(...[...state.banners].map(([kind, text]) => {
    const p = document.createElement('p');
    p.className = kind;
    p.textContent = text;
    return p;
  }));
  banner.hidden = state.banners.size === 0;
  banner.dataset.kinds = [...state.banners.keys()].join(' ');
}

function showBanner(kind, text) {
  state.banners.set(kind, text);
  renderBanners();
}

function clearBanner(kind) {
  if (state.banners.delete(kind)) renderBanners();
}

function setBusy(button, busy, label) {
  if (!button.dataset.label) button.dataset.label = button.textContent.trim();
  button.disabled = busy;
  button.setAttribute('aria-busy', String(busy));
  button.textContent = busy ? label : button.dataset.label;
}

// --- device binding ------------------------------------------------------------------------------------

function deviceName() {
  const ua = navigator.userAgent;
  const browsers = [[/EdgA?\//, 'Edge'], [/SamsungBrowser\//, 'Samsung Internet'], [/Firefox|FxiOS/, 'Firefox'],
    [/Chrome|CriOS|Chromium/, 'Chrome'], [/Safari/, 'Safari']];
  const systems = [[/Android/, 'Android'], [/iPhone/, 'iPhone'], [/iPad/, 'iPad'], [/Windows/, 'Windows'],
    [/Mac OS X/, 'macOS'], [/Linux/, 'Linux']];
  const browser = (browsers.find(([re]) => re.test(ua)) || [null, 'Browser'])[1];
  const system = (systems.find(([re]) => re.test(ua)) || [null, 'perangkat lain'])[1];
  return `${browser} di ${system}`;
}

async function handleDeviceGone(err) {
  if (!(err instanceof ApiError) || !DEVICE_GONE.includes(err.code)) return false;
  await forgetDevice();
  state.device = null;
  state.me = null;
  state.attempt = null;
  state.banners.delete('info');
  showBanner('revoked', err.code === 'employee_inactive' ? err.message
    : 'Ponsel ini tidak lagi terdaftar untuk presensi (dicabut oleh admin). Minta kode aktivasi '
    + 'baru ke admin OPD, lalu aktivasi ulang.');
  route();
  return true;
}

async function refreshMe() {
  if (!state.device || !navigator.onLine) return;
  try {
    const me = await getMe(state.device);
    state.me = me;
    if (Math.abs(Date.now() - me.server_time_ms) > CLOCK_WARNING_MS) {
      showBanner('clock', clockMessage(me.server_time_ms));
    } else {
      clearBanner('clock');
    }
    state.device = { ...state.device, employee: me.employee, faceEnrolled: Boolean(me.face_enrolled) };
    await saveDevice(state.device);
    route();
    if (state.position && state.screen === 'presensi') onPosition(state.position); // now with the offices
  } catch (err) {
    if (await handleDeviceGone(err)) return;
    if (err instanceof ApiError && err.code === 'stale_timestamp') showBanner('clock', messageFor(err));
  }
}

async function onActivate(event) {
  event.preventDefault();
  const nip = $('input-nip').value.replace(/\s+/g, '');
  const code = $('input-code').value.trim().toUpperCase();
  const error = $('activation-error');
  error.hidden = true;
  if (!nip || !code) {
    error.textContent = 'Isi NIP dan kode aktivasi.';
    error.hidden = false;
    return;
  }
  if (!window.crypto || !crypto.subtle) {
    error.textContent = 'Halaman ini harus dibuka lewat HTTPS agar ponsel bisa diaktifkan.';
    error.hidden = false;
    return;
  }
  const button = $('form-activate').querySelector('button[type=submit]');
  setBusy(button, true, 'Mengaktifkan…');
  try {
    // Non-extractable: the private key can sign, but no script (ours included) can ever read it out.
    const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const jwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
    const answer = await activateDevice({
      nip, code, device_name: deviceName(), public_key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    });
    state.device = {
      deviceId: answer.device_id,
      keyPair,
      employee: answer.employee,
      faceEnrolled: Boolean(answer.face_enrolled),
      activatedAt: new Date().toISOString(),
    };
    await saveDevice(state.device);
    $('form-activate').reset();
    clearBanner('revoked');
    showBanner('info', `Ponsel ini aktif untuk ${answer.employee.name.replace(/\.$/, '')}.`);
    go(state.device.faceEnrolled ? 'presensi' : 'wajah');
    refreshMe();
  } catch (err) {
    error.textContent = messageFor(err);
    error.hidden = false;
  } finally {
    setBusy(button, false);
  }
}

// --- camera screens ------------------------------------------------------------------------------------

async function openCamera(video, status, screen) {
  status.textContent = 'Membuka kamera…';
  status.dataset.state = 'opening';
  try {
    await startCamera(video);
    if (state.screen !== screen) {
      stopCamera(video); // the user left while the camera was opening
      return;
    }
    status.textContent = 'Kamera siap.';
    status.dataset.state = 'ready';
  } catch (err) {
    status.textContent = cameraErrorMessage(err);
    status.dataset.state = 'error';
  }
}

function enterWajah() {
  $('face-snapshot').hidden = true;
  $('face-result').hidden = true;
  openCamera($('camera-wajah'), $('camera-status-wajah'), 'wajah');
}

function leaveWajah() {
  hideGuide($('guide-wajah'));
  stopCamera($('camera-wajah'));
}

function showFaceResult(kind, message, problems = []) {
  const box = $('face-result');
  box.dataset.state = kind;
  $('face-message').textContent = message;
  $('face-problems').replaceChildren(...problems.map((problem) => {
    const li = document.createElement('li');
    li.textContent = problem.message || problem.code;
    li.dataset.code = problem.code;
    return li;
  }));
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
}

async function onCaptureFace() {
  const video = $('camera-wajah');
  const button = $('btn-capture-face');
  if (!cameraReady(video)) {
    showFaceResult('error', $('camera-status-wajah').dataset.state === 'error'
      ? $('camera-status-wajah').textContent : 'Kamera belum siap. Tunggu sebentar, lalu coba lagi.');
    return;
  }
  $('face-snapshot').hidden = true;
  setBusy(button, true, 'Ikuti petunjuk…');
  try {
    const frames = await takeLiveFrames({
      video, guide: $('guide-wajah'), purpose: 'enrol', device: state.device,
      onStatus: (text) => showFaceResult('sending', text),
    });
    $('face-snapshot').src = frames.frontal.dataUrl;
    $('face-snapshot').hidden = false;
    setBusy(button, true, 'Mengirim foto…');
    showFaceResult('sending', 'Memeriksa foto wajah…');
    await enrolFace(state.device, { image: frames.frontal.base64, liveness: frames.liveness });
    state.device = { ...state.device, faceEnrolled: true };
    await saveDevice(state.device);
    showBanner('info', 'Wajah tersimpan. Sekarang Anda bisa presensi.');
    go('presensi');
  } catch (err) {
    if (await handleDeviceGone(err)) return;
    if (err instanceof ApiError && err.code === 'face_already_enrolled') {
      state.device = { ...state.device, faceEnrolled: true };
      await saveDevice(state.device);
    }
    const problems = err instanceof ApiError && Array.isArray(err.details.problems) ? err.details.problems : [];
    showFaceResult('error', messageFor(err), problems);
  } finally {
    setBusy(button, false);
  }
}

// --- presensi ------------------------------------------------------------------------------------------

function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(h));
}

function nearestCircleOffice(point) {
  const circles = ((state.me && state.me.offices) || []).filter((o) => o.kind === 'circle');
  let best = null;
  for (const office of circles) {
    const away = Math.max(0, distanceM(point, office.center) - office.radius_m);
    if (!best || away < best.away) best = { name: office.name, away };
  }
  return best;
}

function onPosition(position) {
  state.position = position;
  const status = $('location-status');
  const accuracy = Math.round(position.coords.accuracy);
  const limit = (state.me && state.me.max_accuracy_m) || DEFAULT_MAX_ACCURACY_M;
  let text = `Lokasi ditemukan, akurasi ±${accuracy} m.`;
  status.dataset.state = 'ok';
  if (accuracy > limit) {
    text += ` Akurasi kurang (batas ${limit} m): pindah ke tempat terbuka atau tunggu GPS lebih tepat.`;
    status.dataset.state = 'poor';
  }
  // A hint only: the server decides with every office, polygons included.
  const office = nearestCircleOffice({ lat: position.coords.latitude, lon: position.coords.longitude });
  if (office) {
    text += office.away === 0 ? ` Anda di area ${office.name}.` : ` ${formatMeters(office.away)} dari ${office.name}.`;
  }
  status.textContent = text;
}

function onLocationError(err) {
  if (err.code === 3 && state.position) return; // a slow fix after a good one: keep the good one
  state.position = null;
  const status = $('location-status');
  status.textContent = locationErrorMessage(err);
  status.dataset.state = 'error';
}

function updateCheckinButtons() {
  for (const id of ['btn-masuk', 'btn-pulang']) {
    const button = $(id);
    button.disabled = state.busy || !navigator.onLine;
    button.setAttribute('aria-busy', String(state.busy));
  }
  $('btn-retry').disabled = state.busy || !navigator.onLine;
}

// --- hari ini ------------------------------------------------------------------------------------------

async function refreshToday() {
  if (!state.device || !navigator.onLine) return null;
  const status = $('today-status');
  try {
    const answer = await loadToday(state.device);
    status.hidden = true;
    renderToday($('today-card'));
    return answer;
  } catch (err) {
    if (await handleDeviceGone(err)) return null;
    if (!lastToday()) {
      status.textContent = `Jadwal hari ini belum bisa dimuat. ${messageFor(err)}`;
      status.dataset.state = 'error';
      status.hidden = false;
    }
    return null;
  }
}

/** Before an early Pulang: the cost in words, and the person's answer (true: go on). */
function confirmEarly(early) {
  const dialog = $('confirm-early');
  $('early-text').textContent = earlyLeaveQuestion(early);
  return new Promise((resolve) => {
    const done = (answer) => {
      $('btn-early-go').removeEventListener('click', go);
      $('btn-early-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const go = () => done(true);
    const cancel = (event) => {
      if (event) event.preventDefault();
      done(false);
    };
    $('btn-early-go').addEventListener('click', go);
    $('btn-early-cancel').addEventListener('click', cancel);
    dialog.addEventListener('cancel', cancel);
    dialog.showModal();
    $('btn-early-cancel').focus();
  });
}

function enterPresensi() {
  $('checkin-result').hidden = true;
  if (lastToday()) renderToday($('today-card'));
  refreshToday();
  startTicking($('today-card'));
  openCamera($('camera-presensi'), $('camera-status'), 'presensi');
  state.stopLocation = watchLocation(onPosition, onLocationError);
  updateCheckinButtons();
}

function leavePresensi() {
  stopTicking();
  hideGuide($('guide-presensi'));
  stopCamera($('camera-presensi'));
  if (state.stopLocation) state.stopLocation();
  state.stopLocation = null;
}

function showResult(outcome, title, detail = '', { reasons = [], distance = '', retry = false } = {}) {
  const box = $('checkin-result');
  box.dataset.outcome = outcome;
  $('result-outcome').textContent = title;
  $('result-detail').textContent = detail;
  $('result-reasons').replaceChildren(...reasons.map((reason) => {
    const li = document.createElement('li');
    li.textContent = reason.message || reason.code;
    li.dataset.code = reason.code;
    return li;
  }));
  $('result-distance').textContent = distance;
  $('result-distance').hidden = !distance;
  $('btn-retry').hidden = !retry;
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
}

function showDecision(answer) {
  const kind = answer.kind === 'out' ? 'pulang' : 'masuk';
  const at = answer.local_time ? ` pukul ${officeTime(answer.local_time)}` : '';
  const texts = {
    accepted: [`Presensi ${kind} diterima`, `Tercatat${at}.`],
    refused: [`Presensi ${kind} ditolak`, 'Tidak tercatat. Perbaiki penyebab di bawah ini, lalu coba lagi.'],
    review: ['Menunggu verifikasi', `Presensi ${kind}${at} tersimpan dan menunggu pemeriksaan admin OPD.`],
    pending: ['Menunggu', `Presensi ${kind}${at} diterima server; wajah sedang diverifikasi. `
      + 'Hasilnya muncul di Riwayat dalam beberapa menit.'],
  };
  const [title, detail] = texts[answer.outcome] || [`Status: ${answer.outcome}`, ''];
  const distance = typeof answer.distance_m === 'number'
    ? `Jarak ke ${answer.office || 'kantor terdekat'}: ${formatMeters(answer.distance_m)}` : '';
  showResult(answer.outcome, title, detail, { reasons: answer.reasons || [], distance });
}

async function sendAttempt() {
  const { attempt } = state;
  state.busy = true;
  updateCheckinButtons();
  showResult('sending', attempt.kind === 'in' ? 'Mengirim presensi masuk…' : 'Mengirim presensi pulang…');
  try {
    const answer = await postCheckin(state.device, attempt.body, attempt.idempotencyKey);
    state.attempt = null;
    showDecision(answer);
    refreshToday();
  } catch (err) {
    if (await handleDeviceGone(err)) return;
    if (err instanceof ApiError && err.code === 'face_not_enrolled') {
      state.device = { ...state.device, faceEnrolled: false };
      await saveDevice(state.device);
      showBanner('info', messageFor(err));
      go('wajah');
      return;
    }
    // Only what the same request can fix by being sent again keeps the attempt (and its Idempotency-Key).
    const retry = err instanceof NetworkError || (err instanceof ApiError
      && (['stale_timestamp', 'replayed_nonce'].includes(err.code) || err.status === 429 || err.status >= 500));
    if (!retry) state.attempt = null;
    const title = err instanceof NetworkError ? 'Belum terkirim' : 'Presensi gagal';
    showResult('error', title, messageFor(err), { retry });
  } finally {
    state.busy = false;
    updateCheckinButtons();
  }
}

function localIsoTime(date) {
  const pad = (n) => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}:${pad(date.getSeconds())}${offset >= 0 ? '+' : '-'}${pad(offset / 60)}:${pad(offset % 60)}`;
}

async function onCheckin(kind) {
  if (state.busy) return;
  if (!navigator.onLine) {
    showResult('error', 'Tidak ada koneksi', messageFor(new NetworkError()));
    return;
  }
  if (kind === 'out') {
    // Asked first, from a fresh answer (the cost follows the server's rules), or else the last one.
    state.busy = true;
    updateCheckinButtons();
    showResult('sending', 'Memeriksa jadwal hari ini…');
    const early = earlyLeave((await refreshToday()) || lastToday());
    const go = !early || (await confirmEarly(early));
    state.busy = false;
    updateCheckinButtons();
    $('checkin-result').hidden = true;
    if (!go) return;
  }
  const video = $('camera-presensi');
  if (!cameraReady(video)) {
    const status = $('camera-status');
    showResult('error', 'Kamera belum siap', status.dataset.state === 'error'
      ? status.textContent : 'Tunggu sampai pratinjau kamera muncul, lalu coba lagi.');
    return;
  }
  state.busy = true;
  updateCheckinButtons();
  showResult('sending', 'Membaca lokasi…');
  let position = state.position;
  try {
    if (!position) position = await currentPosition();
  } catch (err) {
    onLocationError(err);
    state.busy = false;
    updateCheckinButtons();
    showResult('error', 'Lokasi belum tersedia', locationErrorMessage(err));
    return;
  }
  let frames;
  try {
    frames = await takeLiveFrames({
      video, guide: $('guide-presensi'), purpose: 'checkin', device: state.device,
      onStatus: (text) => showResult('sending', 'Ikuti petunjuk di layar', text),
    });
  } catch (err) {
    state.busy = false;
    updateCheckinButtons();
    if (await handleDeviceGone(err)) return;
    showResult('error', err instanceof ApiError || err instanceof NetworkError ? 'Presensi gagal' : 'Foto gagal diambil',
      messageFor(err));
    return;
  }
  state.attempt = {
    kind,
    idempotencyKey: crypto.randomUUID(),
    body: {
      kind,
      image: frames.frontal.base64,
      liveness: frames.liveness,
      lat: position.coords.latitude,
      lon: position.coords.longitude,
      accuracy_m: Math.round(position.coords.accuracy * 10) / 10,
      client_time: localIsoTime(new Date()),
    },
  };
  await sendAttempt();
}

// --- riwayat -------------------------------------------------------------------------------------------

const OUTCOME_LABELS = {
  accepted: 'Diterima', refused: 'Ditolak', review: 'Menunggu verifikasi', pending: 'Menunggu',
};

function thisMonth() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
}

function dateLabel(isoDate) {
  return new Intl.DateTimeFormat('id-ID', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' })
    .format(new Date(`${isoDate}T00:00:00Z`));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderHistory(answer) {
  const items = answer.items || [];
  $('history-list').replaceChildren(...items.map((item) => {
    const li = element('li', `entry ${item.outcome}`);
    li.dataset.testid = 'history-item';
    li.dataset.outcome = item.outcome;
    li.dataset.kind = item.kind;
    const head = element('div', 'entry-head');
    head.append(
      element('span', 'when', `${item.local_date ? dateLabel(item.local_date) : ''} · ${officeTime(item.local_time || '')}`),
      element('span', 'kind', item.kind === 'out' ? 'Pulang' : 'Masuk'),
      element('span', `badge ${item.outcome}`, OUTCOME_LABELS[item.outcome] || item.outcome),
    );
    li.append(head);
    if (item.reasons && item.reasons.length) {
      const reasons = element('ul', 'reasons');
      reasons.append(...item.reasons.map((r) => element('li', '', r.message || r.code)));
      li.append(reasons);
    }
    return li;
  }));
  const days = answer.days || [];
  $('history-days').replaceChildren(...days.map((day) => {
    const li = element('li', 'day');
    li.dataset.testid = 'history-day';
    li.append(
      element('span', 'when', dateLabel(day.date)),
      element('span', 'badge', day.code || (day.codes || []).join(', ') || day.status),
      element('span', 'explanation', day.explanation || ''),
    );
    return li;
  }));
  $('history-days').hidden = days.length === 0;
  $('h-days').hidden = days.length === 0;
  $('history-status').textContent = items.length ? `${items.length} presensi bulan ini.` : 'Belum ada presensi bulan ini.';
}

async function loadHistory() {
  const month = thisMonth();
  $('history-month').textContent = new Intl.DateTimeFormat('id-ID', { month: 'long', year: 'numeric' })
    .format(new Date());
  const status = $('history-status');
  status.textContent = 'Memuat riwayat…';
  status.dataset.state = 'loading';
  try {
    const answer = await getCheckins(state.device, month);
    renderHistory(answer);
    status.dataset.state = 'ready';
  } catch (err) {
    if (await handleDeviceGone(err)) return;
    status.textContent = messageFor(err);
    status.dataset.state = 'error';
  }
}

// --- routing -------------------------------------------------------------------------------------------

const SCREENS = {
  aktivasi: { enter: () => { $('activation-error').hidden = true; } },
  wajah: { enter: enterWajah, leave: leaveWajah },
  presensi: { enter: enterPresensi, leave: leavePresensi },
  riwayat: { enter: loadHistory },
  bulan: { enter: () => showMonth() },
  ajukan: {
    enter: () => {
      enterAjukan();
      loadRequests(state.device, { messageFor, onError: handleDeviceGone });
    },
  },
};

async function showMonth(month) {
  // Today's answer says where the office is: this month there, and the zone of the times.
  const today = lastToday() || (await refreshToday());
  return loadMonth(state.device, month, {
    thisMonth: today ? today.date.slice(0, 7) : undefined, messageFor, onError: handleDeviceGone,
  });
}

// Before activation only Aktivasi; before the reference selfie, Rekam wajah instead of Presensi.
function allowedScreen(asked) {
  if (!state.device) return 'aktivasi';
  if (['riwayat', 'bulan', 'ajukan'].includes(asked)) return asked;
  return state.device.faceEnrolled ? 'presensi' : 'wajah';
}

function updateChrome() {
  const { device } = state;
  $('tabs').hidden = !device;
  document.querySelector('[data-route="wajah"]').hidden = !device || device.faceEnrolled;
  document.querySelector('[data-route="presensi"]').hidden = !device || !device.faceEnrolled;
  for (const link of document.querySelectorAll('[data-route]')) {
    if (link.dataset.route === state.screen) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const who = document.querySelector('[data-testid="employee-name"]');
  who.hidden = !device;
  // The name on its own line, the OPD under it: a long name wraps instead of being cut.
  const employee = device && device.employee;
  const name = document.createElement('span');
  name.className = 'who-name';
  name.textContent = employee ? employee.name : '';
  const opd = document.createElement('span');
  opd.className = 'who-opd';
  opd.textContent = employee && employee.opd_name ? employee.opd_name : '';
  who.replaceChildren(name, opd);
}

function route() {
  const asked = window.location.hash.replace(/^#\/?/, '');
  const name = allowedScreen(asked);
  if (asked !== name) window.history.replaceState(null, '', `#/${name}`);
  if (state.screen !== name) {
    const previous = SCREENS[state.screen];
    if (previous && previous.leave) previous.leave();
    state.screen = name;
    for (const section of document.querySelectorAll('[data-screen]')) section.hidden = section.dataset.screen !== name;
    document.querySelector(`#screen-${name} h1`).focus();
    SCREENS[name].enter();
  }
  updateChrome();
}

function go(name) {
  if (window.location.hash === `#/${name}`) route();
  else window.location.hash = `#/${name}`;
}

function updateNetwork() {
  const online = navigator.onLine;
  const badge = $('net-status');
  badge.textContent = online ? 'Daring' : 'Luring';
  badge.dataset.state = online ? 'online' : 'offline';
  if (online) {
    clearBanner('offline');
  } else {
    showBanner('offline', 'Anda sedang luring (tanpa internet). Aplikasi tetap terbuka, tetapi presensi, aktivasi '
      + 'dan rekam wajah membutuhkan koneksi.');
  }
  updateCheckinButtons();
}

async function start() {
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch(() => {});
  $('form-activate').addEventListener('submit', onActivate);
  $('btn-capture-face').addEventListener('click', onCaptureFace);
  $('btn-masuk').addEventListener('click', () => onCheckin('in'));
  $('btn-pulang').addEventListener('click', () => onCheckin('out'));
  $('btn-retry').addEventListener('click', () => state.attempt && sendAttempt());
  $('btn-refresh-history').addEventListener('click', loadHistory);
  bindMonthSwitcher(showMonth);
  $('form-ajukan').addEventListener('submit', (event) => {
    event.preventDefault();
    submitRequest(state.device, { messageFor, onError: handleDeviceGone });
  });
  window.addEventListener('online', () => {
    updateNetwork();
    refreshMe();
  });
  window.addEventListener('offline', updateNetwork);
  window.addEventListener('hashchange', route);
  // A notice such as "Wajah tersimpan" stays until the user's next action.
  for (const control of document.querySelectorAll('[data-route], button')) {
    control.addEventListener('click', () => clearBanner('info'));
  }
  try {
    state.device = (await loadDevice()) || null;
  } catch {
    showBanner('storage', 'Penyimpanan browser tidak tersedia (mode penyamaran?). Buka Hadir di jendela biasa.');
  }
  updateNetwork();
  route();
  document.body.dataset.ready = 'true';
  refreshMe();
}

start();
