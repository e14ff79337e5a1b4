// The console's building blocks for screens: elements, tables, states, chips, formatters, an OPD picker and a
// dialog. Everything puts API values on the page as text (textContent, createElement); nothing here takes HTML.

import { messageFor } from './api.js';
import {
  angka, bulan, hariIni, jam, jarak, menit, persen, rupiah, tanggal, waktu, zoneLabel,
} from '../../shared/format.js';

export { angka, bulan, hariIni, jam, jarak, menit, messageFor, persen, rupiah, tanggal, waktu, zoneLabel };

// ---- elements ---------------------------------------------------------------------------------------------

/**
 * el('button', {class: 'primary', type: 'button', onclick: fn, dataset: {id: 7}}, 'Simpan') -> HTMLButtonElement.
 * attrs: `class`, `text` (textContent), `dataset`, `on<event>` (listeners), booleans (`disabled: true`), `for`,
 * anything else as an attribute; null/undefined/false are left out. Children: nodes, strings and numbers (as text),
 * arrays (flattened), null/undefined/false (skipped).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') node.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (name === 'text') node.textContent = String(value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'value' && 'value' in node) node.value = value;
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** A button: button('Simpan', onClick, {kind: 'primary'|'secondary'|'danger'|'link', ...attrs}). */
export function button(label, onClick, { kind = 'secondary', class: extra, ...attrs } = {}) {
  return el('button', { type: 'button', ...attrs, class: ['btn', `btn-${kind}`, extra], onclick: onClick }, label);
}

/** A labelled form field: field('Nomor surat', el('input', {name: 'reference'}), 'contoh: 800/123/BKPSDM'). */
export function field(label, control, hint) {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  return el('div', { class: 'field' },
    el('label', { for: control.id }, label),
    control,
    hint ? el('p', { class: 'hint' }, hint) : null);
}

/** A small definition list from [[term, value], ...] pairs; values may be nodes. Empty values show '—'. */
export function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.filter(Boolean).map(([term, value]) => [
    el('dt', {}, term),
    el('dd', {}, value === null || value === undefined || value === '' ? '—' : value),
  ]));
}

/** A section of a screen with a heading: section('Ringkasan', ...children). */
export function section(title, ...children) {
  return el('section', { class: 'panel' }, el('h2', {}, title), ...children);
}

// ---- states -----------------------------------------------------------------------------------------------

/** Replace root's content with a loading indicator. */
export function loading(root, text = 'Memuat data…') {
  const node = el('div', { class: 'state state-loading', role: 'status', 'aria-live': 'polite' },
    el('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
  root.replaceChildren(node);
  return node;
}

/** Replace root's content with an empty state: a sentence saying what is not there, and an optional hint. */
export function empty(root, text, hint) {
  const node = emptyState(text, hint);
  root.replaceChildren(node);
  return node;
}

/** The empty-state box itself, for use inside a larger layout. */
export function emptyState(text, hint) {
  return el('div', { class: 'state state-empty' }, el('p', { class: 'state-title' }, text),
    hint ? el('p', { class: 'hint' }, hint) : null);
}

/** Replace root's content with the error in words (and the fields the API named, and its request id). */
export function showError(root, err) {
  const node = errorBox(err);
  root.replaceChildren(node);
  return node;
}

/** The error box itself (role=alert), for use inside a form or beside content that stays. */
export function errorBox(err) {
  const fields = (err && Array.isArray(err.fields) ? err.fields : []).filter((f) => f && f.path);
  const detail = err && err.serverMessage && err.serverMessage !== err.message ? err.serverMessage : '';
  return el('div', { class: 'state state-error', role: 'alert' },
    el('p', { class: 'state-title' }, messageFor(err)),
    fields.length ? el('ul', {}, fields.map((f) => el('li', {}, `${fieldName(f.path)}: ${f.message}`))) : null,
    detail ? el('p', { class: 'hint' }, `Rincian teknis: ${detail}`) : null,
    err && err.requestId ? el('p', { class: 'hint' }, `Kode permintaan: ${err.requestId}`) : null);
}

function fieldName(path) {
  return String(path).replace(/^body\./, '').replace(/^query\./, '');
}

/** A short notice that stays: notice('Tersimpan.', 'ok'|'info'|'warn'|'error'). */
export function notice(text, kind = 'info') {
  return el('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** A message in the shell's live region that fades after a few seconds: flash('Status dibatalkan.'). */
export function flash(text, kind = 'ok') {
  let region = document.getElementById('flash');
  if (!region) {
    region = el('div', { id: 'flash', class: 'flash', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(region);
  }
  const item = el('p', { class: `notice notice-${kind}` }, text);
  region.appendChild(item);
  setTimeout(() => item.remove(), 6000);
  return item;
}

// ---- chips ------------------------------------------------------------------------------------------------

// tone: ok (green), warn (amber), bad (red), info (blue), muted (grey).
const CHIPS = {
  // check-in outcomes
  accepted: ['ok', 'Diterima'], review: ['warn', 'Perlu ditinjau'], pending: ['info', 'Menunggu'],
  refused: ['bad', 'Ditolak sistem'], rejected: ['bad', 'Ditolak admin'],
  // today's board
  present: ['ok', 'Hadir'], hadir: ['ok', 'Hadir'], on_time: ['ok', 'Tepat waktu'], late: ['warn', 'Terlambat'],
  no_punch: ['muted', 'Belum absen'], not_yet: ['muted', 'Belum absen'], absent: ['bad', 'Tidak hadir'],
  on_leave: ['info', 'Cuti/izin'], leave: ['info', 'Cuti/izin'], duty: ['info', 'Dinas luar'],
  status: ['info', 'Berstatus'], day_off: ['muted', 'Libur'], holiday: ['muted', 'Libur'], off: ['muted', 'Libur'],
  outage: ['warn', 'Mesin gangguan'], checked_out: ['ok', 'Sudah pulang'],
  // day codes of the rule profile
  H: ['ok', 'H'], TK: ['bad', 'TK'], L: ['muted', 'Libur'], LIBUR: ['muted', 'Libur'],
  TL1: ['warn', 'TL1'], TL2: ['warn', 'TL2'], TL3: ['warn', 'TL3'], TL4: ['bad', 'TL4'],
  PSW1: ['warn', 'PSW1'], PSW2: ['warn', 'PSW2'], PSW3: ['warn', 'PSW3'], PSW4: ['bad', 'PSW4'],
  DL: ['info', 'DL'], TD: ['info', 'TD'], DK: ['info', 'DK'], CT: ['info', 'CT'], CAP: ['info', 'CAP'],
  CBS: ['info', 'CBS'], CM: ['info', 'CM'], CLTN: ['muted', 'CLTN'], IZ: ['info', 'IZ'], ITM: ['info', 'ITM'],
  IPC: ['info', 'IPC'], S: ['info', 'S'], SK1: ['info', 'SK1'], SK2: ['info', 'SK2'], SK3: ['warn', 'SK3'],
  SKX: ['bad', 'SKX'], TB: ['muted', 'TB'], BS: ['muted', 'BS'], APL: ['warn', 'APL'],
  // machines
  online: ['ok', 'Online'], stale: ['warn', 'Terlambat lapor'], offline: ['bad', 'Offline'],
  never_seen: ['muted', 'Belum pernah lapor'], never: ['muted', 'Belum pernah lapor'],
  proposed: ['warn', 'Diusulkan'], confirmed: ['bad', 'Dikonfirmasi'], dismissed: ['muted', 'Ditolak'],
  // months and records
  open: ['info', 'Terbuka'], closed: ['ok', 'Ditutup'], revision: ['warn', 'Revisi'], changed: ['warn', 'Berubah'],
  draft: ['warn', 'Draf'], published: ['ok', 'Terbit'],
  active: ['ok', 'Aktif'], inactive: ['muted', 'Nonaktif'], cancelled: ['muted', 'Dibatalkan'],
  approved: ['ok', 'Disetujui'], waiting: ['warn', 'Menunggu persetujuan'],
  duplicate_face: ['bad', 'Wajah ganda'], manipulation: ['bad', 'Manipulasi'], resolved: ['muted', 'Selesai'],
  enrolled: ['ok', 'Terdaftar'], not_enrolled: ['muted', 'Belum terdaftar'],
  // employee types
  PNS: ['info', 'PNS'], PPPK: ['info', 'PPPK'], TKK: ['muted', 'TKK'],
};

/** The tone of a code: 'ok', 'warn', 'bad', 'info' or 'muted'. */
export function chipTone(code) {
  const known = CHIPS[code];
  if (known) return known[0];
  if (/^TL\d|^PSW\d/.test(code || '')) return 'warn';
  return 'muted';
}

/** A coloured status chip: chip('review') -> "Perlu ditinjau" in amber. `label` and `tone` override the table. */
export function chip(code, label, tone) {
  const known = CHIPS[code];
  const text = label || (known ? known[1] : String(code ?? '—'));
  return el('span', { class: `chip chip-${tone || chipTone(code)}`, dataset: { code: String(code ?? '') } }, text);
}

// ---- tables -----------------------------------------------------------------------------------------------

const collator = new Intl.Collator('id-ID', { numeric: true, sensitivity: 'base' });

function compare(a, b) {
  const blankA = a === null || a === undefined || a === '';
  const blankB = b === null || b === undefined || b === '';
  if (blankA || blankB) return blankA === blankB ? 0 : blankA ? 1 : -1; // blanks last
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

/**
 * A table with a sticky header, sorting and paging.
 *
 * columns: [{key, label, render(row) -> Node|string, value(row) -> sort value (default row[key]),
 *            align: 'end'|'center', sortable (default true), className}]
 * rows: array of objects. sortable: false turns sorting off for all columns. pageSize: rows per page (0 = all).
 * sort: {key, dir: 'asc'|'desc'} to start with. emptyText: shown when there are no rows. caption: for screen
 * readers. onRowClick(row): makes rows clickable (and keyboard-reachable). rowClass(row) -> extra class.
 *
 * The returned element has `update(rows)`, which keeps the sort and the page where possible.
 */
export function table({
  columns, rows = [], sortable = true, pageSize = 50, sort = null, emptyText = 'Tidak ada data.', caption,
  onRowClick, rowClass, maxHeight = true,
}) {
  const state = { rows: rows.slice(), key: sort ? sort.key : null, dir: sort ? sort.dir || 'asc' : 'asc', page: 0 };
  const wrap = el('div', { class: ['table-wrap', maxHeight ? 'table-scroll' : null] });
  const host = el('div', { class: 'table-host' }, wrap);

  function sortedRows() {
    if (!state.key) return state.rows;
    const column = columns.find((c) => c.key === state.key);
    const value = column && column.value ? column.value : (row) => row[state.key];
    const sign = state.dir === 'desc' ? -1 : 1;
    return state.rows
      .map((row, index) => ({ row, index }))
      .sort((a, b) => sign * compare(value(a.row), value(b.row)) || a.index - b.index)
      .map((entry) => entry.row);
  }

  function header(column) {
    const canSort = sortable && column.sortable !== false;
    const active = state.key === column.key;
    const th = el('th', {
      scope: 'col', class: [column.align ? `align-${column.align}` : null, column.className],
      'aria-sort': canSort ? (active ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none') : null,
    });
    if (!canSort) {
      th.textContent = column.label;
      return th;
    }
    th.appendChild(el('button', {
      type: 'button', class: 'sort', onclick: () => {
        state.dir = active && state.dir === 'asc' ? 'desc' : 'asc';
        state.key = column.key;
        state.page = 0;
        render();
      },
    }, column.label, el('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (state.dir === 'asc' ? '▲' : '▼') : '↕')));
    return th;
  }

  function cell(column, row) {
    const content = column.render ? column.render(row) : row[column.key];
    return el('td', { class: [column.align ? `align-${column.align}` : null, column.className] },
      content === null || content === undefined || content === '' ? el('span', { class: 'muted' }, '—') : content);
  }

  function render() {
    const all = sortedRows();
    const size = pageSize > 0 ? pageSize : all.length || 1;
    const pages = Math.max(1, Math.ceil(all.length / size));
    state.page = Math.min(state.page, pages - 1);
    const shown = all.slice(state.page * size, state.page * size + size);
    const body = el('tbody', {}, shown.map((row) => {
      const tr = el('tr', { class: rowClass ? rowClass(row) : null }, columns.map((column) => cell(column, row)));
      if (onRowClick) {
        tr.classList.add('clickable');
        tr.tabIndex = 0;
        tr.addEventListener('click', (event) => {
          if (!event.target.closest('a, button, input, select, textarea')) onRowClick(row);
        });
        tr.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' && event.target === tr) onRowClick(row);
        });
      }
      return tr;
    }));
    const tableNode = el('table', { class: 'data' },
      caption ? el('caption', { class: 'sr-only' }, caption) : null,
      el('thead', {}, el('tr', {}, columns.map(header))),
      body);
    wrap.replaceChildren(tableNode);
    if (!all.length) wrap.appendChild(emptyState(emptyText));
    const old = host.querySelector('.pager');
    if (old) old.remove();
    if (pageSize > 0 && all.length > size) {
      const from = state.page * size + 1;
      const to = Math.min(all.length, from + size - 1);
      host.appendChild(el('nav', { class: 'pager', 'aria-label': 'Halaman tabel' },
        el('span', { class: 'pager-info' }, `${angka(from)}–${angka(to)} dari ${angka(all.length)}`),
        button('‹ Sebelumnya', () => { state.page -= 1; render(); }, { disabled: state.page === 0 }),
        el('span', { class: 'pager-page' }, `Halaman ${state.page + 1} / ${pages}`),
        button('Berikutnya ›', () => { state.page += 1; render(); }, { disabled: state.page >= pages - 1 })));
    }
  }

  host.update = (next) => {
    state.rows = next.slice();
    render();
  };
  render();
  return host;
}

// ---- OPD picker -------------------------------------------------------------------------------------------

let rememberedOpd = null; // the OPD last chosen, kept while the console is open (across screens)
let opdCache = null;

/** Every OPD the key may read, [{opd_id, name, zone, ...}], fetched once per sign-in. */
export async function listOpds(api) {
  if (!opdCache) opdCache = api.all('/v1/opds').catch((err) => { opdCache = null; throw err; });
  return opdCache;
}

/** An element showing an OPD's name (its id until the list arrives, or when the key cannot read it). */
export function opdName(api, opdId) {
  const span = el('span', { class: 'opd-name', title: opdId }, opdId || '');
  if (opdId) {
    listOpds(api).then((opds) => {
      const found = opds.find((o) => o.opd_id === opdId);
      if (found) span.textContent = found.name;
    }).catch(() => {});
  }
  return span;
}

let actorCache = null;

/** The API keys whose actions this key can read, {key_id: {name, role, opd_id, active}}, fetched once per sign-in
 * (an auditor's or admin's screen lists the same few names many times). Empty when the key may not ask. */
export async function listActors(api) {
  if (!actorCache) {
    actorCache = api.get('/v1/actors')
      .then((answer) => Object.fromEntries((answer.items || []).map((a) => [a.key_id, a])))
      .catch(() => ({}));
  }
  return actorCache;
}

const JOBS = { 'job:employee-changes': 'perubahan pegawai terjadwal', 'job:import-holidays': 'impor hari libur' };

/** Who an actor id is, in words: a key's name (revoked keys marked), the system, a scheduled job, a phone. */
export function actorText(actorId, actors = {}) {
  const id = String(actorId || '');
  const key = actors[id];
  if (key) return key.active ? key.name : `${key.name} (kunci dicabut)`;
  if (id === 'system') return 'Sistem Hadir';
  if (id.startsWith('job:')) return `Tugas terjadwal: ${JOBS[id] || id.slice(4)}`;
  if (id.startsWith('employee:')) return `Pegawai sendiri (ponsel) ${id.slice(9)}`;
  if (id.startsWith('device:')) return `Ponsel pegawai ${id.slice(7)}`;
  return id ? `Kunci ${id}` : '—';
}

/** An element naming an actor (its key id until the names arrive, and always in the tooltip). */
export function actorName(api, actorId) {
  const span = el('span', { class: 'actor-name', title: actorId || '' }, actorText(actorId));
  listActors(api).then((actors) => { span.textContent = actorText(actorId, actors); }).catch(() => {});
  return span;
}

/** Forget what the picker remembers (the shell calls it on sign-out). */
export function resetOpdPicker() {
  rememberedOpd = null;
  opdCache = null;
  actorCache = null;
}

/**
 * The OPD a screen shows. An opd_admin's key is bound to one OPD: a fixed label, no choice. For super and auditor
 * a <select> of every OPD (with "Semua OPD" first when `allowAll`).
 *
 * Resolves to {element, value, opd}: `value` is the chosen opd_id ('' for all), `opd` its record (or null).
 * onChange(opdId, opd) runs when the person picks another one. The choice is remembered across screens.
 */
export async function opdPicker(ctx, { onChange = () => {}, allowAll = false, label = 'OPD', value } = {}) {
  const { api, principal } = ctx;
  if (principal.role === 'opd_admin') {
    let opd = null;
    try {
      opd = await api.get(`/v1/opds/${encodeURIComponent(principal.opd_id)}`);
    } catch {
      opd = null;
    }
    const element = el('div', { class: 'opd-picker opd-fixed' },
      el('span', { class: 'opd-label' }, label), el('strong', {}, opd ? opd.name : principal.opd_id));
    return { element, value: principal.opd_id, opd };
  }
  const opds = (await listOpds(api)).slice().sort((a, b) => collator.compare(a.name || '', b.name || ''));
  let chosen = value ?? rememberedOpd;
  if (chosen === null || chosen === undefined || (chosen === '' && !allowAll)
      || (chosen !== '' && !opds.some((o) => o.opd_id === chosen))) {
    chosen = allowAll ? '' : (opds[0] ? opds[0].opd_id : '');
  }
  const select = el('select', { class: 'opd-select', name: 'opd', 'aria-label': label },
    allowAll ? el('option', { value: '' }, 'Semua OPD') : null,
    opds.map((o) => el('option', { value: o.opd_id }, `${o.name} (${o.opd_id})`)));
  select.value = chosen;
  if (!allowAll && !opds.length) select.disabled = true;
  const result = { element: null, value: chosen, opd: opds.find((o) => o.opd_id === chosen) || null };
  select.addEventListener('change', () => {
    result.value = select.value;
    result.opd = opds.find((o) => o.opd_id === select.value) || null;
    rememberedOpd = select.value;
    onChange(result.value, result.opd);
  });
  result.element = el('label', { class: 'opd-picker' }, el('span', { class: 'opd-label' }, label), select);
  rememberedOpd = chosen;
  return result;
}

// ---- roles ------------------------------------------------------------------------------------------------

/** True when the key's role may change data (super and opd_admin); auditors and finance only read. */
export function canEdit(principal) {
  return principal && (principal.role === 'super' || principal.role === 'opd_admin');
}

export const ROLE_NAMES = Object.freeze({
  super: 'Super admin (BKPSDM)', opd_admin: 'Admin OPD', auditor: 'Auditor', finance: 'Keuangan (BPKAD)',
  bridge: 'Bridge',
});

// ---- dialog -----------------------------------------------------------------------------------------------

/**
 * A modal question. With `reason` ({label, min, max, value}) it asks for a text too and resolves to it; otherwise
 * it resolves to true. Resolves to null when the person cancels.
 * ask({title, text, confirmLabel: 'Tolak', danger: true, reason: {label: 'Alasan', min: 5}})
 */
export function ask({ title, text, confirmLabel = 'Ya', cancelLabel = 'Batal', danger = false, reason, body } = {}) {
  return new Promise((resolve) => {
    const input = reason ? el('textarea', {
      rows: 3, minlength: reason.min || null, maxlength: reason.max || 300, required: true, name: 'reason',
    }) : null;
    if (input && reason.value) input.value = reason.value;
    const problem = el('p', { class: 'field-error', hidden: true });
    const dialog = el('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' });
    const form = el('form', { method: 'dialog', novalidate: true },
      el('h2', { id: 'dialog-title' }, title),
      text ? el('p', {}, text) : null,
      body || null,
      input ? field(reason.label || 'Alasan', input, reason.hint) : null,
      problem,
      el('div', { class: 'dialog-actions' },
        el('button', { type: 'button', class: 'btn btn-secondary', value: 'cancel', onclick: () => dialog.close('cancel') }, cancelLabel),
        el('button', { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], value: 'ok' }, confirmLabel)));
    form.addEventListener('submit', (event) => {
      if (input) {
        const value = input.value.trim();
        if (value.length < (reason.min || 1)) {
          event.preventDefault();
          problem.hidden = false;
          problem.textContent = `${reason.label || 'Alasan'} minimal ${reason.min || 1} huruf.`;
          input.focus();
        }
      }
    });
    dialog.appendChild(form);
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      const answer = ok ? (input ? input.value.trim() : true) : null;
      dialog.remove();
      resolve(answer);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    (input || form.querySelector('button[type=submit]')).focus();
  });
}

/** Turn a Blob into something an <img> or a link can use (revoked with the object URL when root leaves). */
export function objectUrl(blob) {
  return URL.createObjectURL(blob);
}
