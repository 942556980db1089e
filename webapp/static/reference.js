// Overwatch references: overlays a reference histogram, normalised to the
// same integral, on the plots drawn by app.js, and draws the ratio panel
// on demand, both with JSROOT. A plot gets an overlay when it carries
// data-ref-json (the compare page sets it; on a run page this script sets
// it from the reference run that applies, /api/references?sys=&run=). It
// follows app.js's redraws through the plots' data-drawn attribute. No
// inline scripts: everything comes through data-* attributes.

import { jsrootModule } from './app.js';

const body = document.body;
const useJSROOT = body.dataset.jsroot === '1';

let jsrootPromise = null;
function jsroot() {
  if (!jsrootPromise) jsrootPromise = jsrootModule('main.mjs');
  return jsrootPromise;
}

async function getText(url) {
  const r = await fetch(url, { credentials: 'same-origin', cache: 'no-cache' });
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try { const j = await r.json(); if (j.error) msg = j.error; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return r.text();
}

// Reference JSON is read once per page (a reference run's outputs change
// rarely); the drawn histogram is read again on every redraw.
const refCache = new Map();
function refText(url) {
  if (!refCache.has(url)) refCache.set(url, getText(url).catch((e) => { refCache.delete(url); throw e; }));
  return refCache.get(url);
}

const is2D = (o) => /^(TH2|TH3|TProfile2D)/.test(o._typename || '');

// inRange lists the indices of fArray inside the axes (no under- or
// overflow), which is what ROOT's Integral sums.
function inRange(o) {
  const nx = o.fXaxis.fNbins;
  const out = [];
  if (!is2D(o)) {
    for (let i = 1; i <= nx; i++) out.push(i);
    return out;
  }
  const ny = o.fYaxis.fNbins;
  for (let j = 1; j <= ny; j++) for (let i = 1; i <= nx; i++) out.push(j * (nx + 2) + i);
  return out;
}

function compatible(h, ref) {
  return h.fArray && ref.fArray && h.fArray.length === ref.fArray.length && is2D(h) === is2D(ref)
    && h.fXaxis.fNbins === ref.fXaxis.fNbins && (!is2D(h) || h.fYaxis.fNbins === ref.fYaxis.fNbins);
}

// normalise scales ref to h's integral and returns the factor (0 when the
// reference is empty).
function normalise(h, ref) {
  const idx = inRange(h);
  let sh = 0; let sr = 0;
  for (const i of idx) { sh += h.fArray[i]; sr += ref.fArray[i]; }
  const f = sr > 0 ? sh / sr : 0;
  for (let i = 0; i < ref.fArray.length; i++) ref.fArray[i] *= f;
  if (ref.fSumw2 && ref.fSumw2.length) for (let i = 0; i < ref.fSumw2.length; i++) ref.fSumw2[i] *= f * f;
  return f;
}

// ratioOf returns h / ref (ref normalised) bin by bin, 0 where the
// reference is 0, with the propagated uncertainties.
function ratioOf(J, hText, ref, label) {
  const r = J.parse(hText);
  const h = J.parse(hText);
  const sw = (o, i) => (o.fSumw2 && o.fSumw2.length ? o.fSumw2[i] : Math.abs(o.fArray[i]));
  const err2 = new Array(r.fArray.length).fill(0);
  for (let i = 0; i < r.fArray.length; i++) {
    const m = h.fArray[i]; const d = ref.fArray[i];
    r.fArray[i] = d > 0 ? m / d : 0;
    err2[i] = d > 0 ? sw(h, i) / (d * d) + (m * m * sw(ref, i)) / (d * d * d * d) : 0;
  }
  r.fSumw2 = err2;
  r.fName = `${h.fName}_ratio`;
  r.fTitle = `${h.fTitle} / ${label}`;
  r.fMinimum = -1111; r.fMaximum = -1111;
  r.fLineColor = 1; r.fMarkerColor = 1; r.fMarkerStyle = 20; r.fMarkerSize = 0.6;
  r.fBits |= 1 << 9; // kNoStats
  return r;
}

// overlay draws the reference over a drawn plot.
async function overlay(div) {
  if (!div.dataset.refJson || !useJSROOT) return;
  const drawn = div.dataset.drawn;
  const J = await jsroot();
  const [hText, rText] = await Promise.all([getText(div.dataset.json), refText(div.dataset.refJson)]);
  if (div.dataset.drawn !== drawn) return; // app.js redrew meanwhile: the next mutation overlays
  const h = J.parse(hText);
  const ref = J.parse(rText);
  const block = div.closest('.plot-block');
  const label = div.dataset.refLabel || 'reference';
  if (!compatible(h, ref)) {
    div.dataset.refState = 'incompatible';
    note(block, `The reference (${label}) has other binning: not overlaid.`);
    return;
  }
  const f = normalise(h, ref);
  div.refState = { hText, ref, label };
  if (!is2D(h)) {
    ref.fName = 'reference'; ref.fTitle = label;
    ref.fLineColor = 2; ref.fLineWidth = 2; ref.fLineStyle = 1; ref.fFillStyle = 0; ref.fFillColor = 0; ref.fMarkerColor = 2;
    await J.draw(div, ref, 'same hist');
    note(block, `Red: ${label}, scaled by ${f.toPrecision(4)} to the same integral.`);
  } else {
    note(block, `Reference ${label}: see the ratio.`);
  }
  div.dataset.refState = 'drawn';
  div.dataset.refDrawn = String(Number(div.dataset.refDrawn || 0) + 1);
  ensureRatioButton(block, div);
  const panel = block?.querySelector('.ratio');
  if (panel && !panel.hidden) await drawRatio(div, panel);
}

function note(block, text) {
  if (!block) return;
  let p = block.querySelector('.reference-note');
  if (!p) {
    p = document.createElement('p');
    p.className = 'reference-note';
    block.querySelector('.plot')?.before(p);
  }
  p.textContent = text;
}

function ensureRatioButton(block, div) {
  if (!block || block.querySelector('.ratio-toggle')) return;
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'ratio-toggle';
  b.textContent = 'Ratio to reference';
  const panel = document.createElement('div');
  panel.className = 'ratio';
  panel.hidden = true;
  const after = div.closest('.compare-row') || div;
  after.after(b, panel);
}

async function drawRatio(div, panel) {
  const st = div.refState;
  if (!st) return;
  const J = await jsroot();
  const r = ratioOf(J, st.hText, st.ref, st.label);
  J.cleanup(panel);
  panel.textContent = '';
  await J.draw(panel, r, is2D(r) ? 'colz' : 'e1');
  panel.dataset.drawn = String(Number(panel.dataset.drawn || 0) + 1);
}

document.addEventListener('click', (ev) => {
  const b = ev.target.closest?.('button.ratio-toggle');
  if (!b) return;
  const block = b.closest('.plot-block');
  const div = block.querySelector('.plot[data-ref-json]');
  const panel = block.querySelector('.ratio');
  if (!div || !panel) return;
  panel.hidden = !panel.hidden;
  b.textContent = panel.hidden ? 'Ratio to reference' : 'Hide the ratio';
  if (!panel.hidden) drawRatio(div, panel).catch((e) => { panel.textContent = `Cannot draw the ratio: ${e.message}`; });
});

// ---------- the run page: which reference applies ----------

const resolved = new Map();
function resolve(sys, run) {
  const k = `${sys}/${run}`;
  if (!resolved.has(k)) {
    resolved.set(k, getText(`/api/references?sys=${encodeURIComponent(sys)}&run=${run}`)
      .then((t) => JSON.parse(t).applies || null)
      .catch((e) => { resolved.delete(k); throw e; }));
  }
  return resolved.get(k);
}

async function attachRunReference(div) {
  const page = div.closest('#run-page');
  if (!page || div.dataset.refJson || div.dataset.refState === 'none') return;
  const line = document.getElementById('reference-line');
  const info = line?.querySelector('.reference-info');
  let ref;
  try {
    ref = await resolve(page.dataset.sys, page.dataset.run);
  } catch (e) {
    if (info) info.textContent = `References unavailable: ${e.message}`;
    div.dataset.refState = 'none';
    return;
  }
  if (ref && ref.file) { // an uploaded reference file
    if (info) info.textContent = `Reference: file ${ref.fileName} (${ref.subsystem}/${ref.first}-${ref.last || ''}, set by ${ref.author || '?'}).`;
    div.dataset.refJson = `/api/references/file/${ref.file}/json?name=${encodeURIComponent(div.dataset.name)}`;
    div.dataset.refLabel = `reference file ${ref.fileName}`;
    return;
  }
  if (!ref || String(ref.run) === page.dataset.run) {
    if (info) info.textContent = ref ? 'This run is its own reference.' : 'No reference is declared for this run.';
    div.dataset.refState = 'none';
    return;
  }
  const range = `${ref.first}-${ref.last || ''}`;
  if (info) {
    info.textContent = `Reference: run ${ref.run} (${ref.subsystem}/${range}, set by ${ref.author || '?'}).`;
    info.dataset.run = String(ref.run);
  }
  const path = div.dataset.json.split('?')[0];
  div.dataset.refJson = path.replace(/^\/api\/runs\/[0-9]+\//, `/api/runs/${ref.run}/`);
  div.dataset.refLabel = `reference run ${ref.run}`;
}

async function onDrawn(div) {
  try {
    await attachRunReference(div);
    await overlay(div);
  } catch (e) {
    div.dataset.refState = 'failed';
    note(div.closest('.plot-block'), `Cannot draw the reference: ${e.message}`);
  }
}

if (useJSROOT) {
  new MutationObserver((records) => {
    const seen = new Set();
    for (const r of records) {
      const div = r.target;
      if (seen.has(div) || !div.matches?.('.plot[data-json]') || !div.dataset.drawn || div.querySelector('img')) continue;
      seen.add(div);
      onDrawn(div);
    }
  }).observe(body, { subtree: true, attributes: true, attributeFilter: ['data-drawn'] });
}

// ---------- the references page: uploading a reference file ----------

const upload = document.getElementById('reference-upload');
upload?.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const status = document.getElementById('upload-status');
  const file = document.getElementById('upload-file').files[0];
  if (!file) return;
  const q = new URLSearchParams({ name: file.name });
  for (const k of ['sys', 'first', 'last', 'version', 'comment']) {
    const v = upload.elements[k].value.trim();
    if (v) q.set(k, v);
  }
  status.textContent = 'Uploading…';
  try {
    const r = await fetch(`/api/references/file?${q}`, {
      method: 'POST', credentials: 'same-origin', body: file,
      headers: { 'X-CSRF-Token': upload.dataset.csrf, 'Content-Type': 'application/octet-stream' },
    });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(j.error || `${r.status} ${r.statusText}`);
    location.href = `/references?sys=${encodeURIComponent(j.reference.subsystem)}`;
  } catch (e) {
    status.textContent = `Upload failed: ${e.message}`;
    status.classList.add('message');
  }
});
