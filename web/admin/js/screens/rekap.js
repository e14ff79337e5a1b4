// Rekap bulanan: an OPD's month as a grid of employees × days with each day's code (tap or hover for the
// explanation), the month's totals per employee as closed, the month's state, and for super the correction request.

import {
  alive, datesOf, ensureStyles, isoMonth, latestOnly, monthPicker, settle, tiles, toolbar, weekday,
} from './common-b.js';

// What each code means, for the legend (a profile may add its own: those show their code only).
const MEANINGS = {
  H: 'Hadir tepat waktu', TK: 'Tanpa keterangan', OUT: 'Gangguan mesin/sistem',
  TL1: 'Terlambat 1–30 menit', TL2: 'Terlambat 31–60 menit', TL3: 'Terlambat 61–90 menit',
  TL4: 'Terlambat > 90 menit atau tidak absen masuk',
  PSW1: 'Pulang cepat 1–30 menit', PSW2: 'Pulang cepat 31–60 menit', PSW3: 'Pulang cepat 61–90 menit',
  PSW4: 'Pulang cepat > 90 menit atau tidak absen pulang',
  DL: 'Dinas luar', TD: 'Tugas dinas', DK: 'Dinas khusus', CT: 'Cuti tahunan', CAP: 'Cuti alasan penting',
  CBS: 'Cuti besar', CM: 'Cuti melahirkan', CLTN: 'Cuti di luar tanggungan negara', IZ: 'Izin sehari penuh',
  ITM: 'Izin terlambat masuk', IPC: 'Izin pulang cepat', S: 'Sakit dengan surat dokter',
  SK1: 'Sakit 1–3 hari', SK2: 'Sakit 4–14 hari', SK3: 'Sakit ≥ 15 hari', SKX: 'Sakit tanpa surat dokter',
  TB: 'Tugas belajar', BS: 'Diberhentikan sementara', APL: 'Tidak ikut apel',
};
const STATES = { present: 'Hadir', absent: 'Tidak hadir', status: 'Berstatus', outage: 'Gangguan mesin' };

function dayCodes(day) {
  if (!day) return [];
  const codes = (day.codes || []).filter(Boolean);
  if (codes.length) return codes;
  return day.status_code ? [day.status_code] : [];
}

export const screen = {
  async render(root, ctx) {
    ensureStyles();
    const { ui } = ctx;
    const state = { opd: '', month: ctx.params && ctx.params.query && ctx.params.query.bulan || isoMonth(-1) };
    const body = ui.el('div', { class: 'b-body' });
    ui.loading(root, 'Memuat daftar OPD…');
    let picker;
    try {
      picker = await ui.opdPicker(ctx, { onChange: (value) => { state.opd = value; load(); } });
    } catch (err) {
      ui.showError(root, err);
      return;
    }
    state.opd = picker.value;
    if (!state.opd) {
      ui.empty(root, 'Belum ada OPD yang dapat ditampilkan.', 'OPD dibuat oleh BKPSDM lewat API (POST /v1/opds).');
      return;
    }
    const month = monthPicker(state.month, (value) => { state.month = value; load(); });
    root.replaceChildren(toolbar(picker.element, month.element), body);

    const latest = latestOnly();
    async function load() {
      const mine = latest.next();
      ui.loading(body, `Memuat rekap ${ui.bulan(state.month)}…`);
      const opd = encodeURIComponent(state.opd);
      const [days, recap, exports] = await Promise.all([
        settle(() => ctx.api.get(`/v1/opds/${opd}/days`, { month: state.month, offset: 0, size: GRID_PAGE })),
        settle(() => ctx.api.get(`/v1/opds/${opd}/recap`, { month: state.month })),
        ['super', 'auditor', 'finance'].includes(ctx.principal.role)
          ? settle(() => ctx.api.get('/v1/exports', { month: state.month })) : { data: null },
      ]);
      if (!alive(ctx) || !latest.is(mine)) return;
      const notClosed = recap.error && recap.error.status === 404;
      if (days.error && recap.error && !notClosed) {
        ui.showError(body, days.error.status === 403 || days.error.status >= 500 ? days.error : recap.error);
        return;
      }
      body.replaceChildren(
        monthState(ui, ctx, state, recap, exports, load),
        gridPart(ui, state, days, recap.data,
          (offset) => ctx.api.get(`/v1/opds/${opd}/days`, { month: state.month, offset, size: GRID_PAGE })),
        totalsPart(ui, recap, notClosed, state.month),
      );
    }
    await load();
  },
};

function monthState(ui, ctx, state, recap, exports, reload) {
  const part = ui.el('section', { class: 'panel b-month-state' });
  const closed = recap.data;
  const changed = exports.data && exports.data.changed_since_close;
  const chips = [];
  if (!closed) chips.push(ui.chip('open', 'Terbuka (belum ditutup)'));
  else chips.push(ui.chip('closed', `Ditutup · revisi ${closed.revision}`));
  if (closed && closed.revision > 1) chips.push(ui.chip('revision', 'Sudah direvisi'));
  if (changed) chips.push(ui.chip('changed', 'Berubah sejak ditutup'));
  const words = !closed
    ? 'Bulan ini belum ditutup: kotak harian terisi setiap malam, jumlah TPP muncul setelah penutupan bulan.'
    : `Ditutup ${ui.waktu(closed.closed_at)}. Angka di bawah sama dengan berkas TPP yang diterima BPKAD.`;
  part.append(ui.el('h2', {}, `Keadaan bulan ${ui.bulan(state.month)}`), ui.el('div', { class: 'b-chips' }, chips),
    ui.el('p', {}, words));
  if (changed) {
    part.appendChild(ui.notice(`Ada hari di bulan ini yang berubah sejak ${ui.waktu(changed.since)} (koreksi, `
      + 'status atau rekaman terlambat). Berkas keuangan belum memuat perubahan itu sampai bulan ditutup ulang.', 'warn'));
  }
  const past = state.month < isoMonth(0);
  if (ctx.principal.role === 'super' && past) {
    const again = Boolean(closed);
    const button = ui.button(again ? 'Minta tutup ulang bulan ini' : 'Minta tutup bulan ini', async () => {
      const ok = await ui.ask({
        title: `${again ? 'Tutup ulang' : 'Tutup'} ${ui.bulan(state.month)}?`,
        text: again
          ? 'Bulan ditutup ulang dalam satu jam. Bila ada yang berubah, terbit revisi baru dan berkasnya ditulis '
            + 'di samping berkas lama; bila tidak, revisi tetap. Permintaan ini dicatat di audit.'
          : 'Bulan ditutup dalam satu jam dan berkas TPP-nya dibuat untuk BPKAD. Permintaan ini dicatat di audit.',
        confirmLabel: again ? 'Minta tutup ulang' : 'Minta tutup',
      });
      if (!ok) return;
      button.disabled = true;
      try {
        await ctx.api.post(`/v1/months/${state.month}/close`, {});
        part.appendChild(ui.notice(`Permintaan tercatat. Bulan ditutup${again ? ' ulang' : ''} dalam satu jam; lihat `
          + 'layar Keuangan untuk berkasnya.', 'ok'));
      } catch (err) {
        part.appendChild(ui.errorBox(err));
        button.disabled = false;
      }
    }, { kind: changed || !again ? 'primary' : 'secondary' });
    part.appendChild(ui.el('div', { class: 'b-actions' }, button));
  }
  if (recap.error && recap.error.status !== 404) part.appendChild(ui.errorBox(recap.error));
  return part;
}

const GRID_PAGE = 50;

function gridPart(ui, state, days, recap, fetchPage) {
  const part = ui.section('Kehadiran per hari');
  if (days.error) {
    part.appendChild(ui.errorBox(days.error));
    return part;
  }
  // The API sends one page of employees in name order; `count` and `codes_used` are the whole OPD's.
  let items = days.data.items || [];
  const total = days.data.count ?? items.length;
  const used = new Set(days.data.codes_used || []);
  if (!used.size && !items.some((person) => Object.keys(person.days || {}).length)) {
    part.appendChild(ui.emptyState(`Belum ada hari yang ditutup untuk ${ui.bulan(state.month)}.`,
      'Setiap hari kerja ditutup pada malam harinya; kotak pegawai terisi setelah itu.'));
    return part;
  }
  const dates = days.data.dates && days.data.dates.length ? days.data.dates : datesOf(state.month);
  const detail = ui.el('div', { class: 'b-day-detail', 'aria-live': 'polite' },
    ui.el('p', { class: 'hint' }, 'Arahkan kursor atau ketuk sebuah kotak untuk melihat penjelasannya.'));
  const head = ui.el('tr', {},
    ui.el('th', { scope: 'col', class: 'b-grid-name' }, 'Pegawai'),
    dates.map((d) => ui.el('th', { scope: 'col', class: ['b-grid-day', isWeekend(d) ? 'b-weekend' : null],
      title: ui.tanggal(d, { style: 'long' }) }, ui.el('span', {}, String(Number(d.slice(8)))),
    ui.el('span', { class: 'b-grid-wd' }, weekday(d)))),
    ui.el('th', { scope: 'col', class: 'b-grid-sum', title: 'Hari hadir (termasuk terlambat / pulang cepat)' }, 'Hadir'),
    ui.el('th', { scope: 'col', class: 'b-grid-sum', title: 'Hari terlambat atau pulang cepat' }, 'TL/PSW'),
    ui.el('th', { scope: 'col', class: 'b-grid-sum', title: 'Tanpa keterangan' }, 'TK'),
    ui.el('th', { scope: 'col', class: 'b-grid-sum', title: 'Cuti, dinas, izin, sakit' }, 'Status'));
  for (const person of items) {
    for (const day of Object.values(person.days || {})) dayCodes(day).forEach((c) => used.add(c));
  }
  const rowOf = (person, index) => {
    const sums = { present: 0, lateEarly: 0, tk: 0, status: 0 };
    const cells = dates.map((d) => {
      const day = (person.days || {})[d];
      if (!day) return ui.el('td', { class: ['b-cell', 'b-cell-none', isWeekend(d) ? 'b-weekend' : null] });
      const codes = dayCodes(day);
      if (day.status === 'present') sums.present += 1;
      if (codes.some((c) => /^(TL|PSW)\d/.test(c))) sums.lateEarly += 1;
      if (codes.includes('TK')) sums.tk += 1;
      if (day.status === 'status') sums.status += 1;
      const main = codes[0] || '?';
      const label = `${person.name}, ${ui.tanggal(d, { style: 'long' })}: ${codes.join(', ')}. ${day.explanation || ''}`;
      const cell = ui.el('button', {
        type: 'button', class: ['b-code', `b-tone-${ui.chipTone ? ui.chipTone(main) : tone(main)}`],
        title: label.trim(), 'aria-label': label.trim(), dataset: { row: index, date: d },
      }, codes.length > 1 ? `${main}+` : main);
      return ui.el('td', { class: ['b-cell', isWeekend(d) ? 'b-weekend' : null] }, cell);
    });
    return ui.el('tr', {},
      ui.el('th', { scope: 'row', class: 'b-grid-name' }, ui.el('span', { class: 'b-name' }, person.name),
        ui.el('span', { class: 'b-nip' }, person.nip || person.employee_id)),
      cells,
      ui.el('td', { class: 'b-grid-sum' }, String(sums.present)),
      ui.el('td', { class: ['b-grid-sum', sums.lateEarly ? 'b-warn' : null] }, String(sums.lateEarly)),
      ui.el('td', { class: ['b-grid-sum', sums.tk ? 'b-bad' : null] }, String(sums.tk)),
      ui.el('td', { class: 'b-grid-sum' }, String(sums.status)));
  };
  // A page of staff at a time: a 1,000-person OPD is 31,000 cells, which Chromium takes seconds to lay out.
  const body = ui.el('tbody', {});
  const pager = ui.el('nav', { class: 'pager', 'aria-label': 'Halaman kotak harian' });
  const pages = Math.ceil(total / GRID_PAGE);
  let page = 0;
  const renderPage = () => {
    const start = page * GRID_PAGE;
    body.replaceChildren(...items.map((person, i) => rowOf(person, i)));
    if (pages < 2) return;
    const go = async (to) => {
      pager.querySelectorAll('button').forEach((b) => { b.disabled = true; });
      try {
        const next = await fetchPage(to * GRID_PAGE);
        items = next.items || [];
        page = to;
        renderPage();
      } catch (err) {
        pager.replaceChildren(ui.errorBox(err));
      }
    };
    pager.replaceChildren(
      ui.el('span', { class: 'pager-info' },
        `Pegawai ${ui.angka(start + 1)}–${ui.angka(start + items.length)} dari ${ui.angka(total)}`),
      ui.button('‹ Sebelumnya', () => go(page - 1), { disabled: page === 0 }),
      ui.el('span', { class: 'pager-page' }, `Halaman ${page + 1} / ${pages}`),
      ui.button('Berikutnya ›', () => go(page + 1), { disabled: page >= pages - 1 }));
  };
  renderPage();
  const grid = ui.el('table', { class: 'b-grid' }, ui.el('thead', {}, head), body);
  // One listener for the whole grid (an OPD of 1,000 staff has 31,000 cells): tap, keyboard focus or hover.
  let shown = null;
  const show = (event) => {
    const cell = event.target.closest && event.target.closest('button.b-code');
    if (!cell || cell === shown) return;
    shown = cell;
    const person = items[Number(cell.dataset.row)];
    const day = person.days[cell.dataset.date];
    showDay(ui, detail, person, cell.dataset.date, day, dayCodes(day));
  };
  for (const type of ['click', 'focusin', 'mouseover']) grid.addEventListener(type, show);
  const more = ui.el('p', { class: 'hint', hidden: true }, 'Geser tabel ke samping untuk tanggal berikutnya dan '
    + 'jumlah per pegawai di ujung kanan.');
  part.appendChild(more);
  part.appendChild(ui.el('div', { class: 'b-grid-wrap', tabindex: '0', role: 'region',
    'aria-label': `Kehadiran ${ui.bulan(state.month)} per pegawai dan tanggal` }, grid));
  if (pages > 1) part.appendChild(pager);
  part.appendChild(detail);
  requestAnimationFrame(() => {
    const wrap = grid.parentElement;
    if (wrap && wrap.scrollWidth > wrap.clientWidth + 1) more.hidden = false;
  });
  const key = legend(ui, used);
  if (key) part.appendChild(key);
  if (recap && total !== recap.count) {
    part.appendChild(ui.el('p', { class: 'hint' }, `Kotak harian memuat ${total} pegawai, rekap tertutup `
      + `${recap.count}: pegawai yang pindah OPD tercatat di OPD tempatnya saat bulan ditutup.`));
  }
  return part;
}

function tone(code) {
  if (code === 'H') return 'ok';
  if (code === 'TK') return 'bad';
  if (/^(TL|PSW)\d/.test(code)) return 'warn';
  return 'info';
}

function isWeekend(date) {
  const d = new Date(`${date}T12:00:00Z`).getUTCDay();
  return d === 0 || d === 6;
}

function showDay(ui, detail, person, date, day, codes) {
  const facts = [
    ['Pegawai', `${person.name} (${person.nip || person.employee_id})`],
    ['Tanggal', ui.tanggal(date, { style: 'long' })],
    ['Kode', ui.el('span', { class: 'b-chips' }, codes.map((c) => ui.chip(c, `${c}${MEANINGS[c] ? ` · ${MEANINGS[c]}` : ''}`)))],
    ['Keadaan', STATES[day.status] || day.status],
    day.minutes_late ? ['Terlambat', ui.menit(day.minutes_late)] : null,
    day.minutes_early ? ['Pulang cepat', ui.menit(day.minutes_early)] : null,
    ['Penjelasan', day.explanation || '—'],
  ];
  detail.replaceChildren(ui.facts(facts));
}

function legend(ui, used) {
  const codes = [...used].sort((a, b) => a.localeCompare(b, 'id', { numeric: true }));
  if (!codes.length) return null;
  return ui.el('div', { class: 'b-legend' }, ui.el('strong', {}, 'Keterangan kode: '),
    codes.map((c) => ui.el('span', { class: 'b-legend-item' }, ui.chip(c, c), ` ${MEANINGS[c] || 'kode profil pemda'}`)),
    ui.el('span', { class: 'b-legend-item' }, ui.el('span', { class: 'b-code b-tone-muted b-sample' }, '+'),
      ' lebih dari satu kode hari itu'));
}

function totalsPart(ui, recap, notClosed, month) {
  const part = ui.section('Jumlah per pegawai (bulan ditutup)');
  if (notClosed) {
    part.appendChild(ui.emptyState(`${ui.bulan(month)} belum ditutup, jadi belum ada jumlah TPP.`,
      'Bulan ditutup otomatis setelah bulan berakhir; BKPSDM dapat memintanya lebih awal untuk bulan yang lewat.'));
    return part;
  }
  if (recap.error) {
    part.appendChild(ui.errorBox(recap.error));
    return part;
  }
  const data = recap.data;
  const t = data.totals || {};
  part.appendChild(tiles([
    { label: 'Pegawai', value: ui.angka(data.count), tone: 'info' },
    { label: 'Pagu TPP', value: ui.rupiah(t.pagu), tone: 'muted' },
    { label: 'Potongan kehadiran', value: ui.rupiah(t.deduction), tone: t.deduction ? 'warn' : 'muted' },
    { label: 'TPP bruto', value: ui.rupiah(t.tpp_bruto), tone: 'ok' },
  ], { compact: true }));
  if (!data.items.length) {
    part.appendChild(ui.emptyState('Tidak ada pegawai OPD ini di rekap bulan tersebut.'));
    return part;
  }
  part.appendChild(ui.table({
    caption: 'Jumlah per pegawai',
    pageSize: 50,
    columns: [
      { key: 'name', label: 'Pegawai', render: (r) => ui.el('div', {}, ui.el('strong', {}, r.name),
        ui.el('div', { class: 'hint' }, `${r.nip || r.employee_id} · ${r.employee_type}`)) },
      { key: 'working_days', label: 'Hari kerja', align: 'end' },
      { key: 'rincian', label: 'Rincian', render: (r) => ui.el('span', { class: 'b-wrap' }, r.rincian || 'tanpa potongan') },
      { key: 'tk_days', label: 'TK', align: 'end' },
      { key: 'deduction_percent', label: 'Potongan', align: 'end', value: (r) => Number(r.deduction_percent),
        render: (r) => ui.el('div', { class: 'b-money' }, ui.rupiah(r.deduction),
          ui.el('div', { class: 'hint' }, `${String(r.deduction_percent).replace('.', ',')}%`)) },
      { key: 'tpp_bruto', label: 'TPP bruto', align: 'end',
        render: (r) => ui.el('span', { class: 'b-money' }, ui.rupiah(r.tpp_bruto)) },
    ],
    rows: data.items,
  }));
  const noted = data.items.filter((r) => (r.notes || []).length);
  if (noted.length) {
    part.appendChild(ui.el('details', { class: 'b-details' }, ui.el('summary', {}, `Catatan untuk ${noted.length} pegawai`),
      ui.el('ul', {}, noted.map((r) => ui.el('li', {}, `${r.name}: ${r.notes.join('; ')}`)))));
  }
  return part;
}
