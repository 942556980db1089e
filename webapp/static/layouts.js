// Overwatch layouts: the layout list, a layout's tabs of plots drawn with
// JSROOT (or the server's PNGs), the expert's editor (picker, reorder,
// resize, draw options, save with history and revert) and the kiosk mode
// of control-room screens. The page hands its data in
// #layout-page[data-layout] (JSON); live updates come from app.js's event
// stream as 'overwatch:event' DOM events. No inline scripts (CSP).

import { jsroot, jsrootModule, applyDisplay, decorationObject, fetchOK, drawTrend, showPNG } from './app.js';

const body = document.body;
const csrf = body.dataset.csrf || '';
const useJSROOT = body.dataset.jsroot === '1';
const pageEl = document.getElementById('layout-page');
const data = pageEl ? JSON.parse(pageEl.dataset.layout || '{}') : {};
const prefs = data.prefs || {};

// ---------- helpers ----------

function isDotSegment(s) {
  return ['.', '..', '%2e', '.%2e', '%2e.', '%2e%2e'].includes(s.toLowerCase());
}

// nameURL mirrors webapp/names.go: '/' stays readable unless a segment is
// a dot segment; "." and ".." go in the query.
function nameURL(prefix, name, query = {}) {
  let u = `${prefix}/`;
  const q = new URLSearchParams(query);
  if (name === '.' || name === '..') {
    q.set('name', name);
  } else {
    const parts = name.split('/');
    if (parts.some(isDotSegment)) u += encodeURIComponent(name);
    else u += parts.map(encodeURIComponent).join('/');
  }
  const qs = q.toString();
  return qs ? `${u}?${qs}` : u;
}

async function send(method, url, payload) {
  const r = await fetch(url, {
    method, credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = new Error(j.error || `${r.status} ${r.statusText}`);
    err.status = r.status;
    throw err;
  }
  return j;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-')) e.dataset[k.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const cernFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Zurich', dateStyle: 'medium', timeStyle: 'medium' });
function cernTime(t) {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) || d.getTime() <= 0 ? '—' : `${cernFmt.format(d)} CERN`;
}

// ---------- timing (read by the browser tests) ----------

function markDrawn() {
  const now = Math.round(performance.now());
  if (!body.dataset.firstPlotMs) body.dataset.firstPlotMs = String(now);
}

// ---------- drawing one plot ----------

// plotURLs returns the API URLs of a layout plot for a run.
function plotURLs(plot, run) {
  if (plot.kind === 'trend') return { points: nameURL(`/api/trends/${plot.subsystem}`, plot.name, { limit: '2000' }) };
  const base = `/api/runs/${run}/${plot.subsystem}`;
  const q = sliceKeys[plot.subsystem] ? { slice: sliceKeys[plot.subsystem] } : {};
  return { json: nameURL(`${base}/json`, plot.name, q), hints: nameURL(`${base}/hints`, plot.name, q), png: nameURL(`${base}/png`, plot.name, q) };
}

// sliceKeys are the time-slice keys of the permalink's slice, per
// subsystem (the outputs are read with ?slice=KEY).
const sliceKeys = {};
const sliceErrors = {};

// prepareSlices asks the time-slice service for the permalink's slice of
// every subsystem of the layout's histograms, and waits for them.
async function prepareSlices(run, layouts) {
  const ref = data.slice;
  if (!ref || !run) return;
  const state = document.getElementById('slice-state');
  const systems = new Set();
  for (const l of layouts) for (const t of l.tabs) for (const p of t.plots) if (p.kind !== 'trend') systems.add(p.subsystem);
  if (state) state.textContent = `(computing for ${[...systems].join(', ')}…)`;
  await Promise.all([...systems].map(async (sys) => {
    try {
      let st = await send('POST', '/api/slices', { run, subsystem: sys, from: ref.from, to: ref.to });
      for (let i = 0; st.state !== 'done' && i < 600; i++) {
        if (st.state === 'failed') throw new Error(st.error || 'the time slice failed');
        await new Promise((res) => setTimeout(res, Math.min(1000, 150 + 50 * i)));
        st = await fetchOK(st.statusUrl, { cache: 'no-store' }).then((r) => r.json()).then((x) => ({ ...st, ...x }));
      }
      if (st.state !== 'done') throw new Error(st.error || 'the time slice takes too long');
      sliceKeys[sys] = st.key;
    } catch (e) { sliceErrors[sys] = e.message; }
  }));
  const bad = Object.entries(sliceErrors);
  if (state) state.textContent = bad.length ? `(not available for ${bad.map(([s, m]) => `${s}: ${m}`).join('; ')})` : '';
}

// overrideDisplay applies a layout plot's options over the hints.
function overrideDisplay(display, o = {}) {
  const d = { ...display };
  for (const k of ['logx', 'logy', 'logz']) if (o[k]) d[k] = true;
  if (o.drawOption) d.drawOption = o.drawOption;
  else if (!d.drawOption && prefs.drawOption) d.drawOption = prefs.drawOption;
  if (o.xrange) d.xrange = o.xrange;
  if (o.yrange) d.yrange = o.yrange;
  return d;
}

function setQuality(cell, q) {
  const dot = cell.querySelector('.q');
  if (!dot) return;
  dot.className = `q q-${q || 'unknown'}`;
  dot.title = `quality: ${q || 'not checked'}`;
  cell.dataset.quality = q || '';
}

// drawCell draws one grid cell (histogram or trend) for a run. Unless
// forced, a histogram whose JSON did not change (ETag) is left as it is.
async function drawCell(cell, run, force = false) {
  const plot = cell._plot;
  const div = cell.querySelector('.lplot');
  const urls = plotURLs(plot, run);
  try {
    if (plot.kind === 'trend') {
      div.dataset.points = urls.points;
      div.dataset.name = plot.name;
      if (!useJSROOT) { div.textContent = 'Trends are drawn by JSROOT, which is not installed on this server.'; return; }
      await drawTrend(div);
      if (div.querySelector('svg')) { div.dataset.drawn = String(Number(div.dataset.drawnCount || 0) + 1); div.dataset.drawnCount = div.dataset.drawn; }
      markDrawn();
      return;
    }
    if (!run) { div.textContent = 'No run yet.'; return; }
    if (data.slice && sliceErrors[plot.subsystem]) throw new Error(`time slice: ${sliceErrors[plot.subsystem]}`);
    div.dataset.name = plot.name;
    div.dataset.png = urls.png;
    if (!useJSROOT || prefs.render === 'png') {
      showPNG(div);
      markDrawn();
      return;
    }
    const resp = await fetchOK(urls.json, { cache: 'no-cache' });
    const etag = resp.headers.get('ETag') || '';
    if (!force && etag && div.dataset.etag === etag && div.dataset.run === String(run)) return;
    const text = await resp.text();
    const hints = await fetchOK(urls.hints, { cache: 'no-cache' }).then((r) => r.json()).catch(() => ({}));
    const ctx = await jsroot();
    const { J } = ctx;
    const obj = J.parse(text);
    const d = overrideDisplay(hints.display || {}, plot.options);
    const opt = applyDisplay(obj, d, hints.class);
    J.cleanup(div);
    div.textContent = '';
    div.classList.remove('failed');
    await J.draw(div, obj, opt);
    for (const dec of d.decorations || []) {
      const o = decorationObject(ctx, dec, obj);
      if (o) await J.draw(div, o, 'same');
    }
    div.dataset.etag = etag;
    div.dataset.run = String(run);
    div.dataset.json = urls.json;
    div.dataset.drawn = String(Number(div.dataset.drawn || 0) + 1);
    if (!plot.title && hints.prettyName) cell.querySelector('.ltitle').textContent = hints.prettyName;
    setQuality(cell, hints.quality);
    markDrawn();
  } catch (e) {
    if (e.message === 'login required') return;
    try { cleanupDiv(div); } catch (x) { /* nothing drawn */ }
    div.textContent = `${plot.subsystem} ${plot.name}: ${e.message}`;
    div.classList.add('failed');
    div.dataset.run = String(run);
    delete div.dataset.etag;
    setQuality(cell, '');
  }
}

function cleanupDiv(div) {
  if (jsrootReady) jsrootReady.J.cleanup(div);
}
let jsrootReady = null;
// Start loading JSROOT at once (in parallel with the first fetches); the
// time it is ready is kept for the browser tests' measurements.
if (useJSROOT) jsroot().then((c) => { jsrootReady = c; body.dataset.jsrootMs = String(Math.round(performance.now())); }).catch(() => {});
// JSROOT imports its histogram painters at the first draw: fetch them now,
// in parallel with the plots' JSON (the same module instances are reused).
if (useJSROOT && pageEl) {
  for (const m of ['hist/TH1Painter.mjs', 'hist/TH2Painter.mjs', 'hist/TGraphPainter.mjs']) jsrootModule(m).catch(() => {});
}

// drawCells draws cells a few at a time.
async function drawCells(cells, run, force) {
  const queue = cells.slice();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (queue.length) await drawCell(queue.shift(), run, force);
  }));
}

// ---------- grid of one tab ----------

// buildCell makes the element of one plot; edit adds the editor's controls.
function buildCell(plot, index, tab, edit) {
  const title = plot.title || plot.name;
  const head = el('h3', {}, el('span', { class: 'q q-unknown' }), el('span', { class: 'ltitle', text: title }), ' ',
    el('small', { class: 'lsys', text: `${plot.subsystem}${plot.kind === 'trend' ? ' trend' : ''}` }));
  const cell = el('section', { class: 'lcell plot-block', 'data-index': String(index), 'data-sys': plot.subsystem, 'data-name': plot.name, 'data-kind': plot.kind || 'hist' }, head);
  cell._plot = plot;
  cell.style.gridColumn = `span ${Math.min(plot.w || 1, tab.columns || 3)}`;
  cell.style.gridRow = `span ${plot.h || 1}`;
  if (edit) cell.append(edit(cell, plot, index));
  cell.append(el('div', { class: 'lplot', 'data-name': plot.name }, el('span', { class: 'loading', text: 'Loading…' })));
  return cell;
}

function buildGrid(tab, tabIndex, edit) {
  const grid = el('div', { class: 'lgrid', 'data-tab': String(tabIndex), role: 'tabpanel' });
  grid.style.gridTemplateColumns = `repeat(${tab.columns || 3}, minmax(0, 1fr))`;
  (tab.plots || []).forEach((p, i) => grid.append(buildCell(p, i, tab, edit)));
  if (!(tab.plots || []).length) grid.append(el('p', { class: 'empty', text: edit ? 'No plots in this tab yet: add some with the picker in the side drawer.' : 'No plots in this tab.' }));
  return grid;
}

// ---------- the layout view ----------

function viewPage() {
  const doc = data.doc;
  const layout = doc.layout;
  let run = data.run;
  let runParam = data.runParam;
  let current = data.tab || 0;
  const grids = document.getElementById('layout-grids');
  const tabsNav = document.getElementById('tabs');
  const drawn = new Set();
  const dirty = new Set();

  const built = layout.tabs.map((t, i) => buildGrid(t, i, null));
  grids.replaceChildren(...built);

  function permalink() {
    let u = `/layouts/${encodeURIComponent(data.name)}?run=${encodeURIComponent(runParam)}&tab=${current + 1}`;
    if (data.pinned) u += `&version=${data.pinned}`;
    if (data.slice) u += `&from=${data.slice.from}&to=${data.slice.to}`;
    const a = document.getElementById('permalink');
    if (a) a.href = u;
    return u;
  }

  async function show(i, force = false) {
    current = i;
    for (const [k, g] of built.entries()) g.hidden = k !== i;
    for (const b of tabsNav.querySelectorAll('button')) b.setAttribute('aria-selected', String(Number(b.dataset.tab) === i));
    history.replaceState(history.state, '', permalink());
    if (!drawn.has(i) || dirty.has(i) || force) {
      drawn.add(i);
      dirty.delete(i);
      const t0 = performance.now();
      body.dataset.tabReady = '';
      await drawCells([...built[i].querySelectorAll('.lcell')], run, force);
      body.dataset.allPlotsMs = String(Math.round(performance.now()));
      body.dataset.tabDrawMs = String(Math.round(performance.now() - t0));
      body.dataset.tabReady = String(i);
    }
  }

  tabsNav.replaceChildren(...layout.tabs.map((t, i) => {
    const b = el('button', { type: 'button', role: 'tab', class: 'tab', 'data-tab': String(i), text: t.title });
    b.addEventListener('click', () => show(i));
    return b;
  }));

  function setRun(r, param) {
    if (data.slice) { // the slice is computed per run: load the page of the other run
      runParam = param;
      location.href = permalink();
      return;
    }
    run = r;
    runParam = param;
    const shown = document.getElementById('run-shown');
    if (shown) shown.textContent = run ? `run ${run}` : 'no run yet';
    drawn.clear();
    show(current, true);
  }

  document.getElementById('run-go')?.addEventListener('click', async () => {
    const v = document.getElementById('run-input').value.trim() || 'latest';
    if (v === 'latest') {
      const runs = await fetchOK('/api/runs?limit=1').then((r) => r.json()).catch(() => []);
      const list = Array.isArray(runs) ? runs : (runs.runs || []);
      setRun(list.length ? list[0].number : 0, 'latest');
    } else if (/^[0-9]{1,9}$/.test(v)) {
      setRun(Number(v), v);
    } else {
      document.getElementById('run-shown').textContent = 'run: latest or a number';
    }
  });
  document.getElementById('permalink-copy')?.addEventListener('click', () => {
    const u = new URL(permalink(), location.href).href;
    navigator.clipboard?.writeText(u).catch(() => {});
    document.getElementById('permalink-copy').textContent = 'Copied';
  });

  document.addEventListener('overwatch:event', (ev) => {
    const e = ev.detail;
    if (e.type !== 'update' || data.slice) return; // a time slice does not change
    if (runParam === 'latest' && e.run > run) { setRun(e.run, 'latest'); return; }
    if (e.run !== run) return;
    layout.tabs.forEach((t, i) => {
      if (!t.plots.some((p) => p.subsystem === e.subsystem)) return;
      if (i === current) drawCells([...built[i].querySelectorAll(`.lcell[data-sys="${e.subsystem}"]`)], run, false);
      else dirty.add(i);
    });
  });

  prepareSlices(run, [layout]).then(() => show(current)).then(() => { body.dataset.layoutReady = '1'; });
}

// ---------- the editor ----------

function editorPage() {
  const doc = data.doc;
  const layout = structuredClone(doc.layout);
  let version = doc.version || 0;
  let current = 0;
  const run = data.run;
  const limits = data.limits || {};
  const grids = document.getElementById('layout-grids');
  const tabsNav = document.getElementById('tabs');
  const status = document.getElementById('save-status');
  const titleIn = document.getElementById('layout-title');
  const officialIn = document.getElementById('layout-official');
  const descIn = document.getElementById('layout-description');
  const tabTitle = document.getElementById('tab-title');
  const tabCols = document.getElementById('tab-columns');
  let dragFrom = -1;

  function say(text, bad = false) {
    status.textContent = text;
    status.classList.toggle('message', bad);
  }

  function loadForm() {
    titleIn.value = layout.title || '';
    officialIn.checked = !!layout.official;
    descIn.value = layout.description || '';
  }
  titleIn.addEventListener('input', () => { layout.title = titleIn.value; });
  officialIn.addEventListener('change', () => { layout.official = officialIn.checked; });
  descIn.addEventListener('input', () => { layout.description = descIn.value; });

  function tab() { return layout.tabs[current]; }

  function numberOrNull(v) { return v === '' || v === null ? null : Number(v); }

  // controls builds the editor's controls of one plot.
  function controls(cell, plot, index) {
    const t = tab();
    const bar = el('div', { class: 'lcontrols' });
    const left = el('button', { type: 'button', class: 'move-left', title: 'move before', text: '◀' });
    const right = el('button', { type: 'button', class: 'move-right', title: 'move after', text: '▶' });
    const remove = el('button', { type: 'button', class: 'remove', title: 'remove this plot', text: '✕' });
    const w = el('select', { class: 'size-w', title: 'width in cells' });
    for (let i = 1; i <= t.columns; i++) w.append(el('option', { value: String(i), text: `${i} wide` }));
    w.value = String(plot.w || 1);
    const h = el('select', { class: 'size-h', title: 'height in cells' });
    for (let i = 1; i <= (limits.rows || 4); i++) h.append(el('option', { value: String(i), text: `${i} high` }));
    h.value = String(plot.h || 1);
    left.addEventListener('click', () => move(index, index - 1));
    right.addEventListener('click', () => move(index, index + 1));
    remove.addEventListener('click', () => { t.plots.splice(index, 1); render(); });
    w.addEventListener('change', () => { plot.w = Number(w.value); render(); });
    h.addEventListener('change', () => { plot.h = Number(h.value); render(); });
    bar.append(left, right, w, h, remove);
    // Draw options.
    const o = plot.options || (plot.options = {});
    const det = el('details', { class: 'panel options' }, el('summary', { text: 'Draw options' }));
    const title = el('input', { class: 'opt-title', placeholder: 'caption', value: plot.title || '', size: '16', maxlength: '200' });
    title.addEventListener('change', () => { plot.title = title.value; cell.querySelector('.ltitle').textContent = plot.title || plot.name; });
    det.append(el('label', {}, 'Caption ', title));
    for (const k of ['logx', 'logy', 'logz']) {
      const c = el('input', { type: 'checkbox', class: `opt-${k}` });
      c.checked = !!o[k];
      c.addEventListener('change', () => { if (c.checked) o[k] = true; else delete o[k]; drawCell(cell, run, true); });
      det.append(el('label', {}, c, ` ${k}`));
    }
    const opt = el('input', { class: 'opt-draw', placeholder: 'e.g. colz, hist, e1', value: o.drawOption || '', size: '10', maxlength: '64' });
    opt.addEventListener('change', () => { if (opt.value) o.drawOption = opt.value; else delete o.drawOption; drawCell(cell, run, true); });
    det.append(el('label', {}, 'Draw option ', opt));
    for (const ax of ['x', 'y']) {
      const key = `${ax}range`;
      const lo = el('input', { type: 'number', step: 'any', class: `opt-${ax}min`, size: '6', value: o[key] ? String(o[key].Min) : '' });
      const hi = el('input', { type: 'number', step: 'any', class: `opt-${ax}max`, size: '6', value: o[key] ? String(o[key].Max) : '' });
      const upd = () => {
        const a = numberOrNull(lo.value);
        const b = numberOrNull(hi.value);
        if (a === null || b === null) delete o[key];
        else o[key] = { Min: a, Max: b };
        drawCell(cell, run, true);
      };
      lo.addEventListener('change', upd);
      hi.addEventListener('change', upd);
      det.append(el('label', {}, `${ax} range `, lo, ' – ', hi));
    }
    // Drag to reorder.
    cell.draggable = true;
    cell.addEventListener('dragstart', (e) => { dragFrom = index; e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', String(index)); });
    cell.addEventListener('dragover', (e) => { e.preventDefault(); cell.classList.add('drop-target'); });
    cell.addEventListener('dragleave', () => cell.classList.remove('drop-target'));
    cell.addEventListener('drop', (e) => { e.preventDefault(); cell.classList.remove('drop-target'); if (dragFrom >= 0) move(dragFrom, index); dragFrom = -1; });
    return el('div', {}, bar, det);
  }

  function move(from, to) {
    const plots = tab().plots;
    if (to < 0 || to >= plots.length || from === to) return;
    const [p] = plots.splice(from, 1);
    plots.splice(to, 0, p);
    render();
  }

  function render() {
    if (current >= layout.tabs.length) current = layout.tabs.length - 1;
    tabsNav.replaceChildren(...layout.tabs.map((t, i) => {
      const b = el('button', { type: 'button', role: 'tab', class: 'tab', 'data-tab': String(i), text: t.title || `Tab ${i + 1}`, 'aria-selected': String(i === current) });
      b.addEventListener('click', () => { current = i; render(); });
      return b;
    }));
    tabTitle.value = tab().title || '';
    tabCols.value = String(tab().columns || 3);
    const grid = buildGrid(tab(), current, controls);
    grids.replaceChildren(grid);
    drawCells([...grid.querySelectorAll('.lcell')], run, false);
  }

  tabTitle.addEventListener('input', () => {
    tab().title = tabTitle.value;
    const b = tabsNav.querySelector(`button[data-tab="${current}"]`);
    if (b) b.textContent = tabTitle.value || `Tab ${current + 1}`;
  });
  tabCols.addEventListener('change', () => {
    const n = Math.max(1, Math.min(limits.columns || 6, Number(tabCols.value) || 3));
    tab().columns = n;
    for (const p of tab().plots) p.w = Math.min(p.w || 1, n);
    render();
  });
  document.getElementById('tab-add').addEventListener('click', () => {
    if (layout.tabs.length >= (limits.tabs || 20)) { say(`at most ${limits.tabs} tabs`, true); return; }
    layout.tabs.push({ title: `Tab ${layout.tabs.length + 1}`, columns: 3, plots: [] });
    current = layout.tabs.length - 1;
    render();
  });
  document.getElementById('tab-remove').addEventListener('click', () => {
    if (layout.tabs.length <= 1) { say('a layout keeps at least one tab', true); return; }
    layout.tabs.splice(current, 1);
    render();
  });

  // The picker: subsystems of the run, their histograms or trends.
  const pRun = document.getElementById('picker-run');
  const pSys = document.getElementById('picker-sys');
  const pKind = document.getElementById('picker-kind');
  const pName = document.getElementById('picker-name');
  const pFilter = document.getElementById('picker-filter');
  const pErr = document.getElementById('picker-error');
  let names = [];
  let loadSeq = 0;

  function pickerError(msg) { pErr.textContent = msg || ''; pErr.hidden = !msg; }

  async function loadSubsystems() {
    const r = pRun.value.trim();
    pickerError('');
    if (!/^[0-9]{1,9}$/.test(r)) { pickerError('run: a number'); return; }
    try {
      const ri = await fetchOK(`/api/runs/${r}`).then((x) => x.json());
      const keep = pSys.value;
      pSys.replaceChildren(...ri.subsystems.map((s) => el('option', { value: s.name, text: s.name })));
      if (ri.subsystems.some((s) => s.name === keep)) pSys.value = keep;
      await loadNames();
    } catch (e) { pickerError(e.message); }
  }

  async function loadNames() {
    pickerError('');
    const sys = pSys.value;
    const kind = pKind.value;
    const seq = ++loadSeq;
    let found = [];
    if (sys) {
      try {
        if (kind === 'trend') {
          const list = await fetchOK(`/api/trends/${sys}`).then((x) => x.json());
          found = list.map((t) => ({ name: t.name, label: t.desc ? `${t.desc} (${t.name})` : t.name }));
        } else {
          const v = await fetchOK(`/api/runs/${pRun.value.trim()}/${sys}`).then((x) => x.json());
          for (const g of v.groups || []) for (const h of g.hists || []) found.push({ name: h.name, label: `${g.title}: ${h.prettyName || h.name}` });
        }
      } catch (e) { if (seq === loadSeq) pickerError(e.message); }
    }
    if (seq !== loadSeq) return; // a newer choice is loading
    names = found;
    fillNames();
  }

  function fillNames() {
    const f = pFilter.value.trim().toLowerCase();
    const shown = names.filter((n) => !f || n.label.toLowerCase().includes(f) || n.name.toLowerCase().includes(f));
    pName.replaceChildren(...shown.map((n) => el('option', { value: n.name, text: n.label })));
    if (shown.length) pName.value = shown[0].name;
    pickerError(names.length && !shown.length ? 'nothing matches the filter' : (!names.length && pSys.value ? `no ${pKind.value === 'trend' ? 'trends' : 'histograms'} in ${pSys.value}` : ''));
  }

  pRun.addEventListener('change', loadSubsystems);
  pSys.addEventListener('change', loadNames);
  pKind.addEventListener('change', loadNames);
  pFilter.addEventListener('input', fillNames);
  document.getElementById('picker-add').addEventListener('click', () => {
    const name = pName.value;
    if (!name) { pickerError('choose a plot first'); return; }
    if (tab().plots.length >= (limits.plots || 64)) { pickerError(`at most ${limits.plots} plots per tab`); return; }
    tab().plots.push({ kind: pKind.value, subsystem: pSys.value, name, w: 1, h: 1, options: {} });
    render();
  });

  // Save, history, revert, delete.
  async function loadHistory() {
    const list = document.getElementById('history');
    if (!version) { list.replaceChildren(el('li', { class: 'empty', text: 'Not saved yet.' })); return; }
    try {
      const hist = await fetchOK(`/api/layouts/${encodeURIComponent(data.name)}/history`, { cache: 'no-store' }).then((r) => r.json());
      list.replaceChildren(...hist.slice().reverse().map((v) => {
        const li = el('li', { 'data-version': String(v.version), class: v.deleted ? 'deleted' : '' },
          el('strong', { text: `v${v.version}` }), ` ${v.deleted ? 'deleted' : (v.title || '')} — ${v.author || '?'}, ${cernTime(v.time)}`,
          v.comment ? el('small', { class: 'comment', text: ` “${v.comment}”` }) : null);
        if (!v.deleted) li.append(' ', el('a', { class: 'view-version', href: `/layouts/${encodeURIComponent(data.name)}?version=${v.version}`, text: 'view' }));
        if (v.version !== version && !v.deleted) {
          const b = el('button', { type: 'button', class: 'revert', 'data-version': String(v.version), text: 'Revert to this' });
          b.addEventListener('click', () => revert(v.version));
          li.append(' ', b);
        }
        return li;
      }));
    } catch (e) { list.replaceChildren(el('li', { class: 'message', text: e.message })); }
  }

  function adopt(d) {
    version = d.version;
    Object.assign(layout, structuredClone(d.layout));
    for (const k of Object.keys(layout)) if (!(k in d.layout)) delete layout[k];
    savedJSON = JSON.stringify(layout);
    body.dataset.version = String(version);
    loadForm();
    render();
    loadHistory();
  }

  async function revert(to) {
    try {
      const d = await send('POST', `/api/layouts/${encodeURIComponent(data.name)}/revert`, { version, to });
      adopt(d);
      say(`reverted to version ${to}: saved as version ${d.version}`);
    } catch (e) { say(e.message, true); }
  }

  document.getElementById('save').addEventListener('click', async () => {
    say('saving…');
    try {
      const comment = document.getElementById('save-comment').value;
      const d = await send('PUT', `/api/layouts/${encodeURIComponent(data.name)}`, { version, comment, layout });
      document.getElementById('save-comment').value = '';
      adopt(d);
      say(`saved version ${d.version}`);
    } catch (e) {
      say(e.status === 409 ? `${e.message}` : `not saved: ${e.message}`, true);
      if (e.status === 409) {
        const reload = el('a', { href: location.pathname, id: 'reload', text: ' Reload the newest version (your changes are lost)' });
        status.append(reload);
      }
    }
  });
  document.getElementById('delete').addEventListener('click', async () => {
    if (!version) { say('not saved yet: nothing to delete', true); return; }
    try {
      await send('DELETE', `/api/layouts/${encodeURIComponent(data.name)}?version=${version}`);
      savedJSON = JSON.stringify(layout);
      location.href = '/layouts';
    } catch (e) { say(e.message, true); }
  });

  // Leaving with unsaved changes asks first.
  let savedJSON = JSON.stringify(layout);
  window.addEventListener('beforeunload', (e) => {
    if (JSON.stringify(layout) !== savedJSON) { e.preventDefault(); e.returnValue = ''; }
  });

  body.dataset.version = String(version);
  loadForm();
  render();
  loadHistory();
  loadSubsystems().then(() => { body.dataset.editorReady = '1'; });
}

// ---------- the layout list ----------

// wirePreferences fills and saves the user's preferences form.
function wirePreferences() {
  const form = document.getElementById('prefs-form');
  if (!form) return;
  const theme = document.getElementById('pref-theme');
  const render = document.getElementById('pref-render');
  const draw = document.getElementById('pref-draw');
  const st = document.getElementById('pref-status');
  fetchOK('/api/preferences', { cache: 'no-store' }).then((r) => r.json()).then((p) => {
    theme.value = p.theme || 'auto';
    render.value = p.render || 'jsroot';
    draw.value = p.drawOption || '';
    body.dataset.prefsReady = '1';
  }).catch((e) => { st.textContent = e.message; });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const p = await send('PUT', '/api/preferences', { theme: theme.value, render: render.value, drawOption: draw.value });
      try {
        if (p.theme === 'auto') localStorage.removeItem('overwatch.theme'); else localStorage.setItem('overwatch.theme', p.theme);
      } catch (x) { /* private mode */ }
      if (p.theme === 'auto') delete document.documentElement.dataset.theme; else document.documentElement.dataset.theme = p.theme;
      st.textContent = 'saved';
    } catch (x) { st.textContent = x.message; }
  });
}

function listPage() {
  wirePreferences();
  const form = document.getElementById('new-layout');
  form?.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = document.getElementById('new-layout-name').value.trim();
    if (name) location.href = `/layouts/${encodeURIComponent(name)}/edit`;
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest?.('button.clone-button');
    if (!b) return;
    const box = b.closest('.clone');
    const to = box.querySelector('.clone-to').value.trim();
    const st = box.querySelector('.clone-status');
    if (!to) { st.textContent = ' name the copy'; return; }
    try {
      await send('POST', `/api/layouts/${encodeURIComponent(b.dataset.name)}/clone`, { to });
      location.href = `/layouts/${encodeURIComponent(to)}/edit`;
    } catch (x) { st.textContent = ` ${x.message}`; }
  });
}

// ---------- kiosk ----------

function kioskPage() {
  const layouts = data.kiosk || [];
  let run = data.run;
  const follow = data.runParam === 'latest';
  const every = Math.max(2, data.every || 30) * 1000;
  const grids = document.getElementById('layout-grids');
  const seq = [];
  for (const [li, d] of layouts.entries()) d.layout.tabs.forEach((t, ti) => seq.push({ li, ti, d, t, grid: buildGrid(t, seq.length, null), stale: true }));
  grids.replaceChildren(...seq.map((s) => s.grid));
  let pos = -1;
  let cycles = 0;
  let nextAt = 0;

  function header() {
    const s = seq[pos];
    document.getElementById('kiosk-title').textContent = `${s.d.layout.title} — ${s.t.title}${seq.length > 1 ? ` (${pos + 1}/${seq.length})` : ''}`;
    document.getElementById('kiosk-run').textContent = run ? `Run ${run}` : 'no run yet';
  }

  function quality() {
    const cells = [...seq[pos].grid.querySelectorAll('.lcell')];
    const bad = cells.filter((c) => c.dataset.quality === 'bad').length;
    const medium = cells.filter((c) => c.dataset.quality === 'medium').length;
    const q = document.getElementById('kiosk-quality');
    q.textContent = bad ? `${bad} BAD` : medium ? `${medium} medium` : cells.length ? 'quality OK' : '';
    q.className = `kiosk-quality ${bad ? 'bad' : medium ? 'medium' : 'good'}`;
  }

  async function drawCurrent(force) {
    const s = seq[pos];
    const stale = s.stale;
    s.stale = false;
    await drawCells([...s.grid.querySelectorAll('.lcell')], run, force || stale);
    quality();
    body.dataset.kioskDrawn = String(Number(body.dataset.kioskDrawn || 0) + 1);
  }

  async function showNext() {
    if (!seq.length) return;
    pos = (pos + 1) % seq.length;
    if (pos === 0) cycles++;
    for (const [k, s] of seq.entries()) s.grid.hidden = k !== pos;
    body.dataset.kioskPos = String(pos);
    body.dataset.kioskCycles = String(cycles);
    header();
    nextAt = Date.now() + every;
    await drawCurrent(false);
  }

  async function alarms() {
    const box = document.getElementById('kiosk-alarms');
    try {
      const list = await fetchOK('/api/alarms?state=firing', { cache: 'no-store' }).then((r) => r.json());
      box.hidden = !list.length;
      box.replaceChildren(el('h2', { text: `${list.length} alarm${list.length === 1 ? '' : 's'} firing` }),
        el('ul', {}, ...list.slice(0, 8).map((a) => el('li', { class: 'alarm firing' }, el('strong', { text: `${a.Subsystem} ${a.Trend}` }), `: ${a.Message}`, a.AckedBy ? el('small', { text: ` (acknowledged by ${a.AckedBy})` }) : null))));
      body.dataset.kioskAlarms = String(list.length);
    } catch (e) { /* next round */ }
  }

  function clock() {
    document.getElementById('kiosk-clock').textContent = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Zurich', timeStyle: 'medium' }).format(new Date());
    const left = Math.max(0, Math.round((nextAt - Date.now()) / 1000));
    document.getElementById('kiosk-next').textContent = seq.length > 1 ? `next in ${left} s` : '';
  }

  document.addEventListener('overwatch:event', (ev) => {
    const e = ev.detail;
    if (e.type !== 'update') { if (e.type === 'snapshot') alarms(); return; }
    alarms();
    if (follow && e.run > run) {
      run = e.run;
      for (const s of seq) s.stale = true;
      header();
      drawCurrent(true);
      return;
    }
    if (e.run !== run) return;
    for (const [k, s] of seq.entries()) {
      if (!s.t.plots.some((p) => p.subsystem === e.subsystem)) continue;
      if (k === pos) drawCells([...s.grid.querySelectorAll(`.lcell[data-sys="${e.subsystem}"]`)], run, false).then(quality);
      else s.stale = true;
    }
  });

  document.addEventListener('keydown', (e) => { if (e.key === 'f') document.documentElement.requestFullscreen?.().catch(() => {}); });
  setInterval(clock, 1000);
  setInterval(alarms, 15000);
  setInterval(showNext, every);
  alarms();
  showNext().then(() => { body.dataset.layoutReady = '1'; clock(); });
}

// ---------- start ----------

switch (body.dataset.page) {
  case 'layoutview': viewPage(); break;
  case 'layoutedit': editorPage(); break;
  case 'layouts': listPage(); break;
  case 'kiosk': kioskPage(); break;
  default: break;
}
