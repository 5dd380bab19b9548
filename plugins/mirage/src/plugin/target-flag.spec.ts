import { unikernelTargetFromArgv } from './target-flag';

const argv = (...args: string[]) => ['/usr/bin/node', '/repo/node_modules/.bin/nx', ...args];

describe('the unikernel target on an Nx command line', () => {
  it.each([
    [['build', 'console', '--target=xen'], 'xen'],
    [['build', 'console', '--target', 'qemu'], 'qemu'],
    [['run', 'console:build', '--target=xen'], 'xen'],
    [['run', 'console:run', '-t', 'qemu', '--net=direct'], 'qemu'],
    [['build', 'console', '-t=unix'], 'unix'],
    [['build', 'console', '--target=vmware'], 'vmware'],
    [['build', 'console'], undefined],
    [['build', 'console', '--', '--target=xen'], undefined],
  ])('nx %j -> %s', (args, expected) => {
    expect(unikernelTargetFromArgv(argv(...args))).toBe(expected);
  });

  it.each([
    [['affected', '-t', 'build']],
    [['affected', '--target=build']],
    [['run-many', '--target', 'build', '--all']],
  ])('leaves nx %j alone: there --target selects Nx tasks', (args) => {
    expect(unikernelTargetFromArgv(argv(...args))).toBeUndefined();
  });
});
