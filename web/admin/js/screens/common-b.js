// Pieces shared by the Mesin, Rekap, Keuangan, Aturan and Audit screens that ui.js does not have: their stylesheet,
// month and date pickers, naive local times, clock skew, byte sizes and stat tiles. Everything returns nodes or text.

import { angka, el, jam, tanggal, waktu } from '../ui.js';

const STYLESHEET = new URL('../../screens-b.css', import.meta.url).href;

/** Link screens-b.css once (a same-origin stylesheet: the CSP's style-src 'self' allows it). */
export function ensureStyles() {
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === STYLESHEET)) return;
  document.head.appendChild(el('link', { rel: 'stylesheet', href: STYLESHEET }));
}

const pad = (n) => String(n).padStart(2, '0');

/** Today's date in the browser as YYYY-MM-DD, shifted by `days`. */
export function isoDate(days = 0) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** This month (YYYY-MM), shifted by `months`. */
export function isoMonth(months = 0) {
  const d = new Date();
  d.setDate(1);
  d.setMonth(d.getMonth() + months);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
}

/** Every YYYY-MM-DD of a month. */
export function datesOf(month) {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return Array.from({ length: last }, (_, i) => `${month}-${pad(i + 1)}`);
}

const WEEKDAYS = ['Min', 'Sen', 'Sel', 'Rab', 'Kam', 'Jum', 'Sab'];
const WEEKDAYS_LONG = ['Minggu', 'Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu'];

/** 'Sen' for a YYYY-MM-DD (long: 'Senin'). */
export function weekday(date, long = false) {
  const day = new Date(`${date}T12:00:00Z`).getUTCDay();
  return (long ? WEEKDAYS_LONG : WEEKDAYS)[day];
}

/** Monday-first weekday number (0 = Senin) to its name, as the schedule templates count them. */
export function weekdayName(number) {
  return WEEKDAYS_LONG[(Number(number) + 1) % 7];
}

/** A naive local date-time "2026-12-07T07:30:00" (the machine's or OPD's wall clock) as "7 Des 2026 07.30", with
 * no zone shift; an instant (ending in Z or an offset) is shown in the browser's zone. */
export function localDateTime(text) {
  if (!text) return '';
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(String(text))) return waktu(text);
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(String(text));
  if (!match) return String(text);
  return `${tanggal(match[1])} ${jam(match[2])}`;
}

/** How long ago an instant was, in words: "baru saja", "12 menit lalu", "3 jam lalu", "2 hari lalu". */
export function ago(instant, now = Date.now()) {
  if (!instant) return '';
  const then = new Date(instant).getTime();
  if (Number.isNaN(then)) return '';
  const minutes = Math.round((now - then) / 60000);
  if (minutes < 1) return 'baru saja';
  if (minutes < 60) return `${minutes} menit lalu`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} jam lalu`;
  return `${Math.round(hours / 24)} hari lalu`;
}

/** A machine's clock skew in words ("tepat", "cepat 2 menit", "lambat 45 detik") and its tone. */
export function skew(seconds) {
  if (seconds === null || seconds === undefined) return { text: '', tone: 'muted' };
  const value = Number(seconds);
  const abs = Math.abs(value);
  if (abs < 5) return { text: 'tepat', tone: 'ok' };
  const amount = abs < 90 ? `${Math.round(abs)} detik` : abs < 5400 ? `${Math.round(abs / 60)} menit`
    : `${angka(abs / 3600, 1)} jam`;
  const text = `${value > 0 ? 'cepat' : 'lambat'} ${amount}`;
  return { text, tone: abs > 300 ? 'bad' : abs > 60 ? 'warn' : 'ok' };
}

/** 1536 -> "1,5 KB". */
export function bytes(n) {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${angka(n)} B`;
  if (n < 1024 * 1024) return `${angka(n / 1024, 1)} KB`;
  return `${angka(n / 1024 / 1024, 1)} MB`;
}

/** A row of summary cards (the shell's .cards): tiles([{label, value, tone, hint}]). */
export function tiles(items, { compact = false } = {}) {
  return el('div', { class: ['cards', compact ? 'b-cards-compact' : null] }, items.map(({ label, value, tone = 'muted', hint }) => el('div',
    { class: ['card', `tone-${tone}`] },
    el('div', { class: 'value' }, value === null || value === undefined ? '—' : String(value)),
    el('div', { class: 'label' }, label),
    hint ? el('div', { class: 'hint' }, hint) : null)));
}

/** The bar above a screen's content: a title line and the controls (pickers, buttons) that wrap on a tablet. */
export function toolbar(...controls) {
  return el('div', { class: 'toolbar' }, ...controls);
}

/** A labelled <input type=month>; onChange(value) when a complete month is picked. */
export function monthPicker(value, onChange, label = 'Bulan') {
  const input = el('input', { type: 'month', name: 'month', value, max: isoMonth(0), required: true });
  input.addEventListener('change', () => {
    if (/^\d{4}-\d{2}$/.test(input.value)) onChange(input.value);
  });
  return { element: picker(label, input), input };
}

function picker(label, control) {
  if (!control.id) control.id = `b-${Math.random().toString(36).slice(2, 9)}`;
  return el('div', { class: 'field b-picker' }, el('label', { for: control.id }, label), control);
}

/** A labelled <input type=date>; onChange(value) when a complete date is picked. */
export function datePicker(value, onChange, label = 'Tanggal', { max } = {}) {
  const input = el('input', { type: 'date', name: 'date', value, max: max || null });
  input.addEventListener('change', () => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(input.value)) onChange(input.value);
  });
  return { element: picker(label, input), input };
}

/** A labelled <select> from [[value, text], ...]. */
export function selectPicker(label, options, value, onChange, name) {
  const select = el('select', { name: name || null },
    options.map(([v, text]) => el('option', { value: v }, text)));
  select.value = value;
  select.addEventListener('change', () => onChange(select.value));
  return { element: picker(label, select), select };
}

/** A SHA-256 (or any long hex) as a monospace line that wraps, with the first 12 characters grouped first. */
export function digest(hex) {
  if (!hex) return el('span', { class: 'muted' }, '—');
  return el('code', { class: 'b-hash', title: hex }, hex);
}

/** Run `load()`; resolve to {data} or {error}, so a screen can show what did load beside what did not. */
export async function settle(load) {
  try {
    return { data: await load() };
  } catch (error) {
    return { error };
  }
}

/** A path segment: encoded, but keeping '@' and ':' as they are (ids such as an outage's DIKES@2026-12-06 are
 * matched by the API as written; both are allowed in a path by RFC 3986). */
export function segment(text) {
  return encodeURIComponent(String(text)).replace(/%40/g, '@').replace(/%3A/gi, ':');
}

/**
 * The latest of several loads wins: `const latest = latestOnly();` then in a load `const mine = latest.next();` and,
 * after each await, `if (!latest.is(mine)) return;` (a person who picks two months quickly sees the second).
 */
export function latestOnly() {
  let current = 0;
  return { next: () => ++current, is: (n) => n === current };
}

/** Is the screen still on the page (the shell aborts ctx.signal when the person leaves)? */
export function alive(ctx) {
  return !(ctx.signal && ctx.signal.aborted);
}

/** Save a Blob as a file through a temporary same-origin object URL. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: name, class: 'sr-only' }, name);
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}
