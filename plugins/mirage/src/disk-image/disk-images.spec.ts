import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolvedGraph } from '../configure/resolved-graph';
import { isUserError } from '../configure/user-error';
import { blockFiles, ensureImages, writeImage } from './disk-images';
import { imageSize } from './image-size';

function graphOpening(...files: string[]): ResolvedGraph {
  return {
    format: 'mirage-ts/resolved@1',
    name: 'block_test',
    project: 'block',
    target: 'unix',
    configFile: 'apps/block/config.ts',
    configureKeys: {},
    runtimeKeys: [],
    devices: [
      {
        id: 0,
        variable: 'console0',
        typ: 'console',
        signature: 'Console',
        label: 'console',
        module: 'm',
        symbol: 'S',
        args: [],
        build: null,
      },
      ...files.map((file, i) => ({
        id: i + 1,
        variable: `block${i + 1}`,
        typ: 'block',
        signature: 'Block',
        label: `block file ${file}`,
        module: '@mirage-ts/block/file',
        symbol: 'FileBlock',
        args: [{ kind: 'resource' as const, resource: { kind: 'block' as const, file } }],
        build: null,
      })),
    ],
    jobs: [{ entry: 'Unikernel.Main', args: [0, 1] }],
  };
}

describe('disk images', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), `disk-images-${process.pid}-`))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists the block files a graph opens, once each', () => {
    expect(blockFiles(graphOpening('disk.img', 'b.img', 'disk.img'))).toEqual(['disk.img', 'b.img']);
    expect(blockFiles(graphOpening())).toEqual([]);
  });

  it('writes a sparse zeroed image of the exact size, and keeps one of that size', () => {
    const file = path.join(dir, 'disk.img');
    expect(writeImage(file, imageSize({}))).toBe('created');
    const st = fs.statSync(file);
    expect(st.size).toBe(51_200_000);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024); // sparse: no room taken until written
    const fd = fs.openSync(file, 'r');
    const probe = Buffer.alloc(4096, 1);
    fs.readSync(fd, probe, 0, 4096, 25_000_000);
    fs.closeSync(fd);
    expect(probe.every((b) => b === 0)).toBe(true);

    fs.writeFileSync(file, Buffer.alloc(51_200_000, 7));
    expect(writeImage(file, imageSize({}))).toBe('kept');
    expect(fs.readFileSync(file)[0]).toBe(7);
    expect(fs.readdirSync(dir)).toEqual(['disk.img']);
  });

  it('refuses to change the size of an existing image without force, and replaces it with force', () => {
    const file = path.join(dir, 'disk.img');
    fs.writeFileSync(file, Buffer.alloc(4096, 7));
    let message = '';
    try {
      writeImage(file, imageSize({ sectors: 16 }), { shown: 'apps/x/disk.img' });
    } catch (e) {
      expect(isUserError(e)).toBe(true);
      message = (e as Error).message;
    }
    expect(message).toBe(
      'error: apps/x/disk.img already exists with 4096 bytes, not the 8192 asked for; nothing was changed\n' +
        '  fix: add --force to replace it with a zeroed image (its contents are lost), or ask for its current size',
    );
    expect(fs.readFileSync(file).equals(Buffer.alloc(4096, 7))).toBe(true);
    expect(writeImage(file, imageSize({ sectors: 16 }), { force: true })).toBe('replaced');
    expect(fs.readFileSync(file).equals(Buffer.alloc(8192))).toBe(true);
  });

  it('leaves an existing image alone when the new one cannot be made', () => {
    const sub = path.join(dir, 'ro');
    fs.mkdirSync(sub);
    const file = path.join(sub, 'disk.img');
    fs.writeFileSync(file, Buffer.alloc(1024, 9));
    // A leftover staging file of this process stands in for any failure to create the new image.
    fs.writeFileSync(`${file}.${process.pid}.partial`, 'x');
    expect(() => writeImage(file, imageSize({ sectors: 4 }), { force: true })).toThrow(/cannot create .*disk\.img/);
    expect(fs.readFileSync(file).equals(Buffer.alloc(1024, 9))).toBe(true);
  });

  it('refuses a folder standing where the image should be', () => {
    fs.mkdirSync(path.join(dir, 'disk.img'));
    expect(() => writeImage(path.join(dir, 'disk.img'), imageSize({}))).toThrow(/exists and is not a file/);
  });

  it('creates missing images before a run, says so, and leaves existing ones', () => {
    const app = path.join(dir, 'apps', 'block');
    fs.mkdirSync(app, { recursive: true });
    fs.writeFileSync(path.join(app, 'old.img'), 'keep me');
    const said: string[] = [];
    ensureImages(
      {
        workspaceRoot: dir,
        projectRoot: 'apps/block',
        project: 'block',
        graph: graphOpening('disk.img', 'old.img'),
        logger: { info: (m) => said.push(m), warn: (m) => said.push(m) },
      },
      imageSize({ sectors: 8 }),
    );
    expect(fs.statSync(path.join(app, 'disk.img')).size).toBe(4096);
    expect(fs.readFileSync(path.join(app, 'old.img'), 'utf8')).toBe('keep me');
    expect(said).toEqual([
      'apps/block/disk.img does not exist: creating it, 8 sectors of 512 bytes (4.1 kB) of zeros (another size: npx nx run block:disk-image --sectors=N --force).',
    ]);
  });
});
