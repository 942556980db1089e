// Overwatch web app front end: draws histograms with JSROOT (or shows the
// server-rendered PNGs), overlays display decorations, keeps freshness
// badges current, follows live updates (server-sent events), runs the
// time-slice dialog (trends: trending.js). No inline scripts: the page passes
// everything through data-* attributes (the CSP forbids inline code).

const body = document.body;
const csrf = body.dataset.csrf || '';
const useJSROOT = body.dataset.jsroot === '1';

// jsrootModule imports one of JSROOT's modules (path under modules/) from
// its versioned URL, the one every script of the page uses (one instance
// of each module).
const jsrootBase = body.dataset.jsrootBase || '/jsroot';
function jsrootModule(path) { return import(`${jsrootBase}/modules/${path}`); }

let jsrootPromise = null;
let jsrootFailed = false;
function jsroot() {
  if (!jsrootPromise) {
    // Only the modules 2-D drawing needs: main.mjs would also parse three.js
    // (1.9 MB) and the geometry painters on every page load.
    jsrootPromise = firstImageShown().then(() => Promise.all([
      jsrootModule('core.mjs'),
      jsrootModule('draw.mjs'),
      jsrootModule('base/colors.mjs'),
    ])).then(([core, drawing, colors]) => {
      const J = { ...core, draw: drawing.draw, cleanup: drawing.cleanup };
      J.settings.Tooltip = true;
      J.settings.ZoomWheel = true;
      body.dataset.jsrootAt = String(Math.round(performance.now())); // the browser test's timing
      return { J, addColor: colors.addColor };
    }).catch((e) => {
      // JSROOT could not be loaded: fall back to the server-rendered PNGs.
      jsrootFailed = true;
      throw e;
    });
  }
  return jsrootPromise;
}

// firstImageShown resolves once the first server-rendered image of the
// first viewport is on the screen (its Element Timing entry: painted
// and presented; without that API, after the next frame), at most 500 ms
// after the page's first call: evaluating JSROOT's modules holds the main
// thread, and on a busy machine it would otherwise hold back the page's
// first paint.
let imageShown = null;
function firstImageShown() {
  if (!imageShown) imageShown = imagePainted();
  return imageShown;
}

function imagePainted() {
  const imgs = [...document.querySelectorAll('.plot > img.placeholder')];
  if (!imgs.length || document.visibilityState !== 'visible') return Promise.resolve(); // no frames in a hidden tab
  return new Promise((res) => {
    setTimeout(res, 500);
    if ('PerformanceObserver' in window && PerformanceObserver.supportedEntryTypes?.includes('element')) {
      const obs = new PerformanceObserver((list) => {
        if (list.getEntries().some((en) => en.identifier === 'plot-image')) { obs.disconnect(); res(); }
      });
      obs.observe({ type: 'element', buffered: true });
    } else {
      requestAnimationFrame(() => setTimeout(res, 0));
    }
  });
}

function showPNG(div) {
  const img = div.querySelector('img') || document.createElement('img');
  img.alt = div.dataset.name;
  img.src = `${div.dataset.png}${div.dataset.png.includes('?') ? '&' : '?'}t=${Date.now()}`;
  if (!img.parentNode) { div.textContent = ''; div.appendChild(img); }
  div.dataset.drawn = String(Number(div.dataset.drawn || 0) + 1);
}

// ---------- small helpers ----------

// Content-Security-Policy violations are counted on <body> (the browser
// tests assert that JSROOT draws without any).
document.addEventListener('securitypolicyviolation', (e) => {
  body.dataset.cspViolations = String(Number(body.dataset.cspViolations || 0) + 1);
  console.warn('CSP violation', e.violatedDirective, e.blockedURI);
});

function fetchOK(url, opts = {}) {
  return fetch(url, { credentials: 'same-origin', ...opts }).then(async (r) => {
    if (r.status === 401) {
      // The session ended (expired, logged out elsewhere, password changed).
      window.location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
      throw new Error('login required');
    }
    if (!r.ok) {
      let msg = `${r.status} ${r.statusText}`;
      try { const j = await r.json(); if (j.error) msg = j.error; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return r;
  });
}

function postJSON(url, data) {
  return fetch(url, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify(data),
  }).then(async (r) => {
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(j.error || `${r.status} ${r.statusText}`);
    return j;
  });
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

function setStatus(el, text) {
  el.textContent = text;
}

// ---------- freshness badges ----------

const STALE_SECONDS = 300;

function ago(seconds) {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

function updateBadges() {
  const now = Date.now() / 1000;
  for (const b of document.querySelectorAll('.fresh[data-time]')) {
    const t = Number(b.dataset.time);
    if (!t || t < 0) { b.textContent = ''; continue; }
    const age = now - t;
    b.textContent = `updated ${ago(age)}`;
    b.classList.toggle('stale', age > STALE_SECONDS);
  }
}

// ---------- histogram drawing ----------

const kNoStats = 1 << 9;
const kNoTitle = 1 << 17;
const kNDC = 1 << 14;
const kAxisRange = 1 << 11;

function colorIndex(ctx, css, dflt) {
  if (!css) return dflt;
  return ctx.addColor(css);
}

function findBin(axis, x) {
  if (axis.fXbins && axis.fXbins.length > 1) {
    for (let i = 0; i < axis.fXbins.length - 1; ++i) if (x < axis.fXbins[i + 1]) return i + 1;
    return axis.fNbins;
  }
  const w = (axis.fXmax - axis.fXmin) / axis.fNbins;
  return Math.min(axis.fNbins, Math.max(1, Math.floor((x - axis.fXmin) / w) + 1));
}

function setRange(axis, r) {
  if (!axis || !r) return;
  axis.fFirst = findBin(axis, r.min ?? r.Min);
  axis.fLast = findBin(axis, (r.max ?? r.Max) - 1e-12 * Math.abs(r.max ?? r.Max));
  axis.fBits |= kAxisRange;
}

// applyDisplay applies the display hints to the JSROOT object and returns
// the draw option.
function applyDisplay(obj, d, cls) {
  const is2D = /^TH2|^TProfile2D/.test(obj._typename || cls || '');
  const opts = [];
  let drawOpt = d.drawOption || '';
  if (!drawOpt && is2D) drawOpt = 'colz';
  if (drawOpt) opts.push(drawOpt);
  if (d.logx) opts.push('logx');
  if (d.logy) opts.push('logy');
  if (d.logz) opts.push('logz');
  if (d.gridx) opts.push('gridx');
  if (d.gridy) opts.push('gridy');
  const isHist = obj.fXaxis !== undefined && obj._typename !== 'THStack';
  if (isHist) {
    opts.push(d.stats ? 'stat' : 'nostat');
    if (!d.stats) obj.fBits |= kNoStats;
    if (!d.title) obj.fBits |= kNoTitle;
    setRange(obj.fXaxis, d.xrange);
    if (is2D) {
      setRange(obj.fYaxis, d.yrange);
      if (d.zrange) { obj.fMinimum = d.zrange.min ?? d.zrange.Min; obj.fMaximum = d.zrange.max ?? d.zrange.Max; }
    } else if (d.yrange) {
      obj.fMinimum = d.yrange.min ?? d.yrange.Min;
      obj.fMaximum = d.yrange.max ?? d.yrange.Max;
    }
  } else if (obj._typename === 'THStack') {
    if (d.yrange) { obj.fMinimum = d.yrange.min ?? d.yrange.Min; obj.fMaximum = d.yrange.max ?? d.yrange.Max; }
    if (!drawOpt) opts.push('nostack');
  }
  return opts.join(',');
}

// decorationObject builds the JSROOT object drawing one decoration.
function decorationObject(ctx, dec, obj) {
  const { J } = ctx;
  const line = colorIndex(ctx, dec.color, 1);
  const width = dec.lineWidth || 1;
  const style = dec.dashed ? 2 : 1;
  switch (dec.kind) {
    case 'line': {
      const o = J.create('TLine');
      Object.assign(o, { fX1: dec.x1, fY1: dec.y1, fX2: dec.x2 ?? 0, fY2: dec.y2 ?? 0, fLineColor: line, fLineWidth: width, fLineStyle: style });
      if (dec.ndc) o.fBits |= kNDC;
      return o;
    }
    case 'box': {
      if (dec.ndc) {
        const o = J.create('TPave');
        Object.assign(o, { fX1NDC: dec.x1, fY1NDC: dec.y1, fX2NDC: dec.x2 ?? 0, fY2NDC: dec.y2 ?? 0, fBorderSize: 1, fOption: 'NDC',
          fLineColor: line, fLineWidth: width, fLineStyle: style,
          fFillColor: colorIndex(ctx, dec.fill, 0), fFillStyle: dec.fill ? 1001 : 0 });
        return o;
      }
      const o = J.create('TBox');
      Object.assign(o, { fX1: dec.x1, fY1: dec.y1, fX2: dec.x2 ?? 0, fY2: dec.y2 ?? 0, fLineColor: line, fLineWidth: width, fLineStyle: style,
        fFillColor: colorIndex(ctx, dec.fill, 0), fFillStyle: dec.fill ? 1001 : 0 });
      return o;
    }
    case 'text': {
      const o = J.create('TLatex');
      Object.assign(o, { fTitle: dec.text || '', fX: dec.x1, fY: dec.y1, fTextSize: dec.textSize || 0.04, fTextColor: line, fTextAlign: 12, fTextFont: 42 });
      if (dec.ndc) o.fBits |= kNDC;
      return o;
    }
    case 'axis': {
      const o = J.create('TGaxis');
      Object.assign(o, { fX1: dec.x1, fY1: dec.y1, fX2: dec.x2 ?? 0, fY2: dec.y2 ?? 0, fWmin: dec.axisMin ?? 0, fWmax: dec.axisMax ?? 1,
        fNdiv: dec.ndiv || 510, fTitle: dec.axisTitle || '', fChopt: dec.opposite ? '-' : '', fLineColor: line, fLabelColor: line, fTextColor: line });
      return o;
    }
    case 'legend': {
      const o = J.create('TLegend');
      Object.assign(o, { fX1NDC: dec.x1, fY1NDC: dec.y1, fX2NDC: dec.x2 ?? 0, fY2NDC: dec.y2 ?? 0, fOption: 'brNDC',
        fFillColor: colorIndex(ctx, dec.fill, 0), fFillStyle: dec.fill ? 1001 : 0, fTextSize: dec.textSize || 0.035 });
      for (const e of dec.entries || []) {
        const en = J.create('TLegendEntry');
        Object.assign(en, { fLabel: e.label || '', fOption: e.option || 'l', fLineColor: line, fFillColor: colorIndex(ctx, dec.fill, 0), fTextColor: 1 });
        // A reference to a member of a stack draws the entry with the
        // member's own line, fill and marker.
        const members = obj?.fHists?.arr || [];
        const member = e.ref ? members.find((m) => m.fName === e.ref) : null;
        if (member) en.fObject = member;
        o.fPrimitives.arr.push(en);
        o.fPrimitives.opt.push('');
      }
      return o;
    }
    default:
      return null;
  }
}

// drawPlot draws one plot container from its JSON and hints URLs. It is
// a no-op when the JSON has not changed since the last draw (ETag).
async function drawPlot(div, force = false) {
  const name = div.dataset.name;
  if (!useJSROOT || jsrootFailed) {
    showPNG(div);
    return;
  }
  try {
    // The JSON, the hints and JSROOT are fetched in parallel, once the
    // first viewport's server-rendered image is on the screen (the
    // requests would compete with it).
    await firstImageShown();
    const hintsP = fetchOK(div.dataset.hints, { cache: 'no-cache' }).then((r) => r.json()).catch(() => ({}));
    const respP = fetchOK(div.dataset.json, { cache: 'no-cache' });
    const ctxP = jsroot();
    ctxP.catch(() => {});
    const resp = await respP;
    const etag = resp.headers.get('ETag') || '';
    if (!force && etag && div.dataset.etag === etag) return;
    const text = await resp.text();
    const hints = await hintsP;
    const ctx = await ctxP;
    const { J } = ctx;
    const obj = J.parse(text);
    const d = hints.display || {};
    const opt = applyDisplay(obj, d, hints.class);
    // The server-rendered image stays over the drawing until JSROOT has
    // drawn it (no blank frame in between).
    const placeholder = div.querySelector(':scope > img.placeholder');
    J.cleanup(div);
    div.textContent = '';
    if (placeholder) div.appendChild(placeholder);
    try {
      await J.draw(div, obj, opt);
      for (const dec of d.decorations || []) {
        const o = decorationObject(ctx, dec, obj);
        if (o) await J.draw(div, o, 'same');
      }
    } finally {
      placeholder?.remove();
    }
    div.dataset.etag = etag;
    div.dataset.drawn = String(Number(div.dataset.drawn || 0) + 1);
    const t = resp.headers.get('X-Output-Time');
    if (t) {
      div.dataset.time = t;
      const badge = div.closest('.plot-block')?.querySelector('.fresh');
      if (badge) badge.dataset.time = t;
    }
    updateInfo(div, hints);
    updateBadges();
  } catch (e) {
    if (jsrootFailed) { showPNG(div); return; }
    div.textContent = `Cannot draw ${name}: ${e.message}`;
    div.classList.add('failed');
  }
}

// updateInfo refreshes a plot's information panels from its hints.
function updateInfo(div, hints) {
  const block = div.closest('.plot-block');
  const info = block?.querySelector('.info');
  if (!info || !Array.isArray(hints.info)) return;
  const open = new Set([...info.querySelectorAll('details[open] summary')].map((s) => s.textContent));
  info.textContent = '';
  for (const item of hints.info) {
    const det = document.createElement('details');
    det.className = 'panel';
    if (open.has(item.label)) det.open = true;
    const sum = document.createElement('summary');
    sum.textContent = item.label;
    const p = document.createElement('p');
    p.textContent = item.value;
    det.append(sum, p);
    info.appendChild(det);
  }
  const q = block.querySelector('h3 .q');
  if (q && hints.quality) { q.className = `q q-${hints.quality}`; q.title = `quality: ${hints.quality}`; }
}

// Plots are drawn lazily: when they come near the viewport
// (IntersectionObserver), at most 4 at a time, nearest first; a spinner
// shows until then. Plots below the fold cost nothing until scrolled to.
const drawQueue = [];
let drawing = 0;
let lazy = null;
function pump() {
  while (drawing < 4 && drawQueue.length) {
    const { div, force } = drawQueue.shift();
    if (!div.isConnected) continue;
    drawing++;
    drawPlot(div, force).finally(() => {
      drawing--;
      div.dataset.drawnAt = String(Math.round(performance.now())); // the browser test's timing
      pump();
    });
  }
}

async function drawAll(force = false) {
  const plots = [...document.querySelectorAll('.plot[data-json]')];
  lazy?.disconnect();
  drawQueue.length = 0;
  if (!('IntersectionObserver' in window)) {
    for (const div of plots) drawQueue.push({ div, force });
    pump();
    return;
  }
  lazy = new IntersectionObserver((entries, obs) => {
    for (const en of entries) {
      if (!en.isIntersecting) continue;
      obs.unobserve(en.target);
      drawQueue.push({ div: en.target, force });
    }
    pump();
  }, { rootMargin: '300px 0px' });
  for (const div of plots) lazy.observe(div);
}

// Hook for other scripts (search.js): draw a plot container made on the fly.
document.addEventListener('overwatch:draw', (ev) => { if (ev.detail) drawPlot(ev.detail, true); });

// ---------- in-place navigation ----------

async function loadInPlace(url, push) {
  const resp = await fetchOK(url, { headers: { Accept: 'text/html' } });
  const html = await resp.text();
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const id of ['main', 'drawer']) {
    const src = doc.getElementById(id);
    const dst = document.getElementById(id);
    if (src && dst) dst.replaceChildren(...src.childNodes);
  }
  document.title = doc.title;
  const t = doc.getElementById('page-title');
  if (t) document.getElementById('page-title').textContent = t.textContent;
  if (push) history.pushState({ url }, '', url);
  await initPage();
}

window.addEventListener('popstate', () => { loadInPlace(location.pathname + location.search, false).catch(() => location.reload()); });

// ---------- time slices ----------

async function pollSlice(statusURL, progressEl) {
  for (let i = 0; i < 1200; ++i) {
    const st = await fetchOK(statusURL, { cache: 'no-store' }).then((r) => r.json());
    const bar = progressEl?.querySelector('progress');
    if (bar) bar.value = st.progress || 0;
    if (st.state === 'done') return st;
    if (st.state === 'failed') throw new Error(st.error || 'the time slice failed');
    await sleep(Math.min(1000, 150 + 50 * i));
  }
  throw new Error('the time slice takes too long: try again later');
}

function wireSliceDialog() {
  const open = document.getElementById('slice-open');
  const dlg = document.getElementById('slice-dialog');
  const form = document.getElementById('slice-form');
  if (!open || !dlg || !form) return;
  open.addEventListener('click', () => dlg.showModal());
  const by = document.getElementById('slice-by');
  const showBy = () => { // from/to, or the number of last events
    for (const l of form.querySelectorAll('.slice-range')) l.style.display = by.value === 'lastEvents' ? 'none' : '';
    for (const l of form.querySelectorAll('.slice-last')) l.style.display = by.value !== 'lastEvents' ? 'none' : '';
  };
  by?.addEventListener('change', showBy);
  if (by) showBy();
  document.getElementById('slice-cancel')?.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = document.getElementById('slice-form-error');
    const prog = document.getElementById('slice-form-progress');
    err.hidden = true;
    const by = document.getElementById('slice-by')?.value || 'minutes';
    const req = { run: Number(form.dataset.run), subsystem: form.dataset.sys, by, options: {} };
    if (by === 'lastEvents') req.last = Number(document.getElementById('slice-last').value);
    else Object.assign(req, { from: Number(document.getElementById('slice-from').value), to: Number(document.getElementById('slice-to').value) });
    for (const inp of form.querySelectorAll('.opt')) {
      req.options[inp.dataset.opt] = inp.dataset.type === 'bool' ? String(inp.checked) : inp.value;
    }
    for (const inp of form.querySelectorAll('.thr')) { // only the thresholds changed
      if (inp.value.trim() !== inp.dataset.default) (req.thresholds ??= {})[inp.dataset.thr] = inp.value.trim();
    }
    const submit = document.getElementById('slice-submit');
    submit.disabled = true;
    prog.hidden = false;
    try {
      const st = await postJSON('/api/slices', req);
      if (st.state !== 'done') await pollSlice(st.statusUrl, prog);
      dlg.close();
      const page = document.getElementById('run-page');
      const url = new URL(st.url, location.href);
      const cur = new URL(location.href);
      for (const k of ['group', 'hist']) if (cur.searchParams.get(k)) url.searchParams.set(k, cur.searchParams.get(k));
      if (page) await loadInPlace(url.pathname + url.search, true);
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    } finally {
      submit.disabled = false;
      prog.hidden = true;
    }
  });
}

// A page rendered while its slice was still computing waits for it and
// then reloads its content in place.
async function awaitPendingSlice() {
  const p = document.getElementById('slice-progress');
  if (!p) return;
  try {
    await pollSlice(p.dataset.status, p);
    await loadInPlace(location.pathname + location.search, false);
  } catch (e) {
    p.textContent = `The time slice failed: ${e.message}`;
    p.classList.add('message');
  }
}

// ---------- live updates ----------

let events = null;
function wireEvents() {
  if (events || !body.dataset.user) return;
  const live = document.getElementById('live');
  events = new EventSource('/api/events');
  events.onopen = () => live?.classList.add('on');
  events.onerror = () => live?.classList.remove('on');
  const onUpdate = (ev) => {
    let e;
    try { e = JSON.parse(ev.data); } catch (x) { return; }
    // Hook for the pages of other scripts (layouts.js): one stream per page.
    document.dispatchEvent(new CustomEvent('overwatch:event', { detail: { ...e, type: ev.type } }));
    const page = document.getElementById('run-page');
    if (page) {
      if (Number(page.dataset.run) === e.run && page.dataset.sys === e.subsystem && !page.dataset.slice) {
        if (ev.type === 'update') refreshRunPage();
      }
      return;
    }
    if (body.dataset.page === 'runs' && !location.search.includes('before=')) {
      loadInPlace(location.pathname + location.search, false).catch(() => {});
    } else if (body.dataset.page === 'trending' && ev.type === 'update') {
      document.dispatchEvent(new CustomEvent('overwatch:update', { detail: e })); // trending.js redraws
    }
  };
  events.addEventListener('update', onUpdate);
  events.addEventListener('snapshot', onUpdate);
}

let refreshing = null;
// refreshRunPage re-reads the page when the set of histograms changed,
// else redraws the plots whose JSON changed.
async function refreshRunPage() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      const doc = await fetchOK(location.pathname + location.search).then((r) => r.text())
        .then((h) => new DOMParser().parseFromString(h, 'text/html'));
      const names = (d) => [...d.querySelectorAll('.plot[data-json]')].map((p) => p.dataset.json).join('\n');
      if (names(doc) !== names(document)) {
        await loadInPlace(location.pathname + location.search, false);
      } else {
        await drawAll(false);
      }
    } catch (e) { /* the next update retries */ } finally { refreshing = null; }
  })();
  return refreshing;
}

// ---------- page setup ----------

async function initPage() {
  updateBadges();
  wireSliceDialog();
  await Promise.all([drawAll(true), awaitPendingSlice()]);
}

// The paint times of the first viewport's server-rendered images (Element
// Timing), recorded on their plots for the browser test's timing.
if ('PerformanceObserver' in window && PerformanceObserver.supportedEntryTypes?.includes('element')) {
  new PerformanceObserver((list) => {
    for (const en of list.getEntries()) {
      const div = en.element?.closest?.('.plot');
      if (div && !div.dataset.imageAt) div.dataset.imageAt = String(Math.round(en.renderTime || en.loadTime));
    }
  }).observe({ type: 'element', buffered: true });
}

// A page with plots starts loading JSROOT at once (its modules take a
// while to parse), in parallel with the first plots' data (both once the
// first server-rendered image is shown).
if (useJSROOT && document.querySelector('.plot[data-json]')) {
  jsroot().catch(() => {});
}
document.getElementById('drawer-toggle')?.addEventListener('click', () => document.body.classList.toggle('drawer-open'));
setInterval(updateBadges, 1000);
wireEvents();
initPage().then(() => { body.dataset.ready = '1'; });

// ---------- alarm actions (acknowledge, silence) ----------
// Delegated from the document, so that buttons of content loaded in place
// (live updates, in-page navigation) work too.
document.addEventListener('click', (ev) => {
  const b = ev.target.closest?.('button.alarm-action');
  if (!b || b.disabled) return;
  const status = b.parentElement.querySelector('.alarm-status');
  b.disabled = true;
  const req = { id: b.dataset.id, action: b.dataset.action };
  if (b.dataset.minutes) req.minutes = Number(b.dataset.minutes);
  postJSON('/api/alarms/action', req).then((rec) => {
    if (req.action === 'ack') setStatus(status, ` acknowledged by ${rec.AckedBy}`);
    else setStatus(status, ` silenced until ${new Date(rec.SilencedUntil).toLocaleTimeString()}`);
  }).catch((e) => { b.disabled = false; setStatus(status, ` ${e.message}`); });
});

// ---------- trends in layouts ----------

// drawTrend draws one trend (div.dataset.points: its API URL) as a
// TGraphErrors against time in a layout cell (the trending page has its
// own, richer drawing in static/trending.js); a click on a point opens
// its source histogram.
async function drawTrend(div) {
  const data = await fetchOK(div.dataset.points, { cache: 'no-cache' }).then((r) => r.json());
  const pts = data.points || [];
  const list = div.closest('.plot-block')?.querySelector('.points');
  if (list) {
    list.textContent = '';
    for (const p of pts.slice(-50).reverse()) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = p.link || '#';
      a.textContent = `${new Date(p.time * 1000).toLocaleString()} — run ${p.run}: ${p.value} ± ${p.error}`;
      li.appendChild(a);
      list.appendChild(li);
    }
  }
  if (!pts.length) { div.textContent = 'No points yet.'; return; }
  if (!useJSROOT) { div.textContent = `${pts.length} points (install JSROOT to see the graph).`; return; }
  const { J } = await jsroot();
  const n = pts.length;
  const g = J.createTGraph(n, pts.map((p) => p.time), pts.map((p) => p.value));
  g._typename = 'TGraphErrors';
  g.fEX = new Array(n).fill(0);
  g.fEY = pts.map((p) => p.error || 0);
  g.fName = data.name;
  g.fTitle = data.desc || data.name;
  g.fMarkerStyle = 20;
  g.fMarkerSize = 0.8;
  let tmin = pts[0].time, tmax = pts[n - 1].time;
  if (tmax <= tmin) { tmin -= 60; tmax += 60; }
  const pad = (tmax - tmin) * 0.03;
  let ymin = Infinity, ymax = -Infinity;
  for (const p of pts) { ymin = Math.min(ymin, p.value - (p.error || 0)); ymax = Math.max(ymax, p.value + (p.error || 0)); }
  if (ymax <= ymin) { ymin -= 1; ymax += 1; }
  const ypad = (ymax - ymin) * 0.1;
  const h = J.createHistogram('TH1F', 100);
  Object.assign(h.fXaxis, { fXmin: tmin - pad, fXmax: tmax + pad, fTimeDisplay: true, fTimeFormat: '%d/%m %H:%M%F1970-01-01 00:00:00s0', fTitle: 'time' });
  h.fXaxis.fNbins = 100;
  h.fMinimum = ymin - ypad;
  h.fMaximum = ymax + ypad;
  h.fBits |= kNoStats;
  h.fTitle = g.fTitle;
  h.fName = `${data.name}_frame`;
  g.fHistogram = h;
  J.cleanup(div);
  div.textContent = '';
  const painter = await J.draw(div, g, 'ap');
  div.dataset.drawn = '1';
  painter?.configureUserClickHandler?.((info) => {
    const p = info && Number.isInteger(info.bin) ? pts[info.bin] : null;
    if (p?.link) { window.location.href = p.link; return true; }
    return false;
  });
}

// Drawing helpers shared with the layout pages (static/layouts.js).
export { jsroot, jsrootModule, applyDisplay, decorationObject, fetchOK, drawTrend, showPNG };
