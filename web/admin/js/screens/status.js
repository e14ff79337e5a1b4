// Status: leave (cuti), duty (DL/TD/DK with the letter number and place), izin and sickness. The list per OPD and
// month, a form to record one (checked as the API checks it), cancellation with a reason, and the requests
// employees send from their phones.

const STATE_NAMES = { approved: 'Berlaku', cancelled: 'Dibatalkan', all: 'Semua' };
// Used only when the rule profile cannot be read: the shipped default's status codes.
const FALLBACK_CODES = [
  { code: 'CT', name: 'Cuti tahunan' }, { code: 'S', name: 'Sakit dengan surat keterangan dokter', proof: 'surat keterangan dokter' },
  { code: 'SKX', name: 'Sakit tanpa surat keterangan dokter' }, { code: 'CAP', name: 'Cuti alasan penting' },
  { code: 'CBS', name: 'Cuti besar' }, { code: 'CM', name: 'Cuti melahirkan' },
  { code: 'DL', name: 'Dinas luar', counts_as_present: true, proof: 'surat tugas' },
  { code: 'TD', name: 'Tugas kedinasan', counts_as_present: true, proof: 'surat tugas' },
  { code: 'DK', name: 'Diklat/bimtek', counts_as_present: true, proof: 'surat tugas' },
  { code: 'IZ', name: 'Izin sehari penuh' }, { code: 'ITM', name: 'Izin terlambat masuk', effect: 'WAIVE_LATE' },
  { code: 'IPC', name: 'Izin pulang cepat', effect: 'WAIVE_EARLY' },
];

function thisMonth() {
  return new Date().toLocaleDateString('en-CA').slice(0, 7);
}

/** The status codes of the rule profile in force for an employee type (the default profile's when unreadable). */
async function statusCodes(api, employeeType = 'PNS') {
  try {
    const profiles = await api.get('/v1/profiles');
    const inForce = (profiles.in_force_today || {})[employeeType] || (profiles.in_force_today || {}).PNS;
    if (inForce) {
      const [profileId, v] = inForce.split(' v');
      // A stored (pemda) profile is read by version; the shipped default lives among the templates.
      if ((profiles.items || []).some((p) => p.profile_id === profileId)) {
        const version = await api.get(`/v1/profiles/${encodeURIComponent(profileId)}/versions/${encodeURIComponent(v)}`);
        const rules = version.rules || version;
        if (Array.isArray(rules.statuses) && rules.statuses.length) return rules.statuses;
      } else {
        const templates = await api.get('/v1/profile-templates');
        const shipped = (templates.items || []).find((t) => t.template_id === profileId);
        if (shipped && shipped.rules && Array.isArray(shipped.rules.statuses)) return shipped.rules.statuses;
      }
    }
  } catch {
    // fall through to the shipped default's codes
  }
  return FALLBACK_CODES;
}

export const screen = {
  async render(root, ctx) {
    const { ui, api, principal } = ctx;
    const toolbar = ui.el('div', { class: 'toolbar' });
    const formHost = ui.el('div', {});
    const list = ui.el('div', { class: 'status-list' });
    const requests = ui.el('div', {});
    root.replaceChildren(toolbar, formHost, list, requests);
    ui.loading(list);

    const picker = await ui.opdPicker(ctx, { allowAll: false, onChange: () => {
      formHost.replaceChildren();
      load();
      loadRequests(requests, ctx, picker, load);
    } });
    const month = ui.el('input', { type: 'month', value: ctx.params.query.bulan || thisMonth(), name: 'bulan' });
    const state = ui.el('select', { name: 'state' },
      Object.entries(STATE_NAMES).map(([value, label]) => ui.el('option', { value }, label)));
    month.addEventListener('change', () => load());
    state.addEventListener('change', () => load());
    const add = ui.canEdit(principal)
      ? ui.button('Catat status baru', () => openForm(), { kind: 'primary', class: 'add-status' }) : null;
    toolbar.replaceChildren(...[picker.element, ui.field('Bulan', month), ui.field('Keadaan', state),
      ui.el('div', { class: 'grow' }), add].filter(Boolean));

    let codes = null;
    const codesFor = async () => { codes = codes || await statusCodes(api); return codes; };

    let seq = 0;
    async function load() {
      const mine = ++seq;
      if (!picker.value) {
        ui.empty(list, 'Belum ada OPD.', 'Tambahkan OPD terlebih dahulu.');
        return;
      }
      ui.loading(list);
      try {
        const answer = await api.get(`/v1/opds/${encodeURIComponent(picker.value)}/statuses`,
          { month: month.value || thisMonth(), state: state.value });
        if (mine !== seq) return;
        renderList(list, ctx, answer.items || [], { month: month.value, opd: picker.opd, reload: load });
      } catch (err) {
        if (mine === seq) ui.showError(list, err);
      }
    }

    async function openForm() {
      ui.loading(formHost, 'Menyiapkan formulir…');
      try {
        const [employees, allCodes] = await Promise.all([
          api.all('/v1/employees', { opd: picker.value }), codesFor(),
        ]);
        formHost.replaceChildren(statusForm(ctx, {
          employees: employees.filter((e) => e.active), codes: allCodes, opdName: picker.opd ? picker.opd.name : picker.value,
          onDone: (created) => {
            formHost.replaceChildren();
            ui.flash(`Status ${created.code} untuk ${created.employee_name || 'pegawai'} tercatat.`);
            load();
          },
          onCancel: () => formHost.replaceChildren(),
        }));
        formHost.querySelector('select, input').focus();
      } catch (err) {
        ui.showError(formHost, err);
      }
    }

    await Promise.all([load(), loadRequests(requests, ctx, picker, load)]);
  },
};

function dateRange(ui, first, last) {
  return first === last ? ui.tanggal(first) : `${ui.tanggal(first)} – ${ui.tanggal(last)}`;
}

function renderList(root, ctx, items, { month, opd, reload }) {
  const { ui, api, principal } = ctx;
  const where = opd ? opd.name : '';
  if (!items.length) {
    ui.empty(root, `Tidak ada status di ${where || 'OPD ini'} pada ${ui.bulan(month)}.`,
      ui.canEdit(principal) ? 'Pilih "Catat status baru" untuk mencatat cuti, dinas luar, izin atau sakit.' : null);
    return;
  }
  const columns = [
    { key: 'employee_name', label: 'Pegawai', render: (s) => ui.el('span', {},
      ui.el('a', { href: `#/pegawai/${encodeURIComponent(s.employee_id)}` }, s.employee_name || s.employee_id),
      ui.el('span', { class: 'sub mono' }, s.nip || s.employee_id)) },
    { key: 'code', label: 'Status', render: (s) => ui.el('span', {}, ui.chip(s.code), ' ', s.name || '') },
    { key: 'first', label: 'Tanggal', render: (s) => dateRange(ui, s.first, s.last) },
    { key: 'reference', label: 'Nomor surat', render: (s) => (s.reference ? ui.el('span', { class: 'mono' }, s.reference) : null) },
    { key: 'place', label: 'Tempat', value: (s) => (s.location ? s.location.name : ''), render: (s) => (s.location ? s.location.name : null) },
    { key: 'note', label: 'Catatan', sortable: false, render: (s) => (s.cancel_reason
      ? ui.el('span', {}, s.note || '', ui.el('span', { class: 'sub' }, `Dibatalkan: ${s.cancel_reason}`)) : s.note) },
    { key: 'state', label: 'Keadaan', render: (s) => ui.chip(s.state, s.state === 'approved' ? 'Berlaku' : undefined) },
  ];
  if (ui.canEdit(principal)) {
    columns.push({ key: 'actions', label: '', sortable: false, render: (s) => (s.state === 'approved'
      ? ui.button('Batalkan', async () => {
        const reason = await ui.ask({
          title: `Batalkan ${s.code} ${s.employee_name || ''}?`,
          text: `${s.name || s.code}, ${dateRange(ui, s.first, s.last)}. Status tetap tersimpan sebagai dibatalkan, dan hari-hari yang sudah ditutup dihitung ulang.`,
          confirmLabel: 'Batalkan status', cancelLabel: 'Kembali', danger: true,
          reason: { label: 'Alasan pembatalan', min: 5, max: 300 },
        });
        if (reason === null) return;
        try {
          await api.post(`/v1/statuses/${encodeURIComponent(s.status_id)}/cancel`, { reason });
          ui.flash(`Status ${s.code} ${s.employee_name || ''} dibatalkan.`);
          reload();
        } catch (err) {
          root.prepend(ui.errorBox(err));
        }
      }, { kind: 'secondary', class: 'btn-small' }) : null) });
  }
  root.replaceChildren(ui.table({ columns, rows: items, pageSize: 50, caption: 'Daftar status', sort: { key: 'first' } }));
}

/** The form; checks what the API checks before sending, and shows the API's own field errors after. */
function statusForm(ctx, { employees, codes, opdName, onDone, onCancel }) {
  const { ui, api } = ctx;
  const employee = ui.el('select', { name: 'employee_id', required: true },
    ui.el('option', { value: '' }, employees.length ? 'Pilih pegawai…' : 'Tidak ada pegawai aktif'),
    employees.slice().sort((a, b) => a.name.localeCompare(b.name, 'id'))
      .map((e) => ui.el('option', { value: e.employee_id }, `${e.name}${e.nip ? ` — ${e.nip}` : ''}`)));
  const code = ui.el('select', { name: 'code', required: true });
  const first = ui.el('input', { type: 'date', name: 'first', required: true, value: new Date().toLocaleDateString('en-CA') });
  const last = ui.el('input', { type: 'date', name: 'last', required: true, value: new Date().toLocaleDateString('en-CA') });
  const reference = ui.el('input', { type: 'text', name: 'reference', maxlength: 120, placeholder: 'contoh: 800/117/BKPSDM/2026' });
  const note = ui.el('input', { type: 'text', name: 'note', maxlength: 500 });
  const placeName = ui.el('input', { type: 'text', name: 'place', maxlength: 160, placeholder: 'contoh: Kantor Gubernur' });
  const lat = ui.el('input', { type: 'number', name: 'lat', step: 'any', min: -90, max: 90, placeholder: '-5.1477' });
  const lon = ui.el('input', { type: 'number', name: 'lon', step: 'any', min: -180, max: 180, placeholder: '119.4327' });
  const radius = ui.el('input', { type: 'number', name: 'radius', min: 20, max: 5000, value: 200 });
  const place = ui.el('fieldset', { class: 'place', hidden: true },
    ui.el('legend', {}, 'Tempat tugas (boleh dikosongkan; bila diisi, pegawai dapat absen dari sana)'),
    ui.el('div', { class: 'form-grid' }, ui.field('Nama tempat', placeName), ui.field('Lintang', lat),
      ui.field('Bujur', lon), ui.field('Radius (meter)', radius)));
  const referenceField = ui.field('Nomor surat', reference, 'Boleh kosong bila status ini tidak memerlukan surat.');
  const problems = ui.el('div', {});
  const submit = ui.el('button', { type: 'submit', class: 'btn btn-primary' }, 'Simpan status');

  function ruleOf(value) {
    return codes.find((c) => c.code === value);
  }
  function refreshCodes() {
    const chosen = employees.find((e) => e.employee_id === employee.value);
    const type = chosen ? chosen.employee_type : null;
    const previous = code.value;
    code.replaceChildren(ui.el('option', { value: '' }, 'Pilih status…'),
      ...codes.filter((c) => !type || !c.employee_types || c.employee_types.includes(type))
        .map((c) => ui.el('option', { value: c.code }, `${c.code} — ${c.name}`)));
    if ([...code.options].some((o) => o.value === previous)) code.value = previous;
    refreshRule();
  }
  function refreshRule() {
    const rule = ruleOf(code.value);
    const duty = Boolean(rule && rule.counts_as_present && !rule.effect);
    place.hidden = !duty;
    const hint = referenceField.querySelector('.hint');
    hint.textContent = rule && rule.proof ? `Wajib: nomor ${rule.proof}.` : 'Boleh kosong bila status ini tidak memerlukan surat.';
  }
  employee.addEventListener('change', refreshCodes);
  code.addEventListener('change', refreshRule);
  refreshCodes();

  function check() {
    const issues = [];
    const mark = (input, bad) => input.setAttribute('aria-invalid', String(bad));
    const rule = ruleOf(code.value);
    mark(employee, !employee.value); if (!employee.value) issues.push('Pilih pegawai.');
    mark(code, !rule); if (!rule) issues.push('Pilih jenis status.');
    mark(first, !first.value); mark(last, !last.value);
    if (!first.value || !last.value) issues.push('Isi tanggal mulai dan tanggal selesai.');
    else if (last.value < first.value) { mark(last, true); issues.push('Tanggal selesai tidak boleh sebelum tanggal mulai.'); }
    const ref = reference.value.trim();
    const refBad = (ref && (ref.length < 3 || ref.length > 120)) || (rule && rule.proof && !ref);
    mark(reference, Boolean(refBad));
    if (ref && ref.length < 3) issues.push('Nomor surat minimal 3 karakter.');
    if (rule && rule.proof && !ref) issues.push(`${rule.code} memerlukan nomor ${rule.proof}.`);
    const anyPlace = !place.hidden && (placeName.value.trim() || lat.value || lon.value);
    if (anyPlace && !(placeName.value.trim() && lat.value && lon.value && radius.value)) {
      issues.push('Lengkapi tempat tugas (nama, lintang, bujur, radius) atau kosongkan semuanya.');
    }
    return issues;
  }

  const form = ui.el('form', { class: 'panel status-form', method: 'dialog', novalidate: true },
    ui.el('h2', {}, `Catat status baru — ${opdName}`),
    ui.el('p', { class: 'hint' }, 'Status yang dicatat di sini langsung berlaku (sudah disetujui) dan tercatat di jejak audit.'),
    ui.el('div', { class: 'form-grid' },
      ui.field('Pegawai', employee), ui.field('Jenis status', code),
      ui.field('Tanggal mulai', first), ui.field('Tanggal selesai', last),
      referenceField, ui.field('Catatan', note)),
    place, problems,
    ui.el('div', { class: 'form-actions' }, submit, ui.button('Batal', onCancel)));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const issues = check();
    if (issues.length) {
      problems.replaceChildren(ui.el('div', { class: 'state state-error', role: 'alert' },
        ui.el('p', { class: 'state-title' }, 'Isian belum benar.'), ui.el('ul', {}, issues.map((t) => ui.el('li', {}, t)))));
      return;
    }
    problems.replaceChildren();
    const body = { code: code.value, first: first.value, last: last.value };
    if (reference.value.trim()) body.reference = reference.value.trim();
    if (note.value.trim()) body.note = note.value.trim();
    if (!place.hidden && placeName.value.trim()) {
      body.location = { kind: 'circle', name: placeName.value.trim(),
        center: { lat: Number(lat.value), lon: Number(lon.value) }, radius_m: Number(radius.value) };
    }
    submit.disabled = true;
    submit.textContent = 'Menyimpan…';
    try {
      const created = await api.post(`/v1/employees/${encodeURIComponent(employee.value)}/statuses`, body);
      const chosen = employees.find((e) => e.employee_id === employee.value);
      onDone({ ...created, employee_name: chosen ? chosen.name : '' });
    } catch (err) {
      problems.replaceChildren(ui.errorBox(err));
    } finally {
      submit.disabled = false;
      submit.textContent = 'Simpan status';
    }
  });
  return form;
}

const TYPE_NAMES = { cuti: 'Cuti tahunan', sakit: 'Sakit (surat dokter)', izin: 'Izin sehari', dl: 'Dinas luar' };

/** The requests employees sent from their phones and that wait for a decision: approve (with the letter's number)
 * or reject (with the reason the employee reads). An approved request becomes a status in the list above. */
async function loadRequests(root, ctx, picker, reloadStatuses) {
  const { ui, api } = ctx;
  if (!picker.value) {
    root.replaceChildren();
    return;
  }
  const body = ui.el('div', {});
  root.replaceChildren(ui.section('Permintaan dari ponsel', body));
  ui.loading(body);
  let items;
  try {
    items = await api.all('/v1/leave-requests', { opd: picker.value, state: 'pending' });
  } catch (err) {
    ui.showError(body, err);
    return;
  }
  if (!items.length) {
    ui.empty(body, 'Tidak ada permintaan yang menunggu persetujuan.',
      'Pengajuan cuti, izin, sakit dan dinas luar dari aplikasi ponsel pegawai muncul di sini bersama foto suratnya.');
    return;
  }
  const reload = () => {
    loadRequests(root, ctx, picker, reloadStatuses);
    if (reloadStatuses) reloadStatuses();
  };
  const columns = [
    { key: 'employee', label: 'Pegawai', value: (r) => (r.employee ? r.employee.name : r.employee_id),
      render: (r) => ui.el('span', {}, ui.el('a', { href: `#/pegawai/${encodeURIComponent(r.employee_id)}` },
        r.employee ? r.employee.name : r.employee_id),
      ui.el('span', { class: 'sub mono' }, (r.employee && r.employee.nip) || r.employee_id)) },
    { key: 'code', label: 'Permintaan', render: (r) => ui.el('span', {}, ui.chip(r.code), ' ', TYPE_NAMES[r.type] || '') },
    { key: 'first', label: 'Tanggal', render: (r) => dateRange(ui, r.first, r.last) },
    { key: 'reason', label: 'Alasan', sortable: false },
    { key: 'letter', label: 'Surat', sortable: false, render: (r) => (r.letter_url
      ? ui.el('a', { href: r.letter_url, target: '_blank', rel: 'noopener noreferrer' }, 'Lihat foto surat')
      : ui.el('span', { class: 'sub' }, 'Tanpa foto')) },
    { key: 'asked_at', label: 'Dikirim', render: (r) => ui.tanggal(r.asked_at) },
  ];
  if (ui.canEdit(ctx.principal)) {
    columns.push({ key: 'actions', label: '', sortable: false, render: (r) => ui.el('span', { class: 'row-actions' },
      ui.button('Setujui', () => approve(r), { kind: 'primary', class: 'btn-small' }),
      ' ',
      ui.button('Tolak', () => reject(r), { kind: 'secondary', class: 'btn-small' })) });
  }
  body.replaceChildren(ui.table({ columns, rows: items, pageSize: 50, caption: 'Permintaan dari ponsel', sort: { key: 'asked_at' } }));

  async function approve(r) {
    const reference = ui.el('input', { type: 'text', name: 'reference', maxlength: 120, placeholder: 'contoh: 445/SKD/XII/2026' });
    const ok = await ui.ask({
      title: `Setujui ${r.code} ${r.employee ? r.employee.name : ''}?`,
      text: `${TYPE_NAMES[r.type] || r.code}, ${dateRange(ui, r.first, r.last)}. Permintaan menjadi status yang berlaku dan tercatat di jejak audit.`,
      confirmLabel: 'Setujui', cancelLabel: 'Kembali',
      body: ui.field('Nomor surat', reference, 'Wajib untuk sakit dengan surat dokter dan dinas luar.'),
    });
    if (!ok) return;
    try {
      await api.post(`/v1/leave-requests/${encodeURIComponent(r.request_id)}/approve`,
        reference.value.trim() ? { reference: reference.value.trim() } : {});
      ui.flash(`Permintaan ${r.code} ${r.employee ? r.employee.name : ''} disetujui.`);
      reload();
    } catch (err) {
      body.prepend(ui.errorBox(err));
    }
  }

  async function reject(r) {
    const reason = await ui.ask({
      title: `Tolak ${r.code} ${r.employee ? r.employee.name : ''}?`,
      text: `${TYPE_NAMES[r.type] || r.code}, ${dateRange(ui, r.first, r.last)}. Pegawai melihat alasan ini di ponselnya.`,
      confirmLabel: 'Tolak permintaan', cancelLabel: 'Kembali', danger: true,
      reason: { label: 'Alasan penolakan', min: 5, max: 300 },
    });
    if (reason === null) return;
    try {
      await api.post(`/v1/leave-requests/${encodeURIComponent(r.request_id)}/reject`, { reason });
      ui.flash(`Permintaan ${r.code} ${r.employee ? r.employee.name : ''} ditolak.`);
      reload();
    } catch (err) {
      body.prepend(ui.errorBox(err));
    }
  }
}
