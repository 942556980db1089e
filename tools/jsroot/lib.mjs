// Shared helpers of the Overwatch JSROOT test scripts: walk a ROOT file with
// JSROOT (the independent oracle) and turn what it reads into plain JSON.

import { openFile } from 'jsroot';

// JSROOT logs notes such as "gl module is not available" with console.log;
// keep stdout for the scripts' JSON lines.
console.log = console.info = (...args) => console.error(...args);

/** Classes Overwatch treats as histogram-like objects. */
export function isHistLike(cl) {
   return /^TH[123][CSIFDL]$/.test(cl) || cl === 'TProfile' || cl === 'TProfile2D' ||
          cl === 'TGraph' || cl === 'TGraphErrors' || cl === 'TGraphAsymmErrors' || cl === 'TObjString';
}

function isDirClass(cl) { return cl === 'TDirectory' || cl === 'TDirectoryFile'; }

/** Keeps only the highest cycle of every key name, in first-appearance order. */
function latestKeys(keys) {
   const best = new Map();
   for (const k of keys) {
      const prev = best.get(k.fName);
      if (!prev || k.fCycle > prev.fCycle)
         best.set(k.fName, k);
   }
   return [...best.values()];
}

/** Reads the object behind one key directly (key names may contain '/'). */
export async function readKey(file, key) {
   const buf = await file.readObjBuffer(key);
   const obj = {};
   buf.mapObject(1, obj);
   buf.classStreamer(obj, key.fClassName);
   return obj;
}

/**
 * Walks every key of a file recursively and calls visit(entry) for each
 * non-directory key, where entry = {dir, key, path, cycle, className, read()}.
 */
export async function walk(fileName, visit) {
   const file = await openFile(fileName);
   const rec = async (dirPath, keys) => {
      for (const k of latestKeys(keys)) {
         if (k.fName === 'StreamerInfo' && dirPath === '')
            continue;
         if (isDirClass(k.fClassName)) {
            const sub = dirPath ? `${dirPath}/${k.fName}` : k.fName;
            const dir = await file.readDirectory(sub);
            await rec(sub, dir.fKeys);
            continue;
         }
         const path = dirPath ? `${dirPath}/${k.fName}` : k.fName;
         await visit({ dir: dirPath, key: k.fName, path, cycle: k.fCycle, className: k.fClassName,
                       read: () => readKey(file, k) });
      }
   };
   await rec('', file.fKeys);
   return file;
}

/** Converts a number to JSON-safe form: non-finite values become strings. */
export function num(v) {
   if (typeof v !== 'number')
      return v;
   if (Number.isNaN(v))
      return 'NaN';
   if (v === Infinity)
      return '+Inf';
   if (v === -Infinity)
      return '-Inf';
   return v;
}

/** Converts a (typed) array to a plain JSON array with num(). */
export function arr(a) {
   if (!a)
      return null;
   return Array.from(a, num);
}

/** Prints one JSON line. */
export function out(o) {
   process.stdout.write(JSON.stringify(o) + '\n');
}

/** Exits with code once everything written to stdout is flushed (a plain
 * process.exit can cut output written to a pipe). */
export function exitAfterFlush(code) {
   process.stdout.write('', () => process.exit(code));
}
