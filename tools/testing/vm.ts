/**
 * Helpers for tests of the VM targets: the image files of a build, and a
 * PATH without some host programs (to see the errors a user without them
 * would get).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const vmDist = (root: string, app: string, target: 'xen' | 'qemu') => path.join(root, 'dist/apps', app, target);

export function imageInfo(
  root: string,
  app: string,
  target: 'xen' | 'qemu',
): {
  kernel: string;
  initramfs: string;
  rootDisk: string;
  rootDiskBytes: number;
  memoryMb: number;
  minimumMemoryMb: number;
  kernelBytes: number;
  initramfsBytes: number;
  unpackedBytes: number;
  compression: string;
  icu: string;
  sourceMaps: boolean;
} {
  return JSON.parse(fs.readFileSync(path.join(vmDist(root, app, target), 'image.json'), 'utf8'));
}

/** sha256 of every file of a folder, by name. */
export function folderDigests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

/** A folder for PATH holding only node (nx needs it) and the programs named. */
export function pathWithOnly(programs: readonly string[]): { dir: string; dispose(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-path-'));
  fs.symlinkSync(process.execPath, path.join(dir, 'node'));
  for (const p of programs) {
    const found = (process.env.PATH ?? '')
      .split(':')
      .map((d) => path.join(d, p))
      .find((c) => fs.existsSync(c));
    if (found) fs.symlinkSync(found, path.join(dir, p));
  }
  return { dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The console lines of a run, without Nx's own lines around them. */
export function consoleLines(output: string, expected: readonly string[]): string[] {
  const wanted = new Set(expected);
  return output
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => wanted.has(l));
}
