import type { ResolvedDevice, ResolvedGraph } from '../configure/resolved-graph';
import { UserError } from '../configure/user-error';

export interface BuildStepContext {
  readonly workspaceRoot: string;
  readonly projectRoot: string;
  readonly project: string;
  /** Where generated modules go; main.ts sits in the same folder. */
  readonly stagingDir: string;
}

/**
 * Work a device needs done at configure time, named by its impl's `build`
 * field (e.g. turning a directory into a module). Each step writes into the
 * staging folder only, never into the source tree.
 */
export type BuildStep = (device: ResolvedDevice, options: Readonly<Record<string, unknown>>, ctx: BuildStepContext) => Promise<void>;

const steps = new Map<string, BuildStep>();

export function registerBuildStep(name: string, step: BuildStep): void {
  steps.set(name, step);
}

export async function runBuildSteps(graph: ResolvedGraph, ctx: BuildStepContext): Promise<void> {
  for (const device of graph.devices) {
    if (!device.build) continue;
    const step = steps.get(device.build.step);
    if (!step) {
      throw new UserError(`${device.label} asks for build step '${device.build.step}', which this plugin does not know`, {
        at: device.at,
        fix: 'use @mirage-ts/mirage and @mirage-ts/nx-plugin of the same version',
      });
    }
    await step(device, device.build.options, ctx);
  }
}
