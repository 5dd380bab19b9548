/**
 * Costs of the static analysis: Nx's project graph with the plugin (which
 * reads every config.ts) against the same workspace without it; reading
 * config.ts with swc against ts-morph; the build-time checks on
 * apps/console.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, nxEnv, WORKSPACE_ROOT } from '../testing/workspace';
import { ms, ratio, type BenchRow } from './table';

const UNIKERNELS = 100;
const RUNS = 3;

function generate(root: string): string[] {
  const roots: string[] = [];
  for (let i = 0; i < UNIKERNELS; i++) {
    const name = `gen${String(i).padStart(3, '0')}`;
    const dir = path.join(root, 'apps', name);
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    // Every third one crunches a data folder, so the reader follows crunch to its build option.
    const crunched = i % 3 === 0;
    fs.writeFileSync(
      path.join(dir, 'config.ts'),
      `import { ${crunched ? 'crunch, kv_ro, ' : ''}console, defaultConsole, foreign, register } from '@mirage-ts/mirage';\n\nconst main = foreign('Unikernel.Main', [console${crunched ? ', kv_ro' : ''}]);\n\nexport default register('${name}', [main(defaultConsole${crunched ? ", crunch('data')" : ''})]);\n`,
    );
    fs.writeFileSync(
      path.join(dir, 'unikernel.ts'),
      "import type { Console } from '@mirage-ts/types';\n\nexport class Main {\n  async start(c: Console): Promise<void> {\n    await c.log('hello');\n  }\n}\n",
    );
    roots.push(path.join('apps', name));
  }
  return roots;
}

/** One cold project-graph computation: daemon off, no cached graph. */
function projectGraphMs(root: string): { ms: number; projects: number } {
  fs.rmSync(path.join(root, '.nx'), { recursive: true, force: true });
  const start = process.hrtime.bigint();
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'nx'), ['show', 'projects', '--json'], {
    cwd: root,
    env: nxEnv({ NX_CACHE_PROJECT_GRAPH: 'false' }),
    encoding: 'utf8',
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`nx show projects failed: ${r.stderr}`);
  return { ms: elapsed, projects: (JSON.parse(r.stdout) as string[]).length };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function probe(script: string, args: string[]): Record<string, number> {
  const r = spawnSync(
    process.execPath,
    ['-r', '@swc-node/register', path.join(__dirname, 'analysis', script), ...args],
    { cwd: WORKSPACE_ROOT, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

export async function rows(): Promise<BenchRow[]> {
  const ws = copyWorkspace('mirage-bench-analysis-');
  try {
    const roots = generate(ws.root);
    const nxJson = path.join(ws.root, 'nx.json');
    const withPlugin = fs.readFileSync(nxJson, 'utf8');
    const withoutPlugin = JSON.stringify({ ...JSON.parse(withPlugin), plugins: [] }, null, 2);

    const timed = (config: string) => {
      fs.writeFileSync(nxJson, config);
      const runs = Array.from({ length: RUNS }, () => projectGraphMs(ws.root));
      return { ms: median(runs.map((r) => r.ms)), projects: runs[0].projects };
    };
    const on = timed(withPlugin);
    const off = timed(withoutPlugin);
    fs.writeFileSync(nxJson, withPlugin);

    const swc = Array.from({ length: RUNS }, () => probe('probe-parse.ts', ['swc', ws.root, ...roots]));
    const morph = Array.from({ length: RUNS }, () => probe('probe-parse.ts', ['ts-morph', ws.root, ...roots]));
    const check = Array.from({ length: RUNS }, () => probe('probe-check.ts', [WORKSPACE_ROOT, 'apps/console']));
    const m = (xs: Record<string, number>[], k: string) => median(xs.map((x) => x[k]));

    return [
      {
        name: `analysis: project graph, ${UNIKERNELS} unikernels (${on.projects} projects)`,
        value: ms(on.ms),
        comparison: `without the plugin ${ms(off.ms)} (${off.projects} projects), ratio ${ratio(on.ms, off.ms)}`,
      },
      {
        name: `analysis: read ${UNIKERNELS} config.ts + DSL (swc: parse and solve)`,
        value: `${ms(m(swc, 'read'))} + load ${ms(m(swc, 'load'))}`,
        comparison: `ts-morph parse only ${ms(m(morph, 'read'))} + load ${ms(m(morph, 'load'))}, ratio ${ratio(m(swc, 'read') + m(swc, 'load'), m(morph, 'read') + m(morph, 'load'))}`,
      },
      {
        name: 'analysis: start()/device checks, apps/console (cold)',
        value: `${ms(m(check, 'checkCold'))} + ts-morph load ${ms(m(check, 'loadTsMorph'))}`,
        comparison: `evaluate+resolve ${ms(m(check, 'evaluateResolve'))}; warm check ${ms(m(check, 'checkWarm'))}`,
      },
    ];
  } finally {
    ws.dispose();
  }
}
