import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUserError } from '../configure/user-error';
import { buildUnikernel } from '../pipeline/build-step';
import { targetNamed } from '../targets';
import { addScratchDevices, writeApp } from '../../../../tools/testing/scratch-devices';
import { copyWorkspace, nx } from '../../../../tools/testing/workspace';
import { RIGHT_APPS, WRONG_APPS, type CatalogueApp } from '../../../../tools/testing/analysis-catalogue';

/**
 * Every mistake of the catalogue is caught before bundling, reported at the
 * user's own line with a fix, and leaves no artifact; the accepted shapes
 * build. The apps are built the way the build executor builds them.
 */
describe('analysis catalogue', () => {
  // Several nx runs per test on a shared 2-core machine; a bound that still ends a hang.
  jest.setTimeout(600_000);
  let ws: { root: string; dispose(): void };

  beforeAll(() => {
    ws = copyWorkspace('mirage-catalogue-');
    addScratchDevices(ws.root);
    for (const app of [...WRONG_APPS, ...RIGHT_APPS]) {
      writeApp(ws.root, app.name, {
        'config.ts': app.config,
        'unikernel.ts': app.unikernel ?? '',
        'files/a': 'data\n',
      });
    }
  });
  afterAll(() => ws?.dispose());

  /** Files under dist/apps/<name> (a refused build may leave at most an empty folder). */
  const artifactFiles = (name: string): string[] => {
    const dir = path.join(ws.root, 'dist', 'apps', name);
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
      .filter((e) => !e.isDirectory())
      .map((e) => e.name);
  };

  const build = (app: CatalogueApp) =>
    buildUnikernel({
      workspaceRoot: ws.root,
      projectRoot: `apps/${app.name}`,
      project: app.name,
      target: targetNamed(app.target ?? 'unix'),
      keyOptions: app.options ?? {},
      targetOptions: {},
      logger: { info: () => undefined, warn: () => undefined },
    });

  it('holds at least 15 distinct mistakes', () => {
    const problems = new Set(WRONG_APPS.map((a) => a.error?.split('\n')[0].replace(/^\S+ - error: /, '')));
    expect(problems.size).toBe(WRONG_APPS.length);
    expect(problems.size).toBeGreaterThanOrEqual(15);
  });

  it.each(WRONG_APPS.map((a) => [a.name, a.what, a] as const))(
    '%s (%s) is refused at its line',
    async (_name, _what, app) => {
      const error = await build(app).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeDefined();
      expect(isUserError(error)).toBe(true);
      expect((error as Error).message).toBe(app.error);
      expect(artifactFiles(app.name)).toEqual([]);
    },
  );

  it.each(RIGHT_APPS.map((a) => [a.name, a.what, a] as const))('%s (%s) builds', async (_name, _what, app) => {
    const graph = await build(app);
    expect(graph.name).toBe(app.name);
    expect(fs.existsSync(path.join(ws.root, 'dist', 'apps', app.name, 'unix', 'main.js'))).toBe(true);
  });

  it('fails nx builds with the diagnostics only: non-zero exit, no stack trace, no artifact', () => {
    const names = ['swapped', 'missing_method'];
    const r = nx(['run-many', '-t', 'build', '-p', names.join(','), '--parallel=1', '--skip-nx-cache'], {
      cwd: ws.root,
    });
    expect(r.status).not.toBe(0);
    for (const name of names) {
      const error = WRONG_APPS.find((a) => a.name === name)?.error as string;
      for (const line of error.split('\n')) expect(r.output).toContain(line);
      expect(artifactFiles(name)).toEqual([]);
    }
    expect(r.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it('keeps the previous artifact whole when a later build is refused', async () => {
    const app = RIGHT_APPS.find((a) => a.name === 'two_devices') as CatalogueApp;
    await build(app);
    const out = path.join(ws.root, 'dist', 'apps', app.name, 'unix');
    const before = fs.readdirSync(out).sort();
    const unikernel = path.join(ws.root, 'apps', app.name, 'unikernel.ts');
    fs.writeFileSync(unikernel, (app.unikernel as string).replace('c: Console, b: Block', 'b: Block, c: Console'));
    await expect(build(app)).rejects.toThrow(/parameter 'b' of Main.start expects Block/);
    expect(fs.readdirSync(out).sort()).toEqual(before);
    fs.writeFileSync(unikernel, app.unikernel as string);
  });
});
