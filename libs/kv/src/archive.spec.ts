import { MemoryBlock } from '@mirage-ts/block/memory';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArchiveKvRo } from './archive';
import { BLOCK, writeHeader } from './archive/ustar';
import { buildArchiveImage } from './builder/archive-image';

const LONG_DIR = 'a-folder-with-a-name-long-enough/that-the-whole-path-is-past/the-hundred-bytes-of-a-ustar-name';
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/**
 * The tar store read back from images made by our builder and by GNU tar
 * (a reader nobody here wrote, in its three formats), and refusing corrupt
 * and truncated images with the image's name and the byte offset.
 */
describe('ArchiveKvRo', () => {
  let base: string;
  let src: string;
  const big = Buffer.alloc(1300, 0).map((_, i) => i % 251);

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-archive-'));
    src = path.join(base, 'htdocs');
    fs.mkdirSync(path.join(src, 'docs/deep'), { recursive: true });
    fs.mkdirSync(path.join(src, LONG_DIR), { recursive: true });
    fs.writeFileSync(path.join(src, 'index.html'), '<h1>hello</h1>\n');
    fs.writeFileSync(path.join(src, 'docs/index.html'), 'docs\n');
    fs.writeFileSync(path.join(src, 'docs/deep/big.bin'), big);
    fs.writeFileSync(path.join(src, 'empty'), '');
    fs.writeFileSync(path.join(src, LONG_DIR, 'file.txt'), 'far down\n');
    fs.utimesSync(path.join(src, 'index.html'), 1_500_000_000, 1_500_000_000);
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  async function storeOf(image: string, sectorSize = 512): Promise<ArchiveKvRo> {
    let bytes = fs.readFileSync(image);
    if (bytes.length % sectorSize)
      bytes = Buffer.concat([bytes, Buffer.alloc(sectorSize - (bytes.length % sectorSize))]);
    return ArchiveKvRo.connect(await MemoryBlock.fromBytes(bytes, { sectorSize }), path.basename(image));
  }

  async function expectSameAsFolder(kv: ArchiveKvRo): Promise<void> {
    expect(await kv.list('')).toEqual({
      ok: true,
      value: [
        { name: 'a-folder-with-a-name-long-enough', kind: 'dictionary' },
        { name: 'docs', kind: 'dictionary' },
        { name: 'empty', kind: 'value' },
        { name: 'index.html', kind: 'value' },
      ],
    });
    expect(await kv.get('index.html')).toEqual({ ok: true, value: new Uint8Array(Buffer.from('<h1>hello</h1>\n')) });
    expect(await kv.get('docs/deep/big.bin')).toEqual({ ok: true, value: new Uint8Array(big) });
    expect(await kv.get('empty')).toEqual({ ok: true, value: new Uint8Array(0) });
    const far = await kv.get(`${LONG_DIR}/file.txt`);
    expect(far.ok && text(far.value)).toBe('far down\n');
    expect(await kv.exists('docs/deep')).toEqual({ ok: true, value: 'dictionary' });
    expect(await kv.exists('nothing')).toEqual({ ok: true, value: null });
    expect(await kv.size('docs/deep/big.bin')).toEqual({ ok: true, value: 1300 });
    expect(await kv.lastModified('index.html')).toEqual({ ok: true, value: 1_500_000_000_000 });
    // Across the sector boundary at 512, and past the end.
    expect(await kv.getPartial('docs/deep/big.bin', 500, 30)).toEqual({
      ok: true,
      value: new Uint8Array(big.subarray(500, 530)),
    });
    expect(await kv.getPartial('docs/deep/big.bin', 1290, 100)).toEqual({
      ok: true,
      value: new Uint8Array(big.subarray(1290)),
    });
  }

  it('reads every file of an image made by archive-image, on 512- and 4096-byte sectors', async () => {
    const image = path.join(base, 'tar1.img');
    const summary = buildArchiveImage(src, image);
    expect(summary).toMatchObject({ files: 5, directories: 5 });
    expect(fs.statSync(image).size % BLOCK).toBe(0);
    await expectSameAsFolder(await storeOf(image));
    await expectSameAsFolder(await storeOf(image, 4096));
  });

  it('makes images that GNU tar lists and extracts to the same files, and the same bytes twice', () => {
    const image = path.join(base, 'gnu-check.img');
    buildArchiveImage(src, image);
    const again = path.join(base, 'again.img');
    buildArchiveImage(src, again);
    expect(fs.readFileSync(again)).toEqual(fs.readFileSync(image));
    const out = path.join(base, 'extracted');
    fs.mkdirSync(out);
    execFileSync('tar', ['-xf', image, '-C', out]);
    for (const f of ['index.html', 'docs/deep/big.bin', 'empty', `${LONG_DIR}/file.txt`])
      expect(fs.readFileSync(path.join(out, f))).toEqual(fs.readFileSync(path.join(src, f)));
    expect(fs.statSync(path.join(out, 'index.html')).mtimeMs).toBe(1_500_000_000_000);
  });

  it.each(['ustar', 'gnu', 'pax'])('reads an image GNU tar made in its %s format', async (format) => {
    const image = path.join(base, `made-by-tar-${format}.img`);
    execFileSync('tar', [`--format=${format}`, '-cf', image, '-C', src, '.']);
    await expectSameAsFolder(await storeOf(image));
  });

  it('serves neither links nor names that would leave the store', async () => {
    const dir = path.join(base, 'tricky');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'ok'), 'fine');
    fs.symlinkSync('/etc/passwd', path.join(dir, 'link'));
    const image = path.join(base, 'tricky.img');
    execFileSync('tar', ['--format=ustar', '-cf', image, '-C', dir, 'ok', 'link']);
    // Append hand-made entries named ../secret and /abs before the end blocks.
    const tar = fs.readFileSync(image);
    const firstZero = findEnd(tar);
    const evil = (name: string) => [
      writeHeader({ name, size: 6, mtime: 0, directory: false }),
      Buffer.concat([Buffer.from('secret'), Buffer.alloc(BLOCK - 6)]),
    ];
    fs.writeFileSync(
      image,
      Buffer.concat([tar.subarray(0, firstZero), ...evil('../secret'), ...evil('/abs'), Buffer.alloc(2 * BLOCK)]),
    );
    const kv = await storeOf(image);
    expect(await kv.list('')).toEqual({ ok: true, value: [{ name: 'ok', kind: 'value' }] });
    expect(await kv.get('link')).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    expect(await kv.get('../secret')).toMatchObject({ ok: false, error: { kind: 'invalid-key' } });
    expect(await kv.get('abs')).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    expect(await kv.get('%2e%2e/secret')).toMatchObject({ ok: false, error: { kind: 'invalid-key' } });
  });

  /** Offset of the first all-zero header block, walking sizes as a reader does. */
  function findEnd(tar: Buffer): number {
    let at = 0;
    while (!tar.subarray(at, at + BLOCK).every((b) => b === 0)) {
      const size = parseInt(
        tar
          .subarray(at + 124, at + 136)
          .toString('latin1')
          .replace(/\0.*$/, '')
          .trim() || '0',
        8,
      );
      at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    }
    return at;
  }

  describe('bad images', () => {
    let good: Buffer;
    let second: number;
    beforeAll(() => {
      const image = path.join(base, 'good.img');
      buildArchiveImage(src, image);
      good = fs.readFileSync(image);
      // Entries are sorted: the first is a folder (no data), so the second header is at 512.
      second = BLOCK;
    });
    const connect = async (bytes: Buffer) => {
      const padded =
        bytes.length % BLOCK ? Buffer.concat([bytes, Buffer.alloc(BLOCK - (bytes.length % BLOCK))]) : bytes;
      return ArchiveKvRo.connect(await MemoryBlock.fromBytes(padded), 'tar1.img');
    };

    it('refuses a header whose checksum is wrong, naming the image and the offset', async () => {
      const bad = Buffer.from(good);
      bad[second + 3] ^= 0x20; // a letter of the name changes case
      await expect(connect(bad)).rejects.toThrow(
        /^tar1\.img: the tar header is corrupt: bad header checksum \(stored \d+, computed \d+\) at byte 512; rebuild the image/,
      );
    });

    it('refuses a size field that is not octal and a block that is not tar at all', async () => {
      const bad = Buffer.from(good);
      bad.write('9', second + 124, 'latin1');
      await expect(connect(bad)).rejects.toThrow(/tar1\.img: the tar header is corrupt: .* at byte 512/);
      const noise = Buffer.alloc(4 * BLOCK, 'not a tar image at all ');
      await expect(connect(noise)).rejects.toThrow(/tar1\.img: the tar header is corrupt: .* at byte 0/);
    });

    it('refuses an image cut inside a file or before its end-of-archive blocks', async () => {
      const bigAt = findEntry(good, 'docs/deep/big.bin');
      await expect(connect(good.subarray(0, bigAt + BLOCK + 1024))).rejects.toThrow(
        new RegExp(`tar1\\.img: the entry "docs/deep/big.bin" needs 1300 bytes .* truncated at byte ${bigAt}`),
      );
      const end = findEnd(good);
      await expect(connect(good.subarray(0, end))).rejects.toThrow(
        new RegExp(`tar1\\.img: the image ends \\(${end} bytes\\) before the end-of-archive block: it is truncated`),
      );
    });
  });

  function findEntry(tar: Buffer, name: string): number {
    let at = 0;
    while (!tar.subarray(at, at + BLOCK).every((b) => b === 0)) {
      if (
        tar
          .subarray(at, at + 100)
          .toString('utf8')
          .replace(/\0.*$/s, '') === name
      )
        return at;
      const size = parseInt(
        tar
          .subarray(at + 124, at + 136)
          .toString('latin1')
          .replace(/\0.*$/, '')
          .trim() || '0',
        8,
      );
      at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    }
    throw new Error(`${name} not in the image`);
  }

  it('reports disconnection', async () => {
    const image = path.join(base, 'tar2.img');
    buildArchiveImage(src, image);
    const kv = await storeOf(image);
    await kv.disconnect();
    expect(await kv.get('index.html')).toMatchObject({ ok: false, error: { kind: 'disconnected' } });
  });
});
