import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, nx, runTimed } from '../testing/workspace';

/** `npx nx g unikernel hello` in a copy of the workspace, then build and run what it made. */
describe('nx g unikernel, end to end', () => {
  const ws = copyWorkspace();
  afterAll(() => ws.dispose());

  it('--dry-run lists the files it would create and writes none', () => {
    const dry = nx(['g', 'unikernel', 'dry', '--template=block', '--dry-run', '--no-interactive'], { cwd: ws.root });
    expect(dry.status).toBe(0);
    for (const file of ['config.ts', 'unikernel.ts', 'tsconfig.json'])
      expect(dry.output).toContain(`CREATE apps/dry/${file}`);
    expect(fs.existsSync(path.join(ws.root, 'apps/dry'))).toBe(false);
  });

  it('scaffolds apps/hello, which Nx then knows, builds and runs', async () => {
    const g = nx(['g', 'unikernel', 'hello'], { cwd: ws.root });
    expect(g.status).toBe(0);
    expect(fs.readdirSync(path.join(ws.root, 'apps/hello')).sort()).toEqual([
      'config.ts',
      'tsconfig.json',
      'unikernel.ts',
    ]);

    const shown = JSON.parse(nx(['show', 'project', 'hello', '--json'], { cwd: ws.root }).stdout);
    expect(Object.keys(shown.targets)).toEqual(expect.arrayContaining(['configure', 'build', 'run']));
    expect(shown.targets.build.inputs).toEqual(expect.arrayContaining([{ env: 'MIRAGE_TARGET' }]));

    const build = nx(['build', 'hello', '--target=unix'], { cwd: ws.root });
    expect(build.output).toContain('Successfully ran target build for project hello');
    const run = await runTimed(path.join(ws.root, 'dist/apps/hello/unix/mir-hello'));
    expect(run.status).toBe(0);
    expect(run.lines.map((l) => l.text)).toEqual([
      'hello',
      'world',
      'hello',
      'world',
      'hello',
      'world',
      'hello',
      'world',
    ]);
  });

  it('refuses to scaffold over an existing app', () => {
    const before = fs.readFileSync(path.join(ws.root, 'apps/hello/unikernel.ts'), 'utf8');
    const again = nx(['g', 'unikernel', 'hello'], { cwd: ws.root });
    expect(again.status).not.toBe(0);
    expect(again.output).toContain('apps/hello already exists');
    expect(fs.readFileSync(path.join(ws.root, 'apps/hello/unikernel.ts'), 'utf8')).toBe(before);
  });

  it('scaffolds the console example by name where the workspace has none', () => {
    fs.rmSync(path.join(ws.root, 'apps/console'), { recursive: true });
    expect(nx(['g', 'unikernel', 'console'], { cwd: ws.root }).status).toBe(0);
    expect(fs.readFileSync(path.join(ws.root, 'apps/console/config.ts'), 'utf8')).toContain("register('console'");
  });
});
