import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

export interface ToolResult {
  /** Exit status; null when the program could not be started (`missing` says why). */
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Set when the program is not installed (ENOENT). */
  readonly missing?: boolean;
}

/**
 * The host programs the VM targets use (apt-get, dpkg-deb, ldd, qemu, a
 * compressor), behind one small interface so that builders and executors
 * can be tested with a fake. Programs are always started as
 * `spawn(file, args[])`, never through a shell string.
 */
export interface HostTools {
  /** Runs a program to its end, collecting its output; `input` is written to its stdin. */
  run(
    file: string,
    args: readonly string[],
    options?: { cwd?: string; input?: Buffer; timeoutMs?: number },
  ): Promise<ToolResult>;
  /** Starts a long-running program (QEMU) with the given stdio. */
  start(
    file: string,
    args: readonly string[],
    options?: { stdio?: StdioOptions; env?: NodeJS.ProcessEnv },
  ): ChildProcess;
  /** The absolute path of `file` on PATH, or undefined. */
  which(file: string): Promise<string | undefined>;
}

export const realHostTools: HostTools = {
  run(file, args, options = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(file, [...args], {
        cwd: options.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
      });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') resolve({ status: null, stdout: Buffer.alloc(0), stderr: e.message, missing: true });
        else reject(e);
      });
      child.on('close', (status) => resolve({ status: status ?? 1, stdout: Buffer.concat(out), stderr: err }));
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    });
  },
  start(file, args, options = {}) {
    return spawn(file, [...args], { stdio: options.stdio ?? 'inherit', env: options.env ?? process.env });
  },
  async which(file) {
    const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
    const fs = await import('node:fs');
    for (const d of dirs) {
      const candidate = `${d}/${file}`;
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not in this folder
      }
    }
    return undefined;
  },
};
