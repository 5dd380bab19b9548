/**
 * The VM targets' figures: image sizes and build time per app, how soon a
 * booted image speaks compared with the same kernel booting a busybox-only
 * initramfs (the floor no image can beat), the least guest memory that
 * boots, and what QEMU's CPU pays for a boot. Same QEMU, same accelerator,
 * same run.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sortEntries, writeCpio } from '../../plugins/mirage/src/targets/vm/cpio';
import { BOOT_TRACE_STEPS, parseBootTrace } from '../../plugins/mirage/src/targets/vm/boot-trace';
import { kernelCommandLine, QEMU } from '../../plugins/mirage/src/targets/vm/guest';
import { realHostTools } from '../../plugins/mirage/src/targets/vm/host-tools';
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
  /** Host ms after launch at which each \`mirage-trace:\` milestone arrived (traced boots only). */
  readonly traceAtMs: Map<string, number>;
  readonly output: string;
}

/** Boots an image; stops it at the first matching line unless `toTheEnd`. */
function boot(
  kernel: string,
  initramfs: string,
  rootDisk: string,
  memoryMb: number,
  accel: 'kvm' | 'tcg',
  match: RegExp,
  toTheEnd = false,
  timeoutMs = 180_000,
  trace = false,
): Promise<Boot> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-vmbench-'));
  const args = qemuArgs({
    kernel,
    initramfs,
    rootDisk,
    memoryMb,
    cmdline: kernelCommandLine({
      flavour: QEMU,
      devices: { blocks: [], networks: [], networking: 'none' },
      args: [],
      trace,
    }),
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
    const traceAtMs = new Map<string, number>();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (trace)
        for (const m of parseBootTrace(text))
          if (!traceAtMs.has(m.step)) traceAtMs.set(m.step, Number(process.hrtime.bigint() - start) / 1e6);
      if (firstLineMs === undefined && match.test(text)) {
        firstLineMs = Number(process.hrtime.bigint() - start) / 1e6;
        if (!toTheEnd) child.kill('SIGKILL');
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      fs.rmSync(tmp, { recursive: true, force: true });
      resolve({ firstLineMs, cpuS: childCpuSeconds() - cpuBefore, traceAtMs, output: text });
    });
  });
}

export const firstLineMs = async (
  kernel: string,
  initramfs: string,
  rootDisk: string,
  memoryMb: number,
  accel: 'kvm' | 'tcg',
  match: RegExp,
) => (await boot(kernel, initramfs, rootDisk, memoryMb, accel, match)).firstLineMs;

/** The middle of a few measurements (the upper one of an even count). */
const mid = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function median(n: number, f: () => Promise<number | undefined>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = await f();
    if (x === undefined) throw new Error('the VM did not print its first line');
    xs.push(x);
  }
  return mid(xs);
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

/** Measured on main before the root disk (issue 18), console for qemu: the whole runtime was in the initramfs. */
const BEFORE =
  'before (main, measured in issue 18): kernel 13.5 MB + initramfs 33.0 MB = 46.5 MB, 89.6 MB unpacked into RAM';

export async function rows(): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  for (const [app, keys] of APPS) {
    const t = buildMs(app, keys);
    const info = imageInfo(WORKSPACE_ROOT, app, 'qemu');
    const total = info.kernelBytes + info.initramfsBytes + info.rootDiskBytes;
    out.push({
      name: `vm ${app}: image build (nx build ${app} --target=qemu${keys.map((k) => ` ${k}`).join('')} --skip-nx-cache)`,
      value: ms(t),
      comparison:
        `kernel ${MB(info.kernelBytes)} + initramfs ${MB(info.initramfsBytes)} (${MB(info.unpackedBytes)} unpacked) + ` +
        `root disk ${MB(info.rootDiskBytes)} = ${MB(total)}${app === 'console' ? `; ${BEFORE}` : ''}`,
    });
  }

  const dir = vmDist(WORKSPACE_ROOT, 'console', 'qemu');
  const info = imageInfo(WORKSPACE_ROOT, 'console', 'qemu');
  const kernel = path.join(dir, info.kernel);
  const initramfs = path.join(dir, info.initramfs);
  const rootDisk = path.join(dir, info.rootDisk);
  const { accel } = await chooseAccel('auto', QEMU_BINARY, realHostTools);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-vmbench-'));
  try {
    // Floor and image in turns at the same memory, so a busy machine slows them alike.
    const floors: number[] = [];
    const firsts: Boot[] = [];
    const floorImage = floorInitramfs(tmp);
    for (let round = 0; round < 3; round++) {
      const f = await firstLineMs(kernel, floorImage, rootDisk, info.memoryMb, accel, /floor/);
      if (f !== undefined) floors.push(f);
      firsts.push(await boot(kernel, initramfs, rootDisk, info.memoryMb, accel, /hello/, true));
    }
    const walls = firsts.flatMap((b) => (b.firstLineMs === undefined ? [] : [b.firstLineMs]));
    if (!walls.length || !floors.length) throw new Error('the console image or the floor did not boot');
    const floor = mid(floors);
    const first = mid(walls);
    out.push({
      name: `vm console: launch to first console line (${accel}, ${info.memoryMb} MB, median of 3)`,
      value: ms(first),
      comparison: `kernel floor (busybox-only initramfs, same memory) ${ms(floor)}: ${(first / floor).toFixed(2)}× the floor (before: 5.18 s vs 2.64 s, 2.3×)`,
    });
    out.push({
      name: `vm console: QEMU CPU time for boot + run to power-off (${accel}, median of 3)`,
      value: `${mid(firsts.map((b) => b.cpuS)).toFixed(2)} s`,
      comparison: `source maps ${info.sourceMaps ? 'on' : 'off'}, ICU ${info.icu}`,
    });

    out.push(await bootMilestones(kernel, initramfs, rootDisk, info.memoryMb, accel));
    out.push(nodeStartUnderEmulation());

    // Bisect in 8 MB steps between what surely fails and the default.
    let low = 56;
    let high = info.memoryMb;
    while (high - low > 8) {
      const m = Math.round((low + high) / 16) * 8;
      if ((await firstLineMs(kernel, initramfs, rootDisk, m, accel, /hello/)) !== undefined) high = m;
      else low = m;
    }
    out.push({
      name: 'vm console: least guest memory that boots (8 MB steps)',
      value: `${high} MB`,
      comparison: `default ${info.memoryMb} MB, build-time minimum ${info.minimumMemoryMb} MB (before: 264–272 MB)`,
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

/**
 * Where the image's boot goes, from its own milestones (mirage_trace=1):
 * guest seconds since the kernel started at /init, after the boot modules,
 * with the root disk mounted, when Node is started and when main.js runs;
 * the first line's guest time is main's plus the host's interval between
 * the two lines.
 */
async function bootMilestones(
  kernel: string,
  initramfs: string,
  rootDisk: string,
  memoryMb: number,
  accel: 'kvm' | 'tcg',
): Promise<BenchRow> {
  const phases: Record<string, number[]> = {};
  for (let round = 0; round < 3; round++) {
    const b = await boot(kernel, initramfs, rootDisk, memoryMb, accel, /^hello/m, false, 180_000, true);
    const trace = parseBootTrace(b.output);
    const at = new Map(trace.map((m) => [m.step, m.uptime]));
    const mainHost = b.traceAtMs.get('main');
    if (trace.length !== BOOT_TRACE_STEPS.length || b.firstLineMs === undefined || mainHost === undefined)
      throw new Error(`the traced boot printed ${trace.map((m) => m.step).join(', ') || 'no milestones'}`);
    const firstLine = (at.get('main') ?? 0) + (b.firstLineMs - mainHost) / 1000;
    const marks: [string, number][] = [['kernel', 0], ...trace.map((m): [string, number] => [m.step, m.uptime])];
    marks.push(['first line', firstLine]);
    for (let i = 1; i < marks.length; i++)
      (phases[`${marks[i - 1][0]}→${marks[i][0]}`] ??= []).push(marks[i][1] - marks[i - 1][1]);
  }
  return {
    name: `vm console: where the boot goes (guest seconds, mirage_trace=1, median of 3)`,
    value: Object.entries(phases)
      .map(([phase, xs]) => `${phase} ${mid(xs).toFixed(2)}`)
      .join(', '),
    comparison: "kernel→init is the floor's share; node→main is Node reading itself from the root disk and starting",
  };
}

/**
 * Node's own start (`node -e 0`) under QEMU's user-mode emulation, the same
 * translator as the VM's without a kernel or disk: the part of the first
 * line no image layout can remove. Needs qemu-user (`apt-get install
 * qemu-user`); the row says so when it is missing.
 */
function nodeStartUnderEmulation(): BenchRow {
  const name = 'vm console: `node -e 0` CPU under qemu-x86_64 (user-mode TCG) vs native, median of 5';
  const cpu = (cmd: string, args: string[]) => {
    const xs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = childCpuSeconds();
      // An empty environment, as in the guest: NODE_EXTRA_CA_CERTS alone would add certificate parsing.
      const r = spawnSync(cmd, args, { env: {}, stdio: 'ignore' });
      if (r.error || r.status !== 0) return undefined;
      xs.push(childCpuSeconds() - before);
    }
    return xs.sort((a, b) => a - b)[2];
  };
  const emulated = cpu('qemu-x86_64', ['-cpu', 'max', process.execPath, '-e', '0']);
  const native = cpu(process.execPath, ['-e', '0']);
  if (emulated === undefined || native === undefined)
    return { name, value: 'n/a', comparison: 'qemu-user is not installed (apt-get install qemu-user)' };
  return {
    name,
    value: `${emulated.toFixed(2)} s`,
    comparison: `native ${native.toFixed(2)} s (${(emulated / native).toFixed(0)}×)`,
  };
}
