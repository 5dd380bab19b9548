import { contributedTargets } from './contributed-targets';

describe('the disk-image target', () => {
  it('is given to unikernels that open block files, and only to them', () => {
    const block = contributedTargets({
      name: 'block',
      root: 'apps/block',
      configSource: "ifImpl(Key.isXen, blockOfFile('xvda1'), blockOfFile('disk.img'))",
    });
    expect(block['disk-image']).toMatchObject({ executor: '@mirage-ts/nx-plugin:disk-image', cache: false });
    expect(block['disk-image'].metadata?.help?.command).toMatch(/^npx nx run block:disk-image /);
    expect(
      contributedTargets({ name: 'console', root: 'apps/console', configSource: 'main(defaultConsole)' })['disk-image'],
    ).toBeUndefined();
  });
});
