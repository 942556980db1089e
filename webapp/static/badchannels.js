// Overwatch bad channels: draws the confirmed bad channels of a channel
// map masked (black boxes on a TH2, grey hatched bins on a TH1) over the
// plot app.js drew, with JSROOT, after every redraw (the plots'
// data-drawn attribute), and sends an expert's Confirm / Remove decisions
// (POST /api/badchannels with the CSRF token). No inline scripts.

import { jsrootModule } from './app.js';

const body = document.body;
const csrf = body.dataset.csrf || '';
const useJSROOT = body.dataset.jsroot === '1';

let jsrootPromise = null;
function jsroot() {
  if (!jsrootPromise) jsrootPromise = jsrootModule('main.mjs');
  return jsrootPromise;
}

const is2D = (o) => /^(TH2|TProfile2D)/.test(o._typename || '');

// maskOf returns a histogram with h's binning (m: a second parse of the
// same JSON, with JSROOT's methods) holding the masked cells only.
function maskOf(h, m, cells) {
  const top = Math.max(1, ...h.fArray);
  m.fArray = new Array(h.fArray.length).fill(0);
  for (const c of cells) if (c >= 0 && c < m.fArray.length) m.fArray[c] = is2D(h) ? 1 : top;
  m.fSumw2 = [];
  m.fName = `${h.fName}_masked`;
  m.fTitle = 'masked bad channels';
  m.fFillColor = is2D(h) ? 1 : 920;
  m.fFillStyle = is2D(h) ? 1001 : 3004;
  m.fLineColor = 1;
  m.fMinimum = -1111; m.fMaximum = -1111;
  return m;
}

// maxBoxes bounds the boxes drawn one by one.
const maxBoxes = 500;

// edges returns the low and high edges of bin i of a JSROOT axis.
function edges(ax, i) {
  if (ax.fXbins && ax.fXbins.length === ax.fNbins + 1) return [ax.fXbins[i - 1], ax.fXbins[i]];
  const w = (ax.fXmax - ax.fXmin) / ax.fNbins;
  return [ax.fXmin + (i - 1) * w, ax.fXmin + i * w];
}

async function drawMask(div) {
  let cells;
  try { cells = JSON.parse(div.dataset.masked); } catch (e) { return; }
  if (!Array.isArray(cells) || !cells.length) return;
  const drawn = div.dataset.drawn;
  const J = await jsroot();
  const r = await fetch(div.dataset.json, { credentials: 'same-origin', cache: 'no-cache' });
  if (!r.ok) return;
  const text = await r.text();
  const h = J.parse(text);
  if (div.dataset.drawn !== drawn) return; // redrawn meanwhile: the next mutation masks
  if (!is2D(h) || cells.length > maxBoxes) {
    await J.draw(div, maskOf(h, J.parse(text), cells), is2D(h) ? 'same box' : 'same hist');
  } else {
    // One black box per masked cell of the map (a log z scale does not
    // shrink them, as it would TH2 'box' cells).
    const nx = h.fXaxis.fNbins + 2;
    for (const c of cells) {
      const ix = c % nx; const iy = Math.floor(c / nx);
      if (ix < 1 || ix > h.fXaxis.fNbins || iy < 1 || iy > h.fYaxis.fNbins) continue;
      const [x1, x2] = edges(h.fXaxis, ix); const [y1, y2] = edges(h.fYaxis, iy);
      const b = J.create('TBox');
      Object.assign(b, { fX1: x1, fY1: y1, fX2: x2, fY2: y2, fLineColor: 1, fLineWidth: 1, fLineStyle: 1, fFillColor: 1, fFillStyle: 1001 });
      await J.draw(div, b, 'same');
    }
  }
  div.dataset.maskDrawn = String(Number(div.dataset.maskDrawn || 0) + 1);
}

if (useJSROOT) {
  new MutationObserver((records) => {
    const seen = new Set();
    for (const rec of records) {
      const div = rec.target;
      if (seen.has(div) || !div.matches?.('.plot[data-masked]') || !div.dataset.drawn || div.querySelector('img')) continue;
      seen.add(div);
      drawMask(div).catch((e) => { div.dataset.maskError = e.message; });
    }
  }).observe(body, { subtree: true, attributes: true, attributeFilter: ['data-drawn'] });
}

document.addEventListener('click', (ev) => {
  const b = ev.target.closest?.('button.channel-action');
  if (!b || b.disabled) return;
  const status = b.parentElement.querySelector('.channel-status');
  b.disabled = true;
  const req = {
    subsystem: b.dataset.sys, hist: b.dataset.hist, cell: Number(b.dataset.cell),
    state: b.dataset.state, version: Number(b.dataset.version),
  };
  fetch('/api/badchannels', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify(req),
  }).then(async (r) => {
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(j.error || `${r.status} ${r.statusText}`);
    location.reload(); // the page shows the new list and draws the mask
  }).catch((e) => { b.disabled = false; if (status) status.textContent = ` ${e.message}`; });
});
