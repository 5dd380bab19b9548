import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../configure/user-error';
import type { PackageContext } from '../target';
import { writeCpio } from './cpio';
import { guestDevices, type GuestDevices, type VmFlavour } from './guest';
import type { HostTools } from './host-tools';
import { appFiles, COMPRESSED_EXTENSION, compressArchive, initramfsEntries, type Compression } from './initramfs';
import { findKernel } from './kernel';
import { modulesInLoadOrder } from './kernel-modules';
import { guestNodeBinary } from './node-binary';
import { vmOptions } from './options';

/** Names of the image files inside dist/apps/<app>/<target>/. */
export const KERNEL_FILE = 'vmlinuz';
export const IMAGE_INFO_FILE = 'image.json';

/** Facts about a built image that `run`, the .xl writer and benchmarks read back. */
export interface ImageInfo {
  readonly target: 'xen' | 'qemu';
  readonly kernel: string;
  readonly initramfs: string;
  readonly compression: Compression;
  readonly kernelOrigin: string;
  readonly kernelBytes: number;
  readonly initramfsBytes: number;
  /** Size of the unpacked archive, which the guest holds in RAM. */
  readonly unpackedBytes: number;
  readonly modules: readonly string[];
  readonly devices: GuestDevices;
  /** Guest memory the files name by default, and the least the image boots with. */
  readonly memoryMb: number;
  readonly minimumMemoryMb: number;
}

/**
 * Guest RAM the image needs: the kernel holds the compressed archive and
 * its unpacked files at once while it unpacks, then Node starts. Measured
 * (tools/bench/vm.bench.ts) against this formula; the margin covers Node's
 * heap and the kernel itself.
 */
export function minimumMemoryMb(unpackedBytes: number, compressedBytes: number): number {
  const mb = (b: number) => b / (1024 * 1024);
  return Math.ceil((mb(unpackedBytes) + mb(compressedBytes) + 160) / 16) * 16;
}

/** Modules for the devices the unikernel uses, virtio and Xen front-ends both (one image serves both targets). */
export function modulesFor(devices: GuestDevices): string[] {
  const wanted = ['virtio_pci', 'virtio-rng'];
  if (devices.blocks.length) wanted.push('virtio_blk', 'xen-blkfront');
  if (devices.networks.length) wanted.push('virtio_net', 'xen-netfront');
  return wanted;
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
  const modules = modulesInLoadOrder(kernel.modulesDir, modulesFor(devices));
  step(`modules: ${modules.map((m) => m.name).join(' ')}`);

  const node = await guestNodeBinary(options.node, tools, step);
  const entries = await initramfsEntries(
    {
      node,
      busybox: options.busybox,
      app: appFiles(ctx.stagingDir),
      modules,
      init: {
        networking: devices.networking,
        nics: devices.networks.map((_, i) => flavour.nicName(i)),
        ...addressDefaults(ctx),
      },
    },
    tools,
  );
  const cpio = writeCpio(entries);
  step(`initramfs: ${entries.length} entries, ${mb(cpio.length)} unpacked; compressing with ${options.compression}`);
  const { data: image, compression } = await compressArchive(cpio, options.compression, tools, step);
  const initramfsName = `initramfs.cpio.${COMPRESSED_EXTENSION[compression]}`;
  fs.writeFileSync(path.join(ctx.stagingDir, initramfsName), image);
  fs.copyFileSync(kernel.kernel, path.join(ctx.stagingDir, KERNEL_FILE));
  const kernelBytes = fs.statSync(kernel.kernel).size;

  const minimum = minimumMemoryMb(cpio.length, image.length);
  const memoryMb = options.memory ?? Math.max(minimum, 256);
  if (memoryMb < minimum) {
    throw new UserError(
      `--memory=${memoryMb} is too little for this image: the guest unpacks ${mb(cpio.length)} into RAM and needs at least ${minimum} MB`,
      {
        fix: `use --memory=${minimum} or more (or leave --memory out: the default fits the image)`,
      },
    );
  }
  step(`done: kernel ${mb(kernelBytes)}, initramfs ${mb(image.length)}, guest memory ${memoryMb} MB`);

  const info: ImageInfo = {
    target: flavour.target,
    kernel: KERNEL_FILE,
    initramfs: initramfsName,
    compression,
    kernelOrigin: kernel.origin,
    kernelBytes,
    initramfsBytes: image.length,
    unpackedBytes: cpio.length,
    modules: modules.map((m) => m.name),
    devices,
    memoryMb,
    minimumMemoryMb: minimum,
  };
  fs.writeFileSync(path.join(ctx.stagingDir, IMAGE_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
  return info;
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
