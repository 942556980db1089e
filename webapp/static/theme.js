// Overwatch theme: light or dark, following the browser's
// prefers-color-scheme unless the user chose one with the toolbar toggle
// (kept in localStorage, and in the user's preferences document when
// logged in). Loaded by every page; no inline scripts (CSP).

const KEY = 'overwatch.theme';
const root = document.documentElement;

function stored() {
  try { return localStorage.getItem(KEY) || ''; } catch (e) { return ''; }
}

function apply(theme) {
  if (theme === 'light' || theme === 'dark') root.dataset.theme = theme;
  else delete root.dataset.theme;
}

function effective() {
  if (root.dataset.theme) return root.dataset.theme;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

apply(stored());

function label(b) {
  b.textContent = effective() === 'dark' ? '☀' : '☾';
  b.title = `switch to the ${effective() === 'dark' ? 'light' : 'dark'} theme`;
}

async function savePreference(theme) {
  const body = document.body;
  if (!body?.dataset.user || !body.dataset.csrf) return;
  try {
    const cur = await fetch('/api/preferences', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : null));
    if (!cur) return;
    await fetch('/api/preferences', {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': body.dataset.csrf },
      body: JSON.stringify({ ...cur, theme }),
    });
  } catch (e) { /* the browser keeps it anyway */ }
}

function wire() {
  const b = document.getElementById('theme-toggle');
  if (!b) return;
  label(b);
  b.addEventListener('click', () => {
    const next = effective() === 'dark' ? 'light' : 'dark';
    try { localStorage.setItem(KEY, next); } catch (e) { /* private mode */ }
    apply(next);
    label(b);
    savePreference(next);
  });
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => label(b));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wire);
else wire();
