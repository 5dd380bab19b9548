import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCpio, sortEntries, writeCpio, type CpioEntry } from './cpio';

const entries: CpioEntry[] = [
  { kind: 'file', path: 'init', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { kind: 'dir', path: 'dev' },
  { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
  { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
  { kind: 'dir', path: 'bin' },
  { kind: 'file', path: 'bin/odd', data: Buffer.from('abc') },
];

describe('newc cpio writer', () => {
  it('gives the same bytes for the same entries in any order', () => {
    const a = writeCpio(sortEntries(entries));
    const b = writeCpio(sortEntries([...entries].reverse()));
    expect(a.equals(b)).toBe(true);
    expect(a.length % 512).toBe(0);
  });

  it('puts a folder before what it holds', () => {
    const names = sortEntries(entries).map((e) => e.path);
    expect(names.indexOf('bin')).toBeLessThan(names.indexOf('bin/odd'));
    expect(names.indexOf('dev')).toBeLessThan(names.indexOf('dev/console'));
  });

  it('reads back every member with its mode, data and device numbers', () => {
    const members = readCpio(writeCpio(sortEntries(entries)));
    const byName = new Map(members.map((m) => [m.path, m]));
    expect(byName.get('init')?.data.toString()).toBe('#!/bin/sh\necho hi\n');
    expect(byName.get('init')?.mode).toBe(0o100755);
    expect(byName.get('bin/odd')?.data.toString()).toBe('abc');
    expect(byName.get('bin/sh')?.data.toString()).toBe('busybox');
    expect(byName.get('dev/console')).toMatchObject({ mode: 0o020600, rdevMajor: 5, rdevMinor: 1 });
  });

  it('is read by an independent cpio implementation (busybox)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-cpio-'));
    try {
      const r = spawnSync('busybox', ['cpio', '-t'], { input: writeCpio(sortEntries(entries)), encoding: 'utf8' });
      expect(r.error).toBeUndefined();
      expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(
        sortEntries(entries)
          .map((e) => e.path)
          .sort(),
      );
      const x = spawnSync('busybox', ['cpio', '-i', '-d'], {
        input: writeCpio(sortEntries(entries.filter((e) => e.kind !== 'char'))),
        cwd: dir,
      });
      expect(x.status).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'bin', 'odd'), 'utf8')).toBe('abc');
      expect(fs.readlinkSync(path.join(dir, 'bin', 'sh'))).toBe('busybox');
      expect(fs.statSync(path.join(dir, 'init')).mode & 0o777).toBe(0o755);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path given twice and paths that leave the image', () => {
    expect(() => sortEntries([entries[0], entries[0]])).toThrow(/init is added twice/);
    expect(() => sortEntries([{ kind: 'dir', path: '../etc' }])).toThrow(/not a valid path/);
  });

  it('reports a damaged archive instead of reading garbage', () => {
    const archive = writeCpio(sortEntries(entries));
    expect(() => readCpio(archive.subarray(0, 200))).toThrow(/cpio:/);
    const bad = Buffer.from(archive);
    bad.write('XXXXXX', 0, 'ascii');
    expect(() => readCpio(bad)).toThrow(/bad magic/);
  });
});
