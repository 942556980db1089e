// Overwatch run-page search: find a histogram or trend of the run (every
// subsystem) by part of its name or title, through
// /api/runs/:run/search. Keyboard: ↑/↓ move, Enter opens, Esc closes the
// list (a second Esc clears the box). A histogram opens in place above the
// plots (drawn by app.js through the "overwatch:draw" event); a trend
// opens the trending page. Handlers are delegated from the document, so
// content loaded in place keeps working. No inline scripts.

let hits = [];
let active = -1;
let timer = null;
let seq = 0;

const $ = (id) => document.getElementById(id);

function setActive(i) {
  const list = $('search-results');
  const input = $('search-input');
  if (!list || !input) return;
  active = hits.length ? (i + hits.length) % hits.length : -1;
  for (const li of list.children) li.classList.toggle('active', Number(li.dataset.i) === active);
  const cur = list.querySelector('li.active');
  if (cur) { input.setAttribute('aria-activedescendant', cur.id); cur.scrollIntoView({ block: 'nearest' }); } else input.removeAttribute('aria-activedescendant');
}

function closeList() {
  const list = $('search-results');
  if (list) list.hidden = true;
  $('search-input')?.setAttribute('aria-expanded', 'false');
}

function note(text) {
  const n = $('search-note');
  if (!n) return;
  n.textContent = text;
  n.hidden = !text;
}

function render(res) {
  const list = $('search-results');
  if (!list) return;
  hits = res.hits || [];
  list.textContent = '';
  for (const [i, h] of hits.entries()) {
    const li = document.createElement('li');
    li.id = `sr-${i}`;
    li.dataset.i = String(i);
    li.setAttribute('role', 'option');
    li.className = `search-hit kind-${h.kind}`;
    const q = document.createElement('span');
    q.className = `q q-${h.quality || 'none'}`;
    const t = document.createElement('span');
    t.className = 'title';
    t.textContent = h.title;
    const m = document.createElement('small');
    m.textContent = ` ${h.subsystem} ${h.kind === 'trend' ? 'trend' : h.group || ''} · ${h.name}`;
    if (h.kind === 'hist') li.append(q);
    li.append(t, m);
    list.appendChild(li);
  }
  list.hidden = false;
  $('search-input')?.setAttribute('aria-expanded', 'true');
  note(hits.length ? (res.truncated ? `${hits.length} of ${res.total} matches` : '') : 'Nothing found.');
  setActive(hits.length ? 0 : -1);
  document.body.dataset.searchHits = String(hits.length);
}

async function search(q) {
  const box = $('search');
  if (!box) return;
  const my = ++seq;
  if (!q.trim()) { hits = []; closeList(); note(''); return; }
  try {
    const r = await fetch(`/api/runs/${box.dataset.run}/search?${new URLSearchParams({ q, limit: '20' })}`, { credentials: 'same-origin' });
    const j = await r.json().catch(() => ({}));
    if (my !== seq) return; // a newer query is under way
    if (!r.ok) { hits = []; closeList(); note(j.error || `${r.status} ${r.statusText}`); return; }
    render(j);
  } catch (e) {
    if (my === seq) note(`Search failed: ${e.message}`);
  }
}

function open(h) {
  if (!h) return;
  closeList();
  if (h.kind !== 'hist') { window.location.href = h.page; return; }
  const view = $('search-view');
  const bodyEl = $('search-view-body');
  if (!view || !bodyEl) { window.location.href = h.page; return; }
  $('search-view-title').textContent = `${h.title} (${h.subsystem})`;
  $('search-view-page').href = h.page;
  const div = document.createElement('div');
  div.className = 'plot';
  Object.assign(div.dataset, { name: h.name, json: h.json, hints: h.hints, png: h.png });
  const spin = document.createElement('span');
  spin.className = 'loading spinner';
  spin.textContent = 'Loading…';
  div.appendChild(spin);
  bodyEl.replaceChildren(div);
  view.hidden = false;
  view.dataset.name = h.name;
  view.scrollIntoView({ block: 'start' });
  document.dispatchEvent(new CustomEvent('overwatch:draw', { detail: div }));
}

document.addEventListener('input', (ev) => {
  if (ev.target.id !== 'search-input') return;
  clearTimeout(timer);
  const q = ev.target.value;
  timer = setTimeout(() => search(q), 120);
});

document.addEventListener('keydown', (ev) => {
  if (ev.target.id !== 'search-input') return;
  const list = $('search-results');
  switch (ev.key) {
    case 'ArrowDown':
      ev.preventDefault();
      if (list?.hidden && hits.length) list.hidden = false;
      setActive(active + 1);
      break;
    case 'ArrowUp':
      ev.preventDefault();
      setActive(active - 1);
      break;
    case 'Enter':
      ev.preventDefault();
      open(hits[active >= 0 ? active : 0]);
      break;
    case 'Escape':
      if (list && !list.hidden) closeList();
      else { ev.target.value = ''; hits = []; note(''); }
      break;
    default:
  }
});

document.addEventListener('click', (ev) => {
  const li = ev.target.closest?.('#search-results li');
  if (li) { open(hits[Number(li.dataset.i)]); return; }
  if (ev.target.closest?.('#search-view-close')) {
    const view = $('search-view');
    if (view) { view.hidden = true; $('search-view-body').textContent = ''; }
    return;
  }
  if (!ev.target.closest?.('#search')) closeList();
});
