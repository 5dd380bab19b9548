import { logger, type ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { chosenTarget } from '../../pipeline/chosen-target';
import { configureUnikernel } from '../../pipeline/configure-step';
import { artifactDir, GRAPH_FILE, MAIN_TS } from '../../pipeline/paths';
import { replaceDirWhenDone } from '../../pipeline/staging';
import { projectOf, runStep, splitOptions } from '../lib/run-step';
import type { ConfigureExecutorOptions } from './schema';

/** `mirage configure -t TARGET`: writes main.ts and graph.json, nothing else. */
export default function configureExecutor(options: ConfigureExecutorOptions, context: ExecutorContext) {
  return runStep(async () => {
    const target = chosenTarget();
    const project = projectOf(context);
    const { keyOptions } = splitOptions(options, target);
    const outDir = artifactDir(project.workspaceRoot, project.project, target.name);
    const graph = await replaceDirWhenDone(outDir, (writeDir) =>
      configureUnikernel({ ...project, target, keyOptions, outDir, writeDir }),
    );
    const rel = (f: string) => path.relative(project.workspaceRoot, path.join(outDir, f));
    logger.info(
      `Configured ${graph.name} for ${target.name}: ${graph.devices.length} device(s), ${graph.jobs.length} job(s)`,
    );
    logger.info(`  ${rel(MAIN_TS)}\n  ${rel(GRAPH_FILE)}`);
    return true;
  });
}
