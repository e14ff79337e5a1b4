// Hari ini: today's attendance, live from the punch ledger and today's statuses. One OPD's board (who punched,
// who is late and by how much, who has no punch yet, who is on leave or duty), or for super and auditor a summary
// of every OPD. Refreshes itself every minute while it is open.

const REFRESH_MS = 60000;

const STATE_ORDER = { no_punch: 0, late: 1, present: 2, status: 3 };
const CATEGORY_NAMES = { cuti: 'Cuti', dinas: 'Dinas luar', izin: 'Izin', sakit: 'Sakit', lain: 'Status lain' };
const SOURCE_NAMES = { phone: 'Ponsel', machine: 'Mesin' };

export const screen = {
  async render(root, ctx) {
    const { ui, principal } = ctx;
    const wide = principal.role !== 'opd_admin';
    const toolbar = ui.el('div', { class: 'toolbar' });
    const body = ui.el('div', { class: 'today-body' });
    root.replaceChildren(toolbar, body);
    ui.loading(body);

    const requested = ctx.params.path[0];
    const picker = await ui.opdPicker(ctx, {
      allowAll: wide, label: 'OPD', value: requested !== undefined ? requested : undefined,
      onChange: () => show(),
    });
    const refresh = ui.button('Muat ulang', () => show({ quiet: false }), { class: 'refresh' });
    const stamp = ui.el('span', { class: 'hint as-of', 'aria-live': 'polite' });
    toolbar.replaceChildren(picker.element, ui.el('div', { class: 'grow' }), stamp, refresh);

    let timer = null;
    let seq = 0;
    ctx.signal.addEventListener('abort', () => clearTimeout(timer));

    async function show({ quiet = false } = {}) {
      clearTimeout(timer);
      const mine = ++seq;
      if (!quiet) ui.loading(body, 'Memuat kehadiran hari ini…');
      try {
        if (picker.value) {
          const board = await ctx.api.get(`/v1/opds/${encodeURIComponent(picker.value)}/today`);
          if (mine !== seq || ctx.signal.aborted) return;
          renderBoard(body, board, ctx, quiet);
          stamp.textContent = `Diperbarui ${ui.jam(board.as_of, { zone: board.zone, withZone: true })}`;
        } else {
          const summary = await ctx.api.get('/v1/today');
          if (mine !== seq || ctx.signal.aborted) return;
          renderSummary(body, summary, ctx, (opdId) => {
            picker.element.querySelector('select').value = opdId;
            picker.element.querySelector('select').dispatchEvent(new Event('change'));
          });
          const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
          stamp.textContent = `Diperbarui ${ui.jam(summary.as_of, { zone: here, withZone: true })}`;
        }
      } catch (err) {
        if (mine !== seq || ctx.signal.aborted) return;
        ui.showError(body, err);
        stamp.textContent = '';
      }
      if (!ctx.signal.aborted) timer = setTimeout(() => show({ quiet: true }), REFRESH_MS);
    }

    await show();
  },
};

function countCards(ui, counts, { active, onPick } = {}) {
  const byStatus = counts.by_status || {};
  const statusDetail = Object.entries(byStatus).filter(([, n]) => n > 0)
    .map(([category, n]) => `${CATEGORY_NAMES[category] || category} ${n}`).join(', ');
  const cards = [
    ['total', 'Wajib hadir', counts.total, 'muted'],
    ['present', 'Sudah hadir', counts.present, 'ok'],
    ['late', 'Terlambat', counts.late, 'warn'],
    ['no_punch', 'Belum absen', counts.no_punch, 'bad'],
    ['status', 'Cuti, dinas, izin, sakit', counts.on_status, 'info', statusDetail],
    ['off', 'Libur hari ini', counts.off, 'muted'],
  ];
  return ui.el('div', { class: 'cards' }, cards.map(([key, label, value, tone, detail]) => {
    const clickable = onPick && key !== 'off';
    const card = ui.el(clickable ? 'button' : 'div', {
      class: ['card', `tone-${tone}`, clickable ? 'clickable' : null], type: clickable ? 'button' : null,
      'aria-pressed': clickable ? String(active === key) : null, dataset: { count: key },
    },
    ui.el('div', { class: 'value' }, ui.angka(value ?? 0)),
    ui.el('div', { class: 'label' }, label),
    detail ? ui.el('div', { class: 'hint' }, detail) : null);
    if (clickable) card.addEventListener('click', () => onPick(key));
    return card;
  }));
}

function punchText(ui, punch) {
  if (!punch) return null;
  const source = punch.source === 'machine' && punch.machine_serial
    ? `Mesin ${punch.machine_serial}` : (SOURCE_NAMES[punch.source] || punch.source || '');
  return ui.el('span', {}, ui.el('strong', {}, ui.jam(punch.at)), ui.el('span', { class: 'sub' }, source));
}

function statusText(ui, status) {
  if (!status) return null;
  const range = status.first === status.last
    ? ui.tanggal(status.first) : `${ui.tanggal(status.first)} – ${ui.tanggal(status.last)}`;
  return ui.el('span', { class: 'status-detail' },
    ui.el('span', { class: 'sub' }, `${status.code} · ${status.name || CATEGORY_NAMES[status.category] || ''}`),
    ui.el('span', { class: 'sub' }, range),
    status.reference ? ui.el('span', { class: 'sub' }, `Surat ${status.reference}`) : null,
    status.location && status.location.name ? ui.el('span', { class: 'sub' }, status.location.name) : null);
}

function stateChip(ui, row) {
  if (row.state === 'status' && row.status) {
    const names = { cuti: 'Cuti', dinas: 'Dinas luar', izin: 'Izin', sakit: 'Sakit', lain: 'Berstatus' };
    return ui.chip(row.status.code, names[row.status.category] || row.status.code, 'info');
  }
  return ui.chip(row.state);
}

function renderBoard(body, board, ctx, keepFilter) {
  const { ui } = ctx;
  const previous = keepFilter ? body.querySelector('.today-board') : null;
  const state = { filter: previous ? previous.dataset.filter || '' : '', query: previous ? previous.dataset.query || '' : '' };
  const zone = ui.zoneLabel(board.zone);
  const heading = ui.el('p', { class: 'today-date' },
    ui.el('strong', {}, `${board.opd_name || board.opd_id} · ${ui.tanggal(board.date, { style: 'long' })}`),
    ` · waktu ${zone}`);

  const columns = [
    { key: 'name', label: 'Pegawai', render: (r) => ui.el('span', {},
      ui.el('a', { href: `#/pegawai/${encodeURIComponent(r.employee_id)}` }, r.name),
      ui.el('span', { class: 'sub mono' }, r.nip || r.employee_id)) },
    { key: 'state', label: 'Keadaan', value: (r) => STATE_ORDER[r.state] ?? 9,
      render: (r) => ui.el('span', { class: 'state-cell' }, stateChip(ui, r), statusText(ui, r.status)) },
    { key: 'first', label: 'Masuk', value: (r) => (r.first_punch ? r.first_punch.at : ''), render: (r) => punchText(ui, r.first_punch) },
    { key: 'last', label: 'Pulang', value: (r) => (r.last_punch ? r.last_punch.at : ''), render: (r) => punchText(ui, r.last_punch) },
    { key: 'minutes_late', label: 'Terlambat', align: 'end',
      render: (r) => (r.minutes_late > 0 ? ui.el('strong', { class: 'late' }, ui.menit(r.minutes_late)) : (r.minutes_late === 0 ? 'Tepat waktu' : null)) },
    { key: 'shift', label: 'Jadwal', className: 'nowrap', value: (r) => (r.shift ? r.shift.start : ''),
      render: (r) => (r.shift ? ui.el('span', {}, `${ui.jam(r.shift.start)}–${ui.jam(r.shift.end)}`,
        ui.el('span', { class: 'sub' }, r.shift.code)) : null) },
  ];
  const rows = () => board.items.filter((r) => {
    if (state.filter && state.filter !== 'total') {
      if (state.filter === 'present' ? !(r.state === 'present' || r.state === 'late') : r.state !== state.filter) return false;
    }
    if (state.query) {
      const q = state.query.toLowerCase();
      return (r.name || '').toLowerCase().includes(q) || (r.nip || '').startsWith(q);
    }
    return true;
  });
  const tableNode = ui.table({
    columns, rows: rows(), pageSize: 100, caption: 'Kehadiran hari ini',
    emptyText: board.items.length ? 'Tidak ada pegawai yang cocok dengan saringan ini.'
      : 'Tidak ada pegawai yang wajib hadir hari ini (hari libur atau belum ada jadwal).',
  });
  const search = ui.el('input', { type: 'search', placeholder: 'Saring nama atau NIP…', 'aria-label': 'Saring nama atau NIP', value: state.query });
  const wrap = ui.el('div', { class: 'today-board', dataset: { filter: state.filter, query: state.query } });
  const refreshCards = () => {
    wrap.dataset.filter = state.filter;
    for (const card of wrap.querySelectorAll('.card.clickable')) {
      card.setAttribute('aria-pressed', String(card.dataset.count === (state.filter || 'total')));
    }
    tableNode.update(rows());
  };
  search.addEventListener('input', () => {
    state.query = search.value.trim();
    wrap.dataset.query = state.query;
    tableNode.update(rows());
  });
  wrap.append(
    heading,
    countCards(ui, board.counts || {}, { active: state.filter || 'total', onPick: (key) => {
      state.filter = key === state.filter || key === 'total' ? '' : key;
      refreshCards();
    } }),
    ui.el('div', { class: 'toolbar' }, search,
      ui.el('p', { class: 'hint' }, 'Pilih kotak di atas untuk menyaring. Data langsung dari absensi hari ini (ponsel dan mesin).')),
    tableNode);
  body.replaceChildren(wrap);
}

function renderSummary(body, summary, ctx, pick) {
  const { ui } = ctx;
  const items = summary.items || [];
  const columns = [
    { key: 'opd_name', label: 'OPD', render: (r) => ui.el('span', {},
      ui.el('strong', {}, r.opd_name || r.opd_id), ui.el('span', { class: 'sub' }, `${r.opd_id} · ${ui.zoneLabel(r.zone)}`)) },
    { key: 'total', label: 'Wajib hadir', align: 'end', value: (r) => r.counts.total, render: (r) => ui.angka(r.counts.total) },
    { key: 'present', label: 'Sudah hadir', align: 'end', value: (r) => r.counts.present, render: (r) => ui.angka(r.counts.present) },
    { key: 'late', label: 'Terlambat', align: 'end', value: (r) => r.counts.late,
      render: (r) => (r.counts.late ? ui.chip('late', ui.angka(r.counts.late)) : '0') },
    { key: 'no_punch', label: 'Belum absen', align: 'end', value: (r) => r.counts.no_punch,
      render: (r) => (r.counts.no_punch ? ui.chip('absent', ui.angka(r.counts.no_punch)) : '0') },
    { key: 'on_status', label: 'Cuti/dinas/izin/sakit', align: 'end', value: (r) => r.counts.on_status, render: (r) => ui.angka(r.counts.on_status) },
    { key: 'share', label: 'Kehadiran', align: 'end',
      value: (r) => (r.counts.total ? (r.counts.present + r.counts.on_status) / r.counts.total : -1),
      render: (r) => (r.counts.total ? ui.persen((100 * (r.counts.present + r.counts.on_status)) / r.counts.total, 0) : null) },
  ];
  body.replaceChildren(
    ui.el('p', { class: 'today-date' }, ui.el('strong', {}, `Semua OPD · ${ui.tanggal(summary.as_of, { style: 'long' })}`),
      ' · tiap OPD menurut zona waktunya'),
    countCards(ui, summary.totals || {}),
    ui.table({
      columns, rows: items, pageSize: 100, caption: 'Ringkasan kehadiran per OPD', onRowClick: (r) => pick(r.opd_id),
      emptyText: 'Belum ada OPD aktif.',
    }),
    ui.el('p', { class: 'hint table-foot' }, 'Pilih satu baris untuk melihat pegawai OPD itu.'));
}
