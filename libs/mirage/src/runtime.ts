/**
 * What the generated main.ts needs at run time: reading run-time keys from
 * the command line (on unix) or from the kernel command line handed over by
 * the image's init (in a VM), connecting devices with a clear message when
 * one fails, and calling the unikernel's entry whatever its shape.
 */
import * as fs from 'node:fs';
import { describeDomain, parseKeyValue, type KeyDecl, type KeyValue } from './key-values';

export type RuntimeKeys = Record<string, KeyValue>;

/** The unikernel could not start (a device failed to connect, the entry is unusable). Exit status 1. */
export class StartupError extends Error {}
/** The command line is wrong. Exit status 64, as sysexits' EX_USAGE. */
export class UsageError extends StartupError {}
/** `--help`: the usage goes to stdout and the exit status is 0. */
export class HelpRequested extends StartupError {}

/**
 * `--name=value` or `--name value`; `--flag` alone means true for a boolean
 * key. Values given at configure time are the defaults (as in functoria).
 */
export function readRuntimeKeys(
  program: string,
  decls: readonly KeyDecl[],
  defaults: RuntimeKeys,
  argv: readonly string[],
): RuntimeKeys {
  const byName = new Map(decls.map((d) => [d.name, d]));
  const values: RuntimeKeys = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      throw new HelpRequested(usage(program, decls, defaults));
    }
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      throw new UsageError(`${program}: unexpected argument '${arg}'; options look like --name=value (see --help)`);
    }
    const [, name, inline] = m;
    const decl = byName.get(name);
    if (!decl) {
      const known = decls.map((d) => `--${d.name}`).join(', ') || 'none';
      throw new UsageError(`${program}: unknown option --${name}; run-time options: ${known}`);
    }
    let raw: string | undefined = inline;
    if (raw === undefined) {
      if (decl.kind === 'bool' && (argv[i + 1] === undefined || argv[i + 1].startsWith('--'))) raw = 'true';
      else raw = argv[++i];
    }
    const parsed = parseKeyValue(decl, raw);
    if (!parsed.ok) throw new UsageError(`${program}: ${parsed.message}`);
    values[name] = parsed.value;
  }
  return values;
}

export function usage(program: string, decls: readonly KeyDecl[], defaults: RuntimeKeys): string {
  const lines = [`usage: ${program} [--key=value ...]`];
  if (decls.length === 0) lines.push('This unikernel has no run-time options.');
  for (const d of decls) {
    lines.push(`  --${d.name}=<${describeDomain(d)}>  ${d.doc} (default: ${String(defaults[d.name] ?? d.default)})`);
  }
  return lines.join('\n');
}

export async function connect<T>(label: string, connecting: () => Promise<T>): Promise<T> {
  try {
    return await connecting();
  } catch (e) {
    throw new StartupError(`cannot connect ${label}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The shapes a `foreign('Unikernel.Main', ...)` entry may take: a class whose
 * instances have `start`, a class or object with a static `start`, or a
 * function that is the start itself.
 */
export async function start(entryName: string, entry: unknown, devices: readonly unknown[]): Promise<void> {
  const run = startFunction(entryName, entry);
  await run(...devices);
}

function startFunction(entryName: string, entry: unknown): (...devices: unknown[]) => unknown {
  if (typeof entry === 'function') {
    const fn = entry as { prototype?: { start?: unknown }; start?: unknown } & ((...a: unknown[]) => unknown);
    if (typeof fn.start === 'function') return (...d) => (fn.start as (...a: unknown[]) => unknown).apply(fn, d);
    if (fn.prototype && typeof fn.prototype.start === 'function') {
      const Ctor = entry as new () => { start(...a: unknown[]): unknown };
      return (...d) => new Ctor().start(...d);
    }
    return (...d) => fn(...d);
  }
  if (typeof entry === 'object' && entry !== null && typeof (entry as { start?: unknown }).start === 'function') {
    const obj = entry as { start(...a: unknown[]): unknown };
    return (...d) => obj.start(...d);
  }
  throw new StartupError(`${entryName} is not a class, object or function with a start method`);
}

/** Disconnects in reverse connect order; a device that fails to close does not stop the others. */
export async function disconnectAll(devices: readonly { disconnect?: () => Promise<void> }[]): Promise<void> {
  for (const d of [...devices].reverse()) {
    try {
      await d.disconnect?.();
    } catch {
      // Shutting down anyway: a device that cannot close cleanly must not hide the unikernel's own result.
    }
  }
}

/**
 * Runs the generated wiring and ends the process with the unikernel's
 * result: 0 when every job returned, 1 when one failed or a device could not
 * connect, 64 for a bad command line.
 */
export function main(program: string, wiring: () => Promise<void>): void {
  traceBootMilestone('main');
  endQuietlyWhenOutputCloses();
  wiring().then(
    () => process.exit(0),
    (e: unknown) => {
      if (e instanceof HelpRequested) {
        process.stdout.write(`${e.message}\n`, () => process.exit(0));
        return;
      }
      const text = e instanceof StartupError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
      process.stderr.write(`${text.startsWith(program) ? '' : `${program}: `}${text}\n`, () =>
        process.exit(e instanceof UsageError ? 64 : 1),
      );
    },
  );
}

/**
 * In a VM booted with \`mirage_trace=1\` (which the image's init passes on in
 * the environment), one more boot milestone after the init's own: Node has
 * started and runs main.js. Same form as the init's lines, seconds since the
 * guest kernel started.
 */
export function traceBootMilestone(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  write: (line: string) => void = (line) => fs.writeSync(2, line),
): void {
  if (!env['mirage_trace']) return;
  try {
    const uptime = fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0];
    write(`mirage-trace: ${name} ${uptime}\n`);
  } catch {
    // No /proc (not Linux) or no stderr: tracing is best effort and never stops the unikernel.
  }
}

/** What a shell reports for a program killed by SIGPIPE (128 + 13). */
export const BROKEN_PIPE_STATUS = 141;

/**
 * `mir-console | head -1`: once the reader of stdout is gone, a Unix program
 * dies of SIGPIPE without a word. Node ignores SIGPIPE and raises EPIPE on
 * the stream instead, which would end the unikernel with a stack trace.
 */
function endQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(BROKEN_PIPE_STATUS);
      throw e;
    });
  }
}
