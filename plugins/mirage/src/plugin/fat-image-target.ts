import type { TargetConfiguration } from '@nx/devkit';
import type { UnikernelSource } from './contributed-targets';

/**
 * A unikernel whose config.ts can put a FAT image behind a key/value store
 * (`fatOfFiles`, or `genericKvRo` with --kv_ro=fat) gets a `fat-image`
 * target: the seed's make-fat1-image.sh. Decided from the text of config.ts;
 * the executor evaluates it to learn which folders go into which images.
 */
export function fatImageTarget(unikernel: UnikernelSource): Record<string, TargetConfiguration> {
  if (!/\b(?:fatOfFiles|genericKvRo)\s*\(/.test(unikernel.configSource)) return {};
  return {
    'fat-image': {
      executor: '@mirage-ts/nx-plugin:fat-image',
      // Fast, and its output lives in the app folder where blockOfFile finds it: not worth caching.
      cache: false,
      metadata: {
        description:
          'Make the FAT image(s) that fatOfFiles/genericKvRo read, from the data folder(s) named in config.ts',
        help: { command: `npx nx run ${unikernel.name}:fat-image [--fat-type=12|16|32]`, example: {} },
      },
    },
  };
}
