// The "Hari ini" card at the top of Presensi: today's schedule (or holiday, leave, DL), whether check-in and
// check-out are recorded, minutes late so far, and the time where the office is, with its zone (WIB/WITA/WIT).
// The answer is GET /v1/mobile/today; the clock and "late so far" tick on the phone, corrected by the server's time.

import { getToday } from './api.js';
import { jam, menit, tanggal, zoneLabel } from '../shared/format.js';

const TICK_MS = 30 * 1000;

let latest = null; // {answer, offsetMs}: the last answer and the server's clock minus the phone's when it came
let timer = null;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Now on the office's wall clock, as a naive "YYYY-MM-DDTHH:MM:SS" like the API's local times. */
export function officeNow(zone, offsetMs = 0) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(Date.now() + offsetMs)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** Whole minutes from naive local time `a` to `b` (both the office's wall clock). */
export function minutesBetween(a, b) {
  return Math.floor((Date.parse(`${b}Z`) - Date.parse(`${a}Z`)) / 60000);
}

/** The zone's short name of the last answer ("WITA"), or '' before the first one. */
export function zoneName() {
  return latest ? latest.answer.zone_name || zoneLabel(latest.answer.zone) : '';
}

/** "07.50 WITA" for a naive local time of the office. */
export function officeTime(value) {
  const zone = zoneName();
  const text = jam(value);
  return zone && text ? `${text}\u00a0${zone}` : text;
}

export async function loadToday(device) {
  const answer = await getToday(device);
  latest = { answer, offsetMs: typeof answer.server_time_ms === 'number' ? answer.server_time_ms - Date.now() : 0 };
  return answer;
}

export function lastToday() {
  return latest ? latest.answer : null;
}

const PENDING_LABELS = { review: 'menunggu verifikasi admin', pending: 'wajah sedang diverifikasi' };

function phoneAttempt(answer, kind) {
  // A phone check-in the ledger does not have yet (waiting for review or for the face engine) still shows.
  const waiting = (answer.phone_checkins || []).filter((c) => c.kind === kind && PENDING_LABELS[c.outcome]);
  return waiting.length ? waiting[waiting.length - 1] : null;
}

function scheduleLine(answer) {
  if (answer.status) {
    const s = answer.status;
    const until = s.last && s.last !== answer.date ? ` s.d. ${tanggal(s.last)}` : '';
    return [`${s.name || s.code} (${s.code})${until}`, 'status'];
  }
  if (answer.holiday) return [`Libur: ${answer.holiday.name}`, 'off'];
  if (!answer.shift) return ['Tidak ada jadwal kerja hari ini', 'off'];
  return [`Jadwal ${jam(answer.shift.start)}–${officeTime(answer.shift.end)}`, 'shift'];
}

function arrivalLine(answer, now) {
  if (!answer.shift) return null;
  if (answer.check_in) {
    const late = answer.minutes_late ? `terlambat ${menit(answer.minutes_late)}` : 'tepat waktu';
    return [`Masuk ${officeTime(answer.check_in)} · ${late}`, answer.minutes_late ? 'late' : 'ok'];
  }
  const waiting = phoneAttempt(answer, 'in');
  if (waiting) return [`Masuk ${officeTime(waiting.local_time)} · ${PENDING_LABELS[waiting.outcome]}`, 'waiting'];
  if (answer.status) return ['Tidak perlu presensi masuk', 'ok'];
  const late = minutesBetween(answer.shift.start, now);
  if (late > 0) return [`Belum presensi masuk · sudah terlambat ${menit(late)}`, 'late'];
  return [`Belum presensi masuk · jam masuk ${officeTime(answer.shift.start)}`, 'todo'];
}

function departureLine(answer) {
  if (!answer.shift) return null;
  if (answer.check_out) return [`Pulang ${officeTime(answer.check_out)}`, 'ok'];
  const waiting = phoneAttempt(answer, 'out');
  if (waiting) return [`Pulang ${officeTime(waiting.local_time)} · ${PENDING_LABELS[waiting.outcome]}`, 'waiting'];
  if (answer.status) return null;
  return [`Belum presensi pulang · jam pulang ${officeTime(answer.shift.end)}`, 'todo'];
}

function row(testid, [text, state]) {
  const li = element('li', `today-row ${state}`, text);
  li.dataset.testid = testid;
  li.dataset.state = state;
  return li;
}

/** Fill the card from the last answer, at the office's time now. */
export function renderToday(card) {
  if (!latest) return;
  const { answer, offsetMs } = latest;
  const now = officeNow(answer.zone, offsetMs);
  card.querySelector('[data-part="date"]').textContent = new Intl.DateTimeFormat('id-ID', {
    weekday: 'long', day: 'numeric', month: 'short', timeZone: 'UTC',
  }).format(new Date(`${answer.date}T12:00:00Z`));
  card.querySelector('[data-part="clock"]').textContent = `${jam(now)}\u00a0${zoneName()}`;
  const rows = [row('today-schedule', scheduleLine(answer))];
  const arrival = arrivalLine(answer, now);
  if (arrival) rows.push(row('today-in', arrival));
  const departure = departureLine(answer);
  if (departure) rows.push(row('today-out', departure));
  card.querySelector('[data-part="rows"]').replaceChildren(...rows);
  card.dataset.state = 'ready';
  card.hidden = false;
}

export function startTicking(card) {
  stopTicking();
  timer = setInterval(() => renderToday(card), TICK_MS);
}

export function stopTicking() {
  if (timer) clearInterval(timer);
  timer = null;
}

/**
 * What a check-out now would cost, from a fresh answer: {minutes, end, code, cost} when it is before the end of
 * the shift and charged, null otherwise.
 */
export function earlyLeave(answer) {
  const leave = answer && answer.leave_now;
  if (!leave || !leave.code || !answer.shift) return null;
  return { minutes: leave.minutes_early, end: officeTime(answer.shift.end), code: leave.code, cost: leave.deduction_text };
}

/** The question Pulang asks before an early check-out. */
export function earlyLeaveQuestion(early) {
  const cost = early.cost ? `potongan ${early.cost}` : 'potongan pulang cepat';
  return `Jam pulang Anda ${early.end}. Pulang sekarang berarti ${menit(early.minutes)} lebih awal: tercatat `
    + `${early.code} dengan ${cost} untuk hari ini.`;
}
