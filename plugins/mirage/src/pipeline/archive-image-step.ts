import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../configure/user-error';
import { registerBuildStep } from './build-steps';
import { dataDirOf } from './data-dir';

/**
 * `archiveOfFiles('htdocs')`: the image is made by `nx run <app>:archive-image`;
 * configuring checks that the folder exists and the image has been made, so a
 * missing image is reported now and not when the unikernel connects its disk.
 */
registerBuildStep('archive-image', async (device, options, ctx) => {
  dataDirOf(device, options.dir, ctx.workspaceRoot, ctx.projectRoot);
  const image = String(options.image);
  const file = path.join(ctx.workspaceRoot, ctx.projectRoot, image);
  if (!fs.existsSync(file)) {
    throw new UserError(`${device.label}: ${path.join(ctx.projectRoot, image)} does not exist yet`, {
      at: device.at,
      fix: `make it first: npx nx run ${ctx.project}:archive-image`,
    });
  }
});
