import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unikernelGenerator } from './generator';

const APPS = path.join(__dirname, '..', '..', '..', '..', '..', 'apps');

describe.each(['kv_ro_crunch', 'kv_ro'])('the %s template', (example) => {
  it('scaffolds the example as it is in apps/, data folder included', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name: example });
    for (const file of ['config.ts', 'unikernel.ts', 't/a', 't/b']) {
      expect(tree.read(`apps/${example}/${file}`, 'utf8')).toBe(
        fs.readFileSync(path.join(APPS, example, file), 'utf8'),
      );
    }
  });

  it('gives an app of another name its own registration', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name: 'store', template: example });
    const config = tree.read('apps/store/config.ts', 'utf8') ?? '';
    expect(config).toMatch(
      /export default register\('store', \[main\(defaultConsole, disk1?, disk2?\)\], \{ keys: \[count\] \}\);/,
    );
    if (example === 'kv_ro') expect(config).toContain('`npx nx run store:fat-image`');
    expect(tree.read('apps/store/t/a', 'utf8')).toBe('foo\n');
  });
});
