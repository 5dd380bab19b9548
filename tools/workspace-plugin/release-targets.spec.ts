import * as path from 'node:path';
import { discoverPackages } from '../../plugins/mirage/src/packaging/packages';
import { releaseTargets } from './release-targets';

const ROOT = path.resolve(__dirname, '..', '..');

describe('nx-release-publish targets', () => {
  it('publish each packaged folder, after the packages are made', () => {
    for (const p of discoverPackages(ROOT)) {
      const target = releaseTargets(ROOT, p.root)['nx-release-publish'];
      expect(target?.options.command).toBe(`node -r @swc-node/register tools/release/publish.ts --dir ${p.dir}`);
      expect(target?.dependsOn).toEqual([{ projects: ['@mirage-ts/nx-plugin'], target: 'package' }]);
      expect(target?.cache).toBe(false);
    }
  });

  it('are not given to apps, tools or the test helpers', () => {
    for (const root of ['apps/console', 'tools', 'tools/testing', 'libs', '.'])
      expect(releaseTargets(ROOT, root)).toEqual({});
  });
});
