/**
 * The block example end to end on unix, in a scratch copy of the workspace:
 * `nx run block:run` creates the missing disk image and runs the seed's test
 * sequence; the image then holds the patterns at the right offsets and
 * nothing else.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeUnwritable } from '@mirage-ts/block/testing/unwritable';
import { blockSequenceLines, SECTOR, seedDiskLayout, seedDiskLayoutOf } from '../../tools/testing/block-sequence';
import { copyWorkspace, nx } from '../../tools/testing/workspace';

function contiguousIn(haystack: string[], needle: string[]): boolean {
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (needle.every((line, j) => haystack[i + j] === line)) return true;
  }
  return false;
}

describe('block example on unix', () => {
  let ws: ReturnType<typeof copyWorkspace>;
  let disk: string;
  let program: string;
  const run = (args: string[] = []) => spawnSync(program, args, { encoding: 'utf8', timeout: 60_000 });

  beforeAll(() => {
    ws = copyWorkspace('mirage-block-e2e-');
    disk = path.join(ws.root, 'apps', 'block', 'disk.img');
    program = path.join(ws.root, 'dist', 'apps', 'block', 'unix', 'mir-block_test');
    fs.rmSync(disk, { force: true }); // a copy of an image left by earlier runs
  });
  afterAll(() => ws?.dispose());

  it('nx run block:run creates the missing disk image, saying so, and passes all 10 tests', () => {
    const r = nx(['run', 'block:run'], { cwd: ws.root });
    expect(r.status).toBe(0);
    expect(r.output).toContain(
      'apps/block/disk.img does not exist: creating it, 100000 sectors of 512 bytes (51.2 MB) of zeros ' +
        '(another size: npx nx run block:disk-image --sectors=N --force).',
    );
    expect(
      contiguousIn(
        r.stdout.split('\n').map((l) => l.trimEnd()),
        blockSequenceLines(100000),
      ),
    ).toBe(true);
  }, 300_000);

  it('leaves the patterns at both ends of the disk and nothing anywhere else', () => {
    expect(seedDiskLayout(fs.readFileSync(disk), 100000)).toEqual(seedDiskLayoutOf(100000));
  });

  it('mir-block_test prints exactly the seed lines, from any working directory', () => {
    const r = spawnSync(program, [], { encoding: 'utf8', cwd: '/', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${blockSequenceLines(100000).join('\n')}\n`);
  });

  it('keeps the build cached while the disk image changes', () => {
    fs.appendFileSync(disk, Buffer.alloc(SECTOR, 1));
    fs.writeFileSync(path.join(ws.root, 'apps', 'block', 'xvda1'), Buffer.alloc(4096, 2)); // the xen branch's file name
    const r = nx(['build', 'block'], { cwd: ws.root });
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/Nx read the output from the cache/);
    fs.rmSync(path.join(ws.root, 'apps', 'block', 'xvda1'));
  }, 300_000);

  it('disk-image refuses to resize an existing image without --force, then makes the size asked for', () => {
    const refused = nx(['run', 'block:disk-image', '--sectors=2048'], { cwd: ws.root });
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain(
      'error: apps/block/disk.img already exists with 51200512 bytes, not the 1048576 asked for; nothing was changed',
    );
    expect(refused.output).toContain('fix: add --force to replace it');
    expect(fs.statSync(disk).size).toBe(51200512);

    const made = nx(['run', 'block:disk-image', '--sectors=2048', '--force'], { cwd: ws.root });
    expect(made.status).toBe(0);
    expect(made.output).toContain('Replaced apps/block/disk.img: 2048 sectors of 512 bytes (1.0 MB), all zeros.');
    expect(fs.readFileSync(disk).equals(Buffer.alloc(2048 * SECTOR))).toBe(true);

    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${blockSequenceLines(2048).join('\n')}\n`);
    expect(seedDiskLayout(fs.readFileSync(disk), 2048)).toEqual(seedDiskLayoutOf(2048));
  }, 300_000);

  it('reports a read-only disk: the writes fail, the tally says so, the status is 1', () => {
    const restore = makeUnwritable(disk);
    try {
      const before = fs.readFileSync(disk);
      const r = run();
      expect(r.status).toBe(1);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.slice(0, 4)).toEqual([
        'sectors = 2048',
        'read_write=false',
        'sector_size=512',
        'writing 1 sectors at 0',
      ]);
      expect(lines[4]).toBe('-- write failed: the device is read-only: it cannot be written');
      expect(lines.slice(-3)).toEqual(['Total tests started: 10', 'Total tests passed:  4', 'Total tests failed:  6']);
      expect(r.stderr).toContain('mir-block_test: Error: 6 of 10 block tests failed');
      expect(fs.readFileSync(disk).equals(before)).toBe(true);
    } finally {
      restore();
    }
  });

  it('without its disk image, mir-block_test says which file is missing and how to make it', () => {
    fs.rmSync(disk);
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      `mir-block_test: cannot connect block file disk.img (apps/block/config.ts:8:53): ${disk} does not exist: ` +
        "a block device needs an existing file of the disk's size (npx nx run <app>:disk-image creates one)",
    );
  });

  it('npx nx g unikernel NAME --template=block makes an app that builds and runs', () => {
    const g = nx(['g', 'unikernel', 'mydisk', '--template=block'], { cwd: ws.root });
    expect(g.status).toBe(0);
    const r = nx(['run', 'mydisk:run'], { cwd: ws.root });
    expect(r.status).toBe(0);
    expect(
      contiguousIn(
        r.stdout.split('\n').map((l) => l.trimEnd()),
        blockSequenceLines(100000),
      ),
    ).toBe(true);
    expect(fs.statSync(path.join(ws.root, 'apps', 'mydisk', 'disk.img')).size).toBe(100000 * SECTOR);
    expect(fs.existsSync(path.join(ws.root, 'dist', 'apps', 'mydisk', 'unix', 'mir-mydisk'))).toBe(true);
  }, 300_000);
});
