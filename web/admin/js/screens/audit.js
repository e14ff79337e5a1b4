// Audit: the append-only audit log with filters (actor, action, OPD, date), each entry's before and after, and the
// chain check (every entry's hash links to the one before it; the head is anchored outside the table every hour).

import { alive, ensureStyles, latestOnly, settle } from './common-b.js';

const MAX_ENTRIES = 2000; // the newest entries the screen reads and filters; older ones via the API or the CLI

// Actions in words; an action not listed shows as its code.
const ACTIONS = {
  'checkin.review': 'Keputusan tinjauan absensi', 'status.create': 'Status dibuat', 'status.cancel': 'Status dibatalkan',
  'outage.propose': 'Gangguan diusulkan', 'outage.confirm': 'Gangguan dikonfirmasi', 'outage.dismiss': 'Gangguan ditolak',
  'profile.draft': 'Draf profil dibuat', 'profile.publish': 'Profil diterbitkan', 'profile.draft_replace': 'Draf profil diubah',
  'profile.draft_delete': 'Draf profil dihapus', 'month.close_requested': 'Tutup ulang bulan diminta',
  'key.create': 'Kunci API dibuat', 'key.revoke': 'Kunci API dicabut', 'employee.create': 'Pegawai ditambahkan',
  'employee.update': 'Data pegawai diubah', 'employee.deactivate': 'Pegawai dinonaktifkan', 'opd.create': 'OPD dibuat',
  'holiday.create': 'Hari libur ditambahkan', 'alert.resolve': 'Peringatan diselesaikan',
  'backfill.request': 'Baca ulang mesin diminta', 'pin.create': 'PIN mesin dipetakan',
  'employee.change': 'Perubahan kepegawaian dicatat', 'employee.change_applied': 'Perubahan kepegawaian diterapkan',
  'employee.change_withdrawn': 'Perubahan kepegawaian dibatalkan', 'discipline.alert': 'Peringatan disiplin (PP 94)',
  'discipline.decide': 'Hukuman disiplin dicatat', 'discipline.correct': 'Hukuman disiplin dikoreksi',
  'discipline.revoke': 'Hukuman disiplin dicabut', 'device.activate': 'Ponsel diaktifkan', 'device.revoke': 'Ponsel dicabut',
  'face.enrol': 'Wajah didaftarkan', 'enrolment.reset': 'Ponsel dan wajah direset', 'score.set': 'Nilai kinerja diisi',
  'status.approve': 'Status disetujui', 'activation.issue': 'Kode aktivasi dibuat',
  'alert.duplicate_face': 'Wajah ganda diblokir', 'alert.possible_duplicate_face': 'Kemungkinan wajah ganda',
  'holiday.import': 'Hari libur diimpor', 'holiday.remove': 'Hari libur dihapus', 'leave_request.ask': 'Izin diajukan pegawai',
  'leave_request.approve': 'Pengajuan izin disetujui', 'leave_request.reject': 'Pengajuan izin ditolak',
  'manual_list.submit': 'Daftar hadir manual dikirim', 'ramadan.put': 'Masa Ramadan diatur', 'roster.put': 'Jadwal dinas diisi',
  'schedule_assignment.create': 'Penugasan jadwal dibuat', 'schedule_assignment.end': 'Penugasan jadwal diakhiri',
  'schedule_assignment.delete': 'Penugasan jadwal dihapus', 'schedule_template.create': 'Pola jadwal dibuat',
  'shift_codes.put': 'Kode shift diatur', 'key.bootstrap': 'Kunci super pertama dibuat', 'pemda.put': 'Data pemda diatur',
  'opd.update': 'OPD diubah', 'opd.delete': 'OPD dihapus', 'machine.create': 'Mesin didaftarkan',
  'machine.update': 'Data mesin diubah', 'bridge.create': 'Bridge didaftarkan', 'bridge.update': 'Data bridge diubah',
  'bridge.rotate_key': 'Kunci bridge diganti',
};

export const screen = {
  async render(root, ctx) {
    ensureStyles();
    const { ui } = ctx;
    const filters = { actor: '', action: '', from: '', to: '' };
    const chainHost = ui.el('div');
    const listHost = ui.el('div');
    const detail = ui.el('div', { class: 'b-form-host', 'aria-live': 'polite' });
    let picker;
    ui.loading(root, 'Memuat daftar OPD…');
    try {
      picker = await ui.opdPicker(ctx, { allowAll: true, value: '', onChange: () => load() });
    } catch (err) {
      ui.showError(root, err);
      return;
    }
    const actor = ui.el('input', { type: 'search', name: 'actor', placeholder: 'nama atau kode kunci' });
    const action = ui.el('select', { name: 'action' }, ui.el('option', { value: '' }, 'Semua tindakan'));
    const from = ui.el('input', { type: 'date', name: 'from' });
    const to = ui.el('input', { type: 'date', name: 'to' });
    for (const [input, key] of [[actor, 'actor'], [action, 'action'], [from, 'from'], [to, 'to']]) {
      input.addEventListener(input === actor ? 'input' : 'change', () => { filters[key] = input.value.trim(); draw(); });
    }
    const verifyButton = ui.button('Periksa rantai audit', () => verify(), { kind: 'primary' });
    root.replaceChildren(
      ui.section('Pemeriksaan rantai',
        ui.el('p', { class: 'hint' }, 'Setiap entri membawa sidik (hash) entri sebelumnya, dan ujung rantai disimpan '
          + 'di luar basis data setiap jam. Pemeriksaan menunjukkan apakah ada entri yang diubah, dihapus atau disisipkan.'),
        ui.el('div', { class: 'b-actions' }, verifyButton), chainHost),
      ui.section('Jejak audit',
        ui.el('div', { class: 'form-grid b-filters' }, picker.element, ui.field('Pelaku', actor),
          ui.field('Tindakan', action), ui.field('Dari tanggal', from), ui.field('Sampai tanggal', to)),
        listHost, detail));

    let entries = [];
    let actors = {};
    const latest = latestOnly();
    async function load() {
      const mine = latest.next();
      ui.loading(listHost, 'Memuat jejak audit…');
      detail.replaceChildren();
      const answer = await settle(() => ctx.api.all('/v1/audit', { opd: picker.value || undefined }, { max: MAX_ENTRIES }));
      if (!alive(ctx) || !latest.is(mine)) return;
      if (answer.error) {
        ui.showError(listHost, answer.error);
        return;
      }
      entries = answer.data;
      actors = await ui.listActors(ctx.api);
      if (!alive(ctx) || !latest.is(mine)) return;
      const actions = [...new Set(entries.map((e) => e.action))].sort();
      const chosen = action.value;
      action.replaceChildren(ui.el('option', { value: '' }, 'Semua tindakan'),
        ...actions.map((a) => ui.el('option', { value: a }, ACTIONS[a] ? `${ACTIONS[a]} (${a})` : a)));
      action.value = actions.includes(chosen) ? chosen : '';
      filters.action = action.value;
      draw();
    }

    function draw() {
      if (!entries.length) {
        ui.empty(listHost, 'Belum ada entri audit untuk pilihan ini.',
          'Setiap perubahan oleh admin dan setiap keputusan tentang absensi tercatat di sini.');
        return;
      }
      const needle = filters.actor.toLowerCase();
      const who = (e) => `${e.actor_key_id} ${ui.actorText(e.actor_key_id, actors)}`.toLowerCase();
      const rows = entries.filter((e) => (!needle || who(e).includes(needle))
        && (!filters.action || e.action === filters.action)
        && (!filters.from || localDay(e.at) >= filters.from)
        && (!filters.to || localDay(e.at) <= filters.to));
      const table = ui.table({
        caption: 'Jejak audit', pageSize: 25,
        sort: { key: 'seq', dir: 'desc' },
        emptyText: 'Tidak ada entri yang cocok dengan saringan.',
        onRowClick: (e) => showEntry(ui, detail, e, actors),
        columns: [
          { key: 'seq', label: 'No.', align: 'end' },
          { key: 'at', label: 'Waktu', render: (e) => ui.waktu(e.at) },
          { key: 'actor_key_id', label: 'Pelaku', render: (e) => ui.el('span', { class: 'b-wrap', title: e.actor_key_id },
            ui.actorText(e.actor_key_id, actors)) },
          { key: 'action', label: 'Tindakan', render: (e) => ui.el('div', {}, ACTIONS[e.action] || e.action,
            ACTIONS[e.action] ? ui.el('div', { class: 'hint' }, e.action) : null) },
          { key: 'target', label: 'Sasaran', render: (e) => ui.el('span', { class: 'b-wrap' }, e.target) },
          { key: 'opd_id', label: 'OPD' },
        ],
        rows,
      });
      const count = ui.el('p', { class: 'hint' }, `${ui.angka(rows.length)} dari ${ui.angka(entries.length)} entri `
        + `terbaru${entries.length >= MAX_ENTRIES ? ` (hanya ${ui.angka(MAX_ENTRIES)} terbaru yang dimuat)` : ''}. `
        + 'Klik sebuah baris untuk melihat isi sebelum dan sesudah.');
      listHost.replaceChildren(count, table);
    }

    async function verify() {
      verifyButton.disabled = true;
      ui.loading(chainHost, 'Memeriksa rantai audit… (bisa sampai satu menit)');
      try {
        chainHost.replaceChildren(chainReport(ui, await ctx.api.post('/v1/audit/verify', {})));
      } catch (err) {
        ui.showError(chainHost, err);
      } finally {
        verifyButton.disabled = false;
      }
    }
    await load();
  },
};

function localDay(instant) {
  const d = new Date(instant);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function chainReport(ui, report) {
  const anchor = report.anchor;
  const headline = report.ok
    ? ui.notice(`Rantai utuh: ${ui.angka(report.checked)} entri diperiksa (no. ${report.from_seq}–${report.last_seq}), `
      + 'tidak ada yang diubah, dihapus atau disisipkan.', 'ok')
    : ui.notice(`Rantai RUSAK pada entri no. ${report.first_broken.seq}: ${brokenReason(report.first_broken.reason)}. `
      + 'Laporkan ke Inspektorat dan Diskominfo.', 'error');
  return ui.el('div', {}, headline, ui.facts([
    ['Rentang diperiksa', report.whole_chain ? 'seluruh rantai sejak entri pertama'
      : `entri no. ${report.from_seq} s.d. ${report.last_seq} (${ui.angka(report.window)} entri sebelum jangkar, `
        + 'lalu semua sesudahnya; seluruh rantai diperiksa setiap malam)'],
    ['Jangkar terakhir', anchor ? `entri no. ${anchor.seq}, disimpan ${ui.waktu(anchor.anchored_at)}`
      : 'belum ada jangkar (rantai hanya diperiksa kaitan antar-entrinya)'],
    anchor && anchor.stale ? ['Peringatan', ui.el('span', { class: 'b-warn' }, 'Jangkar terakhir lebih dari dua jam '
      + 'yang lalu: tugas penjangkaran per jam terlewat. Beri tahu Diskominfo.')] : null,
    anchor ? ['Sidik jangkar', ui.el('code', { class: 'b-hash' }, anchor.hash)] : null,
    ['Entri sesudah jangkar', `${ui.angka(report.unanchored_tail ?? 0)} (belum dijangkarkan: perubahan pada entri ini `
      + 'baru terlihat setelah jangkar berikutnya)'],
  ]));
}

function brokenReason(reason) {
  const text = String(reason || '');
  if (/missing/.test(text)) return `ada entri yang hilang (${text})`;
  if (/altered|content/.test(text)) return `isi entri diubah (${text})`;
  if (/prev_hash/.test(text)) return `kaitan ke entri sebelumnya putus (${text})`;
  if (/anchor/.test(text)) return `tidak cocok dengan jangkar (${text})`;
  return text;
}

function showEntry(ui, host, entry, actors) {
  const block = (title, value) => ui.el('div', { class: 'b-json' }, ui.el('h4', {}, title),
    value ? ui.el('pre', {}, JSON.stringify(value, null, 2)) : ui.el('p', { class: 'hint' }, '(kosong)'));
  host.replaceChildren(ui.el('div', { class: 'panel b-entry' },
    ui.el('h3', {}, `Entri no. ${entry.seq}: ${ACTIONS[entry.action] || entry.action}`),
    ui.facts([
      ['Waktu', ui.waktu(entry.at)],
      ['Pelaku', ui.el('span', {}, ui.actorText(entry.actor_key_id, actors), ' (kode ', ui.el('code', {}, entry.actor_key_id), ')')],
      ['Sasaran', entry.target],
      ['OPD', entry.opd_id], ['Sidik', ui.el('code', { class: 'b-hash' }, entry.hash)],
      ['Sidik sebelumnya', ui.el('code', { class: 'b-hash' }, entry.prev_hash)],
    ]),
    ui.el('div', { class: 'b-json-pair' }, block('Sebelum', entry.before), block('Sesudah', entry.after)),
    ui.button('Tutup', () => host.replaceChildren())));
  host.scrollIntoView({ block: 'nearest' });
}
