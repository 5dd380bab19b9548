import type { TargetConfiguration } from '@nx/devkit';
import type { UnikernelSource } from './contributed-targets';

/** The folders config.ts hands to archiveOfFiles/genericKvRo as plain strings. */
function archivedFolders(configSource: string): string[] {
  const dirs = new Set<string>();
  for (const m of configSource.matchAll(/\b(?:archiveOfFiles|genericKvRo)\(\s*(['"`])([\w.-][\w./-]*)\1/g))
    dirs.add(m[2].replace(/^\.\//, '').replace(/\/$/, ''));
  return [...dirs];
}

/** Images named with `archiveOfFiles(dir, { image: 'site.img' })`: outputs too, or a cache hit would not restore them. */
function namedImages(configSource: string): string[] {
  const images = new Set<string>();
  for (const m of configSource.matchAll(/\barchiveOfFiles\([^)]*\bimage\s*:\s*(['"`])([\w.-][\w./-]*)\1/g))
    if (!m[2].startsWith('..')) images.add(m[2].replace(/^\.\//, ''));
  return [...images];
}

/**
 * A unikernel whose config.ts can put a tar image behind a key/value store
 * (`archiveOfFiles`, or `genericKvRo` with --kv_ro=archive) gets an
 * `archive-image` target. Cached: its inputs are the data folders (the whole
 * app folder, images aside, when a folder is not a plain string) and config.ts,
 * its outputs the tar*.img images beside config.ts and any image named in it.
 */
export function archiveImageTarget(unikernel: UnikernelSource): Record<string, TargetConfiguration> {
  if (!/\b(?:archiveOfFiles|genericKvRo)\s*\(/.test(unikernel.configSource)) return {};
  const dirs = archivedFolders(unikernel.configSource);
  const data =
    dirs.length > 0 && !dirs.some((d) => d.startsWith('..'))
      ? dirs.map((d) => `{projectRoot}/${d}/**/*`)
      : ['{projectRoot}/**/*', '!{projectRoot}/**/*.img'];
  return {
    'archive-image': {
      executor: '@mirage-ts/nx-plugin:archive-image',
      cache: true,
      inputs: ['{projectRoot}/config.ts', ...data],
      outputs: ['{projectRoot}/tar*.img', ...namedImages(unikernel.configSource).map((i) => `{projectRoot}/${i}`)],
      metadata: {
        description:
          'Make the tar image(s) that archiveOfFiles/genericKvRo read, from the data folder(s) named in config.ts',
        help: { command: `npx nx run ${unikernel.name}:archive-image`, example: {} },
      },
    },
  };
}
