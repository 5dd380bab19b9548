import {
  console,
  defaultConsole,
  directStackv4,
  foreign,
  genericStackv4,
  register,
  socketStackv4,
  stackv4,
  tap0,
  type Target,
} from '@mirage-ts/mirage';
import { resolveGraph } from './resolve';
import type { ResolvedGraph } from './resolved-graph';

// The seed's stackv4 config: console @-> stackv4 @-> job over generic_stackv4 default_console tap0.
const handler = foreign('Unikernel.Main', [console, stackv4]);
const seed = register('stackv4', [handler(defaultConsole, genericStackv4(defaultConsole, tap0))]);

function configure(target: Target, options: Record<string, unknown>, registration = seed): ResolvedGraph {
  return resolveGraph({
    graph: registration.toGraph(),
    locations: new Map(),
    configFile: 'apps/stackv4/config.ts',
    registerAt: { file: 'apps/stackv4/config.ts' },
    project: 'stackv4',
    target,
    options,
  });
}

const stackOf = (g: ResolvedGraph) => g.devices[g.jobs[0].args[1]];

describe('genericStackv4', () => {
  it('is the socket stack on unix, by default and with --net=socket', () => {
    for (const options of [{}, { net: 'socket' }]) {
      const g = configure('unix', options);
      expect(stackOf(g)).toMatchObject({
        module: '@mirage-ts/socket-stack/stack',
        symbol: 'SocketStackv4',
        args: [
          { kind: 'device', device: g.jobs[0].args[0] },
          { kind: 'value', value: ['0.0.0.0'] },
        ],
      });
      // The console is shared with the job, connected once.
      expect(g.devices.map((d) => d.symbol)).toEqual(['StdioConsole', 'SocketStackv4']);
    }
  });

  it('is the direct stack over the tap device with --net=direct, connected as DirectStackv4.connect(console, network, dhcp, ipv4, gateway)', () => {
    for (const dhcp of [false, true]) {
      const g = configure('unix', { net: 'direct', dhcp });
      const stack = stackOf(g);
      expect(stack).toMatchObject({ module: '@mirage-ts/tcpip/stack', symbol: 'DirectStackv4' });
      expect(stack.args).toEqual([
        { kind: 'device', device: g.jobs[0].args[0] },
        { kind: 'device', device: expect.any(Number) },
        { kind: 'value', value: dhcp },
        { kind: 'runtime-key', key: 'ipv4' },
        { kind: 'runtime-key', key: 'ipv4-gateway' },
      ]);
      const net = g.devices[(stack.args[1] as { device: number }).device];
      expect(net).toMatchObject({
        module: '@mirage-ts/netif/tap',
        symbol: 'TapNetif',
        args: [{ kind: 'runtime-key', key: 'interface' }],
      });
      expect(
        g.runtimeKeys
          .filter((k) => ['ipv4', 'ipv4-gateway', 'interface'].includes(k.name))
          .map((k) => [k.name, k.default]),
      ).toEqual([
        ['interface', 'tap0'],
        ['ipv4', '10.0.0.2/24'],
        ['ipv4-gateway', '10.0.0.1'],
      ]);
    }
  });

  it('is the direct stack over the guest NIC in a VM image unless told otherwise', () => {
    const g = configure('xen', { dhcp: true });
    expect(stackOf(g).symbol).toBe('DirectStackv4');
    expect(g.devices.map((d) => d.symbol)).toContain('PacketNetif');
    // --net=socket in a VM image is the guest kernel's stack (the image's init configures the NIC).
    expect(stackOf(configure('qemu', { net: 'socket' })).symbol).toBe('SocketStackv4');
  });

  it('refuses a --net value outside socket|direct|auto and a non-boolean --dhcp', () => {
    expect(() => configure('unix', { net: 'tuntap' })).toThrow(
      "'tuntap' is not a valid value for --net: expected one of auto, socket, direct",
    );
    expect(() => configure('unix', { dhcp: 'maybe' })).toThrow(
      "'maybe' is not a valid value for --dhcp: expected true or false",
    );
  });

  it('lets --ipv4 and --ipv4-gateway given at build time become the defaults', () => {
    const g = configure('unix', { net: 'direct', ipv4: '192.168.7.2/16', 'ipv4-gateway': '192.168.0.1' });
    const defaults = Object.fromEntries(g.runtimeKeys.map((k) => [k.name, k.default]));
    expect(defaults).toMatchObject({ ipv4: '192.168.7.2/16', 'ipv4-gateway': '192.168.0.1' });
    expect(() => configure('unix', { ipv4: '10.0.0.2' })).toThrow("'10.0.0.2' is not a valid value for --ipv4");
  });
});

describe('socketStackv4 and directStackv4', () => {
  it('take the addresses to bind, and a fixed dhcp choice', () => {
    const main = register('s', [handler(defaultConsole, socketStackv4(defaultConsole, ['127.0.0.1']))]);
    expect(stackOf(configure('unix', {}, main)).args[1]).toEqual({ kind: 'value', value: ['127.0.0.1'] });
    const direct = register('d', [handler(defaultConsole, directStackv4(defaultConsole, tap0, { dhcp: true }))]);
    const g = configure('unix', {}, direct);
    expect(stackOf(g).args[2]).toEqual({ kind: 'value', value: true });
    expect(g.configureKeys).not.toHaveProperty('dhcp');
  });
});
