import { FileBlock } from '@mirage-ts/block/file';
import { MemoryBlock } from '@mirage-ts/block/memory';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildFatImage } from './builder/build-image';
import { FatFs } from './fs';
import { kvTree } from './test-helpers/kv-tree';
import { digests, readTree, writeTestTree } from './test-helpers/tree';

/**
 * Both directions against tools nobody here wrote (Debian's dosfstools and
 * mtools): images we write must pass fsck.fat and come back whole through
 * mcopy; images mkfs.fat + mcopy write must read back whole through FatFs.
 */
const env = { ...process.env, LC_ALL: 'C.UTF-8', MTOOLS_SKIP_CHECK: '0' };
function tool(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} is not installed (apt-get install dosfstools mtools file): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('FAT images and the Linux tools', () => {
  let work: string;
  let source: string;
  let expected: Record<string, string | null>;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'fat-tools-'));
    source = path.join(work, 'source');
    writeTestTree(source);
    expected = digests(readTree(source));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  describe.each([
    ['the smallest type that fits', undefined, undefined],
    ['FAT12', 12, undefined],
    ['FAT16', 16, undefined],
    ['FAT32', 32, undefined],
    ['FAT16 with 8 KiB clusters', 16, 16],
  ] as const)('an image we write (%s)', (_what, fatType, sectorsPerCluster) => {
    let image: string;
    let summary: ReturnType<typeof buildFatImage>;
    beforeAll(() => {
      image = path.join(work, `ours-${fatType ?? 'auto'}-${sectorsPerCluster ?? 'auto'}.img`);
      summary = buildFatImage(source, image, { fatType, sectorsPerCluster });
    });
    afterAll(() => fs.rmSync(image, { force: true }));

    it('passes fsck.fat -n and is a boot sector to file(1)', () => {
      if (fatType) expect(summary.fatType).toBe(fatType);
      // Without -v, fsck.fat prints only the version and its summary line unless it finds a problem.
      const fsck = tool('fsck.fat', ['-n', image]);
      expect(fsck.out.trim().split('\n')).toEqual([
        expect.stringMatching(/^fsck\.fat /),
        expect.stringMatching(
          new RegExp(`: ${Object.keys(expected).length} files, \\d+/${summary.clusterCount} clusters$`),
        ),
      ]);
      expect(fsck.status).toBe(0);
      expect(tool('file', [image]).out).toMatch(/boot sector/);
    });

    it('is listed by mdir and copied back whole by mcopy', () => {
      const listing = tool('mdir', ['-i', image, '-/', '-b', '::/']);
      expect(listing.status).toBe(0);
      for (const rel of Object.keys(expected)) expect(listing.out).toContain(`::/${rel}`);
      const out = path.join(work, `back-${fatType ?? 'auto'}-${sectorsPerCluster ?? 'auto'}`);
      fs.mkdirSync(out);
      const copy = tool('mcopy', ['-s', '-n', '-i', image, '::/*', out]);
      expect(copy.status).toBe(0);
      expect(digests(readTree(out))).toEqual(expected);
      fs.rmSync(out, { recursive: true });
    });

    it('reads back whole through FatFs on a FileBlock', async () => {
      const device = await FileBlock.connect(image);
      try {
        const kv = await FatFs.connect(device);
        expect(digests(await kvTree(kv))).toEqual(expected);
      } finally {
        await device.disconnect();
      }
    });

    it('is the same bytes when built twice from the same folder', () => {
      const again = `${image}.again`;
      buildFatImage(source, again, { fatType, sectorsPerCluster });
      expect(fs.readFileSync(again).equals(fs.readFileSync(image))).toBe(true);
      fs.rmSync(again);
    });
  });

  describe.each([
    ['FAT12', ['-F', '12'], 8000, 512],
    ['FAT16', ['-F', '16', '-s', '1'], 8000, 512],
    ['FAT32', ['-F', '32'], 40000, 512],
    ['FAT16 with 4096-byte sectors on a 4096-byte device', ['-F', '16', '-S', '4096', '-s', '1'], 40000, 4096],
    ['FAT32 with 4096-byte sectors on a 512-byte device', ['-F', '32', '-S', '4096', '-s', '1'], 300000, 512],
  ] as const)('an image mkfs.fat + mcopy write (%s)', (what, mkfsArgs, kib, deviceSector) => {
    it('reads back whole through FatFs, with the names, sizes and dates mtools wrote', async () => {
      const image = path.join(work, `theirs-${what.replace(/\W+/g, '-')}.img`);
      const mkfs = tool('mkfs.fat', [...mkfsArgs, '-C', image, String(kib)]);
      expect(mkfs.status).toBe(0);
      const names = fs.readdirSync(source).map((n) => path.join(source, n));
      const copy = tool('mcopy', ['-s', '-m', '-i', image, ...names, '::/']);
      expect(copy.out).toBe('');
      expect(copy.status).toBe(0);
      const kv = await FatFs.connect(
        await MemoryBlock.fromBytes(fs.readFileSync(image), { sectorSize: deviceSector, readOnly: true }),
      );
      expect(digests(await kvTree(kv))).toEqual(expected);
      // mcopy -m keeps modification times; FAT stores them to the even second.
      const mtime = fs.statSync(path.join(source, 'a')).mtimeMs;
      const got = await kv.lastModified('a');
      expect(got.ok && Math.abs(got.value - mtime)).toBeLessThanOrEqual(2000);
      fs.rmSync(image);
    });
  });
});
