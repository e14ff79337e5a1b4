// Aturan & jadwal: the TPP rule profiles with their versions (super validates and publishes a draft), the week
// templates and an OPD's schedule assignments, and the holidays of a year.

import { alive, ensureStyles, latestOnly, selectPicker, settle, toolbar, weekdayName } from './common-b.js';

const TYPES = { PNS: 'PNS', PPPK: 'PPPK', TKK: 'TKK' };
const LEVELS = { opd: 'Seluruh OPD', unit: 'Unit kerja', employee: 'Pegawai' };
const HOLIDAY_KINDS = { national: ['info', 'Libur nasional'], cuti_bersama: ['warn', 'Cuti bersama'],
  regional: ['ok', 'Libur daerah'] };

export const screen = {
  async render(root, ctx) {
    ensureStyles();
    const { ui } = ctx;
    const tabs = [['profil', 'Profil aturan TPP'], ['jadwal', 'Jadwal kerja'], ['libur', 'Hari libur']];
    const wanted = ctx.params && ctx.params.query && ctx.params.query.tab;
    let current = tabs.some(([id]) => id === wanted) ? wanted : 'profil';
    const pane = ui.el('div', { class: 'b-body' });
    const bar = ui.el('div', { class: 'tabs', role: 'tablist' });
    function drawTabs() {
      bar.replaceChildren(...tabs.map(([id, label]) => ui.el('button', {
        type: 'button', role: 'tab', 'aria-selected': String(id === current), id: `tab-${id}`,
        onclick: () => { current = id; drawTabs(); show(); },
      }, label)));
    }
    function show() {
      pane.setAttribute('aria-labelledby', `tab-${current}`);
      if (current === 'profil') profiles(ui, ctx, pane);
      else if (current === 'jadwal') schedules(ui, ctx, pane);
      else holidays(ui, ctx, pane);
    }
    pane.setAttribute('role', 'tabpanel');
    drawTabs();
    root.replaceChildren(bar, pane);
    await show();
  },
};

// ---- profiles -------------------------------------------------------------------------------------------------

async function profiles(ui, ctx, pane) {
  ui.loading(pane, 'Memuat profil aturan…');
  const [list, templates] = await Promise.all([
    settle(() => ctx.api.get('/v1/profiles')),
    settle(() => ctx.api.get('/v1/profile-templates')),
  ]);
  if (!alive(ctx)) return;
  if (list.error) {
    ui.showError(pane, list.error);
    return;
  }
  const data = list.data;
  const parts = [];
  const force = data.in_force_today || {};
  parts.push(ui.section(`Berlaku hari ini (${ui.tanggal(data.today, { style: 'medium' })})`,
    ui.facts(Object.keys(TYPES).map((t) => [`Pegawai ${TYPES[t]}`, force[t] || 'belum ada profil terbit']))));
  const shipped = data.shipped_default || [];
  if (shipped.length) {
    parts.push(ui.notice('Hari-hari yang belum diatur profil pemda memakai profil bawaan Hadir untuk ASN '
      + `(${shipped.map((s) => `${(s.employee_types || []).join('/')} ${windowText(ui, s.in_force)}`).join('; ')}).`, 'info'));
  }
  const items = data.items || [];
  if (!items.length) {
    parts.push(ui.emptyState('Pemda belum memiliki profil aturan sendiri.',
      'Selama itu, potongan dihitung dengan profil bawaan Hadir untuk ASN. BKPSDM menyusun draf dari templat di bawah.'));
  }
  for (const profile of items) parts.push(profilePart(ui, ctx, profile, pane));
  if (templates.data && (templates.data.items || []).length) {
    parts.push(ui.section('Templat bawaan Hadir', ui.table({
      caption: 'Templat profil', pageSize: 0, maxHeight: false, sortable: false,
      columns: [
        { key: 'name', label: 'Templat', render: (t) => ui.el('div', {}, ui.el('strong', {}, t.name),
          ui.el('div', { class: 'hint' }, t.template_id)) },
        { key: 'employee_types', label: 'Untuk', render: (t) => (t.employee_types || []).join(', ') },
        { key: 'note', label: 'Catatan', render: (t) => ui.el('span', { class: 'b-wrap' },
          t.example ? ui.chip('example', 'Contoh', 'warn') : null, ' ', t.note || '') },
      ],
      rows: templates.data.items,
    })));
  }
  pane.replaceChildren(...parts);
}

function windowText(ui, window) {
  if (!window) return 'tidak berlaku (digantikan sejak hari pertamanya)';
  return window.to ? `${ui.tanggal(window.from)} s.d. ${ui.tanggal(window.to)}` : `sejak ${ui.tanggal(window.from)}`;
}

function profilePart(ui, ctx, profile, pane) {
  const isSuper = ctx.principal.role === 'super';
  const result = ui.el('div', { class: 'b-form-host' });
  // The API spells states in capitals (DRAFT, PUBLISHED); the chips know them in lower case.
  const versions = (profile.versions || []).map((v) => ({ ...v, state: String(v.state).toLowerCase() }))
    .sort((a, b) => b.version - a.version);
  const table = ui.table({
    caption: `Versi ${profile.profile_id}`, pageSize: 0, maxHeight: false, sortable: false,
    columns: [
      { key: 'version', label: 'Versi', render: (v) => ui.el('strong', {}, `v${v.version}`) },
      { key: 'state', label: 'Keadaan', render: (v) => ui.chip(v.state) },
      { key: 'employee_types', label: 'Untuk', render: (v) => (v.employee_types || []).join(', ') },
      { key: 'effective_from', label: 'Berlaku', render: (v) => (v.state === 'published'
        ? windowText(ui, v.in_force)
        : `mulai ${ui.tanggal(v.effective_from)}${v.effective_to ? ` s.d. ${ui.tanggal(v.effective_to)}` : ''}`) },
      { key: 'approval_note', label: 'Dasar / catatan', render: (v) => (v.state === 'published'
        ? ui.el('div', { class: 'b-wrap' }, v.approval_note, ui.el('div', { class: 'hint' },
          `terbit ${ui.waktu(v.published_at)} oleh `, ui.actorName(ctx.api, v.published_by)))
        : ui.el('div', { class: 'hint' }, `diubah ${ui.waktu(v.updated_at)} oleh `, ui.actorName(ctx.api, v.updated_by))) },
      { key: 'act', label: 'Tindakan', render: (v) => (v.state === 'draft' ? ui.el('div', { class: 'b-actions' },
        ui.button('Periksa', () => validate(ui, ctx, profile, v, result)),
        isSuper ? ui.button('Terbitkan', () => publish(ui, ctx, profile, v, result, pane), { kind: 'primary' }) : null)
        : null) },
    ],
    rows: versions,
  });
  return ui.section(`${profile.name || profile.profile_id}`,
    ui.el('p', { class: 'hint' }, `Profil ${profile.profile_id}`), table, result);
}

async function validate(ui, ctx, profile, version, host) {
  ui.loading(host, 'Memeriksa draf…');
  try {
    const answer = await ctx.api.post(
      `/v1/profiles/${encodeURIComponent(profile.profile_id)}/versions/${version.version}/validate`, {});
    host.replaceChildren(validation(ui, answer));
  } catch (err) {
    ui.showError(host, err);
  }
  return host;
}

function validation(ui, answer) {
  if (answer.valid) {
    const days = answer.reclose_days_on_publish;
    return ui.notice(`v${answer.version} siap diterbitkan: tidak ada masalah.${days
      ? ` Bila diterbitkan, ${days} hari yang sudah ditutup akan dihitung ulang.` : ''}`, 'ok');
  }
  return ui.el('div', { class: 'state state-error', role: 'alert' },
    ui.el('p', { class: 'state-title' }, `v${answer.version} belum dapat diterbitkan: ${answer.issues.length} masalah.`),
    ui.el('ul', {}, answer.issues.map((i) => ui.el('li', {}, `${i.path}: ${i.message}`))));
}

async function publish(ui, ctx, profile, version, host, pane) {
  const path = `/v1/profiles/${encodeURIComponent(profile.profile_id)}/versions/${version.version}`;
  let check;
  try {
    check = await ctx.api.post(`${path}/validate`, {});
  } catch (err) {
    ui.showError(host, err);
    return;
  }
  if (!check.valid) {
    host.replaceChildren(validation(ui, check));
    return;
  }
  const note = await ui.ask({
    title: `Terbitkan ${profile.profile_id} v${version.version}?`,
    text: `Mulai ${ui.tanggal(version.effective_from, { style: 'medium' })} profil ini menghitung potongan TPP dan `
      + `menggantikan versi sebelumnya.${check.reclose_days_on_publish
        ? ` ${check.reclose_days_on_publish} hari yang sudah ditutup dihitung ulang.` : ''} Penerbitan dicatat di audit.`,
    confirmLabel: 'Terbitkan',
    reason: { label: 'Dasar penetapan (mis. Perbup No. 12 Tahun 2026)', min: 5, max: 300 },
  });
  if (note === null) return;
  try {
    const published = await ctx.api.post(`${path}/publish`, { approval_note: note });
    const days = published && published.reclose ? published.reclose.days : 0;
    ui.flash(`${profile.profile_id} v${version.version} diterbitkan.${days
      ? ` ${days} hari yang sudah ditutup dihitung ulang pada penutupan berikutnya.` : ''}`);
    profiles(ui, ctx, pane);
  } catch (err) {
    ui.showError(host, err);
  }
}

// ---- schedules ------------------------------------------------------------------------------------------------

async function schedules(ui, ctx, pane) {
  ui.loading(pane, 'Memuat jadwal kerja…');
  const templates = await settle(() => ctx.api.get('/v1/schedule-templates'));
  let picker;
  try {
    picker = await ui.opdPicker(ctx, { onChange: () => assignments() });
  } catch (err) {
    ui.showError(pane, err);
    return;
  }
  if (!alive(ctx)) return;
  const assignHost = ui.el('div');
  const byCode = new Map(((templates.data && templates.data.items) || []).map((t) => [t.code, t]));
  const templatePart = ui.section('Templat minggu kerja');
  if (templates.error) templatePart.appendChild(ui.errorBox(templates.error));
  else if (!byCode.size) templatePart.appendChild(ui.emptyState('Belum ada templat minggu kerja.'));
  else {
    templatePart.appendChild(ui.table({
      caption: 'Templat minggu kerja', pageSize: 0, maxHeight: false,
      columns: [
        { key: 'code', label: 'Kode', render: (t) => ui.el('strong', {}, t.code) },
        { key: 'name', label: 'Nama', render: (t) => ui.el('div', {}, t.name,
          ui.el('div', { class: 'hint' }, t.built_in ? 'bawaan Hadir' : 'buatan pemda')) },
        { key: 'days', label: 'Hari dan jam kerja', sortable: false, render: (t) => weekText(ui, t.days) },
        { key: 'ramadan_code', label: 'Saat Ramadan', render: (t) => t.ramadan_code || null },
      ],
      rows: [...byCode.values()],
    }));
  }
  pane.replaceChildren(
    ui.section('Jadwal per OPD', toolbar(picker.element), assignHost),
    templatePart);

  const latest = latestOnly();
  async function assignments() {
    const mine = latest.next();
    ui.loading(assignHost, 'Memuat penugasan jadwal…');
    const answer = await settle(() => ctx.api.get(`/v1/opds/${encodeURIComponent(picker.value)}/schedule-assignments`));
    if (!alive(ctx) || !latest.is(mine)) return;
    if (answer.error) {
      ui.showError(assignHost, answer.error);
      return;
    }
    const rows = answer.data.items || [];
    if (!rows.length) {
      ui.empty(assignHost, 'OPD ini belum diberi jadwal sendiri.',
        'Tanpa penugasan, pegawainya mengikuti jadwal bawaan pemda (lima hari kerja).');
      return;
    }
    assignHost.replaceChildren(ui.table({
      caption: 'Penugasan jadwal', pageSize: 25, maxHeight: false,
      sort: { key: 'valid_from', dir: 'desc' },
      columns: [
        { key: 'level', label: 'Berlaku untuk', render: (a) => ui.el('div', {}, LEVELS[a.level] || a.level,
          ui.el('div', { class: 'hint' }, a.level === 'unit' ? a.unit : a.level === 'employee' ? a.employee_id : a.opd_id)) },
        { key: 'template_code', label: 'Jadwal', render: (a) => (a.kind === 'ROSTER'
          ? ui.el('div', {}, 'Jadwal piket (roster)', ui.el('div', { class: 'hint' },
            a.observes_holidays ? 'libur pada hari libur' : 'tetap bertugas pada hari libur'))
          : ui.el('div', {}, a.template_code, ui.el('div', { class: 'hint' },
            (byCode.get(a.template_code) || {}).name || ''))) },
        { key: 'valid_from', label: 'Mulai', render: (a) => ui.tanggal(a.valid_from) },
        { key: 'valid_to', label: 'Sampai', render: (a) => (a.valid_to ? ui.tanggal(a.valid_to) : 'seterusnya') },
        { key: 'note', label: 'Catatan', render: (a) => (a.note ? ui.el('span', { class: 'b-wrap' }, a.note) : null) },
      ],
      rows,
    }));
  }
  await assignments();
}

function weekText(ui, days) {
  const sorted = (days || []).slice().sort((a, b) => a.weekday - b.weekday);
  // Days with the same hours are written once: "Senin–Kamis 07.30–16.00; Jumat 07.30–16.30".
  const groups = [];
  for (const d of sorted) {
    const hours = `${ui.jam(d.start)}–${ui.jam(d.end)}`;
    const last = groups[groups.length - 1];
    if (last && last.hours === hours && last.to === d.weekday - 1) last.to = d.weekday;
    else groups.push({ from: d.weekday, to: d.weekday, hours });
  }
  return ui.el('ul', { class: 'b-plain' }, groups.map((g) => ui.el('li', {},
    `${weekdayName(g.from)}${g.to !== g.from ? `–${weekdayName(g.to)}` : ''} ${g.hours}`)));
}

// ---- holidays -------------------------------------------------------------------------------------------------

async function holidays(ui, ctx, pane) {
  const thisYear = new Date().getFullYear();
  const years = [thisYear - 1, thisYear, thisYear + 1].map((y) => [String(y), String(y)]);
  const host = ui.el('div');
  const year = selectPicker('Tahun', years, String(thisYear), (value) => load(value), 'year');
  pane.replaceChildren(toolbar(year.element), host);

  const latest = latestOnly();
  async function load(value) {
    const mine = latest.next();
    ui.loading(host, `Memuat hari libur ${value}…`);
    const answer = await settle(() => ctx.api.get('/v1/holidays', { year: value }));
    if (!alive(ctx) || !latest.is(mine)) return;
    if (answer.error) {
      ui.showError(host, answer.error);
      return;
    }
    const rows = answer.data.items || [];
    if (!rows.length) {
      ui.empty(host, `Belum ada hari libur tercatat untuk ${value}.`,
        'Libur nasional dan cuti bersama dimuat otomatis setiap tahun; libur daerah ditambahkan oleh BKPSDM.');
      return;
    }
    host.replaceChildren(ui.el('p', { class: 'hint' }, `${rows.length} hari libur pada ${value}.`), ui.table({
      caption: `Hari libur ${value}`, pageSize: 0, maxHeight: false,
      sort: { key: 'day', dir: 'asc' },
      columns: [
        { key: 'day', label: 'Tanggal', render: (h) => ui.tanggal(h.day, { style: 'long' }) },
        { key: 'name', label: 'Keterangan' },
        { key: 'kind', label: 'Jenis', render: (h) => {
          const [tone, label] = HOLIDAY_KINDS[h.kind] || ['muted', h.kind];
          return ui.chip(h.kind, label, tone);
        } },
      ],
      rows,
    }));
  }
  await load(String(thisYear));
}
