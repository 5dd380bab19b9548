/**
 * What is published: the plugin and every library under libs/ (the DSL, the
 * signatures, the device libraries, whichever exist). Each becomes a folder
 * under dist/packages/<dir>/ holding compiled JavaScript and declarations.
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
  /** Folder of its TypeScript sources. */
  readonly srcDir: string;
  /** Where the compiled sources land inside the package: '' (libs: `@mirage-ts/console/stdio`) or 'src' (the plugin, whose json files name ./src/...). */
  readonly layout: '' | 'src';
  /** dist/packages/<dir>. */
  readonly dir: string;
  /** Extra package.json fields kept from the project's own package.json. */
  readonly extra: Readonly<Record<string, unknown>>;
}

export function discoverPackages(workspaceRoot: string): PackageSource[] {
  const found: PackageSource[] = [];
  const add = (root: string, layout: '' | 'src', dir: string) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(workspaceRoot, root, 'package.json'), 'utf8')) as Record<string, unknown>;
    const { name, version, description, main: _main, ...extra } = pkg as { name: string; version: string; description?: string; main?: string };
    found.push({ name, version, description: description ?? '', root, srcDir: path.join(root, 'src'), layout, dir: path.join('dist', 'packages', dir), extra });
  };
  add('plugins/mirage', 'src', 'nx-plugin');
  for (const lib of fs.readdirSync(path.join(workspaceRoot, 'libs')).sort()) {
    const manifest = path.join(workspaceRoot, 'libs', lib, 'package.json');
    if (fs.existsSync(manifest) && fs.existsSync(path.join(workspaceRoot, 'libs', lib, 'src'))) add(path.join('libs', lib), '', lib);
  }
  return found;
}
