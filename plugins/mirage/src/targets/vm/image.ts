import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../configure/user-error';
import type { PackageContext } from '../target';
import { writeCpio } from './cpio';
import { guestDevices, type GuestDevices, type VmFlavour } from './guest';
import type { HostTools } from './host-tools';
import {
  appFiles,
  COMPRESSED_EXTENSION,
  compressArchive,
  initramfsEntries,
  runtimeFiles,
  type Compression,
} from './initramfs';
import { findKernel } from './kernel';
import { modulesInLoadOrder } from './kernel-modules';
import type { IcuMode } from './icu';
import { guestNodeBinary } from './node-binary';
import { vmOptions } from './options';
import { buildRootDisk, ROOT_DISK_FILE } from './root-disk';

/** Names of the image files inside dist/apps/<app>/<target>/. */
export const KERNEL_FILE = 'vmlinuz';
export const IMAGE_INFO_FILE = 'image.json';

/** Facts about a built image that `run`, the .xl writer and benchmarks read back. */
export interface ImageInfo {
  readonly target: 'xen' | 'qemu';
  readonly kernel: string;
  readonly initramfs: string;
  /** The read-only root disk (squashfs) holding Node, its libraries and /app: the guest's first disk. */
  readonly rootDisk: string;
  readonly compression: Compression;
  readonly kernelOrigin: string;
  readonly kernelBytes: number;
  readonly initramfsBytes: number;
  readonly rootDiskBytes: number;
  /** Size of the unpacked archive, which the guest holds in RAM. */
  readonly unpackedBytes: number;
  readonly icu: IcuMode;
  readonly sourceMaps: boolean;
  readonly modules: readonly string[];
  readonly devices: GuestDevices;
  /** Guest memory the files name by default, and the least the image boots with. */
  readonly memoryMb: number;
  readonly minimumMemoryMb: number;
}

/**
 * The least guest memory a build accepts. Node and the unikernel are read
 * from the root disk on demand, so this no longer grows with them: Debian's
 * cloud kernel keeps ≈ 46 MB for itself, a busybox-only guest needs 80 MB,
 * the console example boots in 80–88 MB but pages Node's code in and out of
 * the page cache below 96 MB, which makes the first line come 2–4× later
 * (measured: 96 MB 5.6 s, 88 MB 9.6 s, 80 MB 23.9 s, 72 MB no boot) (FACTS.md "VM image diet", tools/bench/vm.bench.ts). The initramfs
 * is unpacked into RAM, so it still counts.
 */
const BUSYBOX_GUEST_MB = 80;
export const DEFAULT_MEMORY_MB = 128;

/** 96 MB for the examples: 80 MB plus the small initramfs, rounded up to 16 MB. */
export function minimumMemoryMb(unpackedInitramfsBytes: number): number {
  return Math.ceil((BUSYBOX_GUEST_MB + unpackedInitramfsBytes / (1024 * 1024)) / 16) * 16;
}

/**
 * Modules the init loads before the root disk is mounted: the disk's bus and
 * driver and squashfs, and the devices' own. No entropy device: the kernel
 * seeds its random pool from the CPU (RDRAND, which QEMU's \`-cpu max\` and
 * KVM's \`-cpu host\` offer) within a tenth of a second of boot, so Node's
 * first getrandom never waits, as under Xen, which has none either.
 */
export function modulesFor(devices: GuestDevices, flavour: VmFlavour): string[] {
  if (flavour.target === 'xen') {
    return [
      'xen-blkfront',
      'squashfs',
      ...(devices.networks.length ? ['xen-netfront'] : []),
      // /dev/xen/gntalloc and /dev/xen/gntdev, opened when the grant device connects (xenstore's
      // /dev/xen/xenbus is built into the kernel).
      ...(devices.grants ? ['xen-gntalloc', 'xen-gntdev'] : []),
    ];
  }
  return ['virtio_pci', 'virtio_blk', 'squashfs', ...(devices.networks.length ? ['virtio_net'] : [])];
}

/**
 * Writes the kernel and the initramfs into the staging folder, with
 * progress lines, and returns what the target's configuration files need.
 */
export async function buildImage(ctx: PackageContext, flavour: VmFlavour, tools: HostTools): Promise<ImageInfo> {
  const options = vmOptions(ctx.options);
  const started = Date.now();
  const step = (line: string) => ctx.logger.info(`  [image ${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
  const devices = guestDevices(ctx.graph);

  const kernel = await findKernel({ kernel: options.kernel, modules: options.modules }, tools, step);
  step(`kernel ${path.basename(kernel.kernel)} (${kernel.origin})`);
  const modules = modulesInLoadOrder(kernel.modulesDir, modulesFor(devices, flavour));
  step(`modules: ${modules.map((m) => m.name).join(' ')}`);

  const entries = initramfsEntries({
    busybox: options.busybox,
    modules,
    init: {
      networking: devices.networking,
      nics: devices.networks.map((_, i) => flavour.nicName(i)),
      sourceMaps: options.sourceMaps,
      bootKeys: ctx.graph.runtimeKeys.map((k) => k.name),
      ...addressDefaults(ctx),
    },
  });
  const cpio = writeCpio(entries);
  const minimum = minimumMemoryMb(cpio.length);
  const memoryMb = options.memory ?? Math.max(minimum, DEFAULT_MEMORY_MB);
  if (memoryMb < minimum) throw tooLittleMemory(memoryMb, minimum);
  step(`initramfs: ${entries.length} entries, ${mb(cpio.length)} unpacked; compressing with ${options.compression}`);
  const { data: image, compression } = await compressArchive(cpio, options.compression, tools, step);
  const initramfsName = `initramfs.cpio.${COMPRESSED_EXTENSION[compression]}`;
  fs.writeFileSync(path.join(ctx.stagingDir, initramfsName), image);
  fs.copyFileSync(kernel.kernel, path.join(ctx.stagingDir, KERNEL_FILE));
  const kernelBytes = fs.statSync(kernel.kernel).size;

  const node = await guestNodeBinary(options.node, tools, step, options.icu);
  const rootDiskPath = path.join(ctx.stagingDir, ROOT_DISK_FILE);
  await buildRootDisk(await runtimeFiles(node, tools), appFiles(ctx.stagingDir), rootDiskPath, tools, step);
  const rootDiskBytes = fs.statSync(rootDiskPath).size;

  step(
    `done: kernel ${mb(kernelBytes)} + initramfs ${mb(image.length)} + root disk ${mb(rootDiskBytes)} = ${mb(kernelBytes + image.length + rootDiskBytes)}, guest memory ${memoryMb} MB`,
  );

  const info: ImageInfo = {
    target: flavour.target,
    kernel: KERNEL_FILE,
    initramfs: initramfsName,
    rootDisk: ROOT_DISK_FILE,
    compression,
    kernelOrigin: kernel.origin,
    kernelBytes,
    initramfsBytes: image.length,
    rootDiskBytes,
    unpackedBytes: cpio.length,
    icu: options.icu,
    sourceMaps: options.sourceMaps,
    modules: modules.map((m) => m.name),
    devices,
    memoryMb,
    minimumMemoryMb: minimum,
  };
  fs.writeFileSync(path.join(ctx.stagingDir, IMAGE_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

/** Why a --memory below the floor is refused rather than tried: the guest would not boot, or take many times as long. */
export function tooLittleMemory(memoryMb: number, minimum: number): UserError {
  return new UserError(
    `--memory=${memoryMb} is too little for this image: it needs at least ${minimum} MB (the kernel keeps ≈ 46 MB, Node's code is paged in from the root disk, and below this the guest fails to boot or spends seconds re-reading it)`,
    { fix: `use --memory=${minimum} or more (or leave --memory out: the default is ${DEFAULT_MEMORY_MB} MB)` },
  );
}

export function readImageInfo(outDir: string): ImageInfo {
  const file = path.join(outDir, IMAGE_INFO_FILE);
  if (!fs.existsSync(file)) {
    throw new UserError(`${file} does not exist`, { fix: 'build the image first (npx nx build <app> --target=qemu)' });
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ImageInfo;
}

/** Defaults of the keys that address the guest kernel's interface (socket stack in a VM). */
function addressDefaults(ctx: PackageContext): { ipv4?: string; gateway?: string; dhcp?: boolean } {
  const value = (...names: string[]) => {
    for (const n of names) {
      const rt = ctx.graph.runtimeKeys.find((k) => k.name === n);
      if (rt) return rt.default;
      if (n in ctx.graph.configureKeys) return ctx.graph.configureKeys[n];
    }
    return undefined;
  };
  const ipv4 = value('ipv4');
  const gateway = value('ipv4-gateway', 'ipv4_gateway', 'gateway');
  const dhcp = value('dhcp');
  return {
    ...(typeof ipv4 === 'string' && ipv4 ? { ipv4 } : {}),
    ...(typeof gateway === 'string' && gateway ? { gateway } : {}),
    ...(typeof dhcp === 'boolean' ? { dhcp } : {}),
  };
}

const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
