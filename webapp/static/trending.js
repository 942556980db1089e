// Overwatch trending page: trends against time (CERN time) or run number,
// a range selector (all, last hour, last 24 h, a run range) that the API
// honours, run boundaries on time plots, several trends of the subsystem
// overlaid in one plot (only trends of one extractor, i.e. the same kind
// of quantity), points coloured by their run's quality flag when the
// server knows one, and the drill-down from a point to its source
// histogram. The state lives in the URL (?axis=, ?last=, ?runFrom=,
// ?runTo=, ?overlay=), so a view can be shared. No inline scripts: the page
// passes everything through data-* attributes.

import { jsrootModule } from './app.js';

const body = document.body;
const useJSROOT = body.dataset.jsroot === '1';
const CERN_TZ = 'Europe/Zurich';

let jsrootPromise = null;
function jsroot() {
  if (!jsrootPromise) {
    // Only the modules 2-D drawing needs (not three.js, as main.mjs would).
    jsrootPromise = Promise.all([jsrootModule('core.mjs'), jsrootModule('draw.mjs')]).then(([core, drawing]) => {
      const J = { ...core, draw: drawing.draw, cleanup: drawing.cleanup };
      J.settings.Tooltip = true;
      // Time axes in CERN time, as the rest of the page, whatever the
      // browser's zone (JSROOT converts the labels with this zone).
      J.settings.TimeZone = CERN_TZ;
      return J;
    });
  }
  return jsrootPromise;
}

// ROOT colours and markers: one per overlaid trend; quality colours for
// the points of flagged runs.
const TREND_COLORS = [1, 4, 6, 28, 9, 46, 30, 38];
const TREND_MARKERS = [20, 21, 22, 23, 33, 34, 29, 47];
const QUALITY_COLORS = { good: 8, medium: 800, bad: 2 };
const MAX_OVERLAY = 8;

const cernFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: CERN_TZ, day: '2-digit', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
});
function cernTime(sec) { return cernFormat.format(new Date(sec * 1000)); }

// ---------- state in the URL ----------

function readState() {
  const q = new URLSearchParams(location.search);
  const st = {
    axis: q.get('axis') === 'run' ? 'run' : 'time',
    last: q.get('last') || '',
    runFrom: q.get('runFrom') || '',
    runTo: q.get('runTo') || '',
    overlay: (q.get('overlay') || '').split(',').filter(Boolean).slice(0, MAX_OVERLAY),
  };
  st.range = st.runFrom || st.runTo ? 'runs' : st.last;
  return st;
}

function writeState(st) {
  const q = new URLSearchParams(location.search);
  for (const k of ['axis', 'last', 'runFrom', 'runTo', 'overlay']) q.delete(k);
  if (st.axis === 'run') q.set('axis', 'run');
  if (st.range === 'runs') {
    if (st.runFrom) q.set('runFrom', st.runFrom);
    if (st.runTo) q.set('runTo', st.runTo);
  } else if (st.range) {
    q.set('last', st.range);
  }
  if (st.overlay.length) q.set('overlay', st.overlay.join(','));
  const s = q.toString();
  history.replaceState(null, '', location.pathname + (s ? `?${s}` : ''));
}

// rangeQuery is the API query of the selected range.
function rangeQuery(st) {
  const q = new URLSearchParams();
  if (st.range === 'runs') {
    if (st.runFrom) q.set('runFrom', st.runFrom);
    if (st.runTo) q.set('runTo', st.runTo);
  } else if (st.range) {
    q.set('last', st.range);
  }
  return q.toString();
}

// ---------- data ----------

async function fetchTrend(url, st) {
  const qs = rangeQuery(st);
  const r = await fetch(url + (qs ? (url.includes('?') ? '&' : '?') + qs : ''), { credentials: 'same-origin', cache: 'no-cache' });
  if (r.status === 401) {
    window.location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    throw new Error('login required');
  }
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(j.error || `${r.status} ${r.statusText}`);
  return j;
}

// series turns a trend's answer into the points to plot on the chosen
// axis: every point against time, or against run number the last point
// of each run (trend values are cumulative over a run, so its last point
// is the run's value).
function series(data, axis) {
  const pts = data.points || [];
  const quality = {};
  for (const r of data.runs || []) if (r.quality) quality[r.run] = r.quality;
  let out;
  if (axis === 'run') {
    const last = new Map();
    for (const p of pts) if (p.run > 0) last.set(p.run, p);
    out = [...last.values()].sort((a, b) => a.run - b.run).map((p) => ({ ...p, x: p.run }));
  } else {
    out = pts.map((p) => ({ ...p, x: p.time }));
  }
  for (const p of out) p.quality = quality[p.run] || '';
  return out;
}

// ---------- drawing ----------

function frame(J, title, axis, all, runs) {
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (const p of all) {
    xmin = Math.min(xmin, p.x); xmax = Math.max(xmax, p.x);
    ymin = Math.min(ymin, p.value - (p.error || 0)); ymax = Math.max(ymax, p.value + (p.error || 0));
  }
  if (axis === 'time') {
    for (const r of runs) if (r.start) { xmin = Math.min(xmin, r.start); xmax = Math.max(xmax, r.end || r.start); }
    if (xmax <= xmin) { xmin -= 60; xmax += 60; }
    const pad = (xmax - xmin) * 0.03;
    xmin -= pad; xmax += pad;
  } else {
    xmin -= 0.5; xmax += 0.5;
  }
  if (ymax <= ymin) { ymin -= 1; ymax += 1; }
  const ypad = (ymax - ymin) * 0.12;
  const h = J.createHistogram('TH1F', 100);
  Object.assign(h.fXaxis, { fXmin: xmin, fXmax: xmax });
  if (axis === 'time') {
    Object.assign(h.fXaxis, { fTimeDisplay: true, fTimeFormat: '%d/%m %H:%M%F1970-01-01 00:00:00s0', fTitle: 'time (CERN, Europe/Zurich)' });
  } else {
    // Integer ticks: one per run when there are few (a negative number
    // of divisions is not optimised by JSROOT).
    const span = Math.round(xmax - xmin);
    Object.assign(h.fXaxis, { fTitle: 'run number', fNbins: Math.max(1, span) });
    h.fXaxis.fNdivisions = span <= 20 ? -span : 510;
  }
  h.fMinimum = ymin - ypad;
  h.fMaximum = ymax + ypad * 2;
  h.fBits |= 1 << 9; // no statistics box
  h.fTitle = title;
  h.fName = 'trend_frame';
  return h;
}

function graphOf(J, pts, name, color, marker) {
  const n = pts.length;
  const g = J.createTGraph(n, pts.map((p) => p.x), pts.map((p) => p.value));
  g._typename = 'TGraphErrors';
  g.fEX = new Array(n).fill(0);
  g.fEY = pts.map((p) => p.error || 0);
  g.fName = name;
  g.fTitle = name;
  Object.assign(g, { fMarkerStyle: marker, fMarkerSize: 0.9, fMarkerColor: color, fLineColor: color });
  return g;
}

// drawTrends draws trends (each {data, pts}) into one plot container,
// with run boundaries on time plots, a legend when several are overlaid,
// and clicks on a point opening its source histogram.
async function drawInto(div, trends, st) {
  const all = trends.flatMap((t) => t.pts);
  if (!all.length) { div.textContent = 'No points in this range.'; div.dataset.drawn = '0'; div.dataset.points = '0'; return; }
  if (!useJSROOT) {
    div.textContent = `${all.length} points (install JSROOT to see the graph).`;
    return;
  }
  const J = await jsroot();
  const runs = new Map();
  for (const t of trends) for (const r of t.data.runs || []) runs.set(r.run, r);
  const title = trends.length === 1 ? (trends[0].data.desc || trends[0].data.name) : `${trends.length} trends overlaid`;
  const h = frame(J, title, st.axis, all, [...runs.values()]);
  J.cleanup(div);
  div.textContent = '';
  await J.draw(div, h, 'axis');
  const links = new Map(); // graph name → points
  let painter = null;
  for (const [i, t] of trends.entries()) {
    const color = TREND_COLORS[i % TREND_COLORS.length];
    const marker = TREND_MARKERS[i % TREND_MARKERS.length];
    // Points of flagged runs in their quality's colour, the others in the
    // trend's colour; one graph per colour keeps the click mapping simple.
    const byColor = new Map();
    for (const p of t.pts) {
      const c = QUALITY_COLORS[p.quality] ?? color;
      if (!byColor.has(c)) byColor.set(c, []);
      byColor.get(c).push(p);
    }
    for (const [c, pts] of byColor) {
      const name = `${t.data.name}#${c}`;
      links.set(name, pts);
      const g = graphOf(J, pts, name, c, marker);
      g.fLineColor = color;
      painter = await J.draw(div, g, 'p same');
    }
  }
  if (st.axis === 'time') {
    const lines = [...runs.values()].filter((r) => r.start).sort((a, b) => a.start - b.start);
    for (const r of lines) {
      const l = J.create('TLine');
      Object.assign(l, { fX1: r.start, fY1: h.fMinimum, fX2: r.start, fY2: h.fMaximum, fLineColor: 15, fLineStyle: 2, fLineWidth: 1 });
      await J.draw(div, l, 'same');
      if (lines.length <= 30) {
        const tx = J.create('TLatex');
        Object.assign(tx, { fTitle: `${r.run}`, fX: r.start, fY: h.fMaximum - (h.fMaximum - h.fMinimum) * 0.04, fTextSize: 0.03, fTextColor: 15, fTextAlign: 12, fTextFont: 42 });
        await J.draw(div, tx, 'same');
      }
    }
  }
  if (trends.length > 1) {
    const leg = J.create('TLegend');
    Object.assign(leg, { fX1NDC: 0.62, fY1NDC: 0.72, fX2NDC: 0.88, fY2NDC: 0.88, fOption: 'brNDC', fFillColor: 0, fFillStyle: 1001, fTextSize: 0.03 });
    for (const [i, t] of trends.entries()) {
      const e = J.create('TLegendEntry');
      Object.assign(e, { fLabel: t.data.desc || t.data.name, fOption: 'p', fMarkerColor: TREND_COLORS[i % TREND_COLORS.length],
        fMarkerStyle: TREND_MARKERS[i % TREND_MARKERS.length], fMarkerSize: 1, fLineColor: 0, fTextColor: 1 });
      leg.fPrimitives.arr.push(e);
      leg.fPrimitives.opt.push('');
    }
    await J.draw(div, leg, 'same');
  }
  painter?.configureUserClickHandler?.((info) => {
    // JSROOT passes the clicked graph's name and point index.
    const pts = links.get(info?.name);
    const p = pts && Number.isInteger(info.bin) ? pts[info.bin] : null;
    if (p?.link) { window.location.href = p.link; return true; }
    return false;
  });
  div.dataset.axis = st.axis;
  div.dataset.points = String(all.length);
  div.dataset.drawn = String(Number(div.dataset.drawn || 0) + 1);
}

function listPoints(block, pts) {
  const list = block?.querySelector('.points');
  if (!list) return;
  list.textContent = '';
  for (const p of pts.slice(-50).reverse()) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = p.link || '#';
    a.textContent = `${cernTime(p.time)} — run ${p.run}: ${p.value} ± ${p.error}${p.quality ? ` (${p.quality})` : ''}`;
    li.appendChild(a);
    list.appendChild(li);
  }
}

function showError(text) {
  const e = document.getElementById('trend-error');
  if (!e) return;
  e.textContent = text;
  e.hidden = !text;
}

let generation = 0;
// drawAll draws every trend of the page and the overlay with the state.
async function drawAll(st) {
  const gen = ++generation;
  showError('');
  const divs = [...document.querySelectorAll('.trend[data-trend]')];
  const byName = new Map();
  await Promise.all(divs.map(async (div) => {
    const block = div.closest('.plot-block');
    try {
      const data = await fetchTrend(div.dataset.trend, st);
      if (gen !== generation) return;
      const pts = series(data, st.axis);
      byName.set(div.dataset.name, { data, pts });
      listPoints(block, series(data, 'time'));
      await drawInto(div, [{ data, pts }], st);
    } catch (e) {
      if (gen !== generation) return;
      div.textContent = `Cannot draw the trend: ${e.message}`;
      showError(e.message);
    }
  }));
  if (gen !== generation) return;
  const ov = document.getElementById('overlay');
  const ovBlock = document.getElementById('overlay-block');
  const chosen = st.overlay.filter((n) => byName.has(n));
  if (ov && ovBlock) {
    ovBlock.hidden = chosen.length < 2;
    if (chosen.length >= 2) {
      try { await drawInto(ov, chosen.map((n) => byName.get(n)), st); } catch (e) { ov.textContent = `Cannot draw the overlay: ${e.message}`; }
    }
  }
  body.dataset.trendsReady = String(gen);
}

// ---------- controls ----------

function syncPicks(st) {
  const picks = [...document.querySelectorAll('input.trend-pick')];
  const chosen = picks.filter((p) => st.overlay.includes(p.value));
  const kind = chosen[0]?.dataset.extractor;
  for (const p of picks) {
    p.checked = st.overlay.includes(p.value);
    // Only trends of one kind (extractor) share a y axis.
    p.disabled = !p.checked && ((kind !== undefined && p.dataset.extractor !== kind) || chosen.length >= MAX_OVERLAY);
  }
}

function wire() {
  const form = document.getElementById('trend-controls');
  if (!form) return;
  const st = readState();
  const range = document.getElementById('trend-range');
  const runFields = document.getElementById('run-range-fields');
  const from = document.getElementById('run-from');
  const to = document.getElementById('run-to');
  document.getElementById(st.axis === 'run' ? 'axis-run' : 'axis-time').checked = true;
  range.value = st.range;
  if (range.value !== st.range) { range.value = ''; st.range = ''; } // a range the selector does not offer
  from.value = st.runFrom;
  to.value = st.runTo;
  runFields.hidden = range.value !== 'runs';
  syncPicks(st);

  const apply = () => {
    st.axis = document.getElementById('axis-run').checked ? 'run' : 'time';
    st.range = range.value;
    st.runFrom = from.value.trim();
    st.runTo = to.value.trim();
    runFields.hidden = st.range !== 'runs';
    writeState(st);
    return drawAll(st);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  for (const r of form.querySelectorAll('input[name="axis"]')) r.addEventListener('change', apply);
  range.addEventListener('change', () => { runFields.hidden = range.value !== 'runs'; if (range.value !== 'runs') apply(); });
  document.addEventListener('change', (ev) => {
    const p = ev.target.closest?.('input.trend-pick');
    if (!p) return;
    st.overlay = st.overlay.filter((n) => n !== p.value);
    if (p.checked) st.overlay.push(p.value);
    syncPicks(st);
    writeState(st);
    drawAll(st);
  });
  // Live updates (app.js relays the server-sent events).
  document.addEventListener('overwatch:update', () => drawAll(st));
  drawAll(st);
}

wire();
