import type { KvRo } from '@mirage-ts/types';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WORKSPACE_ROOT } from '../../../../tools/testing/workspace';
import { crunchModule } from './crunch-module';
import { readDataDir } from './read-data-dir';

/**
 * A directory goes through readDataDir and crunchModule, the module is
 * bundled as main.ts would bundle it, and the store it exports must give
 * back every file byte for byte.
 */
describe('crunched modules', () => {
  let dir: string;
  const files: Record<string, Buffer> = {
    a: Buffer.from('foo\n'),
    'dir/b.txt': Buffer.from('bar\n'),
    'dir/deeper/unicode ü.md': Buffer.from('ü — “quotes” \\ ${x} `tick` */\n'),
    'binary.bin': Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 7919) & 0xff)),
    'bom.txt': Buffer.from([0xef, 0xbb, 0xbf, 0x41]),
    empty: Buffer.alloc(0),
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crunch-'));
    for (const [key, bytes] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, 'data', key)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'data', key), bytes);
    }
    fs.mkdirSync(path.join(dir, 'data/empty-dir'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function load(text: string): Promise<KvRo> {
    fs.writeFileSync(path.join(dir, 'static1.ts'), text);
    const out = await esbuild.build({
      stdin: { contents: `export { Static1 } from './static1';`, resolveDir: dir, loader: 'ts' },
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      tsconfig: path.join(WORKSPACE_ROOT, 'tsconfig.base.json'),
      absWorkingDir: WORKSPACE_ROOT,
      logLevel: 'silent',
    });
    const mod = { exports: {} as { Static1: { connect(): Promise<KvRo> } } };
    new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, require);
    return mod.exports.Static1.connect();
  }

  it('keeps text readable and gives back every file byte for byte', async () => {
    const text = crunchModule({
      symbol: 'Static1',
      source: 'apps/demo/data',
      project: 'demo',
      entries: readDataDir(path.join(dir, 'data')),
    });
    expect(text).toContain('{ key: "a", kind: \'value\'');
    expect(text).toContain('text: "foo\\n"');
    expect(text).toMatch(/key: "binary.bin".*base64: "/);
    expect(text).toMatch(/key: "bom.txt".*base64: "77u\/QQ=="/);
    const kv = await load(text);
    for (const [key, bytes] of Object.entries(files)) {
      expect(await kv.get(key)).toEqual({ ok: true, value: new Uint8Array(bytes) });
      expect(await kv.size(key)).toEqual({ ok: true, value: bytes.length });
    }
    expect(await kv.getPartial('binary.bin', 65530, 100)).toEqual({
      ok: true,
      value: new Uint8Array(files['binary.bin'].subarray(65530, 65630)),
    });
    expect(await kv.list('')).toEqual({
      ok: true,
      value: [
        { name: 'a', kind: 'value' },
        { name: 'binary.bin', kind: 'value' },
        { name: 'bom.txt', kind: 'value' },
        { name: 'dir', kind: 'dictionary' },
        { name: 'empty', kind: 'value' },
        { name: 'empty-dir', kind: 'dictionary' },
      ],
    });
    expect(await kv.list('empty-dir')).toEqual({ ok: true, value: [] });
    expect(await kv.list('dir/deeper')).toEqual({ ok: true, value: [{ name: 'unicode ü.md', kind: 'value' }] });
    expect(await kv.exists('dir')).toEqual({ ok: true, value: 'dictionary' });
    expect(await kv.exists('nope')).toEqual({ ok: true, value: null });
    expect(await kv.get('dir')).toMatchObject({ ok: false, error: { kind: 'is-directory' } });
    expect(await kv.list('a')).toMatchObject({ ok: false, error: { kind: 'not-a-directory' } });
    expect(await kv.get('../a')).toMatchObject({ ok: false, error: { kind: 'invalid-key' } });
    const mtime = Math.floor(fs.statSync(path.join(dir, 'data/a')).mtimeMs);
    expect(await kv.lastModified('a')).toEqual({ ok: true, value: mtime });
  });

  it('hands out copies, so a unikernel that changes a value does not change the store', async () => {
    const kv = await load(
      crunchModule({ symbol: 'Static1', source: 'd', project: 'demo', entries: readDataDir(path.join(dir, 'data')) }),
    );
    const first = await kv.get('a');
    if (first.ok) first.value.fill(0);
    expect(await kv.get('a')).toEqual({ ok: true, value: new Uint8Array(Buffer.from('foo\n')) });
  });

  it('refuses names no key can reach and special files, naming the path', () => {
    const odd = fs.mkdtempSync(path.join(os.tmpdir(), 'crunch-odd-'));
    try {
      fs.writeFileSync(path.join(odd, 'back\\slash'), 'x');
      expect(() => readDataDir(odd)).toThrow(`${path.join(odd, 'back\\slash')} cannot be a key`);
      fs.rmSync(path.join(odd, 'back\\slash'));
      fs.symlinkSync('.', path.join(odd, 'self'));
      expect(() => readDataDir(odd)).toThrow(`${path.join(odd, 'self')} links back to a directory that contains it`);
    } finally {
      fs.rmSync(odd, { recursive: true, force: true });
    }
  });
});
