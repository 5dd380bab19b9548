import { logger, type ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { readResolvedGraph } from '../../configure/resolved-graph';
import { chosenTarget } from '../../pipeline/chosen-target';
import { artifactDir, GRAPH_FILE } from '../../pipeline/paths';
import { nxLogger, projectOf, runStep, splitOptions } from '../lib/run-step';
import type { RunExecutorOptions } from './schema';

/**
 * Runs what the build (a dependency of this task, given the same flags)
 * produced. Run-time keys go to the unikernel as flags; configure-time keys
 * were already applied by the build.
 */
export default function runExecutor(options: RunExecutorOptions, context: ExecutorContext) {
  return runStep(async () => {
    const target = chosenTarget();
    const project = projectOf(context);
    const outDir = artifactDir(project.workspaceRoot, project.project, target.name);
    const graph = readResolvedGraph(path.join(outDir, GRAPH_FILE));
    const { keyOptions, targetOptions } = splitOptions(options, target);
    const args: string[] = [];
    for (const key of graph.runtimeKeys) {
      const camel = key.name.replace(/[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      const given = keyOptions[key.name] ?? keyOptions[camel];
      if (given !== undefined) args.push(`--${key.name}=${String(given)}`);
    }
    const status = await target.run({ ...project, outDir, graph, args, options: targetOptions, logger: nxLogger });
    if (status !== 0) logger.error(`mir-${graph.name} exited with status ${status}`);
    return status === 0;
  });
}
