/**
 * The kv_ro example end to end on unix, in a scratch copy of the workspace:
 * one store of t/ used twice, chosen by --kv_ro. The FAT variant first
 * makes fat1.img with `nx run kv_ro:fat-image`, as the seed runs
 * make-fat1-image.sh.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, nx } from '../../tools/testing/workspace';

interface GraphDevice {
  readonly typ: string;
  readonly module: string;
  readonly symbol: string;
}

describe('kv_ro example on unix', () => {
  let ws: ReturnType<typeof copyWorkspace>;
  let image: string;
  const graph = (target = 'unix'): GraphDevice[] =>
    JSON.parse(fs.readFileSync(path.join(ws.root, 'dist/apps/kv_ro', target, 'graph.json'), 'utf8')).devices;

  beforeAll(() => {
    ws = copyWorkspace('mirage-kv-ro-e2e-');
    image = path.join(ws.root, 'apps/kv_ro/fat1.img');
    fs.rmSync(image, { force: true }); // an image left by an earlier run in the source tree
  });
  afterAll(() => ws.dispose());

  it('refuses --kv_ro=fat before the image is made, saying how to make it', () => {
    const r = nx(['build', 'kv_ro', '--kv_ro=fat'], { cwd: ws.root });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(
      /apps\/kv_ro\/config\.ts:\d+:\d+ - error: FAT image fat1\.img of t: apps\/kv_ro\/fat1\.img does not exist yet/,
    );
    expect(r.output).toContain('fix: make it first: npx nx run kv_ro:fat-image');
  });

  it('makes fat1.img from t/ with `nx run kv_ro:fat-image`: a boot sector that fsck.fat and mtools accept', () => {
    const r = nx(['run', 'kv_ro:fat-image'], { cwd: ws.root });
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/Wrote apps\/kv_ro\/fat1\.img from apps\/kv_ro\/t: FAT12, 2 file\(s\), 0 folder\(s\)/);
    expect(spawnSync('file', [image], { encoding: 'utf8' }).stdout).toMatch(/boot sector/);
    const fsck = spawnSync('fsck.fat', ['-n', image], { encoding: 'utf8' });
    expect(fsck.status).toBe(0);
    expect(fsck.stdout).toMatch(/2 files, 2\/\d+ clusters/);
    const a = spawnSync('mtype', ['-i', image, '::/a'], { encoding: 'utf8' });
    expect(a.stdout).toBe('foo\n');
  });

  it.each([
    ['crunch', [['kv_ro', './static1', 'Static1']]],
    [
      'fat',
      [
        ['block', '@mirage-ts/block/file', 'FileBlock'],
        ['fs', '@mirage-ts/fat/fs', 'FatFs'],
        ['kv_ro', '@mirage-ts/fat/kv', 'FsKvRo'],
      ],
    ],
    ['direct', [['kv_ro', '@mirage-ts/kv/direct', 'DirectKvRo']]],
  ])('--kv_ro=%s: one store, read twice, prints YES! --count times', (kvRo, devices) => {
    const r = nx(['run', 'kv_ro:run', `--kv_ro=${kvRo}`, '--count=3'], { cwd: ws.root });
    expect(r.status).toBe(0);
    expect(r.stdout.match(/^(YES!|NO!.*)$/gm)).toEqual(['YES!', 'YES!', 'YES!']);
    // The same device object twice in config.ts is one device, connected once.
    expect(
      graph()
        .filter((d) => d.typ !== 'console')
        .map((d) => [d.typ, d.module, d.symbol]),
    ).toEqual(devices);
  });

  it('--kv_ro=direct where there is no host folder (xen) embeds t/ instead', () => {
    const r = nx(['run', 'kv_ro:configure', '--target=xen', '--kv_ro=direct'], { cwd: ws.root });
    expect(r.status).toBe(0);
    expect(
      graph('xen')
        .filter((d) => d.typ === 'kv_ro')
        .map((d) => d.symbol),
    ).toEqual(['Static1']);
    expect(fs.readFileSync(path.join(ws.root, 'dist/apps/kv_ro/xen/static1.ts'), 'utf8')).toContain('text: "foo\\n"');
  });
});
