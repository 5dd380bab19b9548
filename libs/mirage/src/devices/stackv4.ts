import { Key } from '../key';
import { ifImpl, impl, matchImpl, value, type Impl } from '../impl';
import { stackv4 } from './network';

type ConsoleImpl = Impl<'console'>;
type NetworkImpl = Impl<'network'>;

/**
 * `--net`: which IPv4 stack `genericStackv4` plugs in. As in MirageOS, the
 * host's own stack (socket) on unix and ours (direct) in a VM image unless
 * one is named.
 */
export const netKey = Key.create('net', {
  values: ['auto', 'socket', 'direct'],
  default: 'auto',
  doc: "The IPv4 stack: socket (the host's, through Node) or direct (Mirage/TS's own TCP/IP over a network interface); auto is socket on unix, direct in a VM image.",
});

/** `--dhcp`: whether the direct stack asks a DHCP server for its address instead of using --ipv4. */
export const dhcpKey = Key.bool('dhcp', {
  default: false,
  doc: 'Configure the direct stack with DHCP instead of --ipv4 and --ipv4-gateway.',
});

/** `--ipv4`: the direct stack's address and prefix when DHCP is off (the seed's default, 10.0.0.2/24). */
export const ipv4Key = Key.ipv4Prefix('ipv4', {
  default: '10.0.0.2/24',
  stage: 'runtime',
  doc: "The direct stack's IPv4 address and prefix length (without DHCP).",
});

/** `--ipv4-gateway`: the direct stack's default route when DHCP is off. */
export const ipv4GatewayKey = Key.ipv4('ipv4-gateway', {
  default: '10.0.0.1',
  stage: 'runtime',
  doc: "The direct stack's gateway (without DHCP).",
});

/**
 * The host's TCP/IP through Node's sockets (MirageOS `socket_stackv4`):
 * listeners bind `addresses`, every address of the host by default. In a
 * VM image (--net=socket) it is the guest kernel's TCP/IP, which the image's
 * init sets up on the NIC (by DHCP).
 */
export function socketStackv4(c: ConsoleImpl, addresses: readonly string[] = ['0.0.0.0']): Impl<'stackv4'> {
  return impl(stackv4, {
    label: 'socket stack',
    module: '@mirage-ts/socket-stack/stack',
    symbol: 'SocketStackv4',
    args: [c, value([...addresses])],
  });
}

export interface DirectStackOptions {
  /** A boolean, or a configure-time key such as `dhcpKey` (the default). */
  readonly dhcp?: boolean | Key<boolean>;
}

/**
 * Mirage/TS's own TCP/IP over a network interface (MirageOS
 * `direct_stackv4`): configured by DHCP, or statically from the run-time
 * keys --ipv4 and --ipv4-gateway.
 */
export function directStackv4(c: ConsoleImpl, net: NetworkImpl, options: DirectStackOptions = {}): Impl<'stackv4'> {
  const dhcp = options.dhcp ?? dhcpKey;
  return impl(stackv4, {
    label: 'direct stack',
    module: '@mirage-ts/tcpip/stack',
    symbol: 'DirectStackv4',
    args: [c, net, typeof dhcp === 'boolean' ? value(dhcp) : dhcp, ipv4Key, ipv4GatewayKey],
  });
}

export interface StaticIpv4Config {
  /** The address (`10.0.0.2`), netmask (`255.255.255.0`) and gateway (`10.0.0.1`, or '' for none): values or keys. */
  readonly address: string | Key<string>;
  readonly netmask: string | Key<string>;
  readonly gateway: string | Key<string>;
}

/**
 * Mirage/TS's own TCP/IP over `net` with an address, netmask and gateway
 * given apart (MirageOS `direct_stackv4_with_static_ipv4`). With run-time
 * keys they come from the command line on unix and from the kernel command
 * line in a VM image (xen/static_website+ip's `ip=... netmask=... gateway=...`).
 */
export function directStackv4WithStaticIpv4(
  c: ConsoleImpl,
  net: NetworkImpl,
  config: StaticIpv4Config,
): Impl<'stackv4'> {
  const arg = (v: string | Key<string>) => (typeof v === 'string' ? value(v) : v);
  const name = (v: string | Key<string>, fallback: string) => (typeof v === 'string' ? fallback : v.decl.name);
  return impl(stackv4, {
    label: 'direct stack (static IPv4)',
    module: '@mirage-ts/tcpip/static-stack',
    symbol: 'StaticDirectStackv4',
    args: [
      c,
      net,
      arg(config.address),
      arg(config.netmask),
      arg(config.gateway),
      value({
        address: name(config.address, 'address'),
        netmask: name(config.netmask, 'netmask'),
        gateway: name(config.gateway, 'gateway'),
      }),
    ],
  });
}

/**
 * MirageOS's `generic_stackv4 console tap0`: the socket stack or the direct
 * stack over `net`, chosen at configure time by --net (and --dhcp for the
 * direct one), so the unikernel is the same for both.
 */
export function genericStackv4(c: ConsoleImpl, net: NetworkImpl): Impl<'stackv4'> {
  const socket = socketStackv4(c);
  const direct = directStackv4(c, net);
  return matchImpl(netKey, { socket, direct, auto: ifImpl(Key.isVm, direct, socket) });
}
