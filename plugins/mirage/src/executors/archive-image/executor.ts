import { logger, type ExecutorContext } from '@nx/devkit';
import { ArchiveSourceError, buildArchiveImage } from '@mirage-ts/kv/builder/archive-image';

import { evaluateConfig } from '../../configure/evaluate';
import { UserError } from '../../configure/user-error';
import { dataImagesOf, TAR_IMAGES } from '../lib/data-images';
import { projectOf, runStep } from '../lib/run-step';

/** MirageOS's archive_of_files: every tar image config.ts names, written from its folder. */
export default function archiveImageExecutor(_options: Record<string, never>, context: ExecutorContext) {
  return runStep(async () => {
    const project = projectOf(context);
    const evaluated = await evaluateConfig(project.workspaceRoot, project.projectRoot);
    for (const { dir, image } of dataImagesOf(evaluated, project, TAR_IMAGES)) {
      let summary;
      try {
        summary = buildArchiveImage(dir.abs, image.abs);
      } catch (e) {
        if (e instanceof ArchiveSourceError)
          throw new UserError(e.message, { fix: 'a tar image holds plain files and folders with paths ustar allows' });
        throw e;
      }
      logger.info(
        `Wrote ${image.rel} from ${dir.rel}: ustar, ${summary.files} file(s), ${summary.directories} folder(s), ${summary.bytes} bytes`,
      );
    }
    return true;
  });
}
