/**
 * Helpers for end-to-end tests that drive the real `nx` of this workspace
 * (or of a temporary copy of it) and run what it builds.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const WORKSPACE_ROOT = path.resolve(__dirname, '..', '..');

/** Environment for nx in tests: no daemon (nothing left running), no cloud. */
export function nxEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    FORCE_COLOR: '0',
    ...extra,
  };
  delete env.MIRAGE_TARGET;
  return env;
}

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, for messages that Nx may print on either. */
  readonly output: string;
}

export function nx(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Ran {
  const cwd = options.cwd ?? WORKSPACE_ROOT;
  const r: SpawnSyncReturns<string> = spawnSync(path.join(cwd, 'node_modules', '.bin', 'nx'), [...args], {
    cwd,
    env: nxEnv(options.env),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}

/** A line of a program's output and when it arrived, in ms since the program started. */
export interface TimedLine {
  readonly text: string;
  readonly atMs: number;
}

/** Runs a program to its end, recording when each stdout line arrives. */
export function runTimed(
  file: string,
  args: readonly string[] = [],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ status: number | null; lines: TimedLine[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, [...args], { cwd: options.cwd, env: options.env ?? process.env });
    const lines: TimedLine[] = [];
    let pending = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const atMs = Number(process.hrtime.bigint() - start) / 1e6;
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const text of parts) lines.push({ text, atMs });
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (pending) lines.push({ text: pending, atMs: Number(process.hrtime.bigint() - start) / 1e6 });
      resolve({ status, lines, stderr });
    });
  });
}

/**
 * A scratch copy of this workspace (sources only; node_modules linked) for
 * tests that add apps or change files. Removed by `dispose`.
 */
export function copyWorkspace(prefix = 'mirage-ws-'): { root: string; dispose(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const skip = new Set(['node_modules', 'dist', 'tmp', '.nx', '.git']);
  for (const entry of fs.readdirSync(WORKSPACE_ROOT)) {
    if (skip.has(entry)) continue;
    fs.cpSync(path.join(WORKSPACE_ROOT, entry), path.join(root, entry), {
      recursive: true,
      // Judge the path inside the workspace only: the workspace itself may live under /tmp.
      filter: (src) =>
        !path
          .relative(WORKSPACE_ROOT, src)
          .split(path.sep)
          .some((part) => skip.has(part)),
    });
  }
  fs.symlinkSync(path.join(WORKSPACE_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return { root, dispose: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/**
 * A minimal workspace in a temp folder holding only `files`; its
 * tsconfig.base.json extends this repository's, so `@mirage-ts/...`
 * imports resolve to the real libraries. For in-process plugin tests.
 */
export function scratchWorkspace(files: Readonly<Record<string, string>>): { root: string; dispose(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-scratch-'));
  fs.writeFileSync(
    path.join(root, 'tsconfig.base.json'),
    JSON.stringify({ extends: path.join(WORKSPACE_ROOT, 'tsconfig.base.json') }),
  );
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return { root, dispose: () => fs.rmSync(root, { recursive: true, force: true }) };
}
