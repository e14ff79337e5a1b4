// The console's screens: what exists, who sees it, and how a screen is loaded.
//
// THE SCREEN MODULE CONTRACT
// --------------------------
// A screen lives in web/admin/js/screens/<id>.js and exports
//
//     export const screen = {
//       async render(root, ctx) { ... },
//     };
//
// `root` is an emptied HTMLElement (the screen's own pane). The screen fills it and may keep working in it (polling,
// event handlers) until the person navigates away: then ctx.signal is aborted (stop timers and polling on it).
// `ctx` is { api, principal, ui, params, signal, navigate }:
//   api        the console API client (web/admin/js/api.js): api.get(path, query), api.post(path, body),
//              api.put(path, body), api.patch(path, body), api.del(path), api.download(path, query) -> Blob,
//              api.all(path, query) -> every item of a paginated listing. Errors are thrown as ApiError
//              {status, code, message (already in words for people), serverMessage, fields, requestId} or
//              NetworkError {message}. A screen never builds URLs or headers itself.
//   principal  the answer of GET /v1/me/key: {key_id, role: 'super'|'opd_admin'|'auditor'|'finance', opd_id, ...}
//   ui         web/admin/js/ui.js: el, button, field, facts, section, table, loading, empty, emptyState, showError,
//              errorBox, notice, flash, chip, ask, opdPicker, opdName, canEdit, and the formatters rupiah, angka, tanggal,
//              bulan, jam, waktu, menit, jarak, persen, zoneLabel, hariIni.
//   params     the route's parameters after the screen id: #/pegawai/EMP-1?tab=status -> {path: ['EMP-1'],
//              query: {tab: 'status'}}.
//   signal     an AbortSignal, aborted when the screen is left.
//   navigate   navigate('pegawai', 'EMP-1') goes to #/pegawai/EMP-1 (or use a plain <a href="#/pegawai/EMP-1">).
// Rules: put every API value on the page as text (ui.el / textContent), never innerHTML; no inline style or script
// (a strict CSP holds); hide what the role cannot do (ui.canEdit(principal)) and let the API stay the gate; show
// the loading, empty and error states. A render that throws shows its error in its own pane only.

export const SCREENS = Object.freeze([
  { id: 'hari-ini', title: 'Hari ini', roles: ['super', 'opd_admin', 'auditor'], module: './screens/hari-ini.js',
    hint: 'Siapa sudah hadir, terlambat, belum absen, cuti atau dinas luar hari ini' },
  { id: 'tinjauan', title: 'Tinjauan', roles: ['super', 'opd_admin', 'auditor'], module: './screens/tinjauan.js',
    hint: 'Absensi swafoto yang perlu diperiksa, dan peringatan kecurangan' },
  { id: 'pegawai', title: 'Pegawai', roles: ['super', 'opd_admin', 'auditor'], module: './screens/pegawai.js',
    hint: 'Cari pegawai; data, perangkat, jadwal, status dan hari-hari bulan ini' },
  { id: 'status', title: 'Status', roles: ['super', 'opd_admin', 'auditor'], module: './screens/status.js',
    hint: 'Cuti, dinas luar, izin dan sakit' },
  { id: 'mesin', title: 'Mesin', roles: ['super', 'opd_admin', 'auditor'], module: './screens/mesin.js',
    hint: 'Kesehatan mesin absensi, gangguan dan PIN yang belum dipetakan' },
  { id: 'rekap', title: 'Rekap bulanan', roles: ['super', 'opd_admin', 'auditor'], module: './screens/rekap.js',
    hint: 'Rekap sebulan per OPD' },
  { id: 'aturan', title: 'Aturan & jadwal', roles: ['super', 'opd_admin', 'auditor'], module: './screens/aturan.js',
    hint: 'Profil aturan TPP, jadwal kerja dan hari libur' },
  { id: 'keuangan', title: 'Keuangan', roles: ['finance', 'super', 'auditor'], module: './screens/keuangan.js',
    hint: 'Berkas TPP bulanan untuk BPKAD' },
  { id: 'audit', title: 'Audit', roles: ['super', 'auditor'], module: './screens/audit.js',
    hint: 'Jejak audit dan pemeriksaan rantai' },
].map((entry) => Object.freeze({ ...entry, roles: Object.freeze(entry.roles) })));

/** The screens a role may open, in menu order. */
export function screensFor(role) {
  return SCREENS.filter((entry) => entry.roles.includes(role));
}

/** The registry entry for an id, or undefined. */
export function findScreen(id) {
  return SCREENS.find((entry) => entry.id === id);
}

/**
 * Load a screen's module (dynamic import, on first navigation) and check it keeps the contract. Rejects with an
 * Error whose message says, in words, what is wrong; the shell shows it in the screen's pane only.
 */
export async function loadScreen(entry) {
  let module;
  try {
    module = await import(entry.module);
  } catch (err) {
    throw new ScreenLoadError(`Layar "${entry.title}" belum tersedia atau gagal dimuat.`, err);
  }
  if (!module.screen || typeof module.screen.render !== 'function') {
    throw new ScreenLoadError(`Layar "${entry.title}" tidak lengkap (tidak ada screen.render).`);
  }
  return module.screen;
}

export class ScreenLoadError extends Error {
  constructor(message, cause) {
    super(message, { cause });
    this.name = 'ScreenLoadError';
    this.forPeople = true;
  }
}
