import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { HostTools, ToolResult } from './host-tools';

/** What a test's fake program does: its result, and any files it writes into its cwd. */
export type FakeProgram = (
  args: readonly string[],
  cwd: string | undefined,
  input: Buffer | undefined,
) => Partial<ToolResult> | undefined;

/**
 * HostTools with programs supplied by the test; a program not supplied is
 * "not installed", exactly as a missing binary looks to the real client.
 */
export function fakeHostTools(
  programs: Record<string, FakeProgram>,
): HostTools & { calls: { file: string; args: readonly string[] }[] } {
  const calls: { file: string; args: readonly string[] }[] = [];
  return {
    calls,
    async run(file, args, options = {}) {
      calls.push({ file, args });
      const program = programs[file];
      if (!program) return { status: null, stdout: Buffer.alloc(0), stderr: `spawn ${file} ENOENT`, missing: true };
      const r = program(args, options.cwd, options.input) ?? {};
      return { status: r.status ?? 0, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr ?? '' };
    },
    start(file, args) {
      calls.push({ file, args });
      const child = new EventEmitter() as ChildProcess;
      setImmediate(() => child.emit('exit', 0, null));
      return child;
    },
    async which(file) {
      return programs[file] ? `/fake/bin/${file}` : undefined;
    },
  };
}
