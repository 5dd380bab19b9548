import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PackageContext } from './target';
import { MALLOC_TUNABLE, unixTarget, withMallocTunable } from './unix';

describe('the unix launcher', () => {
  let dir: string;
  let launcher: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unix-launcher-'));
    const bundleFile = path.join(dir, 'main.js');
    // Stands in for a unikernel: says what the launcher gave it.
    fs.writeFileSync(
      bundleFile,
      'console.log(JSON.stringify({ tunables: process.env.GLIBC_TUNABLES ?? null, args: process.argv.slice(2) }));\n',
    );
    const ctx = {
      graph: { name: 'probe', configFile: 'apps/probe/config.ts' },
      stagingDir: dir,
      bundleFile,
    } as unknown as PackageContext;
    await unixTarget.package(ctx);
    launcher = path.join(dir, 'mir-probe');
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** What the unikernel saw when started with GLIBC_TUNABLES set to `tunables` (undefined: unset). */
  function started(tunables: string | undefined, args: string[] = []): { tunables: string | null; args: string[] } {
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    if (tunables !== undefined) env.GLIBC_TUNABLES = tunables;
    const r = spawnSync(launcher, args, { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as { tunables: string | null; args: string[] };
  }

  it('asks malloc for huge pages when nothing says otherwise, and passes the arguments on', () => {
    expect(started(undefined, ['--hello=a b', 'x'])).toEqual({ tunables: MALLOC_TUNABLE, args: ['--hello=a b', 'x'] });
    expect(started('')).toEqual({ tunables: MALLOC_TUNABLE, args: [] });
  });

  it("keeps the user's other tunables and their own choice about huge pages", () => {
    expect(started('glibc.malloc.arena_max=2').tunables).toBe(`glibc.malloc.arena_max=2:${MALLOC_TUNABLE}`);
    expect(started('glibc.malloc.hugetlb=0').tunables).toBe('glibc.malloc.hugetlb=0');
    expect(started('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0').tunables).toBe(
      'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0',
    );
  });

  it('withMallocTunable follows the same rule as the launcher', () => {
    for (const value of [undefined, '', 'glibc.malloc.arena_max=2', 'glibc.malloc.hugetlb=0']) {
      expect(withMallocTunable(value)).toBe(started(value).tunables);
    }
  });
});
