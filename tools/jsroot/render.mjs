// Usage: node render.mjs JSONFILE [OPTION]
//        node render.mjs --batch < JOBS
//
// Parses TBufferJSON JSON with JSROOT's parse() and draws it with makeSVG(),
// the way the web app does. The single form prints the SVG size and exits 1
// when parsing or drawing fails. The batch form reads one job per line,
// {"id": ID, "json": JSON-TEXT-OR-OBJECT, "option": OPTION, "svg": BOOL},
// and prints one line per job:
//   {"id", "ok", "typename", "svgBytes", "svg" (when asked), "error"}
// checking that the SVG holds drawn content; it exits 1 when any job failed.
// A TObjString is drawn as text into an HTML element (as JSROOT does in the
// browser, using the jsdom that JSROOT itself depends on) and "svg" then
// holds that HTML.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse, makeSVG, draw } from 'jsroot';
import { out, exitAfterFlush } from './lib.mjs';

async function drawText(obj) {
   const { JSDOM } = await import('jsdom');
   const dom = new JSDOM('<!DOCTYPE html><div id="c" style="width:800px;height:600px"></div>');
   const el = dom.window.document.getElementById('c');
   await draw(el, obj);
   const text = Array.from(el.querySelectorAll('pre'), p => p.textContent).join('\n');
   if (text !== obj.fString)
      throw new Error(`drawn text ${JSON.stringify(text)} differs from fString ${JSON.stringify(obj.fString)}`);
   return el.innerHTML;
}

async function render(json, option) {
   const obj = parse(typeof json === 'string' ? json : JSON.stringify(json));
   if (!obj?._typename)
      throw new Error('parsed JSON has no _typename');
   if (obj._typename === 'TObjString')
      return { typename: obj._typename, svg: await drawText(obj) };
   const svg = await makeSVG({ object: obj, option: option ?? '', width: 800, height: 600 });
   if (typeof svg !== 'string' || !svg.startsWith('<svg'))
      throw new Error('makeSVG returned no SVG');
   // A drawn object produces paths (bins, markers, axes); an empty frame has very few.
   if (!/<path/.test(svg))
      throw new Error('SVG contains no drawn path');
   return { typename: obj._typename, svg };
}

const args = process.argv.slice(2);
if (args[0] === '--batch') {
   let failed = false;
   const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
   for await (const line of rl) {
      if (!line.trim())
         continue;
      let job;
      try {
         job = JSON.parse(line);
      } catch (err) {
         failed = true;
         out({ ok: false, error: `bad job line: ${err.message}` });
         continue;
      }
      try {
         const r = await render(job.json, job.option);
         const res = { id: job.id, ok: true, typename: r.typename, svgBytes: r.svg.length };
         if (job.svg)
            res.svg = r.svg;
         out(res);
      } catch (err) {
         failed = true;
         out({ id: job.id, ok: false, error: String(err?.message ?? err) });
      }
   }
   exitAfterFlush(failed ? 1 : 0);
} else {
   if (!args[0]) {
      console.error('usage: node render.mjs JSONFILE [OPTION] | node render.mjs --batch < JOBS');
      process.exit(2);
   }
   try {
      const r = await render(readFileSync(args[0], 'utf8'), args[1]);
      process.stdout.write(`${r.typename}: svg ${r.svg.length} bytes\n`);
   } catch (err) {
      console.error(`render failed: ${err?.message ?? err}`);
      process.exit(1);
   }
}
