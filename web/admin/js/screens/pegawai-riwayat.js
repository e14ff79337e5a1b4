// Pegawai, one employee: the history of their employment (OPD, type, kelas, pagu, active, each from its date,
// upcoming changes marked) and the hukuman disiplin decisions that apply to them (with corrections and
// withdrawals), with the forms that record a change (super, opd_admin for their own OPD) and a decision (super).
// The API decides; the forms only help to fill it in and show its field errors.

import { ensureStyles } from './common-b.js';

const REASONS = {
  MUTASI: 'Mutasi antar-OPD',
  TMT: 'Mulai bertugas (TMT)',
  PROMOSI: 'Promosi / perubahan kelas atau pagu',
  PENSIUN: 'Pensiun',
  BERHENTI: 'Berhenti',
  MENINGGAL: 'Meninggal dunia',
  AKTIF: 'Aktif kembali',
  LAINNYA: 'Perubahan lain',
};
const LEAVING = new Set(['PENSIUN', 'BERHENTI', 'MENINGGAL']);
const TYPE_NAMES = { PNS: 'PNS', PPPK: 'PPPK', TKK: 'TKK / honorer' };
const LEVELS = { RINGAN: ['Ringan', 'info'], SEDANG: ['Sedang', 'warn'], BERAT: ['Berat', 'bad'] };
const COUNTS_FROM = {
  DECISION_MONTH: 'Potongan dimulai pada bulan berlaku yang tertulis di SK.',
  NEXT_MONTH: 'Potongan dimulai sebulan setelah bulan berlaku yang tertulis di SK (aturan profil).',
};

const enc = encodeURIComponent;
const SHORT_MONTH = new Intl.DateTimeFormat('id-ID', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A change's decree as written ('SK BKN 00123/2026' stays, '821.2/201/BKPSDM/2026' becomes 'SK 821.2/…'). */
function decreeOf(change) {
  return /^SK\b/i.test(change.reference) ? change.reference : `SK ${change.reference}`;
}

/** 'Des 2026' for '2026-12' (a range of months fits a table cell). */
function bulanPendek(month) {
  return /^\d{4}-\d{2}$/.test(month || '') ? SHORT_MONTH.format(new Date(`${month}-15T12:00:00Z`)) : month || '';
}

/** The two sections of the employee page: history, then decisions. `onChanged` reloads the whole page (a change
 * applied today changes the data above too). */
export function employeeRecords(ctx, employee, { onChanged }) {
  ensureStyles();
  const { ui } = ctx;
  const history = ui.el('div', { class: 'p-host' });
  const decisions = ui.el('div', { class: 'p-host' });
  const historySection = ui.section('Riwayat kepegawaian', history);
  const decisionSection = ui.section('Hukuman disiplin', decisions);
  historySection.classList.add('p-history');
  decisionSection.classList.add('p-decisions');
  renderHistory(history, ctx, employee, onChanged);
  renderDecisions(decisions, ctx, employee);
  return [historySection, decisionSection];
}

// ---- the pemda's upcoming changes (the search page) ----------------------------------------------------------

const FIELD_NAMES = { opd_id: 'OPD', employee_type: 'Jenis', kelas_jabatan: 'Kelas', jabatan: 'Jabatan', tpp_ceiling: 'Pagu', active: 'Keadaan' };

/** What a change changes, one line per field: 'Kelas 7 → 8'. */
function changedFields(ui, api, change) {
  const show = {
    opd_id: (v) => ui.opdName(api, v), employee_type: (v) => TYPE_NAMES[v] || v, kelas_jabatan: String,
    jabatan: String, tpp_ceiling: ui.rupiah, active: (v) => (v ? 'Aktif' : 'Nonaktif'),
  };
  return Object.keys(FIELD_NAMES).filter((k) => change.before[k] !== change.after[k]).map((k) => ui.el('span', { class: 'p-line' },
    `${FIELD_NAMES[k]} `, show[k](change.before[k]), ' → ', ui.el('strong', {}, show[k](change.after[k]))));
}

/** The changes waiting for their day in the OPD chosen (or every OPD), soonest first; nothing at all when there
 * are none. `opdId()` is read at each load. */
export function upcomingPanel(ctx, opdId) {
  ensureStyles();
  const { ui, api } = ctx;
  const host = ui.el('div', { class: 'p-host' });
  const section = ui.section('Perubahan yang akan berlaku', host);
  section.classList.add('p-upcoming-all');
  section.hidden = true;
  let seq = 0;
  async function load() {
    const mine = ++seq;
    let answer;
    try {
      answer = await api.get('/v1/employee-changes/upcoming', { opd: opdId() || undefined });
    } catch (err) {
      if (mine === seq) { ui.showError(host, err); section.hidden = false; }
      return;
    }
    if (mine !== seq) return;
    const items = answer.items || [];
    section.hidden = !items.length;
    if (!items.length) return;
    host.replaceChildren(
      ui.el('p', { class: 'hint' }, 'Dicatat lebih dulu dan diterapkan pada tanggalnya; sampai saat itu data pegawai belum berubah.'),
      labelled(ui.table({
        rows: items, pageSize: 10, sortable: false, maxHeight: false, caption: 'Perubahan yang akan berlaku',
        columns: [
          { key: 'effective_from', label: 'Berlaku mulai', render: (c) => ui.tanggal(c.effective_from) },
          { key: 'employee', label: 'Pegawai', render: (c) => ui.el('span', {},
            ui.el('a', { href: `#/pegawai/${enc(c.employee_id)}` }, c.employee ? c.employee.name : c.employee_id),
            c.employee && (c.employee.nip || c.employee.nik) ? ui.el('span', { class: 'sub mono' }, c.employee.nip || c.employee.nik) : null) },
          { key: 'reason', label: 'Perubahan', render: (c) => ui.el('span', {}, REASONS[c.reason] || c.reason,
            c.reference ? ui.el('span', { class: 'sub' }, decreeOf(c)) : null) },
          { key: 'fields', label: 'Yang berubah', render: (c) => ui.el('span', { class: 'p-lines' }, changedFields(ui, api, c)) },
        ],
      })));
  }
  load();
  return { element: section, reload: load };
}

// ---- history ----------------------------------------------------------------------------------------------

function mayChange(principal, employee) {
  if (!principal) return false;
  if (principal.role === 'super') return true;
  return principal.role === 'opd_admin' && (!principal.opd_id || principal.opd_id === employee.opd_id);
}

async function renderHistory(root, ctx, employee, onChanged) {
  const { ui, api, principal } = ctx;
  ui.loading(root, 'Memuat riwayat…');
  let answer;
  try {
    answer = await api.get(`/v1/employees/${enc(employee.employee_id)}/changes`);
  } catch (err) {
    ui.showError(root, err);
    return;
  }
  const items = answer.items || [];
  const upcoming = items.filter((c) => c.upcoming);
  const formHost = ui.el('div', { class: 'b-form-host' });
  const actions = ui.el('div', { class: 'b-actions' });
  // Only the latest change can be withdrawn, while upcoming: a later one follows from the state it leaves.
  const latest = items[items.length - 1];
  const withdrawable = latest && latest.upcoming && mayChange(principal, employee)
    && (principal.role === 'super' || latest.after.opd_id === principal.opd_id) ? latest : null;
  const openWithdraw = (change) => {
    formHost.replaceChildren(withdrawForm(ctx, employee, change, {
      onCancel: () => formHost.replaceChildren(),
      onDone: () => {
        ui.flash('Perubahan dibatalkan; tidak akan diterapkan.');
        onChanged();
      },
    }));
    formHost.scrollIntoView({ block: 'nearest' });
    formHost.querySelector('input')?.focus();
  };
  if (mayChange(principal, employee)) {
    const open = ui.button('Catat perubahan', () => {
      open.disabled = true;
      formHost.replaceChildren(changeForm(ctx, employee, answer, {
        onCancel: () => { formHost.replaceChildren(); open.disabled = false; },
        onDone: (created) => {
          ui.flash(created.upcoming
            ? `Perubahan disimpan; berlaku mulai ${ui.tanggal(created.effective_from)}.`
            : 'Perubahan disimpan dan berlaku.');
          onChanged();
        },
      }));
      formHost.querySelector('select, input')?.focus();
    }, { kind: 'primary' });
    actions.append(open);
  }
  const intro = ui.el('p', { class: 'hint' },
    'Setiap perubahan berlaku mulai tanggal TMT-nya. Bulan yang terpotong perubahan dibayar per bagian, tiap bagian oleh OPD-nya.');
  root.replaceChildren(...[
    intro,
    upcoming.length ? ui.notice(upcoming.length === 1
      ? `Ada 1 perubahan yang akan berlaku pada ${ui.tanggal(upcoming[0].effective_from, { style: 'long' })}; data pegawai di atas belum berubah.`
      : `Ada ${upcoming.length} perubahan yang akan berlaku (mulai ${ui.tanggal(upcoming[0].effective_from, { style: 'long' })}); data pegawai di atas belum berubah.`, 'info') : null,
    items.length ? historyTable(ui, api, items, withdrawable, openWithdraw) : ui.emptyState('Belum ada perubahan tercatat.',
      'Data pegawai di atas berlaku sejak pegawai didaftarkan.'),
    actions, formHost].filter(Boolean));
}

/** One row per change, newest first; each column shows the value from that date, and what it was before when
 * the change changed it. */
function historyTable(ui, api, items, withdrawable, openWithdraw) {
  const diff = (change, key, show) => {
    const before = change.before[key];
    const after = change.after[key];
    if (before === after) return ui.el('span', { class: 'p-same' }, show(after));
    return ui.el('span', { class: 'p-diff' },
      ui.el('span', { class: 'p-was' }, ui.el('span', { class: 'sr-only' }, 'dari '), show(before)),
      ui.el('strong', { class: 'p-now' }, ui.el('span', { class: 'sr-only' }, 'menjadi '), show(after)));
  };
  const opd = (id) => ui.opdName(api, id);
  const rows = items.slice().reverse();
  return labelled(ui.table({
    rows, pageSize: 0, sortable: false, maxHeight: false, caption: 'Riwayat kepegawaian',
    rowClass: (c) => (c.upcoming ? 'p-upcoming' : null),
    columns: [
      { key: 'effective_from', label: 'Berlaku mulai', render: (c) => ui.el('span', { class: 'p-when' },
        ui.tanggal(c.effective_from),
        c.upcoming ? ui.chip('upcoming', 'Akan berlaku', 'info') : null,
        // The withdrawal sits with the mark it ends (no column of its own: the table keeps to the page's width).
        c === withdrawable ? ui.button('Batalkan', () => openWithdraw(c), { kind: 'danger', class: 'btn-small',
          'aria-label': `Batalkan perubahan yang berlaku ${ui.tanggal(c.effective_from)}` }) : null) },
      { key: 'reason', label: 'Perubahan', render: (c) => ui.el('span', {}, REASONS[c.reason] || c.reason,
        c.reference ? ui.el('span', { class: 'sub' }, decreeOf(c)) : null,
        c.nip ? ui.el('span', { class: 'sub' }, `NIP baru ${c.nip}`) : null,
        c.note ? ui.el('span', { class: 'sub' }, c.note) : null) },
      { key: 'opd_id', label: 'OPD', render: (c) => diff(c, 'opd_id', opd) },
      { key: 'employee_type', label: 'Jenis', render: (c) => diff(c, 'employee_type', (t) => TYPE_NAMES[t] || t) },
      { key: 'kelas_jabatan', label: 'Kelas', render: (c) => diff(c, 'kelas_jabatan', String) },
      { key: 'jabatan', label: 'Jabatan', render: (c) => diff(c, 'jabatan', String) },
      { key: 'tpp_ceiling', label: 'Pagu', align: 'end', render: (c) => diff(c, 'tpp_ceiling', ui.rupiah) },
      { key: 'active', label: 'Keadaan', render: (c) => diff(c, 'active', (a) => (a ? 'Aktif' : 'Nonaktif')) },
    ],
  }));
}

/** Each cell gets its column's name (data-label), so a narrow window can show a row as a card of labelled lines
 * (screens-b.css). The tables here neither sort nor page, so the cells are rendered once. */
function labelled(host) {
  host.classList.add('p-cards');
  const labels = [...host.querySelectorAll('thead th')].map((th) => th.textContent.trim());
  for (const row of host.querySelectorAll('tbody tr')) {
    [...row.children].forEach((cell, i) => { cell.dataset.label = labels[i] || ''; });
  }
  return host;
}

// The form's issues in its problem box, or the request: the button says it is saving meanwhile, and a refusal
// leaves the form as it was, with the server's message.
async function sendForm(ui, { problems, submit, label, issues, post, onDone }) {
  if (issues.length) {
    problems.replaceChildren(ui.el('div', { class: 'state state-error', role: 'alert' },
      ui.el('p', { class: 'state-title' }, 'Isian belum benar.'), ui.el('ul', {}, issues.map((t) => ui.el('li', {}, t)))));
    return;
  }
  problems.replaceChildren();
  submit.disabled = true;
  submit.textContent = 'Menyimpan…';
  try {
    onDone(await post());
  } catch (err) {
    problems.replaceChildren(ui.errorBox(err));
    submit.disabled = false;
    submit.textContent = label;
  }
}

function changeForm(ctx, employee, history, { onCancel, onDone }) {
  const { ui, api, principal } = ctx;
  const items = history.items || [];
  // An upcoming change is followed by the next one: the form starts from the state it leaves.
  const latestUpcoming = items.filter((c) => c.upcoming).pop();
  const base = latestUpcoming ? latestUpcoming.after : history.current;
  const reason = ui.el('select', { name: 'reason', required: true },
    ui.el('option', { value: '' }, 'Pilih jenis perubahan…'),
    Object.entries(REASONS).map(([code, name]) => ui.el('option', { value: code }, name)));
  const when = ui.el('input', { type: 'date', name: 'effective_from', required: true });
  const opd = ui.el('select', { name: 'opd_id', disabled: principal.role !== 'super' },
    ui.el('option', { value: base.opd_id }, base.opd_id));
  const type = ui.el('select', { name: 'employee_type' },
    Object.entries(TYPE_NAMES).map(([code, name]) => ui.el('option', { value: code }, name)));
  type.value = base.employee_type;
  const jabatan = ui.el('input', { type: 'text', name: 'jabatan', maxlength: 160, value: base.jabatan });
  const kelas = ui.el('input', { type: 'number', name: 'kelas_jabatan', min: 1, max: 17, value: base.kelas_jabatan });
  const pagu = ui.el('input', { type: 'number', name: 'tpp_ceiling', min: 0, max: 200000000, step: 1, value: base.tpp_ceiling });
  const active = ui.el('select', { name: 'active' },
    ui.el('option', { value: 'true' }, 'Aktif'), ui.el('option', { value: 'false' }, 'Nonaktif'));
  active.value = String(base.active);
  const nip = ui.el('input', { type: 'text', name: 'nip', inputmode: 'numeric', maxlength: 18, pattern: '\\d{18}', placeholder: '18 angka' });
  const nipField = ui.field('NIP / NI PPPK baru', nip, 'Wajib bila TKK diangkat menjadi PPPK atau PNS.');
  const paguField = ui.field('Pagu TPP (Rp)', pagu);
  const refreshNip = () => {
    nipField.hidden = !(base.employee_type === 'TKK' && type.value !== 'TKK');
    paguField.querySelector('label').textContent = type.value === 'TKK' ? 'Honorarium (Rp)' : 'Pagu TPP (Rp)';
  };
  type.addEventListener('change', refreshNip);
  refreshNip();
  const reference = ui.el('input', { type: 'text', name: 'reference', maxlength: 120, placeholder: 'contoh: 821.2/045/BKPSDM/2026' });
  const note = ui.el('input', { type: 'text', name: 'note', maxlength: 500 });
  const problems = ui.el('div', {});
  const when_hint = ui.el('p', { class: 'hint' }, 'Tanggal setelah hari ini disimpan sebagai perubahan yang akan berlaku pada tanggalnya.',
    latestUpcoming ? ` Tanggal sebelum ${ui.tanggal(latestUpcoming.effective_from)} baru dapat dicatat setelah perubahan yang akan berlaku itu dibatalkan.` : '');
  const submit = ui.el('button', { type: 'submit', class: 'btn btn-primary' }, 'Simpan perubahan');

  ui.listOpds(api).then((opds) => {
    if (principal.role !== 'super') return;
    opd.replaceChildren(...opds.map((o) => ui.el('option', { value: o.opd_id }, `${o.name} (${o.opd_id})`)));
    opd.value = base.opd_id;
  }).catch(() => {});

  reason.addEventListener('change', () => {
    if (LEAVING.has(reason.value)) active.value = 'false';
    if (reason.value === 'TMT' || reason.value === 'AKTIF') active.value = 'true';
    if (reason.value === 'MUTASI' && principal.role === 'super') opd.focus();
  });

  function body() {
    const out = { effective_from: when.value, reason: reason.value };
    if (opd.value && opd.value !== base.opd_id) out.opd_id = opd.value;
    if (type.value !== base.employee_type) out.employee_type = type.value;
    if (jabatan.value.trim() && jabatan.value.trim() !== base.jabatan) out.jabatan = jabatan.value.trim();
    if (kelas.value && Number(kelas.value) !== base.kelas_jabatan) out.kelas_jabatan = Number(kelas.value);
    if (pagu.value !== '' && Number(pagu.value) !== base.tpp_ceiling) out.tpp_ceiling = Number(pagu.value);
    if (active.value !== String(base.active)) out.active = active.value === 'true';
    if (!nipField.hidden && nip.value.trim()) out.nip = nip.value.replace(/\s/g, '');
    if (reference.value.trim()) out.reference = reference.value.trim();
    if (note.value.trim()) out.note = note.value.trim();
    return out;
  }

  function check(out) {
    const issues = [];
    if (!out.reason) issues.push('Pilih jenis perubahan.');
    if (!out.effective_from) issues.push('Isi tanggal berlaku (TMT).');
    const changed = ['opd_id', 'employee_type', 'jabatan', 'kelas_jabatan', 'tpp_ceiling', 'active'].some((k) => k in out);
    if (!changed) issues.push('Belum ada yang berubah: ubah OPD, jenis, jabatan, kelas, pagu atau keadaan.');
    if (!nipField.hidden && !/^\d{18}$/.test(out.nip || '')) issues.push('Isi NIP / NI PPPK baru: 18 angka.');
    if (out.reference && out.reference.length < 3) issues.push('Nomor SK minimal 3 karakter.');
    return issues;
  }

  const form = ui.el('form', { class: 'b-form p-form', method: 'dialog', novalidate: true },
    ui.el('h3', {}, `Catat perubahan — ${employee.name}`),
    ui.el('p', { class: 'hint' }, 'Isi hanya yang berubah; yang lain tetap. Perubahan tercatat di jejak audit. Yang sudah berlaku dikoreksi dengan perubahan baru pada tanggal yang sama; yang belum berlaku dapat dibatalkan.'),
    ui.el('div', { class: 'form-grid' },
      ui.field('Jenis perubahan', reason), ui.el('div', { class: 'field' },
        ui.el('label', { for: 'p-when' }, 'Berlaku mulai (TMT)'), when, when_hint),
      ui.field('OPD', opd, principal.role === 'super' ? null : 'Pindah OPD dicatat oleh BKPSDM.'),
      ui.field('Jenis pegawai', type), nipField, ui.field('Jabatan', jabatan), ui.field('Kelas jabatan', kelas),
      paguField, ui.field('Keadaan', active),
      ui.field('Nomor SK', reference), ui.field('Catatan', note)),
    problems,
    ui.el('div', { class: 'form-actions' }, submit, ui.button('Batal', onCancel)));
  when.id = 'p-when';

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const out = body();
    await sendForm(ui, { problems, submit, label: 'Simpan perubahan', issues: check(out), onDone,
      post: () => api.post(`/v1/employees/${enc(employee.employee_id)}/changes`, out) });
  });
  return form;
}

/** Withdraw an upcoming change, saying why (the API keeps the change and the reason in the audit trail). */
function withdrawForm(ctx, employee, change, { onCancel, onDone }) {
  const { ui, api } = ctx;
  const note = ui.el('input', { type: 'text', name: 'note', maxlength: 500, required: true, placeholder: 'contoh: SK mutasi dibatalkan' });
  const problems = ui.el('div', {});
  const label = 'Batalkan perubahan';
  const submit = ui.el('button', { type: 'submit', class: 'btn btn-danger' }, label);
  const what = `${REASONS[change.reason] || change.reason} yang akan berlaku ${ui.tanggal(change.effective_from, { style: 'long' })}`
    + `${change.reference ? ` (${decreeOf(change)})` : ''} dibatalkan sebelum berlaku: tidak lagi tampil di riwayat dan tidak akan diterapkan.`;
  const form = ui.el('form', { class: 'b-form p-form', method: 'dialog', novalidate: true },
    ui.el('h3', {}, `Batalkan perubahan — ${employee.name}`),
    ui.el('p', {}, what),
    ui.el('div', { class: 'form-grid' }, ui.field('Alasan pembatalan', note)),
    problems,
    ui.el('p', { class: 'hint' }, 'Pembatalan tercatat di jejak audit beserta alasannya.'),
    ui.el('div', { class: 'form-actions' }, submit, ui.button('Tutup', onCancel)));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = note.value.trim();
    await sendForm(ui, { problems, submit, label, onDone,
      issues: text.length < 3 ? ['Isi alasan pembatalan (minimal 3 karakter).'] : [],
      post: () => api.post(`/v1/employees/${enc(employee.employee_id)}/changes/${enc(change.change_id)}/withdrawal`, { note: text }) });
  });
  return form;
}

// ---- hukuman disiplin -------------------------------------------------------------------------------------

function cutText(ui, bp) {
  return bp ? `${ui.angka(bp / 100, bp % 100 ? 2 : 0)}% dari TPP` : 'Tanpa potongan';
}

// A decree number breaks only after its slashes (800.1.6/131/<wbr>BKPSDM/2026), so the table fits beside its actions.
function decreeNumber(ui, number) {
  const parts = number.split('/');
  return ui.el('span', { class: 'mono' }, parts.flatMap((part, i) => (i < parts.length - 1 ? [`${part}/`, ui.el('wbr')] : [part])));
}

async function renderDecisions(root, ctx, employee) {
  const { ui, api, principal } = ctx;
  ui.loading(root, 'Memuat keputusan…');
  let answer;
  try {
    answer = await api.get(`/v1/employees/${enc(employee.employee_id)}/discipline-decisions`);
  } catch (err) {
    ui.showError(root, err);
    return;
  }
  const items = answer.items || [];
  const byId = Object.fromEntries(items.map((d) => [d.decision_id, d]));
  const correctedBy = {};
  for (const d of items) if (d.corrects) correctedBy[d.corrects] = d;
  const canWrite = principal && principal.role === 'super';
  const formHost = ui.el('div', { class: 'b-form-host' });
  const reload = () => renderDecisions(root, ctx, employee);
  const openForm = (mode, target) => {
    formHost.replaceChildren(decisionForm(ctx, employee, answer, mode, target, {
      onCancel: () => formHost.replaceChildren(),
      onDone: (saved) => {
        ui.flash(mode === 'revoke' ? 'Keputusan dicabut.' : mode === 'correct' ? 'Koreksi disimpan.' : `Keputusan ${saved.kind} disimpan.`);
        reload();
      },
    }));
    formHost.scrollIntoView({ block: 'nearest' });
    formHost.querySelector('select, input')?.focus();
  };

  const stateOf = (d) => {
    if (d.revoked) return ui.chip('revoked', 'Pencabutan', 'muted');
    if (correctedBy[d.decision_id]) {
      const by = correctedBy[d.decision_id];
      return ui.chip('corrected', by.revoked ? 'Dicabut' : 'Dikoreksi', 'muted');
    }
    if (!d.months || !d.cut_bp) return ui.chip('in_force', 'Tercatat', 'info');
    return ui.chip('in_force', 'Berlaku', 'warn');
  };
  const table = items.length ? labelled(ui.table({
    rows: items.slice().reverse(), pageSize: 0, sortable: false, maxHeight: false, caption: 'Keputusan hukuman disiplin',
    rowClass: (d) => (d.in_force ? null : 'p-struck'),
    columns: [
      { key: 'kind', label: 'Hukuman', render: (d) => ui.el('span', { class: 'p-kind' },
        ui.el('span', {}, ui.chip(d.kind, d.kind, (LEVELS[d.level] || [])[1]), ' ', ui.chip(d.level, (LEVELS[d.level] || [d.level])[0], 'muted')),
        ui.el('span', { class: 'sub' }, d.name)) },
      { key: 'decree_number', label: 'SK', render: (d) => ui.el('span', {}, decreeNumber(ui, d.decree_number),
        ui.el('span', { class: 'sub' }, ui.tanggal(d.decree_date))) },
      { key: 'first_month', label: 'Berlaku', render: (d) => (d.months
        ? ui.el('span', {}, ui.el('span', { class: 'p-range' }, `${bulanPendek(d.first_month)} – ${bulanPendek(d.last_month)}`),
          ui.el('span', { class: 'sub' }, `${d.months} bulan${d.first_month !== d.effective_month ? `; SK: ${ui.bulan(d.effective_month)}` : ''}`))
        : ui.el('span', {}, ui.bulan(d.effective_month), ui.el('span', { class: 'sub' }, 'tanpa jangka waktu'))) },
      { key: 'cut_bp', label: 'Potongan', render: (d) => (d.revoked ? '—' : cutText(ui, d.cut_bp)) },
      { key: 'state', label: 'Keadaan', render: (d) => ui.el('span', { class: 'p-state' }, stateOf(d),
        d.corrects ? ui.el('span', { class: 'sub' }, `${d.revoked ? 'Mencabut' : 'Mengoreksi'} SK ${byId[d.corrects] ? byId[d.corrects].decree_number : d.corrects}`) : null,
        correctedBy[d.decision_id] ? ui.el('span', { class: 'sub' }, `oleh SK ${correctedBy[d.decision_id].decree_number}`) : null,
        d.note ? ui.el('span', { class: 'sub' }, d.note) : null) },
      canWrite ? { key: 'actions', label: 'Tindakan', sortable: false, render: (d) => (d.in_force
        ? ui.el('span', { class: 'b-actions p-row-actions' },
          ui.button('Koreksi', () => openForm('correct', d), { kind: 'secondary', 'aria-label': `Koreksi SK ${d.decree_number}` }),
          ui.button('Cabut', () => openForm('revoke', d), { kind: 'danger', 'aria-label': `Cabut SK ${d.decree_number}` }))
        : null) } : null,
    ].filter(Boolean),
  })) : ui.emptyState('Tidak ada keputusan hukuman disiplin.',
    canWrite ? 'Keputusan (SK) yang ditandatangani pejabat berwenang dicatat di sini oleh BKPSDM.' : 'Keputusan dicatat oleh BKPSDM.');
  const running = items.filter((d) => d.in_force && d.cut_bp && d.months);
  root.replaceChildren(...[
    running.length ? ui.notice(running.map((d) => `${d.kind}: potongan ${cutText(ui, d.cut_bp)} ${ui.bulan(d.first_month)} – ${ui.bulan(d.last_month)}`).join('; ') + '.', 'warn') : null,
    table,
    canWrite ? ui.el('div', { class: 'b-actions' }, ui.button('Catat keputusan', () => openForm('new', null), { kind: 'primary' })) : null,
    formHost].filter(Boolean));
}

function decisionForm(ctx, employee, answer, mode, target, { onCancel, onDone }) {
  const { ui, api } = ctx;
  const kinds = answer.kinds || [];
  const kind = ui.el('select', { name: 'kind', required: true },
    ui.el('option', { value: '' }, 'Pilih hukuman…'),
    kinds.map((k) => ui.el('option', { value: k.code }, `${k.code} — ${(LEVELS[k.level] || [k.level])[0]}: ${k.name}`)));
  const months = ui.el('select', { name: 'months' });
  const decree = ui.el('input', { type: 'text', name: 'decree_number', maxlength: 120, required: true, placeholder: 'contoh: 800.1.6/117/BKPSDM/2026' });
  const decreeDate = ui.el('input', { type: 'date', name: 'decree_date', required: true });
  const effective = ui.el('input', { type: 'month', name: 'effective_month', required: true });
  const note = ui.el('input', { type: 'text', name: 'note', maxlength: 500 });
  const summary = ui.el('p', { class: 'hint p-summary', 'aria-live': 'polite' });
  const problems = ui.el('div', {});
  const label = mode === 'revoke' ? 'Cabut keputusan' : mode === 'correct' ? 'Simpan koreksi' : 'Simpan keputusan';
  const submit = ui.el('button', { type: 'submit', class: ['btn', mode === 'revoke' ? 'btn-danger' : 'btn-primary'] }, label);
  if (target && mode === 'correct') {
    kind.value = target.kind;
    effective.value = target.effective_month;
  }

  function refresh() {
    const chosen = kinds.find((k) => k.code === kind.value);
    const allowed = chosen ? chosen.months || [] : [];
    const previous = months.value;
    months.replaceChildren(...(allowed.length
      ? allowed.map((m) => ui.el('option', { value: String(m) }, `${m} bulan`))
      : [ui.el('option', { value: '' }, chosen ? 'Tanpa jangka waktu' : '—')]));
    if ([...months.options].some((o) => o.value === previous)) months.value = previous;
    else if (target && mode === 'correct' && allowed.includes(target.months)) months.value = String(target.months);
    months.disabled = !allowed.length;
    const parts = [];
    if (chosen) parts.push(chosen.cut_bp ? `Potongan ${cutText(ui, chosen.cut_bp)} setiap bulan selama jangka waktunya.` : 'Hukuman ini tidak memotong TPP dengan sendirinya.');
    if (chosen && chosen.cut_bp && answer.counts_from) parts.push(COUNTS_FROM[answer.counts_from] || '');
    summary.textContent = parts.join(' ');
  }
  kind.addEventListener('change', refresh);
  refresh();

  const what = mode === 'revoke'
    ? ui.el('p', {}, `Mencabut ${target.kind} (SK ${target.decree_number}). Isi nomor dan tanggal SK pencabutannya.`)
    : mode === 'correct'
      ? ui.el('p', {}, `Koreksi menggantikan seluruh isi SK ${target.decree_number}; yang lama tetap tercatat.`)
      : null;
  const fields = mode === 'revoke'
    ? [ui.field('Nomor SK pencabutan', decree), ui.field('Tanggal SK', decreeDate), ui.field('Catatan', note)]
    : [ui.field('Hukuman', kind), ui.field('Jangka waktu', months), ui.field('Nomor SK', decree),
      ui.field('Tanggal SK', decreeDate), ui.field('Bulan berlaku', effective), ui.field('Catatan', note)];
  const title = mode === 'revoke' ? 'Cabut keputusan' : mode === 'correct' ? 'Koreksi keputusan' : 'Catat keputusan hukuman disiplin';
  const form = ui.el('form', { class: 'b-form p-form', method: 'dialog', novalidate: true },
    ui.el('h3', {}, `${title} — ${employee.name}`), what,
    mode === 'revoke' ? null : summary,
    ui.el('div', { class: 'form-grid' }, fields), problems,
    ui.el('p', { class: 'hint' }, 'Tercatat di jejak audit. Keputusan tidak diubah: koreksi dan pencabutan adalah catatan baru.'),
    ui.el('div', { class: 'form-actions' }, submit, ui.button('Batal', onCancel)));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const issues = [];
    const out = { decree_number: decree.value.trim(), decree_date: decreeDate.value };
    if (mode === 'revoke') {
      out.corrects = target.decision_id;
      out.revoked = true;
    } else {
      out.kind = kind.value;
      out.effective_month = effective.value;
      if (months.value) out.months = Number(months.value);
      if (mode === 'correct') out.corrects = target.decision_id;
      if (!out.kind) issues.push('Pilih hukuman.');
      if (!out.effective_month) issues.push('Isi bulan berlaku.');
    }
    if (note.value.trim()) out.note = note.value.trim();
    if (out.decree_number.length < 3) issues.push('Nomor SK minimal 3 karakter.');
    if (!out.decree_date) issues.push('Isi tanggal SK.');
    await sendForm(ui, { problems, submit, label, issues, onDone,
      post: () => api.post(`/v1/employees/${enc(employee.employee_id)}/discipline-decisions`, out) });
  });
  return form;
}
