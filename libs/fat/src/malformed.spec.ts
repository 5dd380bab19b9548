import { MemoryBlock } from '@mirage-ts/block/memory';
import type { KvError, KvRo, Result } from '@mirage-ts/types';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseBootSector, type FatType, type Geometry } from './boot-sector';
import { buildFatImage } from './builder/build-image';
import { parseDirectory } from './directory-entry';
import { FatDeviceError, FatFormatError } from './errors';
import { FatFs } from './fs';
import { pseudoRandomBytes } from './test-helpers/tree';

/**
 * Corrupt FAT images: each known kind of damage gives a clear error value
 * (or a refused connect) naming what is wrong, and a seeded fuzz run over
 * mutated images finds no exception other than those errors and no hang.
 */
let work: string;
const images = new Map<FatType, Buffer>();

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fat-malformed-'));
  const src = path.join(work, 'src');
  fs.mkdirSync(path.join(src, 'dir/sub'), { recursive: true });
  fs.writeFileSync(path.join(src, 'a'), 'foo\n');
  fs.writeFileSync(path.join(src, 'multi.bin'), pseudoRandomBytes(5000, 3)); // several 512-byte clusters
  fs.writeFileSync(path.join(src, 'dir/inner.txt'), 'inner\n');
  fs.writeFileSync(path.join(src, 'dir/sub/deep with a long name.txt'), 'deep\n');
  for (const t of [12, 16, 32] as const) {
    const file = path.join(work, `fat${t}.img`);
    buildFatImage(src, file, { fatType: t, sectorsPerCluster: 1 });
    images.set(t, fs.readFileSync(file));
  }
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const copy = (t: FatType) => Buffer.from(images.get(t) as Buffer);
const geometryOf = (img: Buffer): Geometry => parseBootSector(img.subarray(0, 512), img.length);
const connect = async (img: Uint8Array, sector = 512) =>
  FatFs.connect(await MemoryBlock.fromBytes(img, { sectorSize: sector, readOnly: true }));

function setFat(img: Buffer, g: Geometry, cluster: number, value: number): void {
  for (let f = 0; f < g.numFats; f++) {
    const base = (g.reservedSectors + f * g.fatSectors) * g.bytesPerSector;
    if (g.fatType === 32) img.writeUInt32LE(value, base + cluster * 4);
    else if (g.fatType === 16) img.writeUInt16LE(value, base + cluster * 2);
    else {
      const off = base + Math.floor((cluster * 3) / 2);
      const old = img.readUInt16LE(off);
      img.writeUInt16LE(cluster & 1 ? (old & 0x000f) | (value << 4) : (old & 0xf000) | value, off);
    }
  }
}

/** Byte offset of the short entry named `name` in the root directory. */
function rootEntryOffset(img: Buffer, g: Geometry, name: string): { at: number; cluster: number } {
  const start = g.fatType === 32 ? g.dataOffset + (g.rootCluster - 2) * g.clusterBytes : g.rootDirOffset;
  const bytes = g.fatType === 32 ? g.clusterBytes : g.rootDirBytes;
  const entry = parseDirectory(img.subarray(start, start + bytes), g.fatType).find((e) => e.name === name);
  if (!entry) throw new Error(`no ${name} in the root`);
  return { at: start + entry.index * 32, cluster: entry.firstCluster };
}

const ioError = (r: Result<unknown, KvError>) =>
  r.ok ? undefined : r.error.kind === 'io' ? r.error.message : `not io: ${r.error.kind}`;

describe.each([12, 16, 32] as const)('a damaged FAT%i image', (t) => {
  it('that is truncated is refused at connect, saying how much is missing', async () => {
    const img = copy(t).subarray(0, Math.floor(images.get(t)!.length / 2 / 512) * 512);
    await expect(connect(img)).rejects.toThrow(
      /^truncated FAT volume: the boot sector says \d+ sectors \(\d+ bytes\) but the device holds only \d+ bytes$/,
    );
  });

  it.each([
    ['no 55 AA signature', (img: Buffer) => img.writeUInt16LE(0, 510), /signature at byte 510 is not 55 AA/],
    ['no jump instruction', (img: Buffer) => (img[0] = 0), /first byte is 0x0, not a jump instruction/],
    ['a bytes-per-sector of 300', (img: Buffer) => img.writeUInt16LE(300, 11), /bytes per sector is 300/],
    ['3 sectors per cluster', (img: Buffer) => (img[13] = 3), /sectors per cluster is 3/],
    ['no reserved sectors', (img: Buffer) => img.writeUInt16LE(0, 14), /reserved sector count is 0/],
    ['no FATs', (img: Buffer) => (img[16] = 0), /number of FATs is 0/],
    ['a zero size', (img: Buffer) => (img.writeUInt16LE(0, 19), img.writeUInt32LE(0, 32)), /total sector count is 0/],
    [
      'a FAT larger than the volume',
      (img: Buffer) => (
        img.writeUInt16LE(0, 22),
        img.writeUInt32LE(t === 32 ? 0xffffff : 0, 36),
        img.writeUInt16LE(t === 32 ? 0 : 0xffff, 22)
      ),
      /no data area|FAT size is 0/,
    ],
  ])('with %s in its boot sector is refused at connect', async (_what, damage, message) => {
    const img = copy(t);
    damage(img);
    await expect(connect(img)).rejects.toThrow(message);
    await expect(connect(img)).rejects.toBeInstanceOf(FatFormatError);
  });

  it('whose file chain loops gives an io error naming the file, and does not hang', async () => {
    const img = copy(t);
    const g = geometryOf(img);
    const { cluster } = rootEntryOffset(img, g, 'multi.bin');
    setFat(img, g, cluster + 3, cluster + 1);
    const kv = await connect(img);
    expect(ioError(await kv.get('multi.bin'))).toBe(
      `corrupt FAT volume: the cluster chain of file "multi.bin" loops back to cluster ${cluster + 1}`,
    );
    expect(await kv.get('a')).toEqual({ ok: true, value: new Uint8Array(Buffer.from('foo\n')) });
  });

  it('whose file chain leaves the volume gives an io error', async () => {
    const img = copy(t);
    const g = geometryOf(img);
    const { cluster } = rootEntryOffset(img, g, 'multi.bin');
    const outside = g.maxCluster + 1;
    setFat(img, g, cluster + 1, outside);
    const kv = await connect(img);
    expect(ioError(await kv.get('multi.bin'))).toBe(
      `corrupt FAT volume: file "multi.bin" points to cluster ${outside}, outside the volume (clusters 2..${g.maxCluster})`,
    );
    // A read that stops before the damage still works.
    expect((await kv.getPartial('multi.bin', 0, 100)).ok).toBe(true);
  });

  it('whose file chain ends early or runs into a free cluster gives an io error', async () => {
    const img = copy(t);
    const g = geometryOf(img);
    const { cluster } = rootEntryOffset(img, g, 'multi.bin');
    setFat(img, g, cluster + 2, 0x0fffffff & (t === 12 ? 0xfff : t === 16 ? 0xffff : 0x0fffffff));
    let kv = await connect(img);
    expect(ioError(await kv.get('multi.bin'))).toMatch(
      /^corrupt FAT volume: the cluster chain of file "multi.bin" ends after 3 clusters, but its size \(5000 bytes\) needs 10$/,
    );
    setFat(img, g, cluster + 2, 0);
    kv = await connect(img);
    expect(ioError(await kv.get('multi.bin'))).toMatch(/runs into|continues into a free cluster/);
  });

  it('whose directory entry points outside the volume gives an io error', async () => {
    const img = copy(t);
    const g = geometryOf(img);
    const { at } = rootEntryOffset(img, g, 'a');
    img.writeUInt16LE(0xfff0 & (t === 12 ? 0xfff : 0xffff), at + 26);
    if (t === 32) img.writeUInt16LE(0x0fff, at + 20);
    const kv = await connect(img);
    expect(ioError(await kv.get('a'))).toMatch(
      /^corrupt FAT volume: file "a" points to cluster \d+, outside the volume/,
    );
  });

  it('whose directory entry claims more bytes than the volume has gives an io error', async () => {
    const img = copy(t);
    const g = geometryOf(img);
    const { at } = rootEntryOffset(img, g, 'multi.bin');
    img.writeUInt32LE(0xfffffff0, at + 28);
    const kv = await connect(img);
    expect(ioError(await kv.get('multi.bin'))).toBe(
      'corrupt FAT volume: file "multi.bin" claims 4294967280 bytes, more than the volume holds',
    );
    expect(await kv.size('multi.bin')).toEqual({ ok: true, value: 4294967280 });
  });

  it('whose subdirectory chain loops gives an io error on list and lookups below it', async () => {
    const img = copy(t);
    const g = geometryOf(img);
    const { cluster } = rootEntryOffset(img, g, 'dir');
    setFat(img, g, cluster, cluster);
    const kv = await connect(img);
    expect(ioError(await kv.list('dir'))).toBe(
      `corrupt FAT volume: the cluster chain of directory "dir" loops back to cluster ${cluster}`,
    );
    expect(ioError(await kv.get('dir/inner.txt'))).toMatch(/loops back/);
  });

  it('read through a device with 4096-byte sectors still finds the damage', async () => {
    const img = copy(t);
    const g = geometryOf(img);
    const { cluster } = rootEntryOffset(img, g, 'multi.bin');
    setFat(img, g, cluster + 3, cluster);
    const padded = Buffer.concat([img, Buffer.alloc((4096 - (img.length % 4096)) % 4096)]);
    const kv = await connect(padded, 4096);
    expect(ioError(await kv.get('multi.bin'))).toMatch(/loops back/);
  });
});

it('refuses a FAT32 volume whose root directory cluster is outside it', async () => {
  const img = copy(32);
  img.writeUInt32LE(0x0ffffff0, 44);
  await expect(connect(img)).rejects.toThrow(
    /^corrupt FAT volume: the root directory cluster 268435440 is outside the volume/,
  );
});

it('refuses a device smaller than a boot sector and a device of zeros', async () => {
  await expect(connect(new Uint8Array(0))).rejects.toThrow(/less than one boot sector/);
  await expect(connect(new Uint8Array(1 << 20))).rejects.toThrow(/signature at byte 510 is not 55 AA/);
});

/** xorshift32: the fuzz run is the same on every machine; a failure names its seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const KV_KINDS = new Set([
  'io',
  'not-found',
  'is-directory',
  'not-a-directory',
  'invalid-key',
  'invalid-range',
  'disconnected',
]);

/** Calls every operation on everything reachable (bounded), checking each answer is a well-formed Result. */
async function exercise(kv: KvRo, budget: { ops: number }): Promise<void> {
  const check = (r: Result<unknown, KvError>, op: string) => {
    budget.ops--;
    if (!r.ok && (!KV_KINDS.has(r.error.kind) || typeof r.error.message !== 'string' || r.error.message === '')) {
      throw new Error(`${op} gave a malformed error ${JSON.stringify(r.error)}`);
    }
  };
  const walk = async (key: string, depth: number): Promise<void> => {
    if (depth > 6 || budget.ops <= 0) return;
    const listed = await kv.list(key);
    check(listed, `list ${key}`);
    if (!listed.ok) return;
    for (const e of listed.value.slice(0, 40)) {
      const child = key ? `${key}/${e.name}` : e.name;
      check(await kv.exists(child), `exists ${child}`);
      check(await kv.size(child), `size ${child}`);
      check(await kv.lastModified(child), `lastModified ${child}`);
      if (e.kind === 'dictionary') await walk(child, depth + 1);
      else {
        check(await kv.get(child), `get ${child}`);
        check(await kv.getPartial(child, 1000, 3000), `getPartial ${child}`);
      }
    }
  };
  for (const key of ['a', 'multi.bin', 'dir/inner.txt', 'dir/sub/deep with a long name.txt', 'DIR/INNER.TXT'])
    check(await kv.get(key), `get ${key}`);
  await walk('', 0);
}

describe.each([
  [12, 400],
  [16, 400],
  [32, 150],
] as const)('fuzzing FAT%i images', (t, rounds) => {
  it(`survives ${rounds} seeded mutations of the boot sector, FATs and directories`, async () => {
    const img = copy(t);
    const g = geometryOf(img);
    // Where damage matters: the boot sector, the FATs' first sectors, and the directories' bytes.
    const regions: [number, number][] = [
      [0, 512],
      [g.fatOffset, Math.min(g.fatBytes, 2048)],
      [g.fatOffset + g.fatBytes, Math.min(g.fatBytes, 2048)],
      ...(t === 32 ? [] : ([[g.rootDirOffset, 512]] as [number, number][])),
      [g.dataOffset, 16 * g.clusterBytes],
    ];
    const outcomes = { refused: 0, connected: 0, ioErrors: 0 };
    // One device for the whole run: each round damages a few bytes through Block writes and puts them back after.
    const device = await MemoryBlock.fromBytes(img);
    const poke = async (at: number, byte: number) => {
      const sector = new Uint8Array(512);
      const where = BigInt(Math.floor(at / 512));
      expect((await device.read(where, [sector])).ok).toBe(true);
      sector[at % 512] = byte;
      expect((await device.write(where, [sector])).ok).toBe(true);
    };
    for (let round = 0; round < rounds; round++) {
      const seed = (t << 16) + round + 1;
      const random = rng(seed);
      const saved: [number, number][] = [];
      const mutations = 1 + Math.floor(random() * 8);
      for (let m = 0; m < mutations; m++) {
        const [start, length] = regions[Math.floor(random() * regions.length)];
        const at = start + Math.floor(random() * length);
        saved.push([at, img[at]]);
        const how = random();
        img[at] =
          how < 0.4
            ? Math.floor(random() * 256)
            : how < 0.7
              ? img[at] ^ (1 << Math.floor(random() * 8))
              : how < 0.85
                ? 0xff
                : 0x00;
        await poke(at, img[at]);
      }
      const started = Date.now();
      try {
        let kv: FatFs;
        try {
          kv = await FatFs.connect(device);
        } catch (e) {
          if (!(e instanceof FatFormatError || e instanceof FatDeviceError) || !e.message)
            throw new Error(`connect threw ${String(e)}`, { cause: e });
          outcomes.refused++;
          continue;
        }
        outcomes.connected++;
        const budget = { ops: 3000 };
        await exercise(kv, budget);
        const a = await kv.get('a');
        if (!a.ok && a.error.kind === 'io') outcomes.ioErrors++;
      } catch (e) {
        throw new Error(`fuzz seed ${seed} (FAT${t}, round ${round}): ${e instanceof Error ? e.stack : String(e)}`, {
          cause: e,
        });
      } finally {
        for (const [at, byte] of saved.reverse()) {
          img[at] = byte;
          await poke(at, byte);
        }
      }
      // A generous bound, to catch a loop, not to measure.
      expect(Date.now() - started).toBeLessThan(20_000);
    }
    expect(outcomes.refused + outcomes.connected).toBe(rounds);
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.connected).toBeGreaterThan(0);
  }, 600_000);
});
