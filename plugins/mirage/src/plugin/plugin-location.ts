import * as path from 'node:path';

export const PLUGIN_PACKAGE = '@mirage-ts/nx-plugin';

/**
 * The plugin's folder, workspace-relative with `/`, when the workspace holds
 * its source (this repository); undefined when it is an installed package.
 */
export function pluginSourceRoot(workspaceRoot: string): string | undefined {
  const pluginRoot = path.resolve(__dirname, '..', '..');
  const rel = path.relative(workspaceRoot, pluginRoot);
  if (rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).includes('node_modules')) return undefined;
  return rel.split(path.sep).join('/');
}
