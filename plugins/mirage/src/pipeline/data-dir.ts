import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedDevice } from '../configure/resolved-graph';
import { UserError } from '../configure/user-error';

/**
 * The host folder a device names (`crunch('t')`, `fatOfFiles('t')`),
 * relative to the app folder. It must lie inside the app folder: that is
 * what the build's cache inputs cover, so a change to the data rebuilds.
 */
export function dataDirOf(
  device: ResolvedDevice,
  dir: unknown,
  workspaceRoot: string,
  projectRoot: string,
): { abs: string; rel: string } {
  const appDir = path.join(workspaceRoot, projectRoot);
  const at = device.at;
  if (typeof dir !== 'string' || dir === '') {
    throw new UserError(`${device.label} names no directory`, {
      at,
      fix: `name a folder of ${projectRoot}, e.g. crunch('t')`,
    });
  }
  const abs = path.resolve(appDir, dir);
  const rel = path.relative(appDir, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new UserError(`${device.label}: '${dir}' is outside ${projectRoot}`, {
      at,
      fix: `move the data into ${projectRoot} (data folders are named relative to it, so that changing them rebuilds the unikernel)`,
    });
  }
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
    throw new UserError(`${device.label}: the directory ${path.join(projectRoot, rel)} does not exist`, {
      at,
      fix: `create ${path.join(projectRoot, rel)} with the files the store should hold, or correct the name`,
    });
  }
  return { abs, rel: path.join(projectRoot, rel).split(path.sep).join('/') };
}
