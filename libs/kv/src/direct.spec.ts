import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DirectKvRo } from './direct';

/**
 * The path-traversal catalogue: a host directory store with a secret file
 * beside its root, and every way we know of to name that secret through a
 * key. Each must be refused (or, for links, not followed), and the secret's
 * bytes must never come back.
 */
describe('DirectKvRo', () => {
  let base: string;
  let root: string;
  let kv: DirectKvRo;
  const SECRET = 'secret outside the store\n';

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-direct-'));
    root = path.join(base, 'root');
    fs.mkdirSync(path.join(root, 'dir/nested'), { recursive: true });
    fs.writeFileSync(path.join(base, 'secret'), SECRET);
    fs.mkdirSync(path.join(base, 'outside-dir'));
    fs.writeFileSync(path.join(base, 'outside-dir/file'), SECRET);
    fs.mkdirSync(path.join(base, 'root-sibling'));
    fs.writeFileSync(path.join(base, 'root-sibling/file'), SECRET);
    fs.writeFileSync(path.join(root, 'a'), 'foo\n');
    fs.writeFileSync(path.join(root, 'dir/b.txt'), 'bar\n');
    fs.writeFileSync(path.join(root, 'dir/nested/c'), '0123456789');
    fs.writeFileSync(path.join(root, 'empty'), '');
    fs.symlinkSync('../secret', path.join(root, 'link-out'));
    fs.symlinkSync(path.join(base, 'secret'), path.join(root, 'abs-link-out'));
    fs.symlinkSync('../outside-dir', path.join(root, 'dir-link-out'));
    fs.symlinkSync('../root-sibling', path.join(root, 'prefix-trick')); // /x/root-sibling starts with /x/root
    fs.symlinkSync('dir/b.txt', path.join(root, 'link-in'));
    fs.symlinkSync('loop2', path.join(root, 'loop1'));
    fs.symlinkSync('loop1', path.join(root, 'loop2'));
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    kv = await DirectKvRo.connect(root);
  });
  afterAll(async () => {
    await kv.disconnect();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('serves files, directories, partial reads and sizes inside its root', async () => {
    expect(await kv.get('a')).toEqual({ ok: true, value: new Uint8Array(Buffer.from('foo\n')) });
    expect(await kv.get('dir/b.txt')).toEqual({ ok: true, value: new Uint8Array(Buffer.from('bar\n')) });
    expect(await kv.getPartial('dir/nested/c', 3, 4)).toEqual({ ok: true, value: new Uint8Array(Buffer.from('3456')) });
    expect(await kv.getPartial('dir/nested/c', 8, 100)).toEqual({ ok: true, value: new Uint8Array(Buffer.from('89')) });
    expect(await kv.getPartial('dir/nested/c', 50, 1)).toEqual({ ok: true, value: new Uint8Array(0) });
    expect(await kv.get('empty')).toEqual({ ok: true, value: new Uint8Array(0) });
    expect(await kv.size('dir/nested/c')).toEqual({ ok: true, value: 10 });
    expect(await kv.exists('dir')).toEqual({ ok: true, value: 'dictionary' });
    expect(await kv.exists('a')).toEqual({ ok: true, value: 'value' });
    expect(await kv.exists('missing')).toEqual({ ok: true, value: null });
    expect(await kv.get('link-in')).toEqual({ ok: true, value: new Uint8Array(Buffer.from('bar\n')) });
    const mtime = Math.floor(fs.statSync(path.join(root, 'a')).mtimeMs);
    expect(await kv.lastModified('a')).toEqual({ ok: true, value: mtime });
  });

  it('lists only what a key can reach: no links out, no loops, no FIFOs', async () => {
    expect(await kv.list('')).toEqual({
      ok: true,
      value: [
        { name: 'a', kind: 'value' },
        { name: 'dir', kind: 'dictionary' },
        { name: 'empty', kind: 'value' },
        { name: 'link-in', kind: 'value' },
      ],
    });
    expect(await kv.list('dir')).toEqual({
      ok: true,
      value: [
        { name: 'b.txt', kind: 'value' },
        { name: 'nested', kind: 'dictionary' },
      ],
    });
  });

  it('answers with error values for missing keys and wrong kinds', async () => {
    expect(await kv.get('missing')).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    expect(await kv.get('a/below-a-file')).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    expect(await kv.get('dir')).toMatchObject({ ok: false, error: { kind: 'is-directory' } });
    expect(await kv.size('dir')).toMatchObject({ ok: false, error: { kind: 'is-directory' } });
    expect(await kv.list('a')).toMatchObject({ ok: false, error: { kind: 'not-a-directory' } });
    expect(await kv.getPartial('a', -1, 2)).toMatchObject({ ok: false, error: { kind: 'invalid-range' } });
    expect(await kv.getPartial('a', 0, 1.5)).toMatchObject({ ok: false, error: { kind: 'invalid-range' } });
  });

  const catalogue: [string, string][] = [
    ['../secret', 'invalid-key'],
    ['dir/../../secret', 'invalid-key'],
    ['dir/../a', 'invalid-key'],
    [path.join(os.tmpdir(), 'secret'), 'invalid-key'],
    ['/etc/passwd', 'invalid-key'],
    ['//etc/passwd', 'invalid-key'],
    ['a\0../../secret', 'invalid-key'],
    ['..%2fsecret', 'invalid-key'],
    ['%2e%2e/secret', 'invalid-key'],
    ['%2E%2E%2Fsecret', 'invalid-key'],
    ['..%5csecret', 'invalid-key'],
    ['%c0%ae%c0%ae/secret', 'invalid-key'],
    ['..\\secret', 'invalid-key'],
    ['dir\\..\\..\\secret', 'invalid-key'],
    ['./../secret', 'invalid-key'],
    ['dir/./../../secret', 'invalid-key'],
    ['link-out', 'invalid-key'],
    ['abs-link-out', 'invalid-key'],
    ['dir-link-out/file', 'invalid-key'],
    ['dir-link-out', 'invalid-key'],
    ['prefix-trick/file', 'invalid-key'],
    ['loop1', 'invalid-key'],
    ['fifo', 'invalid-key'],
    ['..', 'invalid-key'],
    ['.', 'invalid-key'],
  ];

  it.each(catalogue)('refuses %j on every operation and never returns the secret', async (key, kind) => {
    for (const r of [
      await kv.get(key),
      await kv.getPartial(key, 0, 100),
      await kv.size(key),
      await kv.list(key),
      await kv.lastModified(key),
    ]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe(kind);
    }
    const e = await kv.exists(key);
    expect(e).toMatchObject({ ok: false, error: { kind } });
  });

  it('refuses a file that turns into a link out after it was checked', async () => {
    const swap = path.join(root, 'swap');
    fs.writeFileSync(swap, 'inside');
    expect(await kv.get('swap')).toEqual({ ok: true, value: new Uint8Array(Buffer.from('inside')) });
    fs.rmSync(swap);
    fs.symlinkSync('../secret', swap);
    const r = await kv.get('swap');
    expect(r).toMatchObject({ ok: false, error: { kind: 'invalid-key' } });
    fs.rmSync(swap);
  });

  it('refuses to connect to a directory that does not exist, and reports disconnection', async () => {
    await expect(DirectKvRo.connect(path.join(base, 'nope'))).rejects.toThrow(/the directory .*nope cannot be opened/);
    await expect(DirectKvRo.connect(path.join(root, 'a'))).rejects.toThrow(/is not a directory/);
    const other = await DirectKvRo.connect(root);
    await other.disconnect();
    expect(await other.get('a')).toMatchObject({ ok: false, error: { kind: 'disconnected' } });
  });
});
