import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../configure/user-error';
import { deviceKeys, kernelCommandLine, XEN } from './vm/guest';
import type { RunContext } from './target';
import { realHostTools, type HostTools } from './vm/host-tools';
import { hostDisks, vmTarget } from './vm/vm-target';
import { vmOptions } from './vm/options';
import { guessBridge, xlFile } from './vm/xl-files';

/**
 * A Xen PVH domain: the VM image plus NAME.xl (paths of this build filled
 * in, for `xl create -c NAME.xl` here) and NAME.xl.in (the same with
 * @VARIABLES@ for what differs on the deployment host).
 */
export const xenTarget = vmTarget(
  {
    flavour: XEN,
    description: 'a bootable VM image with NAME.xl for `xl create -c`',
    writeFiles(ctx, image) {
      const options = vmOptions(ctx.options);
      // The devices' run-time keys (a stack's address) as the 2015 xl files had them: `ip=... netmask=...`.
      const extra = kernelCommandLine({ flavour: XEN, devices: image.devices, keys: deviceKeys(ctx.graph), args: [] });
      const bridge = options.bridge ?? guessBridge();
      const name = ctx.graph.name;
      const disks = hostDisks(ctx, image);
      // A unikernel with grant tables boots as a PV guest, as MirageOS's Xen unikernels did. In a
      // PVH domain Xen keeps each of the domain's frames at one guest address, so mapping its own
      // grant (the grant example) moves the page: the first view then reads ff and drops writes
      // (seen under Xen 4.17). Grants between two PVH domains are not affected, but a PV guest
      // serves both.
      const type = image.devices.grants ? ('pv' as const) : ('pvh' as const);
      const common = { name, extra, configFile: ctx.graph.configFile, type };
      fs.writeFileSync(
        path.join(ctx.stagingDir, `${name}.xl`),
        xlFile({
          ...common,
          kernel: path.join(ctx.outDir, image.kernel),
          ramdisk: path.join(ctx.outDir, image.initramfs),
          root: path.join(ctx.outDir, image.rootDisk),
          memory: String(image.memoryMb),
          disks: disks.map((target, i) => ({ vdev: XEN.diskName(i), target })),
          bridges: image.devices.networks.map(() => bridge),
        }),
      );
      fs.writeFileSync(
        path.join(ctx.stagingDir, `${name}.xl.in`),
        xlFile({
          ...common,
          name: '@NAME@',
          kernel: '@KERNEL@',
          ramdisk: '@RAMDISK@',
          root: '@ROOT@',
          memory: '@MEMORY@',
          disks: image.devices.blocks.map((file, i) => ({ vdev: XEN.diskName(i), target: `@BLOCK:${file}@` })),
          bridges: image.devices.networks.map((n) => `@NETWORK:${n}@`),
        }),
      );
      ctx.logger.info(
        `  boot it on a Xen host with: xl create -c ${path.relative(ctx.workspaceRoot, path.join(ctx.outDir, `${name}.xl`))}`,
      );
    },
    run: runXen,
  },
  () => realHostTools,
);

/** `xl create -c NAME.xl` where this machine is a Xen dom0; elsewhere, how to boot the image instead. */
export async function runXen(ctx: RunContext, tools: HostTools): Promise<number> {
  const xl = await tools.which('xl');
  const file = path.join(ctx.outDir, `${ctx.graph.name}.xl`);
  if (!xl) {
    throw new UserError('running the xen target needs a Xen host (dom0) with the xl tool, and this machine has none', {
      fix: `boot ${path.relative(ctx.workspaceRoot, file)} with \`xl create -c\` on a Xen host, or run the same image here with --target=qemu`,
    });
  }
  return new Promise((resolve, reject) => {
    const child = tools.start(xl, ['create', '-c', file]);
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
