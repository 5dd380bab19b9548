import { console, defaultConsole, foreign, network, netif, register, tap0, type Target } from '@mirage-ts/mirage';
import { resolveGraph } from './resolve';

// The 2015 netif-forward config: console @-> network @-> network @-> job over netif "1" and netif "2".
const main = foreign('Unikernel.Main', [console, network, network]);

function configure(target: Target, registration = register('forward', [main(defaultConsole, netif('1'), netif('2'))])) {
  return resolveGraph({
    graph: registration.toGraph(),
    locations: new Map(),
    configFile: 'apps/forward/config.ts',
    registerAt: { file: 'apps/forward/config.ts' },
    project: 'forward',
    target,
    options: {},
  });
}

describe('two network interfaces', () => {
  it('on unix are the taps tap1 and tap2, each with its own run-time key', () => {
    const g = configure('unix');
    const [, n1, n2] = g.jobs[0].args.map((i) => g.devices[i]);
    expect(n1).toMatchObject({ symbol: 'TapNetif', args: [{ kind: 'runtime-key', key: 'interface-1' }] });
    expect(n2).toMatchObject({ symbol: 'TapNetif', args: [{ kind: 'runtime-key', key: 'interface-2' }] });
    const defaults = Object.fromEntries(g.runtimeKeys.map((k) => [k.name, k.default]));
    expect(defaults).toMatchObject({ 'interface-1': 'tap1', 'interface-2': 'tap2' });
  });

  it('in a VM are two NICs, in the order the config names them', () => {
    const g = configure('qemu');
    const [, n1, n2] = g.jobs[0].args.map((i) => g.devices[i]);
    expect(n1.args).toEqual([{ kind: 'resource', resource: { kind: 'network', name: '1' } }]);
    expect(n2.args).toEqual([{ kind: 'resource', resource: { kind: 'network', name: '2' } }]);
  });

  it('tap0 keeps the seed key --interface, and one interface named twice is one device', () => {
    const g = configure('unix', register('one', [main(defaultConsole, tap0, netif('tap0'))]));
    expect(g.jobs[0].args[1]).toBe(g.jobs[0].args[2]);
    expect(g.runtimeKeys.map((k) => k.name)).toContain('interface');
  });
});
