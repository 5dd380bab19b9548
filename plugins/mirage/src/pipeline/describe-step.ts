import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedGraph } from '../configure/resolved-graph';
import { describeGraph } from '../describe/describe-text';
import { graphToDot } from '../describe/dot';
import { renderSvg } from '../describe/graphviz';
import type { UnikernelTarget } from '../targets/target';
import type { UnikernelProject } from './configure-step';
import { resolveUnikernel } from './resolve-step';

export interface DescribeRequest extends UnikernelProject {
  readonly target: UnikernelTarget;
  readonly keyOptions: Readonly<Record<string, unknown>>;
}

export interface Description {
  readonly graph: ResolvedGraph;
  readonly text: string;
  readonly dot: string;
  /** Absolute paths written. */
  readonly dotFile: string;
  readonly svgFile: string | undefined;
}

/** dist/apps/<project>/describe/<target>.dot: beside the build outputs, never inside them. */
export function describeDir(workspaceRoot: string, project: string): string {
  return path.join(workspaceRoot, 'dist', 'apps', project, 'describe');
}

/**
 * `mirage describe`: the graph config.ts resolves to for a target and keys,
 * without the start() checks or bundling, so a unikernel that does not
 * build yet can still be looked at.
 */
export async function describeUnikernel(req: DescribeRequest): Promise<Description> {
  const graph = await resolveUnikernel(req);
  const dir = describeDir(req.workspaceRoot, req.project);
  fs.mkdirSync(dir, { recursive: true });
  const dot = graphToDot(graph);
  const dotFile = path.join(dir, `${graph.target}.dot`);
  const svgFile = path.join(dir, `${graph.target}.svg`);
  fs.writeFileSync(dotFile, dot);
  fs.rmSync(svgFile, { force: true });
  const rendered = await renderSvg(dotFile, svgFile);
  return { graph, text: describeGraph(graph), dot, dotFile, svgFile: rendered ? svgFile : undefined };
}
