// Reads a Trace Event Format file with Chrome DevTools' own trace engine
// (@paulirish/trace_engine, the importer of the Performance panel, which
// ships as ES modules: hence a separate Node program) and prints what it
// understood as JSON: the trace's bounds, and each thread's name and events.
//   node tools/testing/read-trace.mjs trace.json
import * as fs from 'node:fs';
import process from 'node:process';
import * as Trace from '@paulirish/trace_engine';

// The engine measures layout boxes with DOMRect, which Node lacks; nothing here is laid out.
globalThis.DOMRect ??= class DOMRect {
  constructor(x = 0, y = 0, width = 0, height = 0) {
    Object.assign(this, { x, y, width, height });
  }
};

const file = process.argv[2];
const json = JSON.parse(fs.readFileSync(file, 'utf8'));
const model = Trace.TraceModel.Model.createWithAllHandlers();
await model.parse(json.traceEvents ?? json);
const { data } = model.parsedTrace();
const threads = [];
for (const [pid, proc] of data.Renderer.processes) {
  for (const [tid, thread] of proc.threads) {
    threads.push({
      pid,
      tid,
      name: thread.name ?? null,
      events: thread.entries.map((e) => ({ name: e.name, cat: e.cat, ts: e.ts, dur: e.dur ?? 0, args: e.args ?? {} })),
      // The engine nests each thread's events into a tree: depth 1 means none of them overlap.
      depth: thread.tree?.maxDepth ?? 0,
    });
  }
}
const warnings = [...data.Warnings.perWarning.keys()];
process.stdout.write(`${JSON.stringify({ bounds: data.Meta.traceBounds, threads, warnings })}\n`);
