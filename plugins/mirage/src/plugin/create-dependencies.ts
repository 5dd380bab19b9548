import {
  DependencyType,
  type CreateDependencies,
  type ProjectConfiguration,
  type RawProjectGraphDependency,
} from '@nx/devkit';
import * as path from 'node:path';
import { beginReading, staticIndex, unikernelFacts } from '../analysis/static/unikernel-facts';
import type { MiragePluginOptions } from './create-nodes';
import { buildStepImports } from '../pipeline/build-steps';
// The build steps declare what their generated code imports.
import '../pipeline/device-build-steps';
import { PLUGIN_PACKAGE, pluginSourceRoot } from './plugin-location';

export const UNIKERNEL_TAG = 'type:unikernel';

/**
 * Edges Nx cannot see in imports. A unikernel imports only signatures; the
 * implementations it runs on are named by the DSL calls in its config.ts
 * (`blockOfFile` names `@mirage-ts/block/file`), so each unikernel gets an
 * edge to the library of every implementation its config.ts can choose (for
 * any target and keys) and of what its build steps generate code against
 * (a crunched store's module imports @mirage-ts/kv/crunch), to the owner of data it names outside its folder,
 * and to the plugin that builds it. `nx affected` then follows a change in
 * a device library to exactly the unikernels that can use it.
 */
export const createDependencies: CreateDependencies<MiragePluginOptions> = (_options, context) => {
  const projects = Object.entries(context.projects).map(([key, p]) => ({ name: p.name ?? key, config: p }));
  const byName = new Map(projects.map((p) => [p.name, p.config]));
  const roots = projects
    .filter((p) => p.config.root !== '.' && p.config.root !== '')
    .sort((a, b) => b.config.root.length - a.config.root.length);
  const ownerOf = (workspaceRelative: string): string | undefined =>
    roots.find((p) => workspaceRelative === p.config.root || workspaceRelative.startsWith(`${p.config.root}/`))?.name;

  beginReading(context.workspaceRoot);
  const { resolver } = staticIndex(context.workspaceRoot);
  const projectOfModule = (specifier: string, fromFile: string): string | undefined => {
    const file = resolver.resolve(specifier, fromFile);
    if (file) return ownerOf(path.relative(context.workspaceRoot, file).split(path.sep).join('/'));
    const parts = specifier.split('/');
    const pkg = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    if (byName.has(pkg)) return pkg;
    return context.externalNodes?.[`npm:${pkg}`] ? `npm:${pkg}` : undefined;
  };

  const pluginRoot = pluginSourceRoot(context.workspaceRoot);
  const pluginProject = pluginRoot
    ? ownerOf(pluginRoot)
    : context.externalNodes?.[`npm:${PLUGIN_PACKAGE}`]
      ? `npm:${PLUGIN_PACKAGE}`
      : undefined;

  const deps: RawProjectGraphDependency[] = [];
  for (const { name, config } of projects) {
    if (!isUnikernel(config)) continue;
    const sourceFile = `${config.root}/config.ts`;
    const configPath = path.join(context.workspaceRoot, sourceFile);
    let facts;
    try {
      facts = unikernelFacts(context.workspaceRoot, config.root);
    } catch {
      // A config.ts that does not parse gets its error from the configure step, where it is reported at its line.
      continue;
    }
    const targets = new Set<string>();
    for (const m of [...facts.implementationModules, ...facts.buildSteps.flatMap(buildStepImports)]) {
      const target = projectOfModule(m, configPath);
      if (target) targets.add(target);
    }
    for (const data of facts.dataPaths) {
      const owner = ownerOf(data);
      if (owner) targets.add(owner);
    }
    targets.delete(name);
    for (const target of [...targets].sort())
      deps.push({ source: name, target, type: DependencyType.static, sourceFile });
    if (pluginProject && pluginProject !== name)
      deps.push({ source: name, target: pluginProject, type: DependencyType.implicit });
  }
  return deps;
};

function isUnikernel(config: ProjectConfiguration): boolean {
  return config.tags?.includes(UNIKERNEL_TAG) ?? false;
}
