// The app shell works offline; the API never comes from a cache (a check-in is only real when the server has it).
// Shell files are served from the cache and refreshed in the background, so a deployment shows on the next open.
// Bump CACHE when the list below changes.
const CACHE = 'hadir-shell-v6';
const SHELL = [
  './', 'index.html', 'styles.css', 'manifest.webmanifest', 'icon.svg', 'icon-192.png', 'icon-512.png',
  'icon-maskable-512.png',
  'js/app.js', 'js/api.js', 'js/store.js', 'js/sensors.js', 'js/liveness.js', 'js/hari-ini.js', 'js/bulan-ini.js',
  'js/ajukan.js', 'shared/format.js', 'shared/http.js',
];
const API_PATH = /\/v1(\/|$)/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

async function shell(event) {
  const cache = await caches.open(CACHE);
  // Every navigation is the one page; the screens are hash routes.
  const key = event.request.mode === 'navigate' ? new URL('./', self.registration.scope).href : event.request;
  const cached = await cache.match(key, { ignoreSearch: true });
  const fresh = fetch(event.request).then((response) => {
    if (response.ok) cache.put(key, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => undefined));
    return cached;
  }
  return fresh;
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || API_PATH.test(url.pathname)) return;
  event.respondWith(shell(event));
});
