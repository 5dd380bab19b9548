/**
 * The file block device against Node's own positioned reads and writes of
 * the same file: what the device's checks and bookkeeping cost. The file is
 * in the page cache, so these measure the software path, not the disk.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileBlock } from '@mirage-ts/block/file';
import { ratio, type BenchRow } from './table';

const MiB = 1024 * 1024;
const FILE_BYTES = 64 * MiB;
const RANDOM_OPS = 4000;
const RUNS = 9;

/**
 * Median times of `a` and `b`, run alternately (a b, b a, ...), so that a
 * busy machine slows both sides alike instead of whichever ran second.
 */
async function pairedMediansMs(
  runs: number,
  a: () => Promise<void>,
  b: () => Promise<void>,
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  const time = async (fn: () => Promise<void>, into: number[]) => {
    const start = process.hrtime.bigint();
    await fn();
    into.push(Number(process.hrtime.bigint() - start) / 1e6);
  };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      await time(a, times[0]);
      await time(b, times[1]);
    } else {
      await time(b, times[1]);
      await time(a, times[0]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return [median(times[0]), median(times[1])];
}

function mbPerS(bytes: number, ms: number): string {
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
}

function opsPerS(ops: number, ms: number): string {
  return `${Math.round(ops / (ms / 1000)).toLocaleString('en-US')} op/s`;
}

/** Sector numbers spread over the file, the same for both sides. */
function randomSectors(count: number, sectors: number, unit: number): number[] {
  let x = 0x2545f491;
  return Array.from({ length: count }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (Math.abs(x) % Math.floor(sectors / unit)) * unit;
  });
}

export async function rows(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `block-bench-${process.pid}-`));
  const file = path.join(dir, 'disk.img');
  fs.writeFileSync(file, Buffer.alloc(FILE_BYTES, 0x5a));
  const device = await FileBlock.connect(file);
  const fh = await fs.promises.open(file, 'r+');
  try {
    const chunk = Buffer.alloc(MiB, 0xa5);
    const sectorsPerMiB = MiB / 512;
    const [seqDeviceRead, seqFsRead] = await pairedMediansMs(
      RUNS,
      async () => {
        for (let s = 0; s < FILE_BYTES / 512; s += sectorsPerMiB) {
          const r = await device.read(BigInt(s), [chunk]);
          if (!r.ok) throw new Error(r.error.message);
        }
      },
      async () => {
        for (let p = 0; p < FILE_BYTES; p += MiB) await fh.read(chunk, 0, MiB, p);
      },
    );
    const [seqDeviceWrite, seqFsWrite] = await pairedMediansMs(
      RUNS,
      async () => {
        for (let s = 0; s < FILE_BYTES / 512; s += sectorsPerMiB) {
          const r = await device.write(BigInt(s), [chunk]);
          if (!r.ok) throw new Error(r.error.message);
        }
      },
      async () => {
        for (let p = 0; p < FILE_BYTES; p += MiB) await fh.write(chunk, 0, MiB, p);
      },
    );

    const page = Buffer.alloc(4096);
    const targets = randomSectors(RANDOM_OPS, FILE_BYTES / 512, 8);
    const [randDeviceRead, randFsRead] = await pairedMediansMs(
      RUNS,
      async () => {
        for (const s of targets) {
          const r = await device.read(BigInt(s), [page]);
          if (!r.ok) throw new Error(r.error.message);
        }
      },
      async () => {
        for (const s of targets) await fh.read(page, 0, 4096, s * 512);
      },
    );
    const [randDeviceWrite, randFsWrite] = await pairedMediansMs(
      RUNS,
      async () => {
        for (const s of targets) {
          const r = await device.write(BigInt(s), [page]);
          if (!r.ok) throw new Error(r.error.message);
        }
      },
      async () => {
        for (const s of targets) await fh.write(page, 0, 4096, s * 512);
      },
    );

    return [
      {
        name: 'block: file device, sequential 1 MiB reads',
        value: mbPerS(FILE_BYTES, seqDeviceRead),
        comparison: `Node fs ${mbPerS(FILE_BYTES, seqFsRead)}, device/fs ${ratio(seqFsRead, seqDeviceRead)}`,
      },
      {
        name: 'block: file device, sequential 1 MiB writes',
        value: mbPerS(FILE_BYTES, seqDeviceWrite),
        comparison: `Node fs ${mbPerS(FILE_BYTES, seqFsWrite)}, device/fs ${ratio(seqFsWrite, seqDeviceWrite)}`,
      },
      {
        name: 'block: file device, 4 KiB random reads',
        value: opsPerS(RANDOM_OPS, randDeviceRead),
        comparison: `Node fs ${opsPerS(RANDOM_OPS, randFsRead)}, device/fs ${ratio(randFsRead, randDeviceRead)}`,
      },
      {
        name: 'block: file device, 4 KiB random writes',
        value: opsPerS(RANDOM_OPS, randDeviceWrite),
        comparison: `Node fs ${opsPerS(RANDOM_OPS, randFsWrite)}, device/fs ${ratio(randFsWrite, randDeviceWrite)} (the device checks the file's length first)`,
      },
    ];
  } finally {
    await device.disconnect();
    await fh.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
