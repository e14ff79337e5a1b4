// The console's shell: sign-in with an API key (sessionStorage only), the menu of the key's role, the hash router
// that loads each screen on demand into its own pane, and "Keluar".

import { createApi, messageFor } from './api.js';
import { findScreen, loadScreen, screensFor } from './screens.js';
import * as ui from './ui.js';

const KEY_STORAGE = 'hadir.console.key';
const CONSOLE_ROLES = ['super', 'opd_admin', 'auditor', 'finance'];

const $ = (id) => document.getElementById(id);

const session = {
  api: null,
  principal: null,
  opdName: '',
  current: null, // {abort: AbortController, token: number}
};
let navigationToken = 0;

// ---- sign-in and sign-out ---------------------------------------------------------------------------------

function showSignIn(problem) {
  $('app').hidden = true;
  $('signin').hidden = false;
  document.title = 'Masuk · Konsol Hadir';
  const box = $('signin-error');
  box.replaceChildren();
  if (problem) box.appendChild(ui.notice(problem, 'error'));
  const input = $('api-key');
  input.value = '';
  input.focus();
}

function forget() {
  sessionStorage.removeItem(KEY_STORAGE);
  if (session.current) session.current.abort.abort();
  session.api = null;
  session.principal = null;
  session.current = null;
  ui.resetOpdPicker();
  $('screen').replaceChildren();
  $('nav').replaceChildren();
}

function signOut(problem) {
  forget();
  // Leave the screen's address behind too: the next person starts from the sign-in page.
  history.replaceState(null, '', window.location.pathname);
  showSignIn(problem);
}

async function signIn(key, { restoring = false } = {}) {
  const button = $('signin-button');
  button.disabled = true;
  button.textContent = restoring ? 'Memeriksa kunci…' : 'Memeriksa…';
  try {
    const api = createApi(key, {
      onUnauthorized: (err) => { if (session.principal) signOut(err.message); },
    });
    const principal = await api.get('/v1/me/key');
    if (!CONSOLE_ROLES.includes(principal.role)) {
      showSignIn('Kunci ini milik sebuah bridge, bukan kunci konsol. Gunakan kunci admin, auditor atau keuangan.');
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    session.api = api;
    session.principal = principal;
    await enterApp();
  } catch (err) {
    forget();
    showSignIn(messageFor(err));
  } finally {
    button.disabled = false;
    button.textContent = 'Masuk';
  }
}

async function enterApp() {
  const { api, principal } = session;
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who-role').textContent = ui.ROLE_NAMES[principal.role] || principal.role;
  $('who-opd').textContent = principal.opd_id || '';
  $('pemda-name').textContent = '';
  $('nav-foot').textContent = `Kunci ${principal.key_id}`;
  $('nav-foot').title = `Kode kunci ${principal.key_id}`;
  if (principal.role !== 'finance') { // a finance key does not read who acted, and needs no name for its own
    ui.listActors(api).then((actors) => {
      const me = actors[principal.key_id];
      if (me) $('nav-foot').textContent = `Kunci: ${me.name}`;
    });
  }
  buildNav();
  route();
  // Names for the header, best effort: a finance key may not read the pemda, and the page works without them.
  if (principal.role !== 'finance') {
    api.get('/v1/pemda').then((pemda) => { $('pemda-name').textContent = pemda && pemda.name ? pemda.name : ''; })
      .catch(() => {});
  }
  if (principal.opd_id) {
    api.get(`/v1/opds/${encodeURIComponent(principal.opd_id)}`)
      .then((opd) => { if (opd && opd.name) $('who-opd').textContent = opd.name; })
      .catch(() => {});
  }
}

// ---- menu and router --------------------------------------------------------------------------------------

function buildNav() {
  const entries = screensFor(session.principal.role);
  $('nav').replaceChildren(...entries.map((entry) => ui.el('li', {},
    ui.el('a', { href: `#/${entry.id}`, dataset: { screen: entry.id }, title: entry.hint }, entry.title))));
}

/** '#/pegawai/EMP-1?tab=status' -> {id: 'pegawai', path: ['EMP-1'], query: {tab: 'status'}}. */
export function parseHash(hash) {
  const raw = (hash || '').replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const segments = pathPart.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  return { id: segments[0] || '', path: segments.slice(1), query };
}

function navigate(id, ...path) {
  const target = `#/${[id, ...path].map((p) => encodeURIComponent(String(p))).join('/')}`;
  if (window.location.hash === target) route();
  else window.location.hash = target;
}

async function route() {
  if (!session.principal) return;
  const allowed = screensFor(session.principal.role);
  const { id, path, query } = parseHash(window.location.hash);
  if (!id) {
    if (allowed.length) history.replaceState(null, '', `#/${allowed[0].id}`);
    return renderScreen(allowed[0], { path: [], query: {} });
  }
  return renderScreen(findScreen(id), { path, query }, allowed);
}

async function renderScreen(entry, params, allowed = screensFor(session.principal.role)) {
  if (session.current) session.current.abort.abort();
  const token = ++navigationToken;
  const abort = new AbortController();
  session.current = { abort, token };
  const pane = ui.el('div', { class: 'screen-pane' });
  $('screen').replaceChildren(pane);
  for (const link of $('nav').querySelectorAll('a')) {
    if (entry && link.dataset.screen === entry.id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!entry || !allowed.includes(entry)) {
    $('screen-title').textContent = entry ? entry.title : 'Halaman tidak ditemukan';
    $('screen-hint').textContent = '';
    document.title = 'Konsol Hadir';
    ui.empty(pane, entry ? 'Layar ini tidak tersedia untuk peran Anda.' : 'Alamat ini tidak dikenal.',
      'Pilih salah satu menu.');
    return;
  }
  $('screen-title').textContent = entry.title;
  $('screen-hint').textContent = entry.hint || '';
  document.title = `${entry.title} · Konsol Hadir`;
  // After a move from one screen to another, a screen reader starts at the new screen's title.
  if (token > 1 && document.activeElement && document.activeElement.closest('#nav')) {
    $('screen-title').focus({ preventScroll: true });
  }
  ui.loading(pane);
  try {
    const screen = await loadScreen(entry);
    if (token !== navigationToken) return;
    pane.replaceChildren();
    await screen.render(pane, {
      api: session.api, principal: session.principal, ui, params, signal: abort.signal, navigate,
    });
  } catch (err) {
    if (token !== navigationToken || abort.signal.aborted) return;
    console.warn('screen failed', entry.id, err); // eslint-disable-line no-console
    ui.showError(pane, err);
  }
}

// ---- start ------------------------------------------------------------------------------------------------

function start() {
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('api-key').value.trim();
    $('api-key').value = '';
    if (!key) {
      showSignIn('Tempel kunci API Anda terlebih dahulu.');
      return;
    }
    signIn(key);
  });
  $('signout').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', () => route());
  const stored = sessionStorage.getItem(KEY_STORAGE);
  if (stored) {
    $('signin').hidden = true;
    signIn(stored, { restoring: true });
  } else {
    showSignIn();
  }
}

start();
