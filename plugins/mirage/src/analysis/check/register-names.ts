import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatLocation, UserError } from '../../configure/user-error';
import { ConfigSource } from './config-source';

export interface SiblingUnikernel {
  readonly project: string;
  /** Workspace-relative folder. */
  readonly root: string;
}

/**
 * The registered name becomes the program (`mir-NAME`) and the VM's domain
 * name, so two unikernels of one workspace may not share it: `xl create`
 * refuses a second domain of the same name.
 */
export function checkRegisterName(config: ConfigSource, name: string, ownRoot: string, siblings: readonly SiblingUnikernel[]): void {
  const own = config.registerName();
  for (const s of siblings) {
    if (path.normalize(s.root) === path.normalize(ownRoot)) continue;
    const file = path.join(s.root, 'config.ts');
    if (!fs.existsSync(path.join(config.workspaceRoot, file))) continue;
    const other = new ConfigSource(config.workspaceRoot, file).registerName();
    if (other?.name !== name) continue;
    throw new UserError(`register name '${name}' is already used by ${formatLocation({ file, line: other.at.line })} (project ${s.project})`, {
      at: own?.at ?? { file: config.configFile },
      fix: `give this unikernel a name of its own, e.g. register('${path.basename(ownRoot)}', ...); it names the program mir-NAME and the VM`,
    });
  }
}
