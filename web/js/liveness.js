// The head-turn step before every enrolment and check-in: the server draws the challenge (turn left or right),
// the phone guides the person and takes two frames, and the server judges them. Nothing here decides anything:
// the phone only shows the instruction and sends the frames it saw.

import { request } from './api.js';
import { captureJpeg } from './sensors.js';

// Two frames travel in one request (at most 2 MB of JSON): each is kept well under half of it.
const FRAME = { maxSide: 960, maxBytes: 700 * 1024 };
const STEADY_MS = 1200; // time to look straight at the camera before the first frame
const TURN_SECONDS = 3; // the countdown while the person turns

// The preview is mirrored (styles.css), so the person's own left is the screen's left.
const ARROWS = { left: '←', right: '→' };
const SIDES = { left: 'KIRI', right: 'KANAN' };

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function show(guide, step, text, { direction = '', arrow = '', count = '' } = {}) {
  guide.dataset.step = step;
  guide.dataset.direction = direction;
  guide.querySelector('.guide-arrow').textContent = arrow;
  guide.querySelector('.guide-text').textContent = text;
  guide.querySelector('.guide-count').textContent = count;
  guide.hidden = step === 'idle';
}

export function hideGuide(guide) {
  show(guide, 'idle', '');
}

/**
 * Ask for a challenge, guide the person through it, and return what the request body needs:
 * {frontal: {base64, dataUrl}, liveness: {challenge_id, turned_image}}. Throws the API's errors as they are.
 */
export async function takeLiveFrames({ video, guide, purpose, device, onStatus = () => {} }) {
  onStatus('Meminta petunjuk gerakan…');
  const challenge = await request('POST', '/v1/mobile/liveness', { body: { purpose }, device });
  try {
    show(guide, 'front', 'Lihat lurus ke kamera');
    onStatus('Lihat lurus ke kamera…');
    await sleep(STEADY_MS);
    const frontal = captureJpeg(video, FRAME);
    const side = SIDES[challenge.direction];
    const arrow = ARROWS[challenge.direction];
    for (let left = TURN_SECONDS; left > 0; left -= 1) {
      show(guide, 'turn', `Tolehkan kepala ke ${side} Anda`, { direction: challenge.direction, arrow, count: String(left) });
      onStatus(`Tolehkan kepala ke ${side.toLowerCase()} Anda, lalu tahan…`);
      await sleep(1000);
    }
    const turned = captureJpeg(video, FRAME);
    show(guide, 'done', 'Selesai. Kembali lihat ke depan.');
    return { frontal, liveness: { challenge_id: challenge.challenge_id, turned_image: turned.base64 } };
  } finally {
    setTimeout(() => { if (guide.dataset.step === 'done') hideGuide(guide); }, 1500);
  }
}

export const LIVENESS_MESSAGES = {
  challenge_used: 'Petunjuk gerakan kepala ini sudah terpakai. Tekan tombolnya lagi untuk petunjuk baru.',
  challenge_expired: 'Waktu gerakan kepala habis. Tekan tombolnya lagi dan ikuti petunjuknya.',
  challenge_unknown: 'Petunjuk gerakan kepala tidak dikenali. Tekan tombolnya lagi.',
  liveness_failed: 'Gerakan kepala belum terlihat:',
  liveness_required: 'Aplikasi perlu diperbarui. Muat ulang halaman ini.',
};
