import type { KeyValue, Resource, Target } from '@mirage-ts/mirage';
import type { ResolvedGraph } from '../../configure/resolved-graph';
import { UserError } from '../../configure/user-error';
import { isShellName } from './init-script';

/**
 * What the unikernel's devices need from the VM: the disks to attach (one
 * per `blockOfFile`, in connect order), the NICs, and how the guest kernel
 * sets its interfaces up.
 */
export interface GuestDevices {
  /** Host files, relative to the app folder, in attach order. */
  readonly blocks: readonly string[];
  /** Network names from config.ts (`tap0`), in attach order. */
  readonly networks: readonly string[];
  /** `kernel`: the socket stack uses the guest kernel's TCP/IP; `link`: a raw-packet NIC only needs its link up. */
  readonly networking: 'none' | 'link' | 'kernel';
  /** Xen grant tables are used: the guest kernel needs its gntalloc and gntdev devices (absent otherwise). */
  readonly grants?: true;
}

/** The socket stack names no network resource: its NIC is this one. */
export const SOCKET_STACK_NETWORK = 'default';

export function guestDevices(graph: ResolvedGraph): GuestDevices {
  const blocks: string[] = [];
  const networks: string[] = [];
  for (const d of graph.devices) {
    for (const a of d.args) {
      if (a.kind !== 'resource') continue;
      if (a.resource.kind === 'block' && !blocks.includes(a.resource.file)) blocks.push(a.resource.file);
      if (a.resource.kind === 'network' && !networks.includes(a.resource.name)) networks.push(a.resource.name);
    }
  }
  const socketStack = graph.devices.some((d) => d.module.startsWith('@mirage-ts/socket-stack'));
  if (socketStack && networks.length === 0) networks.push(SOCKET_STACK_NETWORK);
  const grants = graph.devices.some((d) => d.module.startsWith('@mirage-ts/xen-grant/'));
  return {
    blocks,
    networks,
    networking: socketStack ? 'kernel' : networks.length > 0 ? 'link' : 'none',
    ...(grants ? { grants: true as const } : {}),
  };
}

/** How xen and qemu name the same things inside the guest. */
export interface VmFlavour {
  readonly target: Extract<Target, 'xen' | 'qemu'>;
  /** The console device the init connects to the unikernel's stdio. */
  readonly console: string;
  /** The read-only root disk, always attached first. */
  readonly rootDisk: string;
  /** Guest device of the i-th attached disk (0-based): xvdb, vdb... (xvda/vda is the root disk). */
  diskName(index: number): string;
  /** Guest interface of the i-th NIC. */
  nicName(index: number): string;
}

const letters = (i: number) => String.fromCharCode('b'.charCodeAt(0) + i);

export const XEN: VmFlavour = {
  target: 'xen',
  console: 'hvc0',
  rootDisk: 'xvda',
  diskName: (i) => `xvd${letters(i)}`,
  nicName: (i) => `eth${i}`,
};

export const QEMU: VmFlavour = {
  target: 'qemu',
  console: 'ttyS0',
  rootDisk: 'vda',
  diskName: (i) => `vd${letters(i)}`,
  nicName: (i) => `eth${i}`,
};

/** The value main.ts passes to connect() for a resource, inside the guest. */
export function guestResource(flavour: VmFlavour, resource: Resource, graph: ResolvedGraph): string {
  const devices = guestDevices(graph);
  switch (resource.kind) {
    case 'block':
      return `/dev/${flavour.diskName(devices.blocks.indexOf(resource.file))}`;
    case 'network':
      return flavour.nicName(devices.networks.indexOf(resource.name));
    case 'data-dir':
      // An image has no host folders; stores of files are crunched into the
      // bundle or read from a FAT disk instead.
      throw new UserError(`the host directory ${resource.dir} cannot be read inside a ${flavour.target} VM image`, {
        fix: `embed it with crunch('${resource.dir}') or put it on a disk with fatOfFiles('${resource.dir}') or archiveOfFiles('${resource.dir}') (--kv_ro=crunch|fat|archive)`,
      });
  }
}

/** A run-time key and the value a domain's configuration gives it. */
export interface BootKey {
  readonly name: string;
  readonly value: KeyValue;
}

/**
 * The run-time keys a domain's configuration (`extra` in NAME.xl) spells
 * out: those a chosen device reads, such as a stack's address, which is what
 * differs from one host to the next. Each with this build's value (the one
 * given to the build, else the key's default), so the file shows what the
 * unikernel will use and a deployment edits it in place. A value the kernel
 * command line cannot carry (empty, spaces, quotes) is left to the default
 * built into the unikernel.
 */
export function deviceKeys(graph: ResolvedGraph): BootKey[] {
  const read = new Set(graph.devices.flatMap((d) => d.args.flatMap((a) => (a.kind === 'runtime-key' ? [a.key] : []))));
  return graph.runtimeKeys
    .filter((k) => read.has(k.name))
    .map((k) => ({ name: k.name, value: k.default }))
    .filter((k) => /^[^\s"']+$/.test(String(k.value)));
}

/** Parameters of ours or of Linux that a key must not be spelled as (`--name=` after `--` instead). */
const KERNEL_PARAMS = new Set(['console', 'quiet', 'loglevel', 'panic', 'root', 'init', 'rw', 'ro', 'debug']);

export interface KernelCommandLine {
  readonly flavour: VmFlavour;
  readonly devices: GuestDevices;
  /**
   * Run-time keys as bare parameters (`ip=10.0.0.2`), the 2015 Xen form:
   * Linux hands them to /init in its environment and /init to the unikernel
   * as flags (see bootKeyArgs). A name a shell cannot read, or one the
   * kernel takes itself, goes after `--` as `--name=value` instead.
   */
  readonly keys?: readonly BootKey[];
  /** Run-time key flags for the unikernel (`--ipv4=10.0.0.2/24`). */
  readonly args: readonly string[];
  /** qemu: the second serial port takes the exit status (not under libvirt, which has no such port). */
  readonly statusPort?: boolean;
  /** Boot milestones on the console (`mirage_trace=1`, see boot-trace.ts). */
  readonly trace?: boolean;
}

/**
 * Kernel parameters, then `--` and the unikernel's arguments: Linux hands
 * everything after `--` to init as its argv, and init to the unikernel.
 * `quiet loglevel=0` keeps kernel messages off the unikernel's console.
 */
export function kernelCommandLine({
  flavour,
  devices,
  keys = [],
  args,
  statusPort = true,
  trace = false,
}: KernelCommandLine): string {
  const params = [
    `console=${flavour.console}`,
    'quiet',
    'loglevel=0',
    'panic=-1',
    `mirage_console=${flavour.console}`,
    `mirage_root=${flavour.rootDisk}`,
  ];
  if (flavour.target === 'qemu' && statusPort) params.push('mirage_status=ttyS1');
  if (trace) params.push('mirage_trace=1');
  if (devices.blocks.length)
    params.push(`mirage_disks=${devices.blocks.map((_, i) => `/dev/${flavour.diskName(i)}`).join(',')}`);
  const bare = (k: BootKey) => isShellName(k.name) && !k.name.startsWith('mirage_') && !KERNEL_PARAMS.has(k.name);
  for (const k of keys) if (bare(k)) params.push(`${k.name}=${String(k.value)}`);
  // Flags after `--` win over bare parameters: the ones given here come last.
  const flags = [...keys.filter((k) => !bare(k)).map((k) => `--${k.name}=${String(k.value)}`), ...args];
  for (const a of flags) {
    if (/[\s"']/.test(a)) {
      throw new UserError(`the run-time argument ${JSON.stringify(a)} cannot go on a kernel command line`, {
        fix: 'give key values without spaces or quotes',
      });
    }
  }
  return [...params, '--', ...flags].join(' ').trim();
}
