/**
 * The VM targets' figures: image sizes and build time per app, how soon a
 * booted image speaks compared with the same kernel booting a busybox-only
 * initramfs (the floor no image can beat), the least guest memory that
 * boots, and what each initramfs compression costs and gives. Same QEMU,
 * same accelerator, same run.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sortEntries, writeCpio } from '../../plugins/mirage/src/targets/vm/cpio';
import { kernelCommandLine, QEMU } from '../../plugins/mirage/src/targets/vm/guest';
import { realHostTools } from '../../plugins/mirage/src/targets/vm/host-tools';
import { compressArchive, COMPRESSED_EXTENSION, type Compression } from '../../plugins/mirage/src/targets/vm/initramfs';
import { chooseAccel } from '../../plugins/mirage/src/targets/vm/kvm';
import { qemuArgs, QEMU_BINARY } from '../../plugins/mirage/src/targets/vm/qemu-command';
import { imageInfo, vmDist } from '../testing/vm';
import { nxEnv, WORKSPACE_ROOT } from '../testing/workspace';
import { ms, type BenchRow } from './table';

const NX = path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx');
const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
const CLOCK_TICKS = 100;

/**
 * CPU seconds used by this process's finished children (cutime + cstime of
 * /proc/self/stat). On a shared machine the CPU a boot takes varies far
 * less than its wall time.
 */
function childCpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}
/** The examples with the keys that build them for a VM today (the direct stack is not in every workspace). */
const APPS: [string, string[]][] = (
  [
    ['console', []],
    ['block', []],
    ['kv_ro', []],
    ['stackv4', ['--net=socket']],
  ] as [string, string[]][]
).filter(([a]) => fs.existsSync(path.join(WORKSPACE_ROOT, 'apps', a, 'config.ts')));

function buildMs(app: string, keys: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(NX, ['build', app, '--target=qemu', '--skip-nx-cache', ...keys], {
    cwd: WORKSPACE_ROOT,
    env: nxEnv(),
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(
      `nx build ${app} --target=qemu failed: ${(r.stdout + r.stderr).split('\n').find((l) => l.includes('error')) ?? ''}`,
    );
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface Boot {
  /** ms from launch until a console line matched; undefined if the VM ended (or timed out) first. */
  readonly firstLineMs: number | undefined;
  /** CPU seconds QEMU used in all (only when it was left to power off). */
  readonly cpuS: number;
}

/** Boots an image; stops it at the first matching line unless `toTheEnd`. */
function boot(
  kernel: string,
  initramfs: string,
  memoryMb: number,
  accel: 'kvm' | 'tcg',
  match: RegExp,
  toTheEnd = false,
  timeoutMs = 180_000,
): Promise<Boot> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-vmbench-'));
  const args = qemuArgs({
    kernel,
    initramfs,
    memoryMb,
    cmdline: kernelCommandLine({ flavour: QEMU, devices: { blocks: [], networks: [], networking: 'none' }, args: [] }),
    disks: [],
    nics: [],
    accel,
    statusFile: path.join(tmp, 'status'),
  });
  const cpuBefore = childCpuSeconds();
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(QEMU_BINARY, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    let firstLineMs: number | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (firstLineMs === undefined && match.test(text)) {
        firstLineMs = Number(process.hrtime.bigint() - start) / 1e6;
        if (!toTheEnd) child.kill('SIGKILL');
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      fs.rmSync(tmp, { recursive: true, force: true });
      resolve({ firstLineMs, cpuS: childCpuSeconds() - cpuBefore });
    });
  });
}

export const firstLineMs = async (
  kernel: string,
  initramfs: string,
  memoryMb: number,
  accel: 'kvm' | 'tcg',
  match: RegExp,
) => (await boot(kernel, initramfs, memoryMb, accel, match)).firstLineMs;

export async function median(n: number, f: () => Promise<number | undefined>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = await f();
    if (x === undefined) throw new Error('the VM did not print its first line');
    xs.push(x);
  }
  return xs.sort((a, b) => a - b)[Math.floor(n / 2)];
}

/** The same kernel with an initramfs of busybox and a one-line init: what booting costs before any image content. */
function floorInitramfs(dir: string): string {
  const init = '#!/bin/busybox sh\n/bin/busybox echo floor\n/bin/busybox poweroff -f\n';
  const cpio = writeCpio(
    sortEntries([
      { kind: 'dir', path: 'bin' },
      { kind: 'dir', path: 'dev' },
      { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
      { kind: 'file', path: 'bin/busybox', data: fs.readFileSync('/bin/busybox'), mode: 0o755 },
      { kind: 'file', path: 'init', data: Buffer.from(init), mode: 0o755 },
    ]),
  );
  const file = path.join(dir, 'floor.cpio');
  fs.writeFileSync(file, cpio);
  return file;
}

async function unpacked(file: string, compression: string): Promise<Buffer> {
  if (compression === 'none') return fs.readFileSync(file);
  const tool = compression === 'zstd' ? 'zstd' : compression === 'xz' ? 'xz' : 'gzip';
  const r = await realHostTools.run(tool, ['-dc', file]);
  if (r.status !== 0) throw new Error(`${tool} -dc ${file}: ${r.stderr}`);
  return r.stdout;
}

export async function rows(): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  for (const [app, keys] of APPS) {
    const t = buildMs(app, keys);
    const info = imageInfo(WORKSPACE_ROOT, app, 'qemu');
    out.push({
      name: `vm ${app}: image build (nx build ${app} --target=qemu${keys.map((k) => ` ${k}`).join('')} --skip-nx-cache)`,
      value: ms(t),
      comparison: `kernel ${MB(info.kernelBytes)}, initramfs ${MB(info.initramfsBytes)} (${info.compression}; ${MB(info.unpackedBytes)} unpacked)`,
    });
  }

  const dir = vmDist(WORKSPACE_ROOT, 'console', 'qemu');
  const info = imageInfo(WORKSPACE_ROOT, 'console', 'qemu');
  const kernel = path.join(dir, info.kernel);
  const { accel } = await chooseAccel('auto', QEMU_BINARY, realHostTools);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-vmbench-'));
  try {
    const floor = await median(3, () => firstLineMs(kernel, floorInitramfs(tmp), 128, accel, /floor/));
    const console = await median(3, () =>
      firstLineMs(kernel, path.join(dir, info.initramfs), info.memoryMb, accel, /hello/),
    );
    out.push({
      name: `vm console: launch to first console line (${accel}, median of 3)`,
      value: ms(console),
      comparison: `kernel floor (busybox-only initramfs) ${ms(floor)}, image adds ${ms(console - floor)}`,
    });

    // Bisect in 16 MB steps between what surely fails and the default.
    let low = 128;
    let high = info.memoryMb;
    if ((await firstLineMs(kernel, path.join(dir, info.initramfs), low, accel, /hello/)) !== undefined) high = low;
    while (high - low > 16) {
      const mid = Math.round((low + high) / 32) * 16;
      if ((await firstLineMs(kernel, path.join(dir, info.initramfs), mid, accel, /hello/)) !== undefined) high = mid;
      else low = mid;
    }
    out.push({
      name: 'vm console: least guest memory that boots (16 MB steps)',
      value: `${high} MB`,
      comparison: `default ${info.memoryMb} MB, build-time minimum ${info.minimumMemoryMb} MB, ${MB(info.unpackedBytes)} unpacked`,
    });

    // Each compression of the same archive, booted 3 times in turns (so a
    // busy machine slows them alike); the median of each.
    const cpio = await unpacked(path.join(dir, info.initramfs), info.compression);
    const variants: { how: Compression; file: string; bytes: number; compressMs: number }[] = [];
    for (const how of ['gzip', 'zstd', 'xz', 'none'] as Compression[]) {
      const start = process.hrtime.bigint();
      let data: Buffer;
      try {
        ({ data } = await compressArchive(cpio, how, realHostTools));
      } catch (e) {
        out.push({
          name: `vm console: initramfs ${how}`,
          value: 'not measured',
          comparison: e instanceof Error ? e.message.split('\n')[0] : String(e),
        });
        continue;
      }
      const compressMs = Number(process.hrtime.bigint() - start) / 1e6;
      const file = path.join(tmp, `initramfs.cpio.${COMPRESSED_EXTENSION[how]}`);
      fs.writeFileSync(file, data);
      variants.push({ how, file, bytes: data.length, compressMs });
    }
    const runs = new Map<Compression, Boot[]>(variants.map((v) => [v.how, []]));
    for (let round = 0; round < 3; round++) {
      for (const v of variants)
        runs.get(v.how)?.push(await boot(kernel, v.file, info.memoryMb + 128, accel, /hello/, true));
    }
    const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const v of variants) {
      const boots = runs.get(v.how) ?? [];
      const walls = boots.flatMap((b) => (b.firstLineMs === undefined ? [] : [b.firstLineMs]));
      out.push({
        name: `vm console: initramfs ${v.how}${v.how === info.compression ? ' (the default)' : ''}`,
        value: MB(v.bytes),
        comparison:
          `compress ${ms(v.compressMs)}; QEMU CPU for boot + run ${mid(boots.map((b) => b.cpuS)).toFixed(2)} s, ` +
          `launch to first line ${walls.length ? ms(mid(walls)) : 'did not boot'} (medians of 3)`,
      });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
