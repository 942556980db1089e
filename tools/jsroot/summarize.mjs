// Usage: node summarize.mjs [--full] FILE...
//
// Prints one JSON line per histogram-like object (TH1*, TH2*, TH3*, TProfile,
// TProfile2D, TGraph*, TObjString) of every FILE, as JSROOT reads it:
//   {file, path, dir, key, cycle, class, name, title, entries, nbins, sum}
// where nbins has one entry per dimension and sum is the sum of the in-range
// bin contents (bin means for profiles). --full adds the statistics sums,
// every cell array (fArray, fSumw2, fBinEntries, fBinSumw2), the axes
// (nbins, min, max, edges, labels, title, time display) and the graph points.
// Objects JSROOT cannot read give {file, path, class, error}. Non-finite
// numbers are written as the strings "NaN", "+Inf", "-Inf".

import { walk, isHistLike, num, arr, out, exitAfterFlush } from './lib.mjs';

function histDim(cl) {
   if (cl === 'TProfile')
      return 1;
   if (cl === 'TProfile2D')
      return 2;
   return Number(cl[2]);
}

function axisInfo(a) {
   const labels = [];
   if (a.fLabels?.arr) {
      for (const s of a.fLabels.arr)
         labels.push({ bin: s.fUniqueID, label: s.fString });
   }
   return {
      name: a.fName, title: a.fTitle, nbins: a.fNbins, min: num(a.fXmin), max: num(a.fXmax),
      edges: arr(a.fXbins), labels, first: a.fFirst, last: a.fLast,
      timeDisplay: Boolean(a.fTimeDisplay), timeFormat: a.fTimeFormat ?? '', bits2: a.fBits2 ?? 0,
      attr: [a.fNdivisions, a.fAxisColor, a.fLabelColor, a.fLabelFont, a.fLabelOffset, a.fLabelSize,
         a.fTickLength, a.fTitleOffset, a.fTitleSize, a.fTitleColor, a.fTitleFont].map(num)
   };
}

function summarizeHist(o, cl, full) {
   const dim = histDim(cl), profile = cl.startsWith('TProfile');
   const axes = [o.fXaxis, o.fYaxis, o.fZaxis].slice(0, dim);
   const nbins = axes.map(a => a.fNbins);
   const nx = nbins[0] + 2, ny = dim > 1 ? nbins[1] + 2 : 1;
   let sum = 0;
   for (let bin = 0; bin < o.fArray.length; ++bin) {
      const ix = bin % nx, iy = Math.floor(bin / nx) % ny, iz = Math.floor(bin / (nx * ny));
      if (ix < 1 || ix > nbins[0])
         continue;
      if (dim > 1 && (iy < 1 || iy > nbins[1]))
         continue;
      if (dim > 2 && (iz < 1 || iz > nbins[2]))
         continue;
      let c = o.fArray[bin];
      if (profile)
         c = o.fBinEntries[bin] ? c / o.fBinEntries[bin] : 0;
      sum += c;
   }
   const s = { name: o.fName, title: o.fTitle, entries: num(o.fEntries), nbins, sum: num(sum) };
   if (!full)
      return s;
   s.ncells = o.fNcells;
   s.stats = {};
   for (const k of ['fTsumw', 'fTsumw2', 'fTsumwx', 'fTsumwx2', 'fTsumwy', 'fTsumwy2', 'fTsumwxy',
      'fTsumwz', 'fTsumwz2', 'fTsumwxz', 'fTsumwyz']) {
      if (o[k] !== undefined)
         s.stats[k] = num(o[k]);
   }
   s.array = arr(o.fArray);
   s.sumw2 = arr(o.fSumw2);
   s.axes = [o.fXaxis, o.fYaxis, o.fZaxis].map(axisInfo);
   s.minimum = num(o.fMinimum);
   s.maximum = num(o.fMaximum);
   s.normFactor = num(o.fNormFactor);
   s.option = o.fOption;
   s.barOffset = o.fBarOffset;
   s.barWidth = o.fBarWidth;
   s.statOverflows = o.fStatOverflows;
   s.binStatErrOpt = o.fBinStatErrOpt;
   s.contour = arr(o.fContour);
   s.line = [o.fLineColor, o.fLineStyle, o.fLineWidth];
   s.fill = [o.fFillColor, o.fFillStyle];
   s.marker = [o.fMarkerColor, o.fMarkerStyle, num(o.fMarkerSize)];
   if (profile) {
      s.binEntries = arr(o.fBinEntries);
      s.binSumw2 = arr(o.fBinSumw2);
      s.errorMode = o.fErrorMode;
      s.pmin = num(cl === 'TProfile' ? o.fYmin : o.fZmin);
      s.pmax = num(cl === 'TProfile' ? o.fYmax : o.fZmax);
   }
   const funcs = o.fFunctions?.arr ?? [];
   s.functions = funcs.map(f => f._typename);
   return s;
}

function summarizeGraph(o, full) {
   const s = { name: o.fName, title: o.fTitle, entries: o.fNpoints, nbins: [o.fNpoints], sum: num(Array.from(o.fY ?? []).reduce((a, b) => a + b, 0)) };
   if (!full)
      return s;
   s.x = arr(o.fX);
   s.y = arr(o.fY);
   for (const [k, f] of [['ex', 'fEX'], ['ey', 'fEY'], ['exlow', 'fEXlow'], ['exhigh', 'fEXhigh'], ['eylow', 'fEYlow'], ['eyhigh', 'fEYhigh']]) {
      if (o[f])
         s[k] = arr(o[f]);
   }
   s.minimum = num(o.fMinimum);
   s.maximum = num(o.fMaximum);
   s.line = [o.fLineColor, o.fLineStyle, o.fLineWidth];
   s.fill = [o.fFillColor, o.fFillStyle];
   s.marker = [o.fMarkerColor, o.fMarkerStyle, num(o.fMarkerSize)];
   if (o.fHistogram) {
      s.xtitle = o.fHistogram.fXaxis.fTitle;
      s.ytitle = o.fHistogram.fYaxis.fTitle;
      s.xtime = Boolean(o.fHistogram.fXaxis.fTimeDisplay);
      s.timeFormat = o.fHistogram.fXaxis.fTimeFormat ?? '';
   }
   return s;
}

const args = process.argv.slice(2);
const full = args[0] === '--full';
const files = full ? args.slice(1) : args;
if (!files.length) {
   console.error('usage: node summarize.mjs [--full] FILE...');
   process.exit(2);
}
let failed = false;
for (const file of files) {
   try {
      await walk(file, async e => {
         if (!isHistLike(e.className))
            return;
         const base = { file, path: e.path, dir: e.dir, key: e.key, cycle: e.cycle, class: e.className };
         try {
            const o = await e.read();
            let s;
            if (e.className === 'TObjString')
               s = { name: o.fString, title: '', entries: 0, nbins: [], sum: 0, string: o.fString };
            else if (e.className.startsWith('TGraph'))
               s = summarizeGraph(o, full);
            else
               s = summarizeHist(o, e.className, full);
            out({ ...base, ...s });
         } catch (err) {
            out({ ...base, error: String(err?.message ?? err) });
         }
      });
   } catch (err) {
      out({ file, error: `open: ${err?.message ?? err}` });
      failed = true;
   }
}
exitAfterFlush(failed ? 1 : 0);
