import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The tsconfig whose path aliases resolve `@mirage-ts/...` imports in this
 * workspace. A workspace that installs the packages from npm has none, and
 * then imports resolve through node_modules.
 */
export function workspaceTsconfig(workspaceRoot: string): string | undefined {
  for (const name of ['tsconfig.base.json', 'tsconfig.json']) {
    const file = path.join(workspaceRoot, name);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}
