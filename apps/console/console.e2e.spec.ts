import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nx, runTimed, WORKSPACE_ROOT } from '../../tools/testing/workspace';

/** The seed's step 1, verbatim: build console for unix, run mir-console. */
const dist = (target: string) => path.join(WORKSPACE_ROOT, 'dist/apps/console', target);
const graphOf = (target: string) => JSON.parse(fs.readFileSync(path.join(dist(target), 'graph.json'), 'utf8'));

describe('console on unix', () => {
  it('builds with `nx build console --target=unix` and prints hello/world 4 times, 1 s apart', async () => {
    const build = nx(['build', 'console', '--target=unix']);
    expect(build.output).toContain('Successfully ran target build for project console');
    expect(graphOf('unix').target).toBe('unix');

    const run = await runTimed(path.join(dist('unix'), 'mir-console'), [], { timeoutMs: 30_000 });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
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
    // Each world follows its hello after the unikernel's 1 s sleep; the next hello follows at once.
    for (let i = 0; i < 8; i += 2) {
      const slept = run.lines[i + 1].atMs - run.lines[i].atMs;
      expect(slept).toBeGreaterThanOrEqual(950);
      expect(slept).toBeLessThan(3000);
    }
  });

  it('ends quietly, as a Unix program killed by SIGPIPE, when its output is piped into head', () => {
    const bin = path.join(dist('unix'), 'mir-console');
    const r = spawnSync('bash', ['-c', `"$0" | head -1; echo "status=\${PIPESTATUS[0]}"`, bin], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ stdout: r.stdout, stderr: r.stderr }).toEqual({ stdout: 'hello\nstatus=141\n', stderr: '' });
  });

  it('builds unix when no target is given, from the cache the second time', () => {
    nx(['build', 'console']);
    const again = nx(['build', 'console']);
    expect(again.output).toMatch(/Nx read the output from the cache|existing outputs match the cache/);
    expect(graphOf('unix').target).toBe('unix');
  });

  it('passes --target=xen to the executor, and keeps the unix artifact and cache entry apart', () => {
    const xen = nx(['build', 'console', '--target=xen']);
    expect(xen.output).toContain('Successfully ran target build for project console');
    expect(graphOf('xen').target).toBe('xen');
    // The unix build is still there, and still a cache hit.
    expect(fs.existsSync(path.join(dist('unix'), 'mir-console'))).toBe(true);
    const unix = nx(['run', 'console:build', '--target=unix']);
    expect(unix.output).toMatch(/Nx read the output from the cache|existing outputs match the cache/);
    expect(graphOf('unix').target).toBe('unix');
    expect(graphOf('xen').target).toBe('xen');
  });

  it('refuses an unknown target, listing the known ones', () => {
    const r = nx(['build', 'console', '--target=vmware']);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("error: unknown target 'vmware'");
    expect(r.output).toContain('fix: use --target=unix|xen|qemu');
  });

  it('refuses a key the unikernel does not declare', () => {
    const r = nx(['build', 'console', '--net=direct']);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(
      'error: unknown option --net: the unikernel registered at apps/console/config.ts declares no such key',
    );
  });

  it('runs with `nx run console:run`', () => {
    const r = nx(['run', 'console:run']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l === 'hello' || l === 'world')).toHaveLength(8);
  });

  it('answers --help and refuses unknown flags as a program should', async () => {
    const help = await runTimed(path.join(dist('unix'), 'mir-console'), ['--help']);
    expect(help.status).toBe(0);
    expect(help.lines.map((l) => l.text)).toEqual([
      'usage: mir-console [--key=value ...]',
      'This unikernel has no run-time options.',
    ]);
    const bad = await runTimed(path.join(dist('unix'), 'mir-console'), ['--ipv4=1.2.3.4/24']);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toBe('mir-console: unknown option --ipv4; run-time options: none\n');
  });
});
