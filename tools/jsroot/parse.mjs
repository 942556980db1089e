// Usage: node parse.mjs < JOBS
//
// Reads one job per line, {"id": ID, "json": JSON-TEXT}, parses JSON-TEXT
// with JSROOT's parse() (which decodes the "$arr" compact arrays and
// references) and prints {"id", "obj"} where obj is the parsed object with
// every typed array turned into a plain array and non-finite numbers
// written as "NaN", "+Inf", "-Inf"; or {"id", "error"}. Exits 1 when any
// job failed.

import { createInterface } from 'node:readline';
import { parse } from 'jsroot';
import { num, out, exitAfterFlush } from './lib.mjs';

function plain(v) {
   if (typeof v === 'number')
      return num(v);
   if (ArrayBuffer.isView(v) || Array.isArray(v))
      return Array.from(v, plain);
   if (v && typeof v === 'object') {
      const o = {};
      for (const k of Object.keys(v))
         o[k] = plain(v[k]);
      return o;
   }
   return v;
}

let failed = false;
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
   if (!line.trim())
      continue;
   let job;
   try {
      job = JSON.parse(line);
      const obj = parse(typeof job.json === 'string' ? job.json : JSON.stringify(job.json));
      out({ id: job.id, obj: plain(obj) });
   } catch (err) {
      failed = true;
      out({ id: job?.id, error: String(err?.message ?? err) });
   }
}
exitAfterFlush(failed ? 1 : 0);
