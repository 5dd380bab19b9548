import type { TargetConfiguration } from '@nx/devkit';
import type { TargetContribution } from './contributed-targets';

/**
 * A unikernel whose config.ts opens block files gets `disk-image`, the
 * counterpart of the seed's generate_disk_img.sh: `npx nx run block:disk-image`.
 */
export const diskImageTarget: TargetContribution = ({ name, configSource }): Record<string, TargetConfiguration> => {
  if (!/\bblockOfFile\s*\(/.test(configSource)) return {};
  return {
    'disk-image': {
      executor: '@mirage-ts/nx-plugin:disk-image',
      cache: false,
      metadata: {
        description:
          'Create the zeroed disk images the unikernel opens (default 100000 sectors of 512 bytes), beside config.ts',
        help: {
          command: `npx nx run ${name}:disk-image [--sectors=100000 | --size=64M] [--sectorSize=512] [--force] [--target=unix|xen|qemu]`,
          example: {},
        },
      },
    },
  };
};
