import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { touch } from '../testing/git-workspace';
import { addScratchDevices, writeApp } from '../testing/scratch-devices';
import { copyWorkspace, nx } from '../testing/workspace';

/**
 * The build cache is sound: each declared input of a unikernel's build,
 * changed, misses the cache; a file outside them does not; a hit restores
 * the whole artifact.
 */
const CONFIG = `import { console, defaultConsole, foreign, Key, matchImpl, register, scratchDir, scratchKv } from '@mirage-ts/mirage';

const mode = Key.create('mode', { values: ['short', 'long'], default: 'short' });
const main = foreign('Unikernel.Main', [console, scratchKv, scratchKv]);
const out = matchImpl(mode, { short: defaultConsole, long: defaultConsole });

// files/ is inside the app; ../../shared/files belongs to no project.
export default register('cached', [main(out, scratchDir('files'), scratchDir('../../shared/files'))]);
`;
const UNIKERNEL = `import type { Console, KvRo } from '@mirage-ts/types';

export class Main {
  async start(c: Console, own: KvRo, shared: KvRo): Promise<void> {
    for (const kv of [own, shared]) {
      const a = await kv.get('a');
      await c.log(a.ok ? new TextDecoder().decode(a.value).trim() : a.error.message);
    }
  }
}
`;

describe('build cache soundness', () => {
  // Several nx runs per test on a shared 2-core machine; a bound that still ends a hang.
  jest.setTimeout(600_000);
  let ws: ReturnType<typeof copyWorkspace>;
  const out = () => path.join(ws.root, 'dist/apps/cached/unix');

  beforeAll(() => {
    ws = copyWorkspace('mirage-cache-');
    addScratchDevices(ws.root);
    writeApp(ws.root, 'cached', { 'config.ts': CONFIG, 'unikernel.ts': UNIKERNEL, 'files/a': 'own data' });
    fs.mkdirSync(path.join(ws.root, 'shared/files'), { recursive: true });
    fs.writeFileSync(path.join(ws.root, 'shared/files/a'), 'shared data');
  });
  afterAll(() => ws?.dispose());

  /** Builds and says whether Nx took the result from its cache. */
  const build = (...flags: string[]): 'hit' | 'miss' => buildProject('cached', ...flags);
  const buildProject = (project: string, ...flags: string[]): 'hit' | 'miss' => {
    const r = nx(['build', project, ...flags], { cwd: ws.root });
    if (r.status !== 0) throw new Error(`nx build ${project} ${flags.join(' ')} failed:\n${r.output}`);
    const m = /Cache:\s+(\d)\/1 hit/.exec(r.output);
    if (!m) throw new Error(`no cache summary in:\n${r.output}`);
    return m[1] === '1' ? 'hit' : 'miss';
  };
  const snapshot = (dir: string): Record<string, string> => {
    const files: Record<string, string> = {};
    for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]) {
      if (e.isDirectory()) continue;
      const file = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
      files[path.relative(dir, file)] =
        `${fs.statSync(file).mode.toString(8)} ${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;
    }
    return files;
  };

  it('restores the whole artifact on a hit, and it runs', () => {
    expect(build()).toBe('miss');
    const built = snapshot(out());
    expect(Object.keys(built).sort()).toEqual(['graph.json', 'main.js', 'main.js.map', 'main.ts', 'mir-cached']);
    fs.rmSync(path.join(ws.root, 'dist'), { recursive: true });
    expect(build()).toBe('hit');
    expect(snapshot(out())).toEqual(built);
    const run = spawnSync(path.join(out(), 'mir-cached'), [], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout).toBe('own data\nshared data\n');
    expect(run.status).toBe(0);
  });

  it.each([
    ['config.ts', 'apps/cached/config.ts'],
    ['unikernel.ts', 'apps/cached/unikernel.ts'],
    ['a device library it uses', 'libs/console/src/stdio.ts'],
    ['the DSL', 'libs/mirage/src/devices/console.ts'],
    ['a file in its data folder', 'apps/cached/files/a'],
    ['a file in a data folder outside any project', 'shared/files/a'],
    ["the plugin's own code", 'plugins/mirage/src/codegen/main-ts.ts'],
  ])('a change to %s misses the cache', (_what, file) => {
    touch(ws.root, file, file.includes('/files/') ? 'more' : '// changed');
    expect(build()).toBe('miss');
  });

  it('a key value is an input: it misses, and the build without it is still a hit', () => {
    build();
    expect(build('--mode=long')).toBe('miss');
    expect(build()).toBe('hit');
    expect(build('--mode=long')).toBe('hit');
  });

  it('the target is an input: each target misses once, then both are hits', () => {
    // A host folder exists only on unix, so the console example stands in here.
    expect(buildProject('console', '--target=unix')).toBe('miss');
    expect(buildProject('console', '--target=xen')).toBe('miss');
    expect(buildProject('console', '--target=unix')).toBe('hit');
    expect(buildProject('console', '--target=xen')).toBe('hit');
  });

  it.each([
    ['the workspace README', 'README.md'],
    ["another unikernel's code", 'apps/console/unikernel.ts'],
    ['a library it does not use', 'libs/time/src/sleep.ts'],
    ['a spec file of the plugin (not part of it)', 'plugins/mirage/src/analysis/static/module-facts.spec.ts'],
  ])('a change to %s is still a hit', (_what, file) => {
    touch(ws.root, file);
    expect(build()).toBe('hit');
  });
});
