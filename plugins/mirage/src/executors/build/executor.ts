import { logger, type ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { buildUnikernel } from '../../pipeline/build-step';
import { chosenTarget } from '../../pipeline/chosen-target';
import { artifactDir } from '../../pipeline/paths';
import { nxLogger, projectOf, runStep, splitOptions } from '../lib/run-step';
import type { BuildExecutorOptions } from './schema';

/** `mirage configure -t TARGET && make`: the artifact in dist/apps/<project>/<target>. */
export default function buildExecutor(options: BuildExecutorOptions, context: ExecutorContext) {
  return runStep(async () => {
    const target = chosenTarget();
    const project = projectOf(context);
    const { keyOptions, targetOptions } = splitOptions(options, target);
    const graph = await buildUnikernel({ ...project, target, keyOptions, targetOptions, logger: nxLogger });
    const outDir = path.relative(
      project.workspaceRoot,
      artifactDir(project.workspaceRoot, project.project, target.name),
    );
    logger.info(`Built ${graph.name} for ${target.name} in ${outDir}`);
    return true;
  });
}
