import { installPackagesTask, logger, type GeneratorCallback, type Tree } from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addPackages } from './lib/add-packages';
import { registerPlugin } from './lib/register-plugin';
import type { InitGeneratorSchema } from './schema';

/** `nx add @mirage-ts/nx-plugin` (or `nx g @mirage-ts/nx-plugin:init`): what a workspace needs for unikernels. */
export async function initGenerator(tree: Tree, schema: InitGeneratorSchema = {}): Promise<GeneratorCallback> {
  registerPlugin(tree);
  const changed =
    !schema.skipPackageJson && addPackages(tree, pluginVersion(), schema.keepExistingVersions ?? true) !== undefined;
  return () => {
    if (changed && !schema.skipInstall) installPackagesTask(tree);
    logger.info('Scaffold a unikernel with: npx nx g unikernel hello');
  };
}

/** The version of this plugin, which its runtime packages share (they are released together). */
function pluginVersion(): string {
  // src/generators/init/ -> the package root, in the sources and in the published package alike.
  const manifest = path.join(__dirname, '..', '..', '..', 'package.json');
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
}

export default initGenerator;
