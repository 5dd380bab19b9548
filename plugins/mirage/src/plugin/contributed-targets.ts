import type { TargetConfiguration } from '@nx/devkit';
import { archiveImageTarget } from './archive-image-target';
import { diskImageTarget } from './disk-image-target';
import { fatImageTarget } from './fat-image-target';

export interface UnikernelSource {
  readonly name: string;
  /** Workspace-relative folder. */
  readonly root: string;
  /** The text of config.ts (read, never executed, while Nx builds its graph). */
  readonly configSource: string;
}

/**
 * Targets some unikernels get beyond configure/build/run, decided from what
 * their config.ts names (a `blockOfFile` gets a disk-image target...). Each
 * device family adds its contribution to the list below, in its own module.
 */
export type TargetContribution = (unikernel: UnikernelSource) => Record<string, TargetConfiguration>;

const contributions: readonly TargetContribution[] = [diskImageTarget, fatImageTarget, archiveImageTarget];

export function contributedTargets(unikernel: UnikernelSource): Record<string, TargetConfiguration> {
  return Object.assign({}, ...contributions.map((c) => c(unikernel)));
}
