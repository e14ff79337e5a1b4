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
        outagePart(ui, ctx, outages, load),
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

function outagePart(ui, ctx, outages, reload) {
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
        o.decision_reason, ui.el('div', { class: 'hint' }, `${o.decided_by} · ${ui.waktu(o.decided_at)}`)) : null) },
      isSuper ? { key: 'act', label: 'Tindakan', sortable: false, render: (o) => (o.state === 'proposed'
        ? ui.el('div', { class: 'b-actions' },
          ui.button('Konfirmasi', () => decide(ui, ctx, o, 'confirm', reload), { kind: 'primary' }),
          ui.button('Tolak', () => decide(ui, ctx, o, 'dismiss', reload)))
        : null) } : null,
    ].filter(Boolean),
    rows,
  }));
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
