// Usage: node tojson.mjs FILE [PATH...]
//
// Prints, for every PATH of FILE (every histogram-like object when no PATH
// is given), one line {"path": PATH, "class": CLASS, "json": OBJECT} where
// OBJECT is JSROOT's toJSON() of the object as JSROOT reads it from the file
// (the TBufferJSON layout). Failures give {"path", "error"}; the exit status
// is 1 when any object failed.

import { toJSON } from 'jsroot';
import { walk, isHistLike, out } from './lib.mjs';

const [file, ...paths] = process.argv.slice(2);
if (!file) {
   console.error('usage: node tojson.mjs FILE [PATH...]');
   process.exit(2);
}
const want = new Set(paths);
const seen = new Set();
let failed = false;
await walk(file, async e => {
   if (want.size ? !want.has(e.path) : !isHistLike(e.className))
      return;
   seen.add(e.path);
   try {
      const o = await e.read();
      out({ path: e.path, class: e.className, json: JSON.parse(toJSON(o)) });
   } catch (err) {
      failed = true;
      out({ path: e.path, class: e.className, error: String(err?.message ?? err) });
   }
});
for (const p of paths) {
   if (!seen.has(p)) {
      failed = true;
      out({ path: p, error: 'not found' });
   }
}
process.exit(failed ? 1 : 0);
