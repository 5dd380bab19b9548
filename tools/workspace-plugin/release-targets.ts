import type { TargetConfiguration } from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The plugin's target that packs every package into dist/packages/ (tools/packaging). */
export const PACKAGE_TARGET = { project: '@mirage-ts/nx-plugin', target: 'package' };

/**
 * `nx-release-publish`, the target `nx release publish` runs, for each
 * package tools/packaging makes (the plugin and every library with a
 * package.json and src/): `npm publish` of its folder under dist/packages/.
 */
export function releaseTargets(workspaceRoot: string, projectRoot: string): Record<string, TargetConfiguration> {
  const dir = packageDir(workspaceRoot, projectRoot);
  if (!dir) return {};
  return {
    'nx-release-publish': {
      executor: 'nx:run-commands',
      options: { command: `node -r @swc-node/register tools/release/publish.ts --dir ${dir}` },
      dependsOn: [{ projects: [PACKAGE_TARGET.project], target: PACKAGE_TARGET.target }],
      cache: false,
      metadata: { description: `npm publish ${dir} (nx release publish; --registry picks the registry)` },
    },
  };
}

function packageDir(workspaceRoot: string, projectRoot: string): string | undefined {
  if (projectRoot === 'plugins/mirage') return 'dist/packages/nx-plugin';
  const parts = projectRoot.split('/');
  if (parts.length !== 2 || parts[0] !== 'libs') return undefined;
  const lib = path.join(workspaceRoot, projectRoot);
  if (!fs.existsSync(path.join(lib, 'package.json')) || !fs.existsSync(path.join(lib, 'src'))) return undefined;
  return `dist/packages/${parts[1]}`;
}
