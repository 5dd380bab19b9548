import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';

export const PLUGIN_NAME = '@mirage-ts/nx-plugin';

/**
 * Lists the plugin in nx.json (once, in either the string or the object
 * form), and turns on the project-graph edges from TypeScript imports,
 * which Nx only draws without @nx/js when asked: without them `nx affected`
 * misses the unikernels a library change touches.
 */
export function registerPlugin(tree: Tree): void {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  const listed = plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME);
  const jsConfig = (nxJson.pluginsConfig?.['@nx/js'] ?? {}) as Record<string, unknown>;
  const edges = jsConfig.analyzeSourceFiles !== undefined;
  // Untouched when already set up: rewriting would only reformat the user's nx.json.
  if (listed && edges) return;
  if (!listed) nxJson.plugins = [...plugins, PLUGIN_NAME];
  if (!edges) nxJson.pluginsConfig = { ...nxJson.pluginsConfig, '@nx/js': { ...jsConfig, analyzeSourceFiles: true } };
  updateNxJson(tree, nxJson);
}
