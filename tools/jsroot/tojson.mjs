// Usage: node tojson.mjs FILE [PATH...]
//        node tojson.mjs --all FILE...
//
// Prints, for every PATH of FILE (every histogram-like object when no PATH
// is given, or with --all for every FILE), one line
// {"file": FILE, "path": PATH, "class": CLASS, "json": OBJECT} where OBJECT
// is JSROOT's toJSON() of the object as JSROOT reads it from the file (the
// TBufferJSON layout). Failures give {"file", "path", "error"}; the exit
// status is 1 when any object failed.

import { toJSON } from 'jsroot';
import { walk, isHistLike, out, exitAfterFlush } from './lib.mjs';

const args = process.argv.slice(2);
if (!args.length) {
   console.error('usage: node tojson.mjs FILE [PATH...] | node tojson.mjs --all FILE...');
   process.exit(2);
}
const jobs = args[0] === '--all' ? args.slice(1).map(f => [f, []]) : [[args[0], args.slice(1)]];
let failed = false;
for (const [file, paths] of jobs) {
   const want = new Set(paths);
   const seen = new Set();
   try {
      await walk(file, async e => {
         if (want.size ? !want.has(e.path) : !isHistLike(e.className))
            return;
         seen.add(e.path);
         try {
            const o = await e.read();
            out({ file, path: e.path, class: e.className, json: JSON.parse(toJSON(o)) });
         } catch (err) {
            failed = true;
            out({ file, path: e.path, class: e.className, error: String(err?.message ?? err) });
         }
      });
   } catch (err) {
      failed = true;
      out({ file, path: '', error: `open: ${err?.message ?? err}` });
   }
   for (const p of paths) {
      if (!seen.has(p)) {
         failed = true;
         out({ file, path: p, error: 'not found' });
      }
   }
}
exitAfterFlush(failed ? 1 : 0);
