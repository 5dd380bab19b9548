import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readJson, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import * as path from 'node:path';
import { initGenerator } from './generator';
import { RUNTIME_PACKAGES } from './lib/add-packages';
import { discoverPackages } from '../../packaging/packages';
import pluginManifest from '../../../package.json';

const WORKSPACE = path.resolve(__dirname, '../../../../..');

describe('nx g @mirage-ts/nx-plugin:init', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    tree.write('tsconfig.base.json', '{ "compilerOptions": {} }\n');
  });

  const devDependencies = () => readJson(tree, 'package.json').devDependencies as Record<string, string>;

  it('registers the plugin in nx.json and turns on import edges', async () => {
    await initGenerator(tree, { skipInstall: true });
    const nxJson = readNxJson(tree);
    expect(nxJson?.plugins).toContain('@mirage-ts/nx-plugin');
    expect(nxJson?.pluginsConfig?.['@nx/js']).toEqual({ analyzeSourceFiles: true });
  });

  it('changes nothing when run again, and keeps the object form of a registration', async () => {
    const nxJson = readNxJson(tree) ?? {};
    updateNxJson(tree, {
      ...nxJson,
      plugins: [{ plugin: '@mirage-ts/nx-plugin', options: {} }],
      pluginsConfig: { '@nx/js': { analyzeSourceFiles: false } },
    });
    await initGenerator(tree, { skipInstall: true });
    const once = { nx: tree.read('nx.json', 'utf8'), pkg: tree.read('package.json', 'utf8') };
    await initGenerator(tree, { skipInstall: true });
    expect({ nx: tree.read('nx.json', 'utf8'), pkg: tree.read('package.json', 'utf8') }).toEqual(once);
    const after = readNxJson(tree);
    expect(after?.plugins).toEqual([{ plugin: '@mirage-ts/nx-plugin', options: {} }]);
    // A choice the workspace made stays.
    expect(after?.pluginsConfig?.['@nx/js']).toEqual({ analyzeSourceFiles: false });
  });

  it('adds the DSL, the signatures and the device libraries at the version of the plugin, and typescript 5.9', async () => {
    await initGenerator(tree, { skipInstall: true });
    const deps = devDependencies();
    for (const p of RUNTIME_PACKAGES) expect(deps[p]).toBe(pluginManifest.version);
    expect(deps.typescript).toBe('~5.9.3');
  });

  it('keeps versions and a typescript the workspace already has', async () => {
    tree.write(
      'package.json',
      JSON.stringify({ name: 'x', devDependencies: { typescript: '5.8.2', '@mirage-ts/console': '0.0.9' } }),
    );
    await initGenerator(tree, { skipInstall: true });
    expect(devDependencies()).toMatchObject({ typescript: '5.8.2', '@mirage-ts/console': '0.0.9' });
  });

  it('adds no package that the workspace holds as sources behind a tsconfig path', async () => {
    tree.write(
      'tsconfig.base.json',
      JSON.stringify({ compilerOptions: { paths: { '@mirage-ts/mirage': ['libs/mirage/src/index.ts'] } } }),
    );
    await initGenerator(tree, { skipInstall: true });
    expect(devDependencies()['@mirage-ts/mirage']).toBeUndefined();
    expect(devDependencies()['@mirage-ts/types']).toBe(pluginManifest.version);
  });

  it('lists every library that is packaged', () => {
    const packaged = discoverPackages(WORKSPACE)
      .map((p) => p.name)
      .filter((n) => n !== '@mirage-ts/nx-plugin')
      .sort();
    expect([...RUNTIME_PACKAGES].sort()).toEqual(packaged);
  });
});
