import { generateFiles, joinPathFragments, offsetFromRoot, type Tree } from '@nx/devkit';
import * as path from 'node:path';
import type { NormalizedOptions } from './normalize-options';

export function createFiles(tree: Tree, options: NormalizedOptions): void {
  if (tree.exists(options.directory) && tree.children(options.directory).length > 0) {
    throw new Error(
      `${options.directory} already exists. Choose another name, or remove ${options.directory} first; nothing was written.`,
    );
  }
  generateFiles(tree, path.join(__dirname, '..', 'files', options.template), options.directory, {
    ...options,
    tmpl: '',
  });
  // Every app gets its own tsconfig.json so that its typecheck target and the editor see it as a project.
  const baseConfig = tree.exists('tsconfig.base.json')
    ? joinPathFragments(offsetFromRoot(options.directory), 'tsconfig.base.json')
    : '';
  generateFiles(tree, path.join(__dirname, '..', 'common'), options.directory, { baseConfig, tmpl: '' });
}
