/**
 * Benchmarks print figures and never pass or fail. Each area has a
 * `<area>.bench.ts` exporting `rows()`; `npm run bench` prints them all as
 * one table, `npm run bench -- block` only the rows of that area.
 */
export interface BenchRow {
  /** What was measured, e.g. `console: cold build`. */
  readonly name: string;
  /** The figure with its unit, e.g. `2.41 s`, `812 MB/s`. */
  readonly value: string;
  /** What it is compared with and the ratio, e.g. `nx no-op 1.62 s, ratio 1.49`. */
  readonly comparison?: string;
}

export type BenchArea = () => Promise<BenchRow[]>;

export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['benchmark', 'value', 'compared with'];
  const cells = rows.map((r) => [r.name, r.value, r.comparison ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

/** Median of `runs` timings of `fn`, in milliseconds. */
export async function medianMs(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
export const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : (a / b).toFixed(2));
