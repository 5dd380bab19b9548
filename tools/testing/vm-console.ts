import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { nxEnv, WORKSPACE_ROOT } from './workspace';

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');

/** What a booting guest prints, with waits for lines that have not come yet. */
export class GuestConsole {
  text = '';
  private waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  constructor(readonly child: ChildProcess) {
    const take = (b: Buffer) => {
      this.text += strip(b.toString('utf8'));
      this.waiters = this.waiters.filter((w) => {
        const m = w.re.exec(this.text);
        if (m) w.resolve(m);
        return !m;
      });
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
  }

  waitFor(re: RegExp, ms: number): Promise<RegExpExecArray> {
    const m = re.exec(this.text);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; console so far:\n${this.text}`)), ms);
      this.waiters.push({ re, resolve: (x) => (clearTimeout(timer), resolve(x)) });
    });
  }
}

/** `nx ...` in its own process group, so that nx, the executor and QEMU can be stopped together. */
export function startNx(args: string[]): ChildProcess {
  return spawn(path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx'), args, {
    cwd: WORKSPACE_ROOT,
    env: nxEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function stopGroup(child: ChildProcess | undefined): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
