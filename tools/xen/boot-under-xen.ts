import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeCpio } from '../../plugins/mirage/src/targets/vm/cpio';
import { realHostTools, type HostTools } from '../../plugins/mirage/src/targets/vm/host-tools';
import { QEMU_BINARY } from '../../plugins/mirage/src/targets/vm/qemu-command';
import { CONTROL_PORT, DOM0_PATHS } from './dom0-init';
import { dom0Entries } from './dom0-initramfs';
import { classifySerialLine, lineSplitter, type SerialLine } from './serial-lines';
import { substituteXl } from './xl-config';
import { xenHost } from './xen-packages';

export interface XenBootOptions {
  /** dist/apps/<app>/xen: the build's vmlinuz, initramfs, image.json and NAME.xl.in. */
  readonly distDir: string;
  /** The domain name (NAME of NAME.xl.in). */
  readonly name: string;
  /**
   * Host files for the domain's @BLOCK:file@ variables, by file name. Each
   * reaches dom0 as a virtio disk and goes to the domain as `phy:` on a
   * loop device; the domain's writes land in the host file.
   */
  readonly disks?: Readonly<Record<string, string>>;
  /** Each serial line as it arrives, sorted (for streaming to a log). */
  readonly onLine?: (line: SerialLine, atMs: number) => void;
  /** The whole run, QEMU included; QEMU is killed when it is over. */
  readonly timeoutMs?: number;
  readonly busybox?: string;
  readonly log?: (line: string) => void;
  readonly tools?: HostTools;
  /** `xl -vvv`: the domain builder's every step, for when a domain does not start. */
  readonly verboseXl?: boolean;
}

export interface XenBoot {
  /** QEMU's exit status; null when it was killed. */
  readonly status: number | null;
  readonly timedOut: boolean;
  readonly lines: readonly (SerialLine & { readonly atMs: number })[];
  /** The domU's console, in order. */
  readonly domu: readonly string[];
  /** The dom0 init's reports (`xl create exited with status 0`, `domain NAME ended`...). */
  readonly harness: readonly string[];
  /** From QEMU's launch to its exit. */
  readonly wallMs: number;
  /** From QEMU's launch to the domU's first console line. */
  readonly firstDomuLineMs?: number;
  readonly stderr: string;
}

export const DOM0_MEMORY_MB = 512;
/** Xen itself and its heap, above dom0 and the domU. */
export const XEN_MEMORY_MB = 128;

/**
 * Boots the app's xen artifact under a real Xen hypervisor inside QEMU
 * (software emulation: this works on hosts without KVM or Xen): Xen by
 * multiboot, a dom0 made of Debian's kernel and an initramfs with the xl
 * toolstack, whose init runs `xl create -c` on the domain described by
 * the app's NAME.xl.in, then powers off. QEMU is stopped on every path.
 */
export async function bootUnderXen(o: XenBootOptions): Promise<XenBoot> {
  const tools = o.tools ?? realHostTools;
  const log = o.log ?? (() => undefined);
  const info = JSON.parse(fs.readFileSync(path.join(o.distDir, 'image.json'), 'utf8')) as {
    kernel: string;
    initramfs: string;
    rootDisk: string;
    memoryMb: number;
  };
  const template = fs.readFileSync(path.join(o.distDir, `${o.name}.xl.in`), 'utf8');
  const host = await xenHost(tools, log);

  const domu = (f: string) => `/${DOM0_PATHS.domuDir}/${f}`;
  // The image's root disk goes first (loop0), then the app's disks.
  const disks = [['@ROOT@', path.join(o.distDir, info.rootDisk)] as const, ...Object.entries(o.disks ?? {})].map(
    ([name, file], i) => {
      if (!fs.existsSync(file)) throw new Error(`the disk ${file} for @BLOCK:${name}@ does not exist`);
      return { name, file: path.resolve(file), serial: `xenharness${i}`, loop: `/dev/loop${i}` };
    },
  );
  const xlConfig = substituteXl(
    template,
    {
      name: o.name,
      kernel: domu(info.kernel),
      ramdisk: domu(info.initramfs),
      memoryMb: info.memoryMb,
      root: disks[0].loop,
      blocks: Object.fromEntries(disks.slice(1).map((d) => [d.name, d.loop])),
    },
    { tcg: true },
  );
  const entries = await dom0Entries(
    {
      host,
      busybox: o.busybox ?? '/bin/busybox',
      init: { domain: o.name, domainTimeoutS: 30, disks },
      xlConfig,
      domuFiles: new Map([
        [info.kernel, path.join(o.distDir, info.kernel)],
        [info.initramfs, path.join(o.distDir, info.initramfs)],
      ]),
    },
    tools,
  );
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-boot-'));
  try {
    // Not compressed: most of it is the domU's ramdisk, compressed already.
    const initrd = path.join(work, 'dom0.cpio');
    fs.writeFileSync(initrd, writeCpio(entries));
    const args = xenQemuArgs({
      hypervisor: host.hypervisor,
      dom0Kernel: host.dom0Kernel,
      dom0Initrd: initrd,
      memoryMb: DOM0_MEMORY_MB + info.memoryMb + XEN_MEMORY_MB,
      disks,
      verboseXl: o.verboseXl,
    });
    return await runSerial(QEMU_BINARY, args, o.timeoutMs ?? 240_000, o.onLine);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export interface XenQemuLaunch {
  readonly hypervisor: string;
  readonly dom0Kernel: string;
  readonly dom0Initrd: string;
  readonly memoryMb: number;
  /** Host files attached to dom0 as virtio disks, found there by serial. */
  readonly disks?: readonly { readonly file: string; readonly serial: string }[];
  /** `xl -vvv`: the domain builder's every step, for when a domain does not start. */
  readonly verboseXl?: boolean;
  /** A Unix socket (listening on the host) that QEMU connects dom0's control port to. */
  readonly controlSocket?: string;
}

/**
 * Xen by QEMU's multiboot loader: `-kernel` the hypervisor with its command
 * line, `-initrd` the multiboot modules (dom0's kernel with its command
 * line, then its initramfs). `-cpu max` gives the emulated CPU what Xen
 * requires; SMAP/SMEP are off because QEMU's emulation of them trips Xen's
 * PV dom0 under TCG.
 */
export function xenQemuArgs(l: XenQemuLaunch): string[] {
  for (const f of [l.dom0Kernel, l.dom0Initrd]) {
    if (/[, ]/.test(f)) throw new Error(`${f}: a multiboot module path cannot hold a comma or a space`);
  }
  const xen = [
    'console=com1',
    'com1=115200,8n1',
    `dom0_mem=${DOM0_MEMORY_MB}M,max:${DOM0_MEMORY_MB}M`,
    'dom0_max_vcpus=1',
    'smap=0',
    'smep=0',
    // FPU state saved and restored at every switch: with Xen's default lazy switching (on AMD SVM, as QEMU emulates
    // it), a domU's vector registers were clobbered while dom0 ran beside it (glibc's malloc saw corrupted memory).
    'spec-ctrl=eager-fpu',
    'noreboot',
  ];
  // Parameters without a dot reach dom0's init as environment variables.
  const dom0 = ['console=hvc0', 'quiet', 'loglevel=3', 'panic=-1', ...(l.verboseXl ? ['xl_verbose=-vvv'] : [])];
  const drives = (l.disks ?? []).flatMap((d, i) => [
    '-drive',
    `file=${d.file.replace(/,/g, ',,')},format=raw,if=none,id=disk${i},cache=writeback`,
    '-device',
    `virtio-blk-pci,drive=disk${i},serial=${d.serial}`,
  ]);
  const control = l.controlSocket
    ? [
        '-device',
        'virtio-serial-pci,id=vser',
        '-chardev',
        `socket,id=control,path=${l.controlSocket.replace(/,/g, ',,')}`,
        '-device',
        `virtserialport,bus=vser.0,chardev=control,name=${CONTROL_PORT}`,
      ]
    : [];
  return [
    '-nodefaults',
    '-no-user-config',
    '-no-reboot',
    '-display',
    'none',
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-m',
    String(l.memoryMb),
    '-kernel',
    l.hypervisor,
    '-append',
    xen.join(' '),
    '-initrd',
    `${l.dom0Kernel} ${dom0.join(' ')},${l.dom0Initrd}`,
    '-serial',
    'stdio',
    ...drives,
    ...control,
  ];
}

/**
 * Runs QEMU (`program`) with its serial port on stdout, sorting the lines as
 * they come; kills it at the time limit, and when this process exits.
 */
export function runSerial(
  program: string,
  args: readonly string[],
  timeoutMs: number,
  onLine?: (line: SerialLine, atMs: number) => void,
  /** Kills QEMU when aborted. */
  signal?: AbortSignal,
): Promise<XenBoot> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - start) / 1e6;
    const child = spawn(program, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Whatever happens to this process, QEMU does not outlive it.
    const killQemu = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    process.once('exit', killQemu);
    signal?.addEventListener('abort', killQemu);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killQemu();
    }, timeoutMs);
    const lines: (SerialLine & { atMs: number })[] = [];
    let firstDomuLineMs: number | undefined;
    const split = lineSplitter((raw) => {
      const line = classifySerialLine(raw);
      const atMs = elapsed();
      if (line.from === 'domU' && firstDomuLineMs === undefined) firstDomuLineMs = atMs;
      lines.push({ ...line, atMs });
      try {
        onLine?.(line, atMs);
      } catch {
        // a failing listener must not leave QEMU running
      }
    });
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => split.push(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      process.removeListener('exit', killQemu);
      reject(
        e.code === 'ENOENT'
          ? new Error(
              `${program} is not installed${program === QEMU_BINARY ? ': apt-get install qemu-system-x86' : ''}`,
            )
          : e,
      );
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      process.removeListener('exit', killQemu);
      split.end();
      resolve({
        status,
        timedOut,
        lines,
        domu: lines.filter((l) => l.from === 'domU').map((l) => l.text),
        harness: lines.filter((l) => l.from === 'harness').map((l) => l.text),
        wallMs: elapsed(),
        firstDomuLineMs,
        stderr,
      });
    });
  });
}
