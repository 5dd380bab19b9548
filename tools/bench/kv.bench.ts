/**
 * `get` of a 1 MiB key from each store against `fs.readFile` of the same
 * host file: what each store's path costs over Node reading the file. The
 * file is in the page cache, so these measure software, not the disk. The
 * crunched store is loaded from the module configure writes; FAT reads an
 * image made by our builder through a FileBlock.
 */
import { FileBlock } from '@mirage-ts/block/file';
import { FatFs } from '@mirage-ts/fat/fs';
import { buildFatImage } from '@mirage-ts/fat/builder/build-image';
import { CrunchKvRo } from '@mirage-ts/kv/crunch';
import { DirectKvRo } from '@mirage-ts/kv/direct';
import type { KvRo } from '@mirage-ts/types';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crunchModule } from '../../plugins/mirage/src/crunch/crunch-module';
import { readDataDir } from '../../plugins/mirage/src/crunch/read-data-dir';
import { ratio, type BenchRow } from './table';

const KEY_BYTES = 1024 * 1024;
const RUNS = 41;

/** Medians of `a` and `b` run alternately, so a busy machine slows both alike. */
async function pairedMediansMs(
  runs: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  const time = async (fn: () => Promise<unknown>, into: number[]) => {
    const start = process.hrtime.bigint();
    await fn();
    into.push(Number(process.hrtime.bigint() - start) / 1e6);
  };
  for (let i = 0; i < runs; i++) {
    const order: [() => Promise<unknown>, number[]][] = [
      [a, times[0]],
      [b, times[1]],
    ];
    if (i % 2) order.reverse();
    for (const [fn, into] of order) await time(fn, into);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return [median(times[0]), median(times[1])];
}

/** The crunched store as main.ts would load it: the generated module, evaluated. */
function crunchedStore(dir: string): Promise<CrunchKvRo> {
  const text = crunchModule({ symbol: 'Static1', source: 'bench', project: 'bench', entries: readDataDir(dir) });
  const entries = text.slice(text.indexOf('= [') + 2, text.indexOf('\n];') + 2);
  return CrunchKvRo.connect('bench', new Function(`return ${entries};`)());
}

export async function rows(): Promise<BenchRow[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `kv-bench-${process.pid}-`));
  const data = path.join(work, 't');
  fs.mkdirSync(data);
  const file = path.join(data, 'big.bin');
  fs.writeFileSync(file, Buffer.from(Array.from({ length: KEY_BYTES }, (_, i) => (i * 2654435761) >>> 24)));
  const image = path.join(work, 'fat1.img');
  buildFatImage(data, image);
  const device = await FileBlock.connect(image);
  const stores: [string, KvRo][] = [
    ['crunch', await crunchedStore(data)],
    ['direct', await DirectKvRo.connect(data)],
    ['FAT over a FileBlock', await FatFs.connect(device)],
  ];
  const out: BenchRow[] = [];
  try {
    for (const [name, kv] of stores) {
      const get = async () => {
        const r = await kv.get('big.bin');
        if (!r.ok || r.value.length !== KEY_BYTES) throw new Error(`${name}: get failed`);
      };
      // Warm both paths first (JIT, page cache) so the first store measured is not the one that pays for it.
      for (let i = 0; i < 5; i++) await Promise.all([get(), fs.promises.readFile(file)]);
      const [store, node] = await pairedMediansMs(RUNS, get, () => fs.promises.readFile(file));
      out.push({
        name: `kv: get of a 1 MiB key, ${name}`,
        value: `${store.toFixed(2)} ms`,
        comparison: `fs.readFile ${node.toFixed(2)} ms, ratio ${ratio(store, node)}`,
      });
    }
  } finally {
    await device.disconnect();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return out;
}
