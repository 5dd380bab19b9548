/**
 * `npm run bench [-- area ...]`: runs every tools/bench/<area>.bench.ts (or
 * the named ones) and prints one table.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withMallocTunable } from '../../plugins/mirage/src/targets/unix';
import { formatTable, type BenchArea, type BenchRow } from './table';

/**
 * Stacks run inside this process, so it starts again with the malloc setting
 * a unix unikernel's launcher gives it (huge pages: see targets/unix.ts).
 * What the benches start inherits it too, so comparisons stay like for like.
 */
function rerunAsUnikernelsRun(): number | undefined {
  const tunables = withMallocTunable(process.env.GLIBC_TUNABLES);
  if (tunables === process.env.GLIBC_TUNABLES) return undefined;
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: tunables },
  });
  return r.status ?? 1;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const areas = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.bench\.ts$/, ''))
    .filter((a) => wanted.length === 0 || wanted.includes(a))
    .sort((a, b) => (a === 'skeleton' ? -1 : b === 'skeleton' ? 1 : a.localeCompare(b)));
  const rows: BenchRow[] = [];
  for (const area of areas) {
    process.stderr.write(`bench: ${area}...\n`);
    const mod = (await import(path.join(__dirname, `${area}.bench.ts`))) as { rows: BenchArea };
    try {
      rows.push(...(await mod.rows()));
    } catch (e) {
      rows.push({
        name: `${area}: not measured`,
        value: 'error',
        comparison: e instanceof Error ? e.message.split('\n')[0] : String(e),
      });
    }
  }
  process.stdout.write(`${formatTable(rows)}\n`);
}

const rerun = rerunAsUnikernelsRun();
if (rerun === undefined) void main();
else process.exitCode = rerun;
