export interface LibvirtDomain {
  readonly name: string;
  readonly memoryMb: number;
  readonly kernel: string;
  readonly initrd: string;
  /** The read-only root disk (vda). */
  readonly rootDisk: string;
  readonly cmdline: string;
  readonly disks: readonly { readonly file: string; readonly guestName: string }[];
  readonly networks: number;
}

/**
 * A libvirt domain for `virsh define`: the same kernel, initramfs and
 * command line as the launcher, virtio disks (each with its guest name as
 * serial, which the image's init uses) and virtio NICs on libvirt's default
 * network.
 */
export function libvirtXml(d: LibvirtDomain): string {
  const x = (s: string) =>
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/'/g, '&apos;')
      .replace(/"/g, '&quot;');
  const lines = [
    `<domain type='kvm'>`,
    `  <name>${x(d.name)}</name>`,
    `  <memory unit='MiB'>${d.memoryMb}</memory>`,
    `  <vcpu>1</vcpu>`,
    `  <os>`,
    `    <type arch='x86_64' machine='pc'>hvm</type>`,
    `    <kernel>${x(d.kernel)}</kernel>`,
    `    <initrd>${x(d.initrd)}</initrd>`,
    `    <cmdline>${x(d.cmdline)}</cmdline>`,
    `  </os>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>destroy</on_reboot>`,
    `  <on_crash>preserve</on_crash>`,
    `  <devices>`,
    `    <serial type='pty'><target port='0'/></serial>`,
    `    <console type='pty'><target type='serial' port='0'/></console>`,
  ];
  lines.push(
    `    <disk type='file' device='disk'>`,
    `      <driver name='qemu' type='raw'/>`,
    `      <source file='${x(d.rootDisk)}'/>`,
    `      <target dev='vda' bus='virtio'/>`,
    `      <serial>vda</serial>`,
    `      <readonly/>`,
    `    </disk>`,
  );
  for (const disk of d.disks) {
    lines.push(
      `    <disk type='file' device='disk'>`,
      `      <driver name='qemu' type='raw' cache='writeback'/>`,
      `      <source file='${x(disk.file)}'/>`,
      `      <target dev='${x(disk.guestName)}' bus='virtio'/>`,
      `      <serial>${x(disk.guestName)}</serial>`,
      `    </disk>`,
    );
  }
  for (let i = 0; i < d.networks; i++) {
    lines.push(
      `    <interface type='network'>`,
      `      <source network='default'/>`,
      `      <model type='virtio'/>`,
      `    </interface>`,
    );
  }
  lines.push(`  </devices>`, `</domain>`, '');
  return lines.join('\n');
}
