/**
 * What is published: the plugin and every library under libs/ (the DSL, the
 * signatures, the device libraries, whichever exist). Each becomes
 * dist/packages/<dir>/, laid out like its project folder (src/ compiled to
 * JavaScript and declarations, other files such as a native addon's sources
 * copied), so relative paths inside a library hold once installed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PackageSource {
  /** npm name, e.g. @mirage-ts/console. */
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Workspace-relative project folder (libs/console, plugins/mirage). */
  readonly root: string;
  /** dist/packages/<dir>. */
  readonly dir: string;
  /** Whether `@name/<module>` subpaths are public (libraries) or the package is loaded by its own json files (the plugin). */
  readonly subpaths: boolean;
  /** Extra package.json fields kept from the project's own package.json. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Folders that hold tests' helpers, never published. */
export const UNPUBLISHED_DIRS = new Set(['testing', 'test-helpers', 'test-fixtures', '__tests__', 'node_modules']);

/**
 * Whether a file of a project (path relative to its folder) goes into its
 * package. Outside src/, a `build` folder is build output (a native addon's,
 * which its installer builds again).
 */
export function isPublished(relativePath: string): boolean {
  const parts = relativePath.split(path.sep);
  if (parts.some((p) => UNPUBLISHED_DIRS.has(p))) return false;
  if (parts[0] !== 'src' && parts.includes('build')) return false;
  return !/\.(spec|bench)\.[cm]?[jt]s$/.test(relativePath);
}

export function discoverPackages(workspaceRoot: string): PackageSource[] {
  const found: PackageSource[] = [];
  const add = (root: string, dir: string, subpaths: boolean) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(workspaceRoot, root, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const {
      name,
      version,
      description,
      main: _main,
      ...extra
    } = pkg as { name: string; version: string; description?: string; main?: string };
    found.push({
      name,
      version,
      description: description ?? '',
      root,
      dir: path.join('dist', 'packages', dir),
      subpaths,
      extra,
    });
  };
  add('plugins/mirage', 'nx-plugin', false);
  for (const lib of fs.readdirSync(path.join(workspaceRoot, 'libs')).sort()) {
    const manifest = path.join(workspaceRoot, 'libs', lib, 'package.json');
    if (fs.existsSync(manifest) && fs.existsSync(path.join(workspaceRoot, 'libs', lib, 'src')))
      add(path.join('libs', lib), lib, true);
  }
  return found;
}
