/**
 * The workspace's test command (`npm test`, which CI runs): the format check,
 * then every project's lint, typecheck, test, e2e and nx-e2e through Nx, in two
 * lanes, then how long each task took. Arguments are passed to `nx run-many` (`npm test --
 * -p @mirage-ts/tcpip`, `--skip-nx-cache`).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { failedTasksReport } from './failed-output';
import { readTaskTimes, taskTimesTable } from './task-times';

const WORKSPACE = path.resolve(__dirname, '..', '..');
/**
 * Two lanes at once, one task at a time in each: the e2e specs (VM boots, namespaces) one after another
 * on one core, everything else on the other. A single `run-many` would hold every other task back while
 * an e2e task runs (their `parallelism: false`), leaving a core idle for the whole e2e chain.
 */
const LANES = [
  { targets: ['e2e'], profile: 'tmp/ci-profile-e2e.json' },
  { targets: ['lint', 'typecheck', 'test', 'nx-e2e'], profile: 'tmp/ci-profile-rest.json' },
] as const;

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const r = spawnSync(command, args, { cwd: WORKSPACE, stdio: 'inherit', env });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** Runs `command`, passing its output through while keeping a copy of it. */
function runTee(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: WORKSPACE, stdio: ['inherit', 'pipe', 'pipe'], env });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => void (chunks.push(c), process.stdout.write(c)));
    child.stderr.on('data', (c: Buffer) => void (chunks.push(c), process.stderr.write(c)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? 1, log: Buffer.concat(chunks).toString('utf8') }));
  });
}

async function main(): Promise<number> {
  const extra = process.argv.slice(2);
  const formatStart = Date.now();
  const formatStatus = run('npx', ['nx', 'format:check', '--all']);
  const formatSeconds = (Date.now() - formatStart) / 1000;
  if (formatStatus !== 0) console.error('format:check failed: run `npm run format` and commit the result');

  const lanes = await Promise.all(
    LANES.map(async (lane) => {
      const profile = path.join(WORKSPACE, lane.profile);
      fs.rmSync(profile, { force: true });
      const args = ['nx', 'run-many', '-t', ...lane.targets, '--parallel=1', '--outputStyle=static', ...extra];
      const result = await runTee('npx', args, { ...process.env, NX_PROFILE: lane.profile });
      return { ...result, times: fs.existsSync(profile) ? readTaskTimes(profile) : [] };
    }),
  );
  const times = lanes.flatMap((l) => l.times);
  const log = lanes.map((l) => l.log).join('\n');
  const status = lanes.find((l) => l.status !== 0)?.status ?? 0;

  process.stdout.write(
    '\n' +
      taskTimesTable([
        { task: 'workspace:format:check', seconds: formatSeconds, status: formatStatus === 0 ? 'success' : 'failure' },
        ...times,
      ]) +
      '\n',
  );
  const failed = times.filter((t) => t.status === 'failure').map((t) => t.task);
  if (failed.length > 0) process.stdout.write('\n' + failedTasksReport(log, failed) + '\n');
  return formatStatus !== 0 ? formatStatus : status;
}

void main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
