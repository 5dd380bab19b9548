import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unikernelGenerator } from './generator';

const EXAMPLE = path.join(__dirname, '..', '..', '..', '..', '..', 'apps', 'block');

describe('the block template', () => {
  it('scaffolds the block example as it is in apps/block', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name: 'block' });
    for (const file of ['config.ts', 'unikernel.ts']) {
      expect(tree.read(`apps/block/${file}`, 'utf8')).toBe(fs.readFileSync(path.join(EXAMPLE, file), 'utf8'));
    }
  });

  it('gives an app of another name its own registration and disk-image command', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name: 'mydisk', template: 'block' });
    const config = tree.read('apps/mydisk/config.ts', 'utf8') ?? '';
    expect(config).toContain("export default register('mydisk', [main(defaultConsole, img)]);");
    expect(config).toContain('`npx nx run mydisk:disk-image`');
    expect(config).toContain("ifImpl(Key.isXen, blockOfFile('xvda1'), blockOfFile('disk.img'))");
  });
});
