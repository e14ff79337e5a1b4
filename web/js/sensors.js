// Camera and location, with messages a user can act on when the browser says no.

const MAX_JPEG_BYTES = 1.5 * 1024 * 1024;
const MAX_SIDE_PX = 1280;

export async function startCamera(video) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw Object.assign(new Error('getUserMedia unavailable'), { name: 'NotSupportedError' });
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 960 } },
  });
  video.srcObject = stream;
  await video.play();
  if (!video.videoWidth) {
    await new Promise((resolve) => video.addEventListener('loadedmetadata', resolve, { once: true }));
  }
  return stream;
}

export function stopCamera(video) {
  const stream = video.srcObject;
  if (stream) stream.getTracks().forEach((track) => track.stop());
  video.srcObject = null;
}

export function cameraReady(video) {
  return Boolean(video.srcObject && video.videoWidth && video.readyState >= 2);
}

/** The current frame as JPEG: {base64, dataUrl}, scaled to at most `maxSide` px (1280) and `maxBytes` (1.5 MB). */
export function captureJpeg(video, { maxSide = MAX_SIDE_PX, maxBytes = MAX_JPEG_BYTES } = {}) {
  const scale = Math.min(1, maxSide / Math.max(video.videoWidth, video.videoHeight));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  for (const quality of [0.9, 0.8, 0.65, 0.5]) {
    const dataUrl = canvas.toDataURL('image/jpeg', quality);
    const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
    if (base64.length * 0.75 <= maxBytes) return { base64, dataUrl };
  }
  throw new Error('Foto terlalu besar.');
}

export function cameraErrorMessage(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Izin kamera ditolak. Buka pengaturan situs di browser, izinkan Kamera, lalu muat ulang halaman ini.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'Kamera depan tidak ditemukan di ponsel ini.';
    case 'NotReadableError':
      return 'Kamera sedang dipakai aplikasi lain. Tutup aplikasi itu, lalu muat ulang halaman ini.';
    case 'NotSupportedError':
      return 'Browser ini tidak bisa memakai kamera. Gunakan Chrome atau Safari versi terbaru.';
    default:
      return 'Kamera tidak bisa dibuka. Muat ulang halaman ini dan coba lagi.';
  }
}

/** Follow the position while a screen needs it. Returns a function that stops watching. */
export function watchLocation(onPosition, onError) {
  if (!navigator.geolocation) {
    onError({ code: 0 });
    return () => {};
  }
  const id = navigator.geolocation.watchPosition(onPosition, onError, {
    enableHighAccuracy: true, maximumAge: 10000, timeout: 20000,
  });
  return () => navigator.geolocation.clearWatch(id);
}

export function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject({ code: 0 });
      return;
    }
    navigator.geolocation.getCurrentPosition(resolve, reject, {
      enableHighAccuracy: true, maximumAge: 10000, timeout: 20000,
    });
  });
}

export function locationErrorMessage(err) {
  switch (err && err.code) {
    case 1:
      return 'Izin lokasi ditolak. Presensi membutuhkan lokasi: izinkan Lokasi untuk situs ini di pengaturan browser.';
    case 2:
      return 'Lokasi tidak tersedia. Nyalakan GPS/Lokasi di ponsel dan pastikan Anda tidak di ruang tertutup rapat.';
    case 3:
      return 'Lokasi belum ditemukan (waktu habis). Tunggu sebentar di tempat terbuka, lalu coba lagi.';
    default:
      return 'Browser ini tidak bisa membaca lokasi.';
  }
}
