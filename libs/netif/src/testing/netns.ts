/**
 * Network namespaces for tests: each test makes its own, with names no other
 * test on the machine uses, and removes it afterwards, so the Linux kernel
 * can be the peer without touching the host's own network.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

let counter = 0;

/** A name unique on this machine, at most 15 bytes (the kernel's limit for interfaces). */
export function uniqueName(prefix: string): string {
  const name = `${prefix}${process.pid.toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;
  if (name.length > 15) throw new Error(`interface name ${name} is longer than 15 bytes: shorten the prefix`);
  return name;
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(command: string, args: readonly string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export interface Finished {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command without blocking the event loop (the interface under test
 * has to answer the command's packets while it runs).
 */
export function runAsync(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; cwd?: string; onStdout?: (text: string) => void } = {},
): Promise<Finished> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export class Netns {
  private constructor(readonly name: string) {}

  /** A fresh namespace with lo up and IPv6 off (no neighbour-discovery noise on test links). */
  static create(prefix = 'mtns'): Netns {
    const ns = new Netns(`${uniqueName(prefix)}-${Date.now().toString(36)}`);
    run('ip', ['netns', 'add', ns.name]);
    ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  ip(...args: string[]): string {
    return run('ip', ['-n', this.name, ...args]);
  }

  exec(command: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', this.name, command, ...args]);
  }

  execAsync(args: readonly string[], options?: Parameters<typeof runAsync>[2]): Promise<Finished> {
    return runAsync('ip', ['netns', 'exec', this.name, ...args], options);
  }

  /** The interface's MAC inside this namespace. */
  mac(dev: string): string {
    const m = /link\/ether ([0-9a-f:]{17})/.exec(this.ip('link', 'show', 'dev', dev));
    if (!m) throw new Error(`${dev} in ${this.name} has no Ethernet address`);
    return m[1];
  }

  /** Removes the namespace and every interface in it; safe to call twice. */
  destroy(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/** Whether this process may make namespaces and open taps (root, as in CI). */
export function canManageNetwork(): boolean {
  return process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
}
