// Prints the functions with the most self time in a V8 .cpuprofile (node --cpu-prof).
'use strict';
const fs = require('node:fs');
const profile = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const self = new Map();
const dt = profile.timeDeltas;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map();
// Each sample counts once: on a loaded machine the process is descheduled between samples, and
// weighting by the time since the previous sample charged those gaps to whatever ran next.
const weighted = process.argv.includes('--weighted');
profile.samples.forEach((id, i) => counts.set(id, (counts.get(id) ?? 0) + (weighted ? (dt[i] ?? 0) : 1)));
let total = 0;
for (const [id, us] of counts) {
  const f = byId.get(id).callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(libs|tools|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  total += us;
}
const top = [...self]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(process.argv.slice(3).find((a) => !a.startsWith('--')) ?? 20));
for (const [k, us] of top) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
