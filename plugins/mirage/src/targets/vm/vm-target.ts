import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedGraph } from '../../configure/resolved-graph';
import { UserError } from '../../configure/user-error';
import type { PackageContext, RunContext, TargetPaths, UnikernelTarget } from '../target';
import { guestResource, type VmFlavour } from './guest';
import type { HostTools } from './host-tools';
import { buildImage, type ImageInfo } from './image';
import { VM_OPTION_NAMES } from './options';

export interface VmTargetSpec {
  readonly flavour: VmFlavour;
  readonly description: string;
  /** Files beside the image: the .xl pair for xen, the launcher and libvirt XML for qemu. */
  writeFiles(ctx: PackageContext, image: ImageInfo, tools: HostTools): Promise<void> | void;
  run(ctx: RunContext, tools: HostTools): Promise<number>;
}

/**
 * xen and qemu are the same image (kernel + initramfs with Node and the
 * bundle); they differ in guest device names, the kernel command line and
 * the files written beside the image.
 */
export function vmTarget(spec: VmTargetSpec, tools: () => HostTools): UnikernelTarget {
  return {
    name: spec.flavour.target,
    description: spec.description,
    options: VM_OPTION_NAMES,
    // Native addons (the packet socket's) are copied beside main.js and go into the image with it.
    bundle: { platform: 'node', target: 'node20', loader: { '.node': 'copy' } },
    resourceExpression: (resource, _paths: TargetPaths, graph: ResolvedGraph) =>
      JSON.stringify(guestResource(spec.flavour, resource, graph)),
    async package(ctx) {
      ctx.logger.info(`Building the ${spec.flavour.target} image of ${ctx.graph.name}`);
      const image = await buildImage(ctx, spec.flavour, tools());
      await spec.writeFiles(ctx, image, tools());
    },
    run: (ctx) => spec.run(ctx, tools()),
  };
}

/** Absolute host path of each attached disk (block files are named relative to the app folder). */
export function hostDisks(paths: TargetPaths, image: ImageInfo): string[] {
  return image.devices.blocks.map((file) => path.resolve(paths.workspaceRoot, paths.projectRoot, file));
}

/** A disk the unikernel needs must exist before the VM starts; say where it was named and how to make it. */
export function checkDisksExist(ctx: RunContext, image: ImageInfo): string[] {
  const disks = hostDisks(ctx, image);
  disks.forEach((disk, i) => {
    if (fs.existsSync(disk)) return;
    const file = image.devices.blocks[i];
    const device = ctx.graph.devices.find((d) =>
      d.args.some((a) => a.kind === 'resource' && a.resource.kind === 'block' && a.resource.file === file),
    );
    const rel = path.relative(ctx.workspaceRoot, disk);
    throw new UserError(`the disk ${rel} for blockOfFile('${file}') does not exist`, {
      at: device?.at ?? { file: ctx.graph.configFile },
      fix: `create it before running: npx nx run ${ctx.graph.project}:disk-image (or truncate -s 16M ${rel})`,
    });
  });
  return disks;
}
