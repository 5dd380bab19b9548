import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gitWorkspace, touch } from '../testing/git-workspace';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';

/**
 * A team's shared cache: two clones of one repository, each with its own
 * local cache, pointed at one cache server (`npm run cache-server`). What
 * the first clone built and tested, the second replays from the server; a
 * changed input runs again.
 */
describe('the self-hosted remote cache shared by two clones', () => {
  // Nx runs on a shared 2-core machine; a bound that still ends a hang.
  jest.setTimeout(600_000);
  const TASKS = ['run-many', '-t', 'build', 'test', '-p', 'console,@mirage-ts/console', '--parallel=1'];
  const TOKEN = 'e2e-token';
  let first: ReturnType<typeof gitWorkspace>;
  let second: string;
  let records: string;
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    first = gitWorkspace('mirage-remote-a-', () => undefined);
    second = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-remote-b-'));
    execFileSync('git', ['clone', '-q', first.root, second]);
    // The scratch workspace's node_modules is a symlink, which git keeps (.gitignore's node_modules/ is for folders).
    if (!fs.existsSync(path.join(second, 'node_modules')))
      fs.symlinkSync(path.join(WORKSPACE_ROOT, 'node_modules'), path.join(second, 'node_modules'));
    records = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-remote-records-'));
    server = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'tools/cache-server/main.ts', '--dir', records, '--port', '0', '--quiet'],
      {
        cwd: WORKSPACE_ROOT,
        env: { ...process.env, NX_CACHE_SERVER_TOKEN: TOKEN },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      server.once('exit', (code) => reject(new Error(`cache server exited (${code}): ${out}`)));
    });
  });
  afterAll(() => {
    server?.kill();
    first?.dispose();
    for (const dir of [second, records]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (cwd: string) => {
    const r = nx(TASKS, {
      cwd,
      env: { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: TOKEN },
    });
    if (r.status !== 0) throw new Error(`nx ${TASKS.join(' ')} failed in ${cwd}:\n${r.output}`);
    return r.output;
  };

  /** Each task of the run and whether it came from the remote cache (`[remote cache]`), a local one, or ran. */
  const outcomes = (output: string): Record<string, string> =>
    Object.fromEntries(
      [...output.matchAll(/^\s*✔\s+nx run (\S+)(\s+\[(remote cache|local cache)\])?\s*$/gm)].map((m) => [
        m[1],
        m[3] ?? 'ran',
      ]),
    );
  const artifact = (root: string) => fs.readFileSync(path.join(root, 'dist/apps/console/unix/main.js'));

  it('stores what the first clone builds and tests on the server', () => {
    expect(outcomes(run(first.root))).toEqual({ 'console:build': 'ran', '@mirage-ts/console:test': 'ran' });
    expect(fs.readdirSync(records)).toHaveLength(2);
  });

  it('replays both tasks in the second clone from the server, outputs included', () => {
    expect(outcomes(run(second))).toEqual({
      'console:build': 'remote cache',
      '@mirage-ts/console:test': 'remote cache',
    });
    expect(artifact(second).equals(artifact(first.root))).toBe(true);
    expect(fs.statSync(path.join(second, 'dist/apps/console/unix/mir-console')).mode & 0o111).not.toBe(0);
  });

  it('runs again what a changed input touches, and stores the new results', () => {
    touch(second, 'libs/console/src/stdio.ts');
    expect(outcomes(run(second))).toEqual({ 'console:build': 'ran', '@mirage-ts/console:test': 'ran' });
    expect(fs.readdirSync(records)).toHaveLength(4);
  });
});
