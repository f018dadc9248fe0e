// The console's shell: sign-in, the signed-in frame with its navigation, and a hash router (#/members/12), so no
// server route is needed per page and the key never appears in a URL.
import { h, replace, errorBox } from './dom.js';
import { ApiError, whoIs, key, setKey, forgetKey, onSessionEnded } from './api.js';
import { pages } from './pages.js';
import { session, can } from './session.js';

const root = document.getElementById('root');

function explain(e) {
  if (e instanceof ApiError && e.status === 401) return 'That admin key was not accepted: it is unknown, revoked or mistyped. Check it and try again.';
  if (e instanceof ApiError && e.status === 429) return `Too many wrong keys from this address. ${e.message}`;
  if (e instanceof TypeError) return 'The gateway could not be reached. Check your connection and try again.';
  return e.message;
}

function signInView(message) {
  const error = h('p', { class: 'error', id: 'signin-error', role: 'alert' }, message ?? '');
  const input = h('input', { name: 'key', id: 'signin-key', type: 'password', autocomplete: 'off', required: true, autofocus: true });
  const form = h('form', { id: 'signin', class: 'signin', onsubmit: async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      session.me = await whoIs(input.value.trim());
      setKey(input.value.trim());
      start();
    } catch (e) {
      // Nothing of the console is drawn for a key that is not accepted.
      error.textContent = explain(e);
      input.select();
    }
  } },
  h('h1', null, 'WechatGateway console'),
  h('p', null, 'Sign in with your admin key. It is kept for this browser tab only and forgotten when the tab closes.'),
  h('label', { for: 'signin-key' }, 'Admin key'), input, error,
  h('button', { type: 'submit' }, 'Sign in'));
  replace(root, form);
  input.focus();
}

// When the key stops working mid-session, a dialog asks for it again over the page: forms keep what was typed, and
// the call that met the 401 is sent again once the key is accepted.
let pendingReauth = null;
onSessionEnded(() => {
  if (pendingReauth) return pendingReauth;
  const dialog = document.getElementById('reauth');
  const form = document.getElementById('reauth-form');
  const error = document.getElementById('reauth-error');
  pendingReauth = new Promise((resolve) => {
    error.textContent = '';
    form.key.value = '';
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        const me = await whoIs(form.key.value.trim());
        setKey(form.key.value.trim());
        session.me = me;
        dialog.close();
        pendingReauth = null;
        resolve();
      } catch (e) {
        error.textContent = explain(e);
      }
    };
    dialog.oncancel = (ev) => ev.preventDefault();
    dialog.showModal();
  });
  return pendingReauth;
});

const nav = [
  ['dashboard', 'Dashboard'], ['auto-replies', 'Auto-replies'], ['templates', 'Templates'], ['members', 'Members'], ['segments', 'Segments'], ['followers', 'Followers'],
  ['stores', 'Stores'], ['groups', 'Groups'], ['live-codes', 'Live codes'], ['points-rules', 'Points rules'],
  ['rewards', 'Rewards'], ['orders', 'Orders'], ['campaigns', 'Campaigns'], ['journeys', 'Journeys'], ['pushes', 'Pushes'], ['queue', 'Queue'], ['api-keys', 'API keys', 'admin'], ['audit', 'Audit log'],
  ['menu', 'Custom menu', 'admin'],
];
nav.push(['feedback', 'Feedback'], ['events', 'Events']);

let main;

function frame() {
  const me = session.me;
  main = h('main', { id: 'page' });
  replace(root,
    h('header', { class: 'top' },
      h('strong', null, 'WechatGateway'),
      h('span', { class: 'health', id: 'health', role: 'status', 'aria-live': 'polite' }),
      h('span', { class: 'who', id: 'who' }, `${me.name} · ${me.role}`, me.role === 'StoreManager' ? ` · stores ${me.storeIds.join(', ')}` : ''),
      h('button', { type: 'button', class: 'link', onclick: () => { forgetKey(); session.me = null; location.hash = ''; signInView(); } }, 'Sign out')),
    h('nav', { class: 'side' }, h('ul', null, nav.filter(([, , level]) => !level || can(level))
      .map(([id, label]) => h('li', null, h('a', { href: `#/${id}`, 'data-page': id }, label))))),
    main);
}

async function route() {
  if (!session.me || !main) return;
  const [name = 'dashboard', ...rest] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const page = pages[name] ?? pages.dashboard;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', a.dataset.page === name);
  const token = Symbol(name);
  route.current = token;
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const content = await page(rest);
    if (route.current === token) replace(main, content);
  } catch (e) {
    if (route.current === token) replace(main, h('h1', null, 'Something went wrong'), errorBox(e));
  }
}

// The health strip: each dependency's state from /readyz, and what the push spool holds while MySQL is away.
async function refreshHealth() {
  const strip = document.getElementById('health');
  if (!strip) return;
  let report;
  try {
    report = await (await fetch('/readyz', { cache: 'no-store' })).json();
  } catch {
    report = null;
  }
  const checks = report?.checks ?? {};
  const parts = Object.entries(checks).map(([name, c]) => {
    const ok = c.status === 'Healthy';
    const text = name === 'spool' ? `spool: ${c.description ?? c.status}` : `${name} ${ok ? 'ok' : 'down'}`;
    return h('span', { class: ok ? 'ok' : 'down', 'data-check': name }, text);
  });
  strip.className = `health ${report?.status?.toLowerCase() ?? 'unhealthy'}`;
  replace(strip, ...(report ? parts : [h('span', { class: 'down' }, 'gateway not answering')]));
}

function start() {
  frame();
  route();
  refreshHealth();
  clearInterval(start.health);
  start.health = setInterval(refreshHealth, 10000);
}

window.addEventListener('hashchange', route);

(async () => {
  const saved = key();
  if (!saved) return signInView();
  try {
    session.me = await whoIs(saved);
    start();
  } catch (e) {
    forgetKey();
    signInView(explain(e));
  }
})();
