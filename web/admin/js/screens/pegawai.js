// Pegawai: find an employee by name, NIP or id; an employee's page with their data, phone and face, their
// employment history and hukuman disiplin decisions (pegawai-riwayat.js), the schedule in force, statuses, and the
// month's days with their codes and explanations.

import { employeeRecords, upcomingPanel } from './pegawai-riwayat.js';
import { photo } from './tinjauan.js';

const TYPE_NAMES = { PNS: 'PNS', PPPK: 'PPPK', TKK: 'TKK / honorer' };
const DAY_STATUS = { present: 'Hadir', absent: 'Tidak hadir', status: 'Berstatus', outage: 'Gangguan mesin' };

export const screen = {
  async render(root, ctx) {
    const id = ctx.params.path[0];
    if (id) await renderEmployee(root, ctx, id);
    else await renderSearch(root, ctx);
  },
};

// ---- search -----------------------------------------------------------------------------------------------

let lastQuery = ''; // kept while the console is open, so "back" returns to the same search

async function renderSearch(root, ctx) {
  const { ui, api, principal } = ctx;
  const input = ui.el('input', {
    type: 'search', name: 'q', value: ctx.params.query.q || lastQuery, autocomplete: 'off',
    placeholder: 'contoh: Ani, 19850301, EMP-001',
  });
  const results = ui.el('div', { class: 'results' });
  const form = ui.el('form', { class: 'toolbar', role: 'search', method: 'dialog' });
  root.replaceChildren(form, results);
  const picker = await ui.opdPicker(ctx, { allowAll: principal.role !== 'opd_admin', onChange: () => { search(); upcoming.reload(); } });
  const upcoming = upcomingPanel(ctx, () => picker.value);
  root.insertBefore(upcoming.element, results);
  form.append(
    ui.el('div', { class: 'field grow' }, ui.el('label', { for: 'pegawai-q' }, 'Cari nama, NIP atau ID pegawai'), input),
    picker.element,
    ui.el('button', { type: 'submit', class: 'btn btn-primary' }, 'Cari'));
  input.id = 'pegawai-q';
  form.addEventListener('submit', (event) => { event.preventDefault(); search(); });

  let seq = 0;
  async function search() {
    const mine = ++seq;
    const q = input.value.trim();
    lastQuery = q;
    if (q && q.length < 2) {
      results.replaceChildren(ui.notice('Ketik minimal 2 huruf atau angka.', 'warn'));
      return;
    }
    ui.loading(results, q ? `Mencari "${q}"…` : 'Memuat daftar pegawai…');
    try {
      const rows = await api.all('/v1/employees', { q: q || undefined, opd: picker.value || undefined });
      if (mine !== seq) return;
      const where = picker.opd ? picker.opd.name : (picker.value || 'semua OPD');
      if (!rows.length) {
        ui.empty(results, q ? `Tidak ada pegawai yang cocok dengan "${q}" di ${where}.` : `Belum ada pegawai di ${where}.`,
          q ? 'Coba sebagian nama, awal NIP (angka), atau ID pegawai lengkap.' : null);
        return;
      }
      results.replaceChildren(...[
        rows.truncated ? ui.notice(`Hanya ${ui.angka(rows.length)} pegawai pertama yang ditampilkan. Persempit dengan nama, NIP atau OPD.`, 'warn') : null,
        ui.el('p', { class: 'hint' }, `${ui.angka(rows.length)} pegawai${q ? ` cocok dengan "${q}"` : ''} di ${where}.`),
        ui.table({
          rows, pageSize: 50, caption: 'Daftar pegawai', sort: { key: 'name' },
          onRowClick: (r) => ctx.navigate('pegawai', r.employee_id),
          columns: [
            { key: 'name', label: 'Nama', render: (r) => ui.el('a', { href: `#/pegawai/${encodeURIComponent(r.employee_id)}` }, r.name) },
            { key: 'nip', label: 'NIP / NIK', render: (r) => ui.el('span', { class: 'mono' }, r.nip || r.nik || '') },
            { key: 'employee_type', label: 'Jenis', render: (r) => ui.chip(r.employee_type, TYPE_NAMES[r.employee_type]) },
            { key: 'jabatan', label: 'Jabatan', render: (r) => ui.el('span', {}, r.jabatan, r.unit ? ui.el('span', { class: 'sub' }, r.unit) : null) },
            { key: 'opd_id', label: 'OPD', render: (r) => ui.opdName(api, r.opd_id) },
            { key: 'active', label: 'Keadaan', value: (r) => (r.active ? 0 : 1), render: (r) => ui.chip(r.active ? 'active' : 'inactive') },
          ],
        })].filter(Boolean));
    } catch (err) {
      if (mine === seq) ui.showError(results, err);
    }
  }
  await search();
}

// ---- one employee -----------------------------------------------------------------------------------------

async function renderEmployee(root, ctx, employeeId) {
  const { ui, api } = ctx;
  const back = ui.el('a', { class: 'back', href: '#/pegawai' }, '‹ Kembali ke pencarian');
  const body = ui.el('div', {});
  root.replaceChildren(back, body);
  ui.loading(body, 'Memuat data pegawai…');
  let employee;
  try {
    employee = await api.get(`/v1/employees/${encodeURIComponent(employeeId)}`);
  } catch (err) {
    ui.showError(body, err);
    return;
  }
  const title = document.getElementById('screen-title');
  if (title) title.textContent = employee.name;
  const hint = document.getElementById('screen-hint');
  if (hint) hint.textContent = `${employee.nip ? `NIP ${employee.nip}` : employee.employee_id} · ${employee.opd_id}`;
  const opdName = ui.el('span', {}, employee.opd_id);
  api.get(`/v1/opds/${encodeURIComponent(employee.opd_id)}`).then((opd) => { opdName.textContent = `${opd.name} (${opd.opd_id})`; }).catch(() => {});

  const device = ui.el('div', { class: 'enrolment' });
  const month = ui.el('div', { class: 'month' });
  const schedule = ui.el('div', {});
  const statuses = ui.el('div', {});
  body.replaceChildren(
    ui.el('div', { class: 'review-head' },
      ui.chip(employee.employee_type, TYPE_NAMES[employee.employee_type]),
      ui.chip(employee.active ? 'active' : 'inactive'),
      ui.el('span', { class: 'muted' }, employee.jabatan)),
    ui.el('div', { class: 'grid-2' },
      ui.section('Data pegawai', ui.facts([
        ['NIP', employee.nip ? ui.el('span', { class: 'mono' }, employee.nip) : null],
        employee.nik ? ['NIK', ui.el('span', { class: 'mono' }, employee.nik)] : null,
        ['ID pegawai', ui.el('span', { class: 'mono' }, employee.employee_id)],
        ['OPD', opdName],
        ['Unit', employee.unit],
        ['Jabatan', employee.jabatan],
        ['Kelas jabatan', employee.kelas_jabatan],
        ['Golongan', employee.golongan],
        [employee.employee_type === 'TKK' ? 'Honorarium' : 'Pagu TPP', ui.rupiah(employee.tpp_ceiling)],
      ])),
      ui.section('Ponsel dan wajah', device)),
    ...employeeRecords(ctx, employee, { onChanged: () => renderEmployee(root, ctx, employeeId) }),
    ui.el('div', { class: 'grid-2' },
      ui.section('Jadwal berlaku', schedule),
      ui.section('Status', statuses)),
    ui.section('Hari-hari dalam bulan', month));

  renderEnrolment(device, ctx, employee);
  renderMonth(month, schedule, statuses, ctx, employee);
}

async function renderEnrolment(root, ctx, employee) {
  const { ui, api, principal } = ctx;
  ui.loading(root);
  let state;
  try {
    state = await api.get(`/v1/employees/${encodeURIComponent(employee.employee_id)}/enrolment`);
  } catch (err) {
    ui.showError(root, err);
    return;
  }
  const code = ui.el('div', { class: 'activation' });
  const actions = ui.el('div', { class: 'form-actions' });
  if (ui.canEdit(principal) && employee.active) {
    actions.append(...[
      state.device ? null : ui.button('Buat kode aktivasi baru', async (event) => {
        const pressed = event.currentTarget;
        pressed.disabled = true;
        try {
          const issued = await api.post(`/v1/employees/${encodeURIComponent(employee.employee_id)}/activation-codes`);
          code.replaceChildren(ui.el('div', { class: 'notice notice-ok activation-code' },
            ui.el('p', {}, 'Kode aktivasi (hanya ditampilkan sekali):'),
            ui.el('p', { class: 'code mono' }, issued.code),
            ui.el('p', { class: 'hint' }, `Berlaku sampai ${ui.waktu(issued.expires_at)}. Berikan langsung kepada ${employee.name}.`)));
        } catch (err) {
          code.replaceChildren(ui.errorBox(err));
        } finally {
          pressed.disabled = false;
        }
      }, { kind: 'primary' }),
      (state.device || state.face_enrolled) ? ui.button('Reset ponsel dan wajah', async () => {
        const reason = await ui.ask({
          title: 'Reset ponsel dan wajah?',
          text: `Ponsel ${employee.name} dicabut dan wajahnya dilupakan. Pegawai perlu kode aktivasi baru dan mendaftarkan wajah lagi.`,
          confirmLabel: 'Reset', danger: true,
          reason: { label: 'Alasan', min: 5, max: 300, hint: 'contoh: ganti ponsel, ponsel hilang' },
        });
        if (reason === null) return;
        try {
          await api.post(`/v1/employees/${encodeURIComponent(employee.employee_id)}/enrolment/reset`, { reason });
          ui.flash('Ponsel dan wajah direset.');
          renderEnrolment(root, ctx, employee);
        } catch (err) {
          code.replaceChildren(ui.errorBox(err));
        }
      }, { kind: 'danger' }) : null].filter(Boolean));
  }
  const device = state.device;
  root.replaceChildren(
    ui.el('div', { class: 'enrolment-grid' },
      ui.facts([
        ['Ponsel', device ? ui.el('span', {}, ui.chip('active', 'Terhubung'), ' ', device.name || device.device_id) : ui.chip('not_enrolled', 'Belum ada ponsel')],
        device ? ['Diaktifkan', ui.waktu(device.activated_at)] : null,
        ['Wajah', state.face_enrolled ? ui.chip('enrolled', 'Terdaftar') : ui.chip('not_enrolled', 'Belum terdaftar')],
        state.face_enrolled_at ? ['Didaftarkan', ui.waktu(state.face_enrolled_at)] : null,
        state.activation_code_pending ? ['Kode aktivasi', 'Ada kode yang belum dipakai'] : null,
      ]),
      state.reference_url ? ui.el('div', { class: 'photos photos-one' }, photo(ui, state.reference_url, 'Wajah terdaftar')) : null),
    actions, code);
}

function currentMonth() {
  return new Date().toLocaleDateString('en-CA').slice(0, 7); // the browser's own calendar month, YYYY-MM
}

async function renderMonth(root, scheduleRoot, statusRoot, ctx, employee) {
  const { ui, api } = ctx;
  const picker = ui.el('input', { type: 'month', value: ctx.params.query.bulan || currentMonth(), 'aria-label': 'Bulan' });
  const body = ui.el('div', {});
  root.replaceChildren(ui.el('div', { class: 'toolbar' }, ui.field('Bulan', picker)), body);
  picker.addEventListener('change', () => load());

  async function load() {
    const month = picker.value || currentMonth();
    ui.loading(body);
    ui.loading(scheduleRoot);
    ui.loading(statusRoot);
    let answer;
    try {
      answer = await api.get(`/v1/employees/${encodeURIComponent(employee.employee_id)}/month`, { month });
    } catch (err) {
      ui.showError(body, err);
      ui.showError(scheduleRoot, err);
      ui.showError(statusRoot, err);
      return;
    }
    renderSchedule(scheduleRoot, ui, answer.schedule);
    renderStatuses(statusRoot, ui, answer.statuses || []);
    const days = answer.days || [];
    const shown = answer.month || month;
    const closed = answer.closed
      ? ui.notice(`Bulan ${ui.bulan(shown)} sudah ditutup (revisi ${answer.revision ?? '-'}${answer.closed_at ? `, ${ui.waktu(answer.closed_at)}` : ''}).`, 'ok')
      : ui.notice(`Bulan ${ui.bulan(shown)} belum ditutup: hari-hari di bawah dihitung tiap malam dan masih dapat berubah.`, 'info');
    body.replaceChildren(closed, days.length ? ui.table({
      rows: days, pageSize: 0, caption: `Hari-hari ${ui.bulan(shown)}`, sort: { key: 'date' },
      columns: [
        { key: 'date', label: 'Tanggal', render: (r) => ui.tanggal(r.date, { style: 'long' }) },
        { key: 'codes', label: 'Kode', value: (r) => (r.codes || []).join(' '),
          render: (r) => ui.el('span', { class: 'chips' }, (r.codes && r.codes.length ? r.codes : [r.status_code || (r.status === 'present' ? 'H' : '')]).filter(Boolean).map((c) => ui.chip(c))) },
        { key: 'status', label: 'Keadaan', render: (r) => DAY_STATUS[r.status] || r.status },
        { key: 'first_in', label: 'Masuk', render: (r) => ui.jam(r.first_in) },
        { key: 'last_out', label: 'Pulang', render: (r) => ui.jam(r.last_out) },
        { key: 'minutes_late', label: 'Terlambat', align: 'end', render: (r) => (r.minutes_late ? ui.menit(r.minutes_late) : null) },
        { key: 'deduction', label: 'Potongan', align: 'end', render: (r) => r.deduction_text || (r.deduction ? String(r.deduction) : null) },
        { key: 'explanation', label: 'Penjelasan', sortable: false },
      ],
    }) : ui.emptyState(`Belum ada hari yang ditutup untuk ${ui.bulan(shown)}.`, 'Hari ditutup setiap malam; hari ini muncul setelah penutupan nanti malam.'));
  }
  await load();
}

function renderSchedule(root, ui, schedule) {
  if (!schedule) {
    ui.empty(root, 'Belum ada jadwal kerja.', 'Tetapkan jadwal di layar Aturan & jadwal.');
    return;
  }
  const sources = {
    assignment: 'Penugasan jadwal', opd_default_5day: 'Bawaan OPD (5 hari kerja)',
    opd_default_6day: 'Bawaan Puskesmas (6 hari kerja)', opd_default: 'Bawaan OPD',
  };
  const shift = schedule.shift || schedule.today_shift;
  const on = schedule.on || ui.hariIni();
  const since = schedule.valid_from
    ? `${ui.tanggal(schedule.valid_from)}${schedule.valid_to ? ` s.d. ${ui.tanggal(schedule.valid_to)}` : ''}` : null;
  root.replaceChildren(ui.facts([
    ['Jenis', schedule.kind === 'ROSTER' ? 'Jadwal dinas (roster)' : 'Jadwal mingguan'],
    schedule.template ? ['Pola', `${schedule.template_name || schedule.template} (${schedule.template})`] : null,
    ['Sumber', sources[schedule.source] || schedule.source],
    since ? ['Berlaku', since] : null,
    [on === ui.hariIni() ? 'Hari ini' : ui.tanggal(on),
      shift ? `${shift.code}: ${ui.jam(shift.start)}–${ui.jam(shift.end)}` : 'Libur / tidak ada shift'],
  ]));
}

function renderStatuses(root, ui, statuses) {
  if (!statuses.length) {
    ui.empty(root, 'Tidak ada status pada bulan ini.');
    return;
  }
  root.replaceChildren(ui.table({
    rows: statuses, pageSize: 0, sortable: false, maxHeight: false, caption: 'Status bulan ini',
    columns: [
      { key: 'code', label: 'Status', render: (s) => ui.el('span', {}, ui.chip(s.code), ' ', s.name || '') },
      { key: 'first', label: 'Tanggal', render: (s) => (s.first === s.last ? ui.tanggal(s.first) : `${ui.tanggal(s.first)} – ${ui.tanggal(s.last)}`) },
      { key: 'reference', label: 'Nomor surat' },
      { key: 'state', label: 'Keadaan', render: (s) => ui.chip(s.state || (s.cancelled_at ? 'cancelled' : 'approved')) },
    ],
  }));
}
