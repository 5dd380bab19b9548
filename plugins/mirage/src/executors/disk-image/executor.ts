import { logger, type ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { UserError } from '../../configure/user-error';
import { blockFiles, imagePath, writeImage } from '../../disk-image/disk-images';
import { describeSize, imageSize } from '../../disk-image/image-size';
import { chosenTarget } from '../../pipeline/chosen-target';
import { resolveUnikernel } from '../../pipeline/resolve-step';
import { projectOf, runStep, splitOptions } from '../lib/run-step';
import type { DiskImageExecutorOptions } from './schema';

const OWN_OPTIONS = new Set(['sectors', 'sectorSize', 'size', 'force']);

/**
 * `npx nx run block:disk-image`: creates the images of the block files that
 * config.ts opens for the chosen target and keys, beside config.ts.
 */
export default function diskImageExecutor(options: DiskImageExecutorOptions, context: ExecutorContext) {
  return runStep(async () => {
    const target = chosenTarget();
    const project = projectOf(context);
    const size = imageSize(options);
    const unikernelOptions = Object.fromEntries(Object.entries(options).filter(([k]) => !OWN_OPTIONS.has(k)));
    const { keyOptions } = splitOptions(unikernelOptions, target);

    const graph = await resolveUnikernel({ ...project, target, keyOptions });
    const files = blockFiles(graph);
    if (files.length === 0) {
      throw new UserError(
        `${graph.configFile} opens no block file for target ${target.name} with these keys, so there is no image to create`,
        {
          at: { file: graph.configFile },
          fix: 'give the --target and keys that choose a blockOfFile(...) device',
        },
      );
    }
    for (const file of files) {
      const full = imagePath(project.workspaceRoot, project.projectRoot, file);
      const shown = path.relative(project.workspaceRoot, full);
      const outcome = writeImage(full, size, { force: options.force === true, shown });
      if (outcome === 'kept')
        logger.info(`${shown} already exists with ${describeSize(size)}; kept it (--force replaces it with zeros).`);
      else logger.info(`${outcome === 'created' ? 'Created' : 'Replaced'} ${shown}: ${describeSize(size)}, all zeros.`);
    }
    return true;
  });
}
