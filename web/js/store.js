// IndexedDB: the one place the device binding lives. CryptoKey objects are stored as they are (structured clone),
// so the non-extractable private key never exists as bytes the page could read or send.

const DB_NAME = 'hadir';
const DB_VERSION = 1;
const STORE = 'kv';
const DEVICE_KEY = 'device';

let opened = null;

function open() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opened;
}

async function run(mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = action(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** {deviceId, keyPair: CryptoKeyPair, employee, faceEnrolled, activatedAt} or undefined before activation. */
export function loadDevice() {
  return run('readonly', (store) => store.get(DEVICE_KEY));
}

export function saveDevice(device) {
  return run('readwrite', (store) => store.put(device, DEVICE_KEY));
}

export function forgetDevice() {
  return run('readwrite', (store) => store.delete(DEVICE_KEY));
}
