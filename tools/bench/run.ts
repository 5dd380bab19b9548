/**
 * `npm run bench [-- area ...]`: runs every tools/bench/<area>.bench.ts (or
 * the named ones) and prints one table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatTable, type BenchArea, type BenchRow } from './table';

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

void main();
