import { keyLocator } from '../analysis/key-locator';
import { evaluateConfig } from '../configure/evaluate';
import { resolveGraph } from '../configure/resolve';
import type { ResolvedGraph } from '../configure/resolved-graph';
import type { UnikernelTarget } from '../targets/target';
import type { UnikernelProject } from './configure-step';

export interface ResolveRequest extends UnikernelProject {
  readonly target: UnikernelTarget;
  /** Key flags (`net: 'direct'`), without the executor's own options. */
  readonly keyOptions: Readonly<Record<string, unknown>>;
}

/**
 * Runs config.ts and resolves its device graph for a target and keys: the
 * first half of every step that looks at a unikernel (configure, describe,
 * disk-image), so all of them choose the same devices and report mistakes
 * at the same places.
 */
export async function resolveUnikernel(req: ResolveRequest): Promise<ResolvedGraph> {
  const evaluated = await evaluateConfig(req.workspaceRoot, req.projectRoot);
  return resolveGraph({
    graph: evaluated.graph,
    locations: evaluated.locations,
    configFile: evaluated.configFile,
    registerAt: evaluated.registerAt,
    project: req.project,
    target: req.target.name,
    options: req.keyOptions,
    locateKey: keyLocator(req.workspaceRoot, evaluated.configFile),
  });
}
