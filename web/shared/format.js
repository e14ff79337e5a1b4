// Formatting shared by the phone app and the console: rupiah, dates, times and the three Indonesian zones.
// Everything returns plain text (callers insert it with textContent).

const LOCALE = 'id-ID';

export const ZONES = Object.freeze({
  'Asia/Jakarta': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
});

/** WIB, WITA or WIT for an IANA zone; the zone itself when it is another one; '' for none. */
export function zoneLabel(zone) {
  if (!zone) return '';
  return ZONES[zone] || zone;
}

const rupiahFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });

/** 1234567 -> "Rp 1.234.567"; negative amounts keep their sign; '' for null. */
export function rupiah(amount) {
  if (amount === null || amount === undefined || amount === '') return '';
  const value = Number(amount);
  if (!Number.isFinite(value)) return String(amount);
  const text = `Rp ${rupiahFormat.format(Math.abs(value))}`;
  return value < 0 ? `−${text}` : text;
}

/** A plain number with Indonesian grouping: 12345 -> "12.345". */
export function angka(value, fractionDigits = 0) {
  if (value === null || value === undefined || value === '') return '';
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  return new Intl.NumberFormat(LOCALE, { maximumFractionDigits: fractionDigits }).format(number);
}

function asDate(value) {
  if (value instanceof Date) return value;
  if (typeof value !== 'string' || !value) return null;
  // A bare date is a calendar day, not midnight UTC: read it as noon UTC so every zone shows the same day.
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00Z`) : new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

/**
 * A calendar date in words: "7 Des 2026" (style 'short', the default), "Senin, 7 Desember 2026" ('long'),
 * "7 Desember 2026" ('medium'). A bare YYYY-MM-DD is taken as that day; a timestamp is shown in `zone`.
 */
const DATE_STYLES = {
  short: { day: 'numeric', month: 'short', year: 'numeric' },
  medium: { day: 'numeric', month: 'long', year: 'numeric' },
  long: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' },
};
// Building an Intl.DateTimeFormat costs far more than using one: a month grid labels 30,000 cells.
const dateFormats = new Map();

function dateFormat(style, timeZone) {
  const key = `${style}|${timeZone || ''}`;
  if (!dateFormats.has(key)) {
    dateFormats.set(key, new Intl.DateTimeFormat(LOCALE, { ...DATE_STYLES[style], timeZone }));
  }
  return dateFormats.get(key);
}

export function tanggal(value, { style = 'short', zone } = {}) {
  const date = asDate(value);
  if (!date) return value ? String(value) : '';
  const bare = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);
  return dateFormat(style in DATE_STYLES ? style : 'short', bare ? 'UTC' : zone).format(date);
}

/** "2026-12" -> "Desember 2026". */
export function bulan(month) {
  if (!/^\d{4}-\d{2}$/.test(month || '')) return month || '';
  return new Intl.DateTimeFormat(LOCALE, { month: 'long', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(`${month}-15T12:00:00Z`));
}

/**
 * A time of day as Indonesians write it, "07.30". Takes "07:30" / "07:30:15" (kept as given) or a timestamp
 * (shown in `zone`, the browser's zone when none). `withZone` adds " WITA".
 */
export function jam(value, { zone, withZone = false, seconds = false } = {}) {
  if (value === null || value === undefined || value === '') return '';
  let text;
  // "07:30", "07:30:15", or a naive local date-time "2026-12-07T07:30:00" (the OPD's wall clock, shown as is)
  const clock = /^(?:\d{4}-\d{2}-\d{2}T)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(String(value));
  if (clock) {
    text = `${clock[1].padStart(2, '0')}.${clock[2]}${seconds && clock[3] ? `.${clock[3]}` : ''}`;
  } else {
    const date = asDate(value);
    if (!date) return String(value);
    text = new Intl.DateTimeFormat(LOCALE, {
      hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined, hour12: false, timeZone: zone,
    }).format(date).replace(/:/g, '.');
  }
  return withZone && zone ? `${text} ${zoneLabel(zone)}` : text;
}

/** A timestamp as "7 Des 2026 07.30" in `zone`. */
export function waktu(value, { zone, withZone = false } = {}) {
  const date = asDate(value);
  if (!date) return value ? String(value) : '';
  return `${tanggal(date, { zone })} ${jam(date, { zone, withZone })}`;
}

/** A duration in minutes in words: 0 -> "0 menit", 45 -> "45 menit", 95 -> "1 jam 35 menit". */
export function menit(minutes) {
  if (minutes === null || minutes === undefined || minutes === '') return '';
  const total = Math.round(Number(minutes));
  if (!Number.isFinite(total)) return String(minutes);
  const sign = total < 0 ? '−' : '';
  const abs = Math.abs(total);
  const hours = Math.floor(abs / 60);
  const rest = abs % 60;
  if (hours === 0) return `${sign}${rest} menit`;
  return rest === 0 ? `${sign}${hours} jam` : `${sign}${hours} jam ${rest} menit`;
}

/** A distance in metres: 85 -> "85 m", 1840 -> "1,8 km". */
export function jarak(metres) {
  if (metres === null || metres === undefined || metres === '') return '';
  const value = Number(metres);
  if (!Number.isFinite(value)) return String(metres);
  if (Math.abs(value) < 1000) return `${Math.round(value)} m`;
  return `${angka(value / 1000, 1)} km`;
}

/** A share on 0-100 as "88,5%". */
export function persen(value, fractionDigits = 1) {
  if (value === null || value === undefined || value === '') return '';
  return `${angka(value, fractionDigits)}%`;
}

/** Today's calendar date (YYYY-MM-DD) in `zone` (the browser's own when none). */
export function hariIni(zone) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
  return parts;
}
