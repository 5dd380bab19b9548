import { spawnSync } from 'node:child_process';

/** Whether this process may attach loop devices (root, with losetup present). */
export function canUseLoopDevices(): boolean {
  return process.getuid?.() === 0 && spawnSync('losetup', ['--version']).status === 0;
}

/** Attaches `file` to a free loop device (/dev/loopN); `detach` undoes it. */
export function attachLoop(file: string): { device: string; detach(): void } {
  const r = spawnSync('losetup', ['--find', '--show', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`losetup --find --show ${file} failed: ${r.stderr.trim()}`);
  const device = r.stdout.trim();
  return { device, detach: () => void spawnSync('losetup', ['--detach', device]) };
}
