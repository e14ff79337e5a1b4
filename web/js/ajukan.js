// "Ajukan": ask for cuti, sakit, izin or DL from the phone (dates, type, reason, an optional photo of the letter),
// and see each request's state. The OPD admin approves or rejects in the console; an approved request is the
// status the day close uses.

import { ApiError, askRequest, getRequests } from './api.js';
import { tanggal } from '../shared/format.js';

const $ = (id) => document.getElementById(id);
const MAX_LETTER_BYTES = 1_500_000; // the server's max_selfie_bytes
const MAX_SIDE_PX = 1600;

export const TYPE_LABELS = {
  cuti: 'Cuti tahunan', sakit: 'Sakit (dengan surat dokter)', izin: 'Izin sehari', dl: 'Dinas luar (DL)',
};
const STATE_LABELS = { pending: 'Menunggu persetujuan', approved: 'Disetujui', rejected: 'Ditolak' };
const FIELD_MESSAGES = {
  type: 'Jenis pengajuan ini tidak berlaku untuk Anda.',
  code: 'Jenis pengajuan ini tidak berlaku untuk Anda pada tanggal itu.',
  first: 'Periksa tanggal mulai.',
  last: 'Tanggal selesai tidak boleh sebelum tanggal mulai, dan paling lama 31 hari.',
  reason: 'Tulis alasan minimal 5 huruf.',
  letter: 'Foto surat tidak bisa dibaca. Pilih foto JPEG atau PNG.',
};
const CODE_MESSAGES = {
  image_too_large: 'Foto surat terlalu besar (maks. 1,5 MB). Ambil foto lagi dengan resolusi lebih kecil.',
  bad_image: 'Foto surat harus berupa foto JPEG atau PNG.',
};

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function showError(text) {
  const box = $('ajukan-error');
  box.textContent = text;
  box.hidden = !text;
}

/** The chosen photo as base64 JPEG, scaled down so it fits the limit; null when none was chosen. */
async function letterBase64(file) {
  if (!file) return null;
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  for (const quality of [0.85, 0.7, 0.5]) {
    const url = canvas.toDataURL('image/jpeg', quality);
    const base64 = url.slice(url.indexOf(',') + 1);
    if ((base64.length * 3) / 4 <= MAX_LETTER_BYTES) return base64;
  }
  throw new Error(CODE_MESSAGES.image_too_large);
}

function requestItem(item) {
  const li = element('li', `entry request ${item.state}`);
  li.dataset.testid = 'request-item';
  li.dataset.state = item.state;
  const head = element('div', 'entry-head');
  const dates = item.first === item.last ? tanggal(item.first) : `${tanggal(item.first)} – ${tanggal(item.last)}`;
  head.append(
    element('span', 'when', TYPE_LABELS[item.type] || item.code),
    element('span', `badge ${item.state === 'approved' ? 'accepted' : item.state === 'rejected' ? 'refused' : 'review'}`,
      STATE_LABELS[item.state] || item.state),
  );
  li.append(head, element('p', 'request-dates', dates), element('p', 'request-reason', item.reason));
  if (item.state === 'rejected' && item.decision_note) {
    li.append(element('p', 'request-note', `Alasan ditolak: ${item.decision_note}`));
  }
  return li;
}

export async function loadRequests(device, { messageFor, onError } = {}) {
  const status = $('requests-status');
  status.textContent = 'Memuat pengajuan…';
  try {
    const answer = await getRequests(device);
    const items = answer.items || [];
    $('requests-list').replaceChildren(...items.map(requestItem));
    status.textContent = items.length ? '' : 'Belum ada pengajuan.';
  } catch (err) {
    if (onError && (await onError(err))) return;
    status.textContent = messageFor ? messageFor(err) : String(err);
  }
}

function messageOf(err, messageFor) {
  if (err instanceof ApiError) {
    if (CODE_MESSAGES[err.code]) return CODE_MESSAGES[err.code];
    const fields = (err.details && err.details.fields) || [];
    if (err.status === 422 && Array.isArray(fields) && fields.length) {
      return [...new Set(fields.map((f) => FIELD_MESSAGES[f.path] || f.message))].join(' ');
    }
  }
  return messageFor ? messageFor(err) : (err && err.message) || 'Pengajuan gagal.';
}

export async function submitRequest(device, { messageFor, onError } = {}) {
  const form = $('form-ajukan');
  const type = form.elements.type.value;
  const first = form.elements.first.value;
  const last = form.elements.last.value || first;
  const reason = form.elements.reason.value.trim();
  showError('');
  if (!first) return showError('Isi tanggal mulai.');
  if (last < first) return showError(FIELD_MESSAGES.last);
  if (reason.length < 5) return showError(FIELD_MESSAGES.reason);
  const button = $('btn-ajukan');
  button.disabled = true;
  const label = button.textContent;
  button.textContent = 'Mengirim…';
  try {
    const letter = await letterBase64(form.elements.letter.files[0]);
    const body = { type, first, last, reason, ...(letter ? { letter } : {}) };
    await askRequest(device, body);
    form.reset();
    $('ajukan-done').hidden = false;
    await loadRequests(device, { messageFor, onError });
  } catch (err) {
    if (onError && (await onError(err))) return;
    showError(messageOf(err, messageFor));
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

export function enterAjukan() {
  showError('');
  $('ajukan-done').hidden = true;
}
