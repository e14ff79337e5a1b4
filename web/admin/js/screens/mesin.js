// Mesin: the health of each attendance machine, the daily count reconciliation, outages (confirmed or dismissed
// by the personnel office) and machine PINs that no employee is mapped to yet.

import {
  ago, alive, datePicker, ensureStyles, isoDate, latestOnly, localDateTime, segment, settle, skew, tiles, toolbar,
} from './common-b.js';

const FINDINGS = {
  match: ['ok', 'Cocok'],
  short: ['bad', 'Ada yang hilang'],
  in_transit: ['info', 'Masih dikirim'],
  ledger_ahead: ['info', 'Hadir mencatat lebih banyak'],
  not_reported: ['muted', 'Belum dilaporkan'],
  silent: ['bad', 'Diam sepanjang hari'],
};
const BACKFILL = { pending: 'menunggu bridge', queued: 'sedang dibaca ulang', done: 'selesai', failed: 'gagal' };
const PROTOCOLS = { push: 'ADMS (push)', pull: 'TCP (pull)', usb: 'USB' };

export const screen = {
  async render(root, ctx) {
    ensureStyles();
    const { ui } = ctx;
    const state = { opd: '', date: isoDate(-1) };
    const body = ui.el('div', { class: 'b-body' });
    ui.loading(root, 'Memuat daftar OPD…');
    let picker;
    try {
      picker = await ui.opdPicker(ctx, { allowAll: true, onChange: (value) => { state.opd = value; load(); } });
    } catch (err) {
      ui.showError(root, err);
      return;
    }
    state.opd = picker.value;
    const day = datePicker(state.date, (value) => { state.date = value; load(); }, 'Rekap harian tanggal',
      { max: isoDate(0) });
    root.replaceChildren(
      ui.el('p', { class: 'b-lead' }, 'Mesin yang tidak melapor, jamnya meleset, atau jumlah rekamannya tidak cocok '
        + 'dengan yang diterima Hadir terlihat di sini.'),
      toolbar(picker.element, day.element, ui.button('Muat ulang', () => load())),
      body);

    const latest = latestOnly();
    const people = new Map(); // opd_id -> its employees, for the PIN form; kept only while this screen is open
    async function load() {
      const mine = latest.next();
      ui.loading(body, 'Memuat kesehatan mesin…');
      const opd = state.opd || undefined;
      const [health, summary, outages, unmapped] = await Promise.all([
        settle(() => ctx.api.get('/v1/machines/health', { opd })),
        settle(() => ctx.api.get('/v1/machines/summary', { opd, date: state.date })),
        settle(() => ctx.api.all('/v1/outages', { opd })),
        opd ? settle(() => ctx.api.get(`/v1/opds/${encodeURIComponent(opd)}/unmapped-pins`)) : { data: null },
      ]);
      if (!alive(ctx) || !latest.is(mine)) return;
      if (health.error) {
        ui.showError(body, health.error);
        return;
      }
      body.replaceChildren(
        healthPart(ui, health.data, !opd),
        summaryPart(ui, summary, state.date),
        outagePart(ui, ctx, outages, load, people),
        unmappedPart(ui, ctx, unmapped, opd, load, people),
      );
    }
    await load();
  },
};

function healthPart(ui, health, allOpds) {
  const items = health.items || [];
  const s = health.summary || {};
  const head = ui.section('Kesehatan mesin',
    tiles([
      { label: 'Online', value: s.online ?? 0, tone: 'ok' },
      { label: 'Terlambat lapor', value: s.stale ?? 0, tone: s.stale ? 'warn' : 'muted' },
      { label: 'Offline', value: s.offline ?? 0, tone: s.offline ? 'bad' : 'muted' },
      { label: 'Belum pernah lapor', value: s.never_seen ?? 0, tone: 'muted' },
    ]),
    ui.el('p', { class: 'hint' }, `Keadaan per ${ui.waktu(health.as_of)}. Online: melapor dalam beberapa menit `
      + 'terakhir; terlambat lapor: sudah agak lama diam; offline: lama tidak terdengar.'));
  if (!items.length) {
    head.appendChild(ui.emptyState('Belum ada mesin absensi yang terdaftar untuk pilihan ini.',
      'Mesin didaftarkan oleh admin lewat API (POST /v1/machines) lalu dihubungkan ke bridge kantor.'));
    return head;
  }
  const order = { offline: 0, stale: 1, never_seen: 2, online: 3 };
  head.appendChild(ui.table({
    caption: 'Kesehatan mesin',
    pageSize: 25,
    sort: { key: 'state', dir: 'asc' },
    columns: [
      { key: 'name', label: 'Mesin', className: 'b-col-name', render: (m) => ui.el('div', {}, ui.el('strong', {}, m.name),
        ui.el('div', { class: 'hint', title: PROTOCOLS[m.protocol] || m.protocol || '' }, m.serial)) },
      allOpds ? { key: 'opd_id', label: 'OPD' } : null,
      { key: 'state', label: 'Keadaan', value: (m) => order[m.state] ?? 9, render: (m) => ui.chip(m.state) },
      { key: 'last_contact', label: 'Terakhir lapor', value: (m) => m.last_contact || '',
        render: (m) => (m.last_contact ? ui.el('div', {}, ago(m.last_contact),
          ui.el('div', { class: 'hint' }, ui.waktu(m.last_contact))) : null) },
      { key: 'clock_skew_seconds', label: 'Jam mesin', value: (m) => Math.abs(m.clock_skew_seconds ?? 0),
        render: (m) => skewChip(ui, m.clock_skew_seconds) },
      { key: 'last_punch_time', label: 'Rekaman terakhir', render: (m) => localDateTime(m.last_punch_time) },
    ].filter(Boolean),
    rows: items,
  }));
  return head;
}

function skewChip(ui, seconds) {
  const k = skew(seconds);
  if (!k.text) return null;
  const node = ui.chip(k.tone, k.text, k.tone);
  node.title = k.text === 'tepat' ? 'Jam mesin sama dengan jam server'
    : `Jam mesin ${k.text.replace('cepat', 'lebih cepat').replace('lambat', 'lebih lambat')} dari jam server`;
  return node;
}

function summaryPart(ui, summary, date) {
  const part = ui.section(`Rekonsiliasi harian ${ui.tanggal(date, { style: 'long' })}`,
    ui.el('p', { class: 'hint' }, 'Jumlah rekaman hari itu menurut mesin sendiri, yang disimpan bridge kantor, dan yang '
      + 'diterima Hadir. Bila ada yang hilang, Hadir meminta bridge membaca ulang mesin.'));
  if (summary.error) {
    part.appendChild(ui.errorBox(summary.error));
    return part;
  }
  const items = summary.data.items || [];
  if (!items.length) {
    part.appendChild(ui.emptyState('Belum ada rekap mesin untuk tanggal ini.',
      'Rekap dibuat setiap pagi untuk hari kemarin. Pilih tanggal lain, atau tunggu rekap pagi ini.'));
    return part;
  }
  for (const opd of items) {
    const t = opd.totals || {};
    const lines = [];
    // `outage` is the outage record (or, from older summaries, its state as a word).
    const outageState = opd.outage && typeof opd.outage === 'object' ? opd.outage.state : opd.outage;
    if (outageState) lines.push(ui.el('p', {}, 'Gangguan mesin hari itu: ', ui.chip(outageState)));
    else if (opd.silent) {
      lines.push(ui.notice('Tidak ada mesin OPD ini yang mengirim data sepanjang hari itu. Bila mesin memang rusak '
        + 'atau listrik padam, ajukan gangguan mesin agar hari itu dinilai dengan kebijakan gangguan.', 'warn'));
    }
    lines.push(tiles([
      { label: 'Rekaman diterima', value: ui.angka(t.ledger_punches ?? 0), tone: 'info' },
      { label: 'PIN belum dipetakan', value: ui.angka(t.unmapped_punches ?? 0), tone: t.unmapped_punches ? 'warn' : 'muted' },
      { label: 'Mesin dengan kekurangan', value: t.count_shortfalls ?? 0, tone: t.count_shortfalls ? 'bad' : 'muted' },
      { label: 'Permintaan baca ulang', value: t.backfills_opened ?? 0, tone: t.backfills_opened ? 'warn' : 'muted' },
      t.operlog_flags ? { label: 'Catatan operator mesin', value: t.operlog_flags, tone: 'warn' } : null,
    ].filter(Boolean)));
    lines.push(ui.table({
      caption: `Rekonsiliasi ${opd.opd_id}`,
      pageSize: 0,
      maxHeight: false,
      columns: [
        { key: 'name', label: 'Mesin', className: 'b-col-name',
          render: (m) => ui.el('div', {}, m.name, ui.el('div', { class: 'hint' }, m.serial)) },
        { key: 'machine_punches', label: 'Dihitung mesin', align: 'end', render: (m) => ui.angka(m.machine_punches) },
        { key: 'bridge_punches', label: 'Di bridge', align: 'end', render: (m) => ui.angka(m.bridge_punches) },
        { key: 'ledger_punches', label: 'Diterima Hadir', align: 'end', render: (m) => ui.angka(m.ledger_punches) },
        { key: 'finding', label: 'Hasil', render: (m) => ui.el('div', {}, findingChip(ui, m),
          backfillText(m) ? ui.el('div', { class: 'hint' }, backfillText(m)) : null) },
      ],
      rows: opd.machines || [],
    }));
    const flags = opd.operlog_flags || [];
    if (flags.length) {
      lines.push(ui.el('details', { class: 'b-details' }, ui.el('summary', {}, `${flags.length} catatan operator mesin`),
        ui.el('ul', {}, flags.map((f) => ui.el('li', {}, `${localDateTime(f.local_time)} · ${f.serial} · ${f.flag || f.op_type}`)))));
    }
    const earlier = (opd.earlier_days || []).filter((e) => e.finding !== 'match');
    if (earlier.length) {
      lines.push(ui.el('details', { class: 'b-details' }, ui.el('summary', {}, `${earlier.length} hari sebelumnya diperiksa ulang`),
        ui.el('ul', {}, earlier.map((e) => ui.el('li', {}, `${ui.tanggal(e.day)} · ${e.serial} · `
          + `${(FINDINGS[e.finding] || [null, e.finding])[1]}${e.shortfall ? ` (kurang ${e.shortfall})` : ''}`)))));
    }
    part.appendChild(ui.el('div', { class: 'b-group' }, items.length > 1 ? ui.el('h3', {}, opd.opd_id) : null, lines));
  }
  return part;
}

function findingChip(ui, m) {
  const [tone, label] = FINDINGS[m.finding] || ['muted', m.finding || '—'];
  const text = m.finding === 'short' && m.shortfall ? `${label}: ${m.shortfall}` : label;
  return ui.chip(m.finding || '', text, tone);
}

function backfillText(m) {
  const parts = [];
  if (m.backfill_id) parts.push(`baca ulang: ${BACKFILL[m.backfill_state] || m.backfill_state || 'diminta'}`);
  if (m.counter_gap) parts.push('penghitung mesin tidak cocok, dibaca ulang');
  return parts.join('; ');
}

function outagePart(ui, ctx, outages, reload, people) {
  const part = ui.section('Gangguan mesin');
  part.appendChild(ui.el('p', { class: 'hint' }, 'Bila semua mesin sebuah OPD diam pada pagi hari kerja, Hadir '
    + 'mengusulkan gangguan. BKPSDM mengonfirmasi (kebijakan gangguan berlaku untuk hari itu) atau menolaknya.'));
  if (outages.error) {
    part.appendChild(ui.errorBox(outages.error));
    return part;
  }
  const rows = outages.data.slice().sort((a, b) => String(b.day).localeCompare(String(a.day)));
  if (!rows.length) {
    part.appendChild(ui.emptyState('Tidak ada gangguan mesin yang tercatat.'));
    return part;
  }
  const isSuper = ctx.principal.role === 'super';
  const listHost = ui.el('div', { class: 'b-form-host b-manual-host', id: 'daftar-manual' });
  const openList = (o) => manualListPanel(ui, ctx, listHost, o, reload, people);
  part.appendChild(ui.el('p', { class: 'hint' }, 'Pada hari gangguan, admin OPD mengisi daftar hadir manual (siapa '
    + 'yang datang, jam datang dan pulang, serta bukti fotonya); BKPSDM menyetujui atau menolaknya. Hanya daftar yang '
    + 'disetujui pada gangguan yang dikonfirmasi yang dihitung untuk TPP.'));
  part.appendChild(ui.table({
    caption: 'Gangguan mesin',
    pageSize: 10,
    maxHeight: false,
    columns: [
      { key: 'day', label: 'Tanggal', render: (o) => ui.tanggal(o.day) },
      { key: 'opd_id', label: 'OPD' },
      { key: 'state', label: 'Keadaan', render: (o) => ui.chip(o.state) },
      { key: 'reason', label: 'Alasan', render: (o) => ui.el('div', { class: 'b-wrap' }, o.reason,
        (o.machines || []).length ? ui.el('div', { class: 'hint' }, `Mesin: ${o.machines.join(', ')}`) : null) },
      { key: 'decided_at', label: 'Keputusan', render: (o) => (o.decided_at ? ui.el('div', { class: 'b-wrap' },
        o.decision_reason, ui.el('div', { class: 'hint' }, ui.actorName(ctx.api, o.decided_by), ` · ${ui.waktu(o.decided_at)}`)) : null) },
      { key: 'manual', label: 'Daftar hadir manual', sortable: false,
        render: (o) => manualCell(ui, ctx, o, () => openList(o)) },
      isSuper && rows.some((o) => o.state === 'proposed') ? { key: 'act', label: 'Tindakan', sortable: false,
        render: (o) => (o.state === 'proposed'
          ? ui.el('div', { class: 'b-actions' },
            ui.button('Konfirmasi', () => decide(ui, ctx, o, 'confirm', reload), { kind: 'primary' }),
            ui.button('Tolak', () => decide(ui, ctx, o, 'dismiss', reload)))
          : null) } : null,
    ].filter(Boolean),
    rows,
  }));
  part.appendChild(listHost);
  return part;
}

async function decide(ui, ctx, outage, decision, reload) {
  const confirm = decision === 'confirm';
  const reason = await ui.ask({
    title: confirm ? 'Konfirmasi gangguan mesin' : 'Tolak usulan gangguan',
    text: `${outage.opd_id}, ${ui.tanggal(outage.day, { style: 'long' })}. ${confirm
      ? 'Kebijakan gangguan mesin pemda berlaku untuk hari itu; hari yang sudah ditutup dihitung ulang.'
      : 'Hari itu dihitung seperti biasa dari rekaman yang ada.'}`,
    confirmLabel: confirm ? 'Konfirmasi' : 'Tolak usulan',
    danger: !confirm,
    reason: { label: 'Alasan (dicatat di audit)', min: 5, max: 300 },
  });
  if (reason === null) return;
  try {
    await ctx.api.post(`/v1/outages/${segment(outage.outage_id)}/decision`, { decision, reason });
    ui.flash(confirm ? 'Gangguan dikonfirmasi.' : 'Usulan gangguan ditolak.');
    reload();
  } catch (err) {
    ui.flash(err.message, 'error');
  }
}

function unmappedPart(ui, ctx, unmapped, opd, reload, people) {
  const part = ui.section('PIN mesin yang belum dipetakan');
  part.appendChild(ui.el('p', { class: 'hint' }, 'Rekaman dari PIN yang belum dikaitkan ke pegawai tidak dihitung '
    + 'untuk siapa pun. Setelah PIN dipetakan, rekaman yang menunggu ikut dihitung pada rekonsiliasi berikutnya.'));
  if (!opd) {
    part.appendChild(ui.emptyState('Pilih satu OPD untuk melihat PIN yang belum dipetakan.'));
    return part;
  }
  if (unmapped.error) {
    part.appendChild(ui.errorBox(unmapped.error));
    return part;
  }
  const rows = unmapped.data.items || [];
  if (!rows.length) {
    part.appendChild(ui.emptyState('Semua PIN yang terbaca sudah dipetakan ke pegawai.'));
    return part;
  }
  const mayMap = ui.canEdit(ctx.principal);
  const formHost = ui.el('div', { class: 'b-form-host' });
  part.appendChild(ui.table({
    caption: 'PIN belum dipetakan',
    pageSize: 20,
    maxHeight: false,
    sort: { key: 'punches', dir: 'desc' },
    columns: [
      { key: 'machine_name', label: 'Mesin', render: (r) => ui.el('div', {}, r.machine_name || r.serial,
        ui.el('div', { class: 'hint' }, r.serial)) },
      { key: 'pin', label: 'PIN', render: (r) => ui.el('code', {}, r.pin) },
      { key: 'punches', label: 'Rekaman menunggu', align: 'end', render: (r) => ui.angka(r.punches) },
      { key: 'first_date', label: 'Sejak', render: (r) => ui.tanggal(r.first_date) },
      { key: 'last_date', label: 'Terakhir', render: (r) => ui.tanggal(r.last_date) },
      mayMap ? { key: 'act', label: 'Tindakan', sortable: false,
        render: (r) => ui.button('Petakan', () => mapForm(ui, ctx, formHost, r, opd, reload, people), { kind: 'primary' }) } : null,
    ].filter(Boolean),
    rows,
  }));
  part.appendChild(formHost);
  return part;
}

async function mapForm(ui, ctx, host, row, opd, reload, cache) {
  ui.loading(host, 'Memuat daftar pegawai…');
  try {
    if (!cache.has(opd)) cache.set(opd, await ctx.api.all('/v1/employees', { opd }));
  } catch (err) {
    ui.showError(host, err);
    return;
  }
  const people = cache.get(opd).filter((e) => e.active !== false)
    .sort((a, b) => String(a.name).localeCompare(String(b.name), 'id'));
  const select = ui.el('select', { name: 'employee_id', required: true },
    ui.el('option', { value: '' }, '— pilih pegawai —'),
    people.map((e) => ui.el('option', { value: e.employee_id }, `${e.name} · ${e.nip || e.nik || e.employee_id}`)));
  const from = ui.el('input', { type: 'date', name: 'valid_from', value: row.first_date, required: true });
  const problem = ui.el('div');
  const form = ui.el('form', { class: 'b-form', novalidate: true },
    ui.el('h3', {}, `Petakan PIN ${row.pin} di ${row.machine_name || row.serial}`),
    ui.field('Pegawai', select, 'Pegawai yang memakai PIN ini di mesin tersebut.'),
    ui.field('Berlaku sejak', from, 'Rekaman PIN ini sejak tanggal ini dihitung untuk pegawai tersebut.'),
    problem,
    ui.el('div', { class: 'b-actions' },
      ui.el('button', { type: 'submit', class: 'btn btn-primary' }, 'Simpan pemetaan'),
      ui.button('Batal', () => host.replaceChildren())));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!select.value || !from.value) {
      problem.replaceChildren(ui.notice('Pilih pegawai dan tanggal mulai berlaku.', 'error'));
      return;
    }
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      await ctx.api.post(`/v1/machines/${encodeURIComponent(row.serial)}/pins`,
        { pin: row.pin, employee_id: select.value, valid_from: from.value });
      ui.flash(`PIN ${row.pin} dipetakan. Rekaman yang menunggu dihitung pada rekonsiliasi berikutnya.`);
      reload();
    } catch (err) {
      problem.replaceChildren(ui.errorBox(err));
      submit.disabled = false;
    }
  });
  host.replaceChildren(form);
  select.focus();
}

// ---- the manual attendance list of an outage day (docs/console-api.md §5b) ------------------------------------

const LIST_STATES = {
  submitted: ['warn', 'Menunggu persetujuan BKPSDM'],
  approved: ['ok', 'Disetujui'],
  rejected: ['bad', 'Ditolak'],
};
const EVIDENCE_KINDS = {
  signed_list_photo: 'Foto daftar hadir kertas yang ditandatangani',
  geotagged_photos: 'Foto bergeotag pegawai di kantor',
};

function listChip(ui, list) {
  const [tone, label] = LIST_STATES[list.state] || ['muted', list.state];
  return ui.chip(list.state, label, tone);
}

/** The outage table's cell: the list's state and size as GET /v1/outages gives them (`manual_list`, null when none
 * was entered), and the button that opens it. */
function manualCell(ui, ctx, outage, open) {
  const list = outage.manual_list;
  if (outage.state === 'dismissed' && !list) return ui.el('span', { class: 'muted' }, 'Tidak perlu');
  const mayEdit = ui.canEdit(ctx.principal) && ctx.principal.role !== 'finance';
  if (!list) {
    return mayEdit
      ? ui.button('Isi daftar hadir', open, { kind: 'primary', dataset: { outage: outage.outage_id } })
      : ui.el('span', { class: 'muted' }, 'Belum diisi');
  }
  return ui.el('div', { class: 'b-manual-cell' }, listChip(ui, list),
    ui.el('div', { class: 'hint' }, `${ui.angka(list.lines)} pegawai`),
    ui.button(list.state === 'submitted' && ctx.principal.role === 'super' ? 'Periksa & putuskan' : 'Lihat daftar',
      open, { kind: 'link', dataset: { outage: outage.outage_id } }));
}

async function staffOf(ctx, opd, cache) {
  if (!cache.has(opd)) cache.set(opd, await ctx.api.all('/v1/employees', { opd }));
  return cache.get(opd).filter((e) => e.active !== false)
    .sort((a, b) => String(a.name).localeCompare(String(b.name), 'id'));
}

async function manualListPanel(ui, ctx, host, outage, reload, cache) {
  ui.loading(host, 'Memuat daftar hadir…');
  let staff;
  let list = null;
  try {
    [staff, list] = await Promise.all([
      staffOf(ctx, outage.opd_id, cache),
      outage.manual_list ? ctx.api.get(`/v1/outages/${segment(outage.outage_id)}/manual-list`) : null,
    ]);
  } catch (err) {
    ui.showError(host, err);
    return;
  }
  const byId = new Map(staff.map((e) => [e.employee_id, e]));
  // The OPD's admin enters and corrects the list; the personnel office decides it (it may enter one only where
  // none was entered or after rejecting it, not rewrite a list waiting for its own decision).
  const mayEdit = ui.canEdit(ctx.principal) && outage.state !== 'dismissed' && (!list || list.state !== 'approved')
    && !(ctx.principal.role === 'super' && list && list.state === 'submitted');
  const day = ui.tanggal(outage.day, { style: 'long' });
  const head = ui.el('div', { class: 'b-manual-head' },
    ui.el('h3', {}, 'Daftar hadir manual · ', ui.opdName(ctx.api, outage.opd_id), ` · ${day}`),
    ui.button('Tutup', () => host.replaceChildren(), { kind: 'secondary' }));
  const parts = [head];
  if (outage.state === 'proposed') {
    parts.push(ui.notice('Gangguan ini belum dikonfirmasi BKPSDM. Daftar boleh diisi sekarang, tetapi baru dihitung '
      + 'setelah gangguan dikonfirmasi dan daftarnya disetujui.', 'info'));
  }
  if (list) parts.push(listState(ui, ctx.api, list), listView(ui, list, byId));
  if (list && list.state === 'submitted' && ctx.principal.role === 'super') {
    parts.push(ui.el('div', { class: 'b-actions' },
      ui.button('Setujui daftar', () => decideList(ui, ctx, outage, 'approve', reload), { kind: 'primary' }),
      ui.button('Tolak daftar', () => decideList(ui, ctx, outage, 'reject', reload), { kind: 'danger' })));
  }
  if (mayEdit) {
    const form = listForm(ui, ctx, outage, list, staff, byId, reload);
    parts.push(list ? ui.el('details', { class: 'b-details', open: list.state === 'rejected' || null },
      ui.el('summary', {}, list.state === 'rejected' ? 'Perbaiki dan kirim ulang daftar' : 'Ubah daftar sebelum diputuskan'),
      form) : form);
  }
  host.replaceChildren(ui.el('div', { class: 'b-form b-manual' }, parts));
  host.scrollIntoView({ block: 'start' });
}

function listState(ui, api, list) {
  return ui.facts([
    ['Keadaan', listChip(ui, list)],
    ['Dikirim', ui.el('span', {}, `${ui.waktu(list.submitted_at)} oleh `, ui.actorName(api, list.submitted_by))],
    list.decided_at ? [list.state === 'approved' ? 'Disetujui' : 'Ditolak',
      ui.el('span', {}, `${ui.waktu(list.decided_at)} oleh `, ui.actorName(api, list.decided_by))] : null,
    list.decision_reason ? ['Alasan keputusan', list.decision_reason] : null,
  ]);
}

function listView(ui, list, byId) {
  const evidence = list.evidence || {};
  return ui.el('div', {},
    ui.table({
      caption: 'Pegawai yang hadir',
      pageSize: 0,
      maxHeight: false,
      sort: { key: 'name', dir: 'asc' },
      columns: [
        { key: 'name', label: 'Pegawai', value: (l) => (byId.get(l.employee_id) || {}).name || l.employee_id,
          render: (l) => ui.el('div', {}, (byId.get(l.employee_id) || {}).name || l.employee_id,
            ui.el('div', { class: 'hint' }, (byId.get(l.employee_id) || {}).nip || l.employee_id)) },
        { key: 'arrival', label: 'Datang', render: (l) => (l.arrival ? ui.jam(l.arrival) : '—') },
        { key: 'departure', label: 'Pulang', render: (l) => (l.departure ? ui.jam(l.departure) : '—') },
      ],
      rows: list.lines || [],
    }),
    ui.facts([
      ['Bukti', EVIDENCE_KINDS[evidence.kind] || evidence.kind],
      ['Rujukan berkas', (evidence.references || []).join(', ')],
      evidence.note ? ['Catatan', evidence.note] : null,
    ]));
}

// A plain text box for a time, not <input type=time>: the browser's own time box follows the computer's language
// (07:50 AM on an English Windows), while the paper list says 07.50. Both 07.50 and 07:50 are taken.
const TIME = /^([01]?\d|2[0-3])[.:]([0-5]\d)$/;

function timeInput(name, value, label) {
  const input = document.createElement('input');
  input.type = 'text';
  input.name = name;
  input.inputMode = 'numeric';
  input.autocomplete = 'off';
  input.placeholder = 'jj.mm';
  input.maxLength = 5;
  input.className = 'b-time';
  input.value = value ? value.replace(':', '.') : '';
  input.setAttribute('aria-label', label);
  return input;
}

/** '7.5' is not a time; '07.50', '7:50' and '07:50' are 07:50. Empty is null; anything else is undefined. */
function clock(text) {
  const value = String(text || '').trim();
  if (!value) return null;
  const match = TIME.exec(value);
  return match ? `${match[1].padStart(2, '0')}:${match[2]}` : undefined;
}

function listForm(ui, ctx, outage, list, staff, byId, reload) {
  const rows = ui.el('tbody');
  const addRow = (line = {}) => {
    const select = ui.el('select', { name: 'employee_id', 'aria-label': 'Pegawai' },
      ui.el('option', { value: '' }, '— pilih pegawai —'),
      staff.map((e) => ui.el('option', { value: e.employee_id }, `${e.name} · ${e.nip || e.employee_id}`)));
    select.value = line.employee_id || '';
    const tr = ui.el('tr', {},
      ui.el('td', { class: 'b-manual-no' }),
      ui.el('td', {}, select),
      ui.el('td', {}, timeInput('arrival', line.arrival, 'Jam datang')),
      ui.el('td', {}, timeInput('departure', line.departure, 'Jam pulang')),
      ui.el('td', {}, ui.button('Hapus', () => { tr.remove(); number(); }, { kind: 'link', 'aria-label': 'Hapus baris' })));
    rows.appendChild(tr);
    number();
    return select;
  };
  const number = () => [...rows.children].forEach((tr, i) => { tr.firstChild.textContent = String(i + 1); });
  for (const line of (list && list.lines) || []) addRow(line);
  if (!rows.children.length) addRow();
  const evidence = (list && list.evidence) || {};
  const kind = ui.el('select', { name: 'evidence_kind' },
    Object.entries(EVIDENCE_KINDS).map(([value, label]) => ui.el('option', { value }, label)));
  kind.value = evidence.kind || 'signed_list_photo';
  const refs = ui.el('textarea', { name: 'references', rows: 2 });
  refs.value = (evidence.references || []).join('\n');
  const note = ui.el('textarea', { name: 'note', rows: 2, maxlength: 500 });
  note.value = evidence.note || '';
  const problem = ui.el('div', { class: 'b-manual-problem' });
  const form = ui.el('form', { class: 'b-manual-form', novalidate: true },
    ui.el('p', { class: 'hint' }, 'Salin dari daftar hadir kertas: satu baris untuk setiap pegawai yang datang, dengan '
      + 'jam waktu setempat kantor. Pegawai yang tidak datang jangan dicantumkan. Jam pulang yang lebih awal dari jam '
      + 'datang dianggap keesokan paginya (shift malam).'),
    ui.el('div', { class: 'b-manual-table' }, ui.el('table', { class: 'table' },
      ui.el('thead', {}, ui.el('tr', {}, ['No.', 'Pegawai', 'Jam datang', 'Jam pulang', ''].map((h) => ui.el('th', {}, h)))),
      rows)),
    ui.el('div', { class: 'b-actions' }, ui.button('+ Tambah pegawai', () => addRow().focus())),
    ui.field('Jenis bukti', kind, 'Foto tidak diunggah ke Hadir; simpan di arsip OPD dan tulis namanya di bawah.'),
    ui.field('Rujukan berkas bukti', refs, 'Nama berkas foto atau nomor arsip, satu per baris (paling sedikit satu).'),
    ui.field('Catatan (boleh kosong)', note),
    problem,
    ui.el('div', { class: 'b-actions' },
      ui.el('button', { type: 'submit', class: 'btn btn-primary' }, 'Kirim ke BKPSDM untuk persetujuan')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const trs = [...rows.children];
    const lines = trs.map((tr) => ({
      employee_id: tr.querySelector('select').value,
      arrival: clock(tr.querySelector('input[name=arrival]').value),
      departure: clock(tr.querySelector('input[name=departure]').value),
    }));
    const names = lines.map((l) => (byId.get(l.employee_id) || {}).name);
    const issues = [];
    const seen = new Set();
    lines.forEach((l, i) => {
      const who = `Baris ${i + 1}${names[i] ? ` (${names[i]})` : ''}`;
      if (!l.employee_id) issues.push(`${who}: pilih pegawai.`);
      else if (seen.has(l.employee_id)) issues.push(`${who}: pegawai ini sudah tercantum di baris lain.`);
      seen.add(l.employee_id);
      if (l.arrival === undefined) issues.push(`${who}: jam datang tidak terbaca; tulis jam.menit, misalnya 07.25.`);
      if (l.departure === undefined) issues.push(`${who}: jam pulang tidak terbaca; tulis jam.menit, misalnya 16.05.`);
      if (l.arrival === null && l.departure === null) issues.push(`${who}: isi jam datang atau jam pulang.`);
    });
    const references = refs.value.split('\n').map((r) => r.trim()).filter(Boolean);
    if (!lines.length) issues.push('Tambahkan paling sedikit satu pegawai yang datang.');
    if (!references.length) issues.push('Tulis paling sedikit satu rujukan berkas bukti (nama foto atau nomor arsip).');
    if (references.length > 50) issues.push('Rujukan berkas paling banyak 50.');
    if (issues.length) {
      problem.replaceChildren(problemBox(ui, 'Daftar belum dapat dikirim:', issues));
      return;
    }
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    problem.replaceChildren();
    try {
      await ctx.api.put(`/v1/outages/${segment(outage.outage_id)}/manual-list`, {
        lines, evidence: { kind: kind.value, references, note: note.value.trim() || null },
      });
      ui.flash(`Daftar hadir manual ${outage.opd_id} ${ui.tanggal(outage.day)} terkirim; menunggu persetujuan BKPSDM.`);
      reload();
    } catch (err) {
      problem.replaceChildren(listErrorBox(ui, err, names));
      submit.disabled = false;
    }
  });
  return form;
}

function problemBox(ui, title, items) {
  return ui.el('div', { class: 'state state-error', role: 'alert' }, ui.el('p', { class: 'state-title' }, title),
    ui.el('ul', {}, items.map((text) => ui.el('li', {}, text))));
}

/** The API's refusal in words: which line and what is wrong with it, not `lines.3.employee_id`. */
function listErrorBox(ui, err, names) {
  const fields = Array.isArray(err && err.fields) ? err.fields : [];
  if (err && err.status === 409) {
    const said = String(err.serverMessage || '');
    const text = /dismissed/.test(said) ? 'Usulan gangguan ini ditolak BKPSDM, jadi daftar hadir manual tidak berlaku.'
      : /approved|final/.test(said) ? 'Daftar ini sudah disetujui BKPSDM dan tidak dapat diubah lagi.'
        : /not waiting|is (approved|rejected)/.test(said) ? 'Daftar ini sudah diputuskan. Muat ulang halaman.'
          : ui.messageFor(err);
    return problemBox(ui, text, []);
  }
  if (!fields.length) return ui.errorBox(err);
  const items = fields.map((f) => {
    const path = String(f.path || '').replace(/^body\./, '');
    const message = String(f.message || '');
    const line = /^lines\.(\d+)(?:\.(\w+))?/.exec(path);
    if (line) {
      const i = Number(line[1]);
      const who = `Baris ${i + 1}${names[i] ? ` (${names[i]})` : ''}`;
      if (/listed twice/.test(message)) return `${who}: pegawai ini tercantum lebih dari sekali.`;
      if (/no such employee/.test(message)) return `${who}: pegawai tidak ditemukan.`;
      if (/not an employee of/.test(message)) return `${who}: bukan pegawai ${message.replace(/.*not an employee of /, '')}.`;
      if (line[2] === 'arrival' || line[2] === 'departure') {
        return `${who}: jam ${line[2] === 'arrival' ? 'datang' : 'pulang'} tidak valid; tulis jam.menit, misalnya 07.25.`;
      }
      if (/arrival or a departure/.test(message)) return `${who}: isi jam datang atau jam pulang.`;
      return `${who}: isian tidak valid.`;
    }
    if (/^evidence\.references/.test(path)) return 'Rujukan berkas bukti: tulis 1 sampai 50 nama berkas atau nomor arsip.';
    if (/^evidence\.note/.test(path)) return 'Catatan terlalu panjang (paling banyak 500 huruf).';
    if (/^evidence/.test(path)) return 'Jenis bukti tidak valid.';
    if (/^lines$/.test(path)) return 'Daftar harus berisi 1 sampai 2.000 pegawai.';
    return `${path}: isian tidak valid.`;
  });
  return problemBox(ui, 'Daftar belum diterima. Perbaiki lalu kirim lagi:', items);
}

async function decideList(ui, ctx, outage, decision, reload) {
  const approve = decision === 'approve';
  const reason = await ui.ask({
    title: approve ? 'Setujui daftar hadir manual?' : 'Tolak daftar hadir manual?',
    text: `${outage.opd_id}, ${ui.tanggal(outage.day, { style: 'long' })}. ${approve
      ? 'Pegawai dalam daftar dinilai dari jam datang dan pulang yang tercantum; hari yang sudah ditutup dihitung '
        + 'ulang dalam satu jam. Daftar yang disetujui tidak dapat diubah lagi.'
      : 'Admin OPD dapat memperbaiki daftar lalu mengirimnya lagi.'}`,
    confirmLabel: approve ? 'Setujui' : 'Tolak daftar',
    danger: !approve,
    reason: { label: 'Alasan (dicatat di audit)', min: 5, max: 300 },
  });
  if (reason === null) return;
  try {
    await ctx.api.post(`/v1/outages/${segment(outage.outage_id)}/manual-list/decision`, { decision, reason });
    ui.flash(approve ? 'Daftar hadir manual disetujui.' : 'Daftar hadir manual ditolak.');
    reload();
  } catch (err) {
    ui.flash(err && err.status === 409 ? 'Daftar ini sudah diputuskan. Muat ulang halaman.' : err.message, 'error');
  }
}
