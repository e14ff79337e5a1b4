// "Bulan ini": the employee's closed days of a month (GET /v1/me/month) with their codes, reasons and deductions,
// a month switcher, and the month's TPP once the month is closed.

import { getMonth } from './api.js';
import { zoneName } from './hari-ini.js';
import { angka, bulan, jam, rupiah, tanggal } from '../shared/format.js';

const $ = (id) => document.getElementById(id);
const EARLIEST_MONTHS_BACK = 24;

let shown = null; // the month on screen, YYYY-MM
let current = null; // this month, YYYY-MM (where the office is, once known)
let asked = 0; // the latest request: an older answer arriving late is dropped

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function shiftMonth(month, delta) {
  const [year, mon] = month.split('-').map(Number);
  const index = year * 12 + (mon - 1) + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

function phoneMonth() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
}

const STATUS_LABELS = {
  present: 'Hadir', absent: 'Tidak hadir', status: 'Izin/cuti/DL', outage: 'Gangguan mesin',
};

// A percent deduction in rupiah needs the month's attendance base, known once the month is closed.
function deductionText(day, answer) {
  if (!day.deduction) return '';
  const text = day.deduction_text || '';
  const base = answer.result && answer.result.attendance_base;
  if (base && /%$/.test(text) && !/bagian harian/.test(text)) {
    return `${text} ≈ ${rupiah(Math.round((base * day.deduction) / 10000))}`;
  }
  return text;
}

function dayItem(day, answer) {
  const li = element('li', 'day');
  li.dataset.testid = 'month-day';
  li.dataset.date = day.date;
  const codes = (day.codes || []).join(', ');
  li.dataset.codes = codes;
  li.append(element('span', 'when', tanggal(day.date, { style: 'short' }).replace(/ \d{4}$/, '')));
  const zone = zoneName();
  const times = `${day.first_in ? jam(day.first_in) : '…'}–${day.last_out ? jam(day.last_out) : '…'}${zone ? `\u00a0${zone}` : ''}`;
  if (day.first_in || day.last_out) li.append(element('span', 'times', times));
  li.append(element('span', `badge ${day.deduction ? 'charged' : 'ok'}`, codes || STATUS_LABELS[day.status] || day.status));
  if (day.explanation) li.append(element('span', 'explanation', day.explanation));
  const cut = deductionText(day, answer);
  if (cut) {
    const node = element('span', 'cut', `Potongan ${cut}`);
    node.dataset.testid = 'month-day-cut';
    li.append(node);
  }
  return li;
}

function resultRows(result) {
  const rows = [
    ['TPP diterima (bruto)', rupiah(result.tpp_bruto), 'tpp'],
    ['Pagu', rupiah(result.pagu)],
    [`Bagian kinerja${result.performance_score ? ` (nilai ${angka(result.performance_score, 2)})` : ''}`,
      rupiah(result.performance_part)],
    ['Bagian kehadiran', rupiah(result.attendance_part)],
    [`Potongan kehadiran (${angka(result.deduction_percent, 2)}%)`, rupiah(result.deduction)],
  ];
  if (result.discipline_cut) rows.push(['Potongan disiplin', rupiah(result.discipline_cut)]);
  if (result.rincian) rows.push(['Rincian', result.rincian]);
  return rows;
}

function renderResult(answer) {
  const box = $('month-tpp');
  if (!answer.closed || !answer.result) {
    box.replaceChildren(element('p', '', answer.closed
      ? 'Bulan ini sudah ditutup, tetapi Anda tidak tercatat di perhitungan TPP-nya. Tanyakan ke admin OPD.'
      : 'Bulan belum ditutup: TPP dihitung setelah tutup bulan. Potongan harian di bawah sudah final per hari.'));
    box.dataset.state = answer.closed ? 'missing' : 'open';
    return;
  }
  const dl = element('dl');
  for (const [label, value, id] of resultRows(answer.result)) {
    const dt = element('dt', '', label);
    const dd = element('dd', '', value);
    if (id) dd.dataset.testid = `month-${id}-amount`;
    dl.append(dt, dd);
  }
  const head = element('p', 'closed', `Sudah ditutup ${tanggal(answer.closed_at)} (revisi ${answer.revision})`);
  const notes = (answer.result.notes || []).map((note) => element('p', 'note', note));
  box.replaceChildren(head, dl, ...notes);
  box.dataset.state = 'closed';
}

function render(answer) {
  const days = answer.days || [];
  $('month-days').replaceChildren(...days.map((day) => dayItem(day, answer)));
  const charged = days.filter((d) => d.deduction).length;
  $('month-status').textContent = days.length
    ? `${days.length} hari sudah direkap; ${charged ? `${charged} hari dengan potongan.` : 'tidak ada potongan.'}`
    : 'Belum ada hari yang direkap bulan ini. Rekap harian dibuat setiap malam.';
  renderResult(answer);
}

function updateSwitcher() {
  $('month-label').textContent = bulan(shown);
  $('btn-month-next').disabled = shown >= current;
  $('btn-month-prev').disabled = shown <= shiftMonth(current, -EARLIEST_MONTHS_BACK);
}

/** Load `month` (default: the one on screen, or this month). `onError(err)` returns true when it handled it. */
export async function loadMonth(device, month, { thisMonth, messageFor, onError } = {}) {
  current = thisMonth || current || phoneMonth();
  shown = month || shown || current;
  if (shown > current) shown = current;
  updateSwitcher();
  const status = $('month-status');
  status.textContent = `Memuat ${bulan(shown)}…`;
  status.dataset.state = 'loading';
  const mine = ++asked;
  try {
    const answer = await getMonth(device, shown);
    if (mine !== asked) return;
    render(answer);
    status.dataset.state = 'ready';
  } catch (err) {
    if (mine !== asked) return;
    if (onError && (await onError(err))) return;
    $('month-days').replaceChildren();
    $('month-tpp').replaceChildren();
    status.textContent = messageFor ? messageFor(err) : String(err);
    status.dataset.state = 'error';
  }
}

/** Wire the switcher once; `load(month)` is called with the month to show. */
export function bindMonthSwitcher(load) {
  $('btn-month-prev').addEventListener('click', () => load(shiftMonth(shown, -1)));
  $('btn-month-next').addEventListener('click', () => load(shiftMonth(shown, 1)));
}
