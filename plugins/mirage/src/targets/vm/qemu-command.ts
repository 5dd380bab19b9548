import type { PortForward } from './options';

export const QEMU_BINARY = 'qemu-system-x86_64';

export interface QemuDisk {
  /** Host file (absolute, or relative to the launcher in scripts). */
  readonly file: string;
  /** Guest name the init gives it (vdb...), passed as the disk's serial. */
  readonly guestName: string;
}

export type QemuNic =
  | { readonly kind: 'user'; readonly forwards: readonly PortForward[] }
  | { readonly kind: 'tap'; readonly ifname: string };

export interface QemuLaunch {
  readonly kernel: string;
  readonly initramfs: string;
  /** The read-only root disk, attached first (vda). */
  readonly rootDisk: string;
  readonly memoryMb: number;
  readonly cmdline: string;
  readonly disks: readonly QemuDisk[];
  readonly nics: readonly QemuNic[];
  readonly accel: 'kvm' | 'tcg';
  /** File the guest's second serial port writes `exit N` to. */
  readonly statusFile: string;
}

/**
 * QEMU's command line for an image: no default devices, the console on the
 * first serial port (stdio), the exit status on the second, and the disks
 * and NICs of the device graph. No entropy device: the guest kernel seeds
 * itself from the CPU's RDRAND (see modulesFor in image.ts).
 */
export function qemuArgs(l: QemuLaunch): string[] {
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-no-reboot',
    '-display',
    'none',
    '-accel',
    l.accel,
    '-cpu',
    l.accel === 'kvm' ? 'host' : 'max',
    '-m',
    String(l.memoryMb),
    '-kernel',
    l.kernel,
    '-initrd',
    l.initramfs,
    '-append',
    l.cmdline,
    '-serial',
    'stdio',
    '-serial',
    `file:${l.statusFile}`,
  ];
  // The root disk first, read-only: it is shared by every run of the image.
  args.push('-drive', `file=${escapeOption(l.rootDisk)},format=raw,if=none,id=root,readonly=on`);
  args.push('-device', 'virtio-blk-pci,drive=root,serial=vda');
  l.disks.forEach((d, i) => {
    args.push('-drive', `file=${escapeOption(d.file)},format=raw,if=none,id=disk${i},cache=writeback`);
    args.push('-device', `virtio-blk-pci,drive=disk${i},serial=${d.guestName}`);
  });
  l.nics.forEach((n, i) => {
    if (n.kind === 'tap') args.push('-netdev', `tap,id=net${i},ifname=${n.ifname},script=no,downscript=no`);
    else
      args.push(
        '-netdev',
        [
          `user,id=net${i}`,
          ...n.forwards.map((f) => `hostfwd=${f.protocol}:127.0.0.1:${f.hostPort}-:${f.guestPort}`),
        ].join(','),
      );
    args.push('-device', `virtio-net-pci,netdev=net${i}`);
  });
  return args;
}

/** QEMU option values separate on commas; a literal comma is written twice. */
function escapeOption(value: string): string {
  return value.replace(/,/g, ',,');
}

/** `exit N` as the init writes it; undefined when the guest ended without reporting (a crash, a kill). */
export function parseExitStatus(text: string): number | undefined {
  const m = /exit (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}
