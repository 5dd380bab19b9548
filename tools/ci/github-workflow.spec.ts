import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}

/** The workflow a team copies: affected targets only, with the Nx cache carried between runs. */
describe('.github/workflows/ci.yml', () => {
  const workflow = parse(fs.readFileSync(path.join(ROOT, '.github/workflows/ci.yml'), 'utf8')) as {
    on: Record<string, unknown>;
    jobs: Record<string, { steps: Step[] }>;
  };
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
  const indexOf = (test: (s: Step) => boolean) => steps.findIndex(test);
  const usesIndex = (action: string) => indexOf((s) => s.uses?.split('@')[0] === action);
  const affected = indexOf((s) => /\bnx affected\b/.test(s.run ?? ''));

  it('runs on pushes to main and on pull requests', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
  });

  it('runs lint, typecheck, test, e2e and build on the affected projects only', () => {
    expect(affected).toBeGreaterThanOrEqual(0);
    const args = (steps[affected].run as string).split(/\s+/);
    const from = args.indexOf('-t') + 1;
    const end = args.findIndex((a, i) => i >= from && a.startsWith('-'));
    expect(args.slice(from, end < 0 ? undefined : end)).toEqual([
      'lint',
      'typecheck',
      'test',
      'e2e',
      'nx-e2e',
      'build',
    ]);
    expect(steps.some((s) => /\bnx run-many\b/.test(s.run ?? ''))).toBe(false);
  });

  it('compares against the last green commit, with the history checked out', () => {
    const checkout = usesIndex('actions/checkout');
    expect(steps[checkout]?.with?.['fetch-depth']).toBe(0);
    const shas = usesIndex('nrwl/nx-set-shas');
    expect(shas).toBeGreaterThan(checkout);
    expect(shas).toBeLessThan(affected);
    expect(steps[affected].run).toContain('--base="$NX_BASE" --head="$NX_HEAD"');
  });

  it("restores and saves Nx's cache folder before the affected run", () => {
    const nxJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'nx.json'), 'utf8')) as { cacheDirectory: string };
    const cache = usesIndex('actions/cache');
    expect(cache).toBeGreaterThanOrEqual(0);
    expect(cache).toBeLessThan(affected);
    expect(steps[cache].with?.path).toBe(nxJson.cacheDirectory);
    // A key per commit (a new cache is saved every run) that falls back to the latest one.
    expect(steps[cache].with?.key).toContain('${{ github.sha }}');
    expect(String(steps[cache].with?.key).startsWith(String(steps[cache].with?.['restore-keys']))).toBe(true);
  });

  it("installs the tests' Debian packages and the locked npm dependencies first", () => {
    const apt = indexOf((s) => (s.run ?? '').includes('.ci/apt-packages.txt'));
    const npmCi = indexOf((s) => /^npm ci\b/.test(s.run ?? ''));
    expect(apt).toBeGreaterThanOrEqual(0);
    expect(npmCi).toBeGreaterThan(apt);
    expect(npmCi).toBeLessThan(affected);
  });
});
