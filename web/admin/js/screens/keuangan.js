// Keuangan: the finance files of a month, revision by revision, each with its SHA-256; the CSV and the XLSX of each
// OPD side by side, the pemda-wide file and the manifest. Links are presigned by the API (the key never goes in a URL).

import {
  alive, bytes, digest, ensureStyles, isoMonth, latestOnly, monthPicker, saveBlob, settle, toolbar,
} from './common-b.js';

const MANIFEST = 'manifest.json';

function stem(name) {
  return String(name).replace(/\.[^.]+$/, '');
}

function extension(name) {
  const match = /\.([^.]+)$/.exec(String(name));
  return match ? match[1].toLowerCase() : '';
}

/** The files of a revision as rows: one per OPD (or the pemda) with its CSV and XLSX, the manifest apart. */
function pair(files) {
  const rows = new Map();
  let manifest = null;
  for (const file of files) {
    if (file.name === MANIFEST) {
      manifest = file;
      continue;
    }
    const key = stem(file.name);
    if (!rows.has(key)) rows.set(key, { stem: key, csv: null, xlsx: null, other: [] });
    const row = rows.get(key);
    const ext = extension(file.name);
    if (ext === 'csv') row.csv = file;
    else if (ext === 'xlsx') row.xlsx = file;
    else row.other.push(file);
  }
  const list = [...rows.values()].sort((a, b) => (a.stem === 'pemda') - (b.stem === 'pemda')
    || a.stem.localeCompare(b.stem, 'id'));
  return { rows: list, manifest };
}

export const screen = {
  async render(root, ctx) {
    ensureStyles();
    const { ui } = ctx;
    const state = { month: isoMonth(-1) };
    const body = ui.el('div', { class: 'b-body' });
    const month = monthPicker(state.month, (value) => { state.month = value; load(); }, 'Bulan TPP');
    root.replaceChildren(
      ui.el('p', { class: 'b-lead' }, 'Satu berkas per OPD dan satu untuk seluruh pemda, masing-masing dalam Excel '
        + '(XLSX) dan CSV. Setiap koreksi setelah bulan ditutup menjadi revisi baru; berkas revisi lama tetap tersedia.'),
      toolbar(month.element, ui.button('Muat ulang', () => load())),
      body);

    const latest = latestOnly();
    async function load() {
      const mine = latest.next();
      ui.loading(body, `Memuat berkas ${ui.bulan(state.month)}…`);
      const answer = await settle(() => ctx.api.get('/v1/exports', { month: state.month }));
      if (!alive(ctx) || !latest.is(mine)) return;
      if (answer.error) {
        ui.showError(body, answer.error);
        return;
      }
      render(answer.data);
    }

    function render(data) {
      const items = (data.items || []).slice().sort((a, b) => b.revision - a.revision);
      const parts = [];
      if (data.changed_since_close) {
        parts.push(ui.notice(`Ada data ${ui.bulan(data.month)} yang berubah sejak ${ui.waktu(data.changed_since_close.since)}. `
          + 'Berkas di bawah belum memuatnya; revisi baru terbit setelah bulan ditutup ulang.', 'warn'));
      }
      if (!items.length) {
        parts.push(ui.emptyState(`Belum ada berkas TPP untuk ${ui.bulan(data.month)}.`,
          'Berkas dibuat setelah bulan ditutup (awal bulan berikutnya). Pilih bulan lain, atau tanyakan ke BKPSDM.'));
        body.replaceChildren(...parts);
        return;
      }
      items.forEach((revision, index) => parts.push(revisionPart(ui, ctx, data.month, revision, index === 0)));
      body.replaceChildren(...parts);
    }
    await load();
  },
};

function revisionPart(ui, ctx, month, revision, latest) {
  const { rows, manifest } = pair(revision.files || []);
  const title = ui.el('h2', {}, `Revisi ${revision.revision}`,
    latest ? ui.chip('closed', 'Terbaru') : ui.chip('muted', 'Digantikan revisi berikutnya', 'muted'));
  const part = ui.el('section', { class: ['panel', 'b-revision', latest ? null : 'b-superseded'] }, title,
    ui.facts([
      ['Ditutup', ui.waktu(revision.closed_at)],
      ['Pegawai', ui.angka(revision.employees)],
      ['Sidik data (records digest)', digest(revision.digest)],
    ]));
  if (!revision.exported || !rows.length) {
    part.appendChild(ui.emptyState('Berkas revisi ini sedang disiapkan.',
      'Berkas ditulis oleh tugas ekspor setiap jam setelah penutupan. Muat ulang sebentar lagi.'));
    return part;
  }
  const anyXlsx = rows.some((r) => r.xlsx);
  part.appendChild(ui.table({
    caption: `Berkas revisi ${revision.revision}`,
    pageSize: 0,
    maxHeight: false,
    sortable: false,
    columns: [
      { key: 'stem', label: 'Berkas', render: (r) => ui.el('div', {},
        ui.el('strong', { class: 'b-money' }, r.stem === 'pemda' ? 'Seluruh pemda' : `OPD ${r.stem}`),
        ui.el('div', { class: 'hint' }, `${ui.angka((r.csv || r.xlsx).rows)} baris`)) },
      { key: 'xlsx', label: 'Excel (XLSX)', render: (r) => (r.xlsx ? fileCell(ui, ctx, r.xlsx, 'primary')
        : ui.el('span', { class: 'hint' }, anyXlsx ? 'tidak ada' : 'belum tersedia untuk revisi ini')) },
      { key: 'csv', label: 'CSV', render: (r) => fileCell(ui, ctx, r.csv, anyXlsx ? 'secondary' : 'primary') },
    ],
    rows,
  }));
  if (manifest) {
    part.appendChild(ui.el('div', { class: 'b-manifest' },
      ui.el('h3', {}, 'Manifest'),
      ui.el('p', { class: 'hint' }, 'Daftar setiap berkas revisi ini dengan SHA-256-nya. Bandingkan SHA-256 berkas '
        + 'yang Anda terima dengan yang tertulis di sini untuk memastikan berkas tidak berubah.'),
      fileCell(ui, ctx, manifest, 'secondary')));
  }
  return part;
}

function fileCell(ui, ctx, file, kind) {
  if (!file) return null;
  return ui.el('div', { class: 'b-file' },
    downloadControl(ui, ctx, file, kind),
    ui.el('span', { class: 'hint' }, bytes(file.size ?? file.bytes)),
    ui.el('div', { class: 'b-file-sha' }, ui.el('span', { class: 'b-sha-label' }, 'SHA-256'), digest(file.sha256)));
}

function downloadControl(ui, ctx, file, kind) {
  const label = `Unduh ${file.name}`;
  if (file.path) {
    // An API route that streams the file: fetched with the key in a header, saved from a Blob.
    return ui.button(label, async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        saveBlob(await ctx.api.download(file.path), file.name);
      } catch (err) {
        ui.flash(err.message, 'error');
      } finally {
        button.disabled = false;
      }
    }, { kind });
  }
  // A presigned S3 link: it carries its own short-lived signature, never the API key. Only http(s) links are made.
  if (!/^https?:\/\//i.test(String(file.url || ''))) return ui.el('span', { class: 'hint' }, 'tautan tidak tersedia');
  return ui.el('a', { class: `btn btn-${kind} b-download`, href: file.url, download: file.name, rel: 'noopener',
    'data-file': file.name }, label);
}
