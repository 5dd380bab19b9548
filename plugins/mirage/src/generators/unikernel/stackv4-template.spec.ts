import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unikernelGenerator } from './generator';

const APP = path.resolve(__dirname, '../../../../../apps/stackv4');

describe('the stackv4 template', () => {
  it('scaffolds the stackv4 example as it is in apps/stackv4', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name: 'stackv4' });
    for (const file of ['config.ts', 'unikernel.ts']) {
      expect(tree.read(`apps/stackv4/${file}`, 'utf8')).toBe(fs.readFileSync(path.join(APP, file), 'utf8'));
    }
  });

  it('registers an app scaffolded under another name by that name', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name: 'echo', template: 'stackv4' });
    const config = tree.read('apps/echo/config.ts', 'utf8') ?? '';
    expect(config).toContain("register('echo', [handler(defaultConsole, stack)]");
    expect(config).toContain('genericStackv4(defaultConsole, tap0)');
  });
});
