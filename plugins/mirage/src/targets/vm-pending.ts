import type { Target } from '@mirage-ts/mirage';
import { UserError } from '../configure/user-error';
import type { UnikernelTarget } from './target';

/**
 * The VM targets before their image builder exists: configuration and the
 * bundle are made (so config.ts is checked for the target), the image is not.
 */
export function pendingVmTarget(name: Target, description: string): UnikernelTarget {
  return {
    name,
    description,
    options: [],
    bundle: { platform: 'node', target: 'node20' },
    resourceExpression: (resource) => JSON.stringify(resource),
    async package(ctx) {
      ctx.logger.warn(`${name}: wiring and bundle written to ${ctx.outDir}; the bootable image is not produced yet.`);
    },
    async run() {
      throw new UserError(`running the ${name} target is not available yet`, { fix: 'run it on unix: --target=unix' });
    },
  };
}
