/**
 * The walking skeleton's figures: what a build costs, what the cache saves,
 * and how soon a unix unikernel speaks compared with Node starting at all.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { nxEnv, WORKSPACE_ROOT } from '../testing/workspace';
import { medianMs, ms, ratio, type BenchRow } from './table';

const NX = path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx');

function nxRun(args: string[]): void {
  const r = spawnSync(NX, args, { cwd: WORKSPACE_ROOT, env: nxEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nx ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

function timeToFirstLine(file: string, args: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => {
      resolve(Number(process.hrtime.bigint() - start) / 1e6);
      child.kill();
    });
    child.on('error', reject);
  });
}

export async function rows(): Promise<BenchRow[]> {
  const cold = await medianMs(3, () => nxRun(['build', 'console', '--skip-nx-cache']));
  const cached = await medianMs(5, () => nxRun(['build', 'console']));
  const noop = await medianMs(5, () => nxRun(['show', 'projects']));
  const binary = path.join(WORKSPACE_ROOT, 'dist/apps/console/unix/mir-console');
  const firstLines: number[] = [];
  for (let i = 0; i < 7; i++) firstLines.push(await timeToFirstLine(binary));
  const firstLine = firstLines.sort((a, b) => a - b)[3];
  const nodeStart = await medianMs(7, () => spawnSync(process.execPath, ['-e', '0']));
  return [
    { name: 'console: cold build (nx build console --skip-nx-cache)', value: ms(cold) },
    {
      name: 'console: cached rebuild (nx build console)',
      value: ms(cached),
      comparison: `nx show projects ${ms(noop)}, ratio ${ratio(cached, noop)}`,
    },
    {
      name: 'mir-console: time to first line',
      value: ms(firstLine),
      comparison: `node -e 0 ${ms(nodeStart)}, ratio ${ratio(firstLine, nodeStart)}`,
    },
  ];
}
