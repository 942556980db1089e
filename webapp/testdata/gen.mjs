// Regenerates the JSROOT JSON fixtures of the web-app tests with JSROOT
// itself (an independent encoder):
//   node webapp/testdata/gen.mjs webapp/testdata   (from the repository root, after make setup-jsroot)
const { createHistogram, toJSON } = await import(new URL('../../tools/jsroot/node_modules/jsroot/modules/main.mjs', import.meta.url));
import { writeFileSync } from 'node:fs';

const dir = process.argv[2] || '.';

const h2 = createHistogram('TH2F', 24, 12);
Object.assign(h2, { fName: 'hEMCalPatchMap', fTitle: 'EMCal patch map' });
Object.assign(h2.fXaxis, { fXmin: 0, fXmax: 48, fTitle: 'col' });
Object.assign(h2.fYaxis, { fXmin: 0, fXmax: 24, fTitle: 'row' });
let n = 0;
for (let iy = 1; iy <= 12; ++iy)
  for (let ix = 1; ix <= 24; ++ix) {
    const v = (ix * 7 + iy * 13) % 29 + 1;
    h2.fArray[iy * 26 + ix] = v;
    n += v;
  }
h2.fEntries = n;
writeFileSync(`${dir}/th2f.json`, toJSON(h2));

const h1 = createHistogram('TH1F', 50);
Object.assign(h1, { fName: 'hEvents', fTitle: 'events' });
Object.assign(h1.fXaxis, { fXmin: 0, fXmax: 100, fTitle: 'x' });
for (let i = 1; i <= 50; ++i) h1.fArray[i] = Math.round(1000 * Math.exp(-((i - 25) ** 2) / 50));
h1.fEntries = h1.fArray.reduce((a, b) => a + b, 0);
writeFileSync(`${dir}/th1f.json`, toJSON(h1));
