import { logger, type ExecutorContext } from '@nx/devkit';
import { buildFatImage } from '@mirage-ts/fat/builder/build-image';
import { SourceTreeError } from '@mirage-ts/fat/builder/source-tree';

import { evaluateConfig } from '../../configure/evaluate';
import { UserError } from '../../configure/user-error';
import { projectOf, runStep } from '../lib/run-step';
import { dataImagesOf, FAT_IMAGES } from '../lib/data-images';
import type { FatImageExecutorOptions } from './schema';

/** The seed's make-fat1-image.sh: every FAT image config.ts names, built from its folder. */
export default function fatImageExecutor(options: FatImageExecutorOptions, context: ExecutorContext) {
  return runStep(async () => {
    const project = projectOf(context);
    const evaluated = await evaluateConfig(project.workspaceRoot, project.projectRoot);
    const images = dataImagesOf(evaluated, project, FAT_IMAGES);
    for (const { dir, image } of images) {
      let summary;
      try {
        summary = buildFatImage(dir.abs, image.abs, { fatType: options.fatType });
      } catch (e) {
        if (e instanceof SourceTreeError)
          throw new UserError(e.message, { fix: 'FAT holds plain files and folders with names it allows' });
        throw e;
      }
      logger.info(
        `Wrote ${image.rel} from ${dir.rel}: FAT${summary.fatType}, ${summary.files} file(s), ${summary.directories} folder(s), ` +
          `${summary.clusterCount} clusters of ${summary.clusterBytes} bytes, ${summary.bytes} bytes`,
      );
    }
    return true;
  });
}
