/**
 * The direct TCP/IP stack: `wire/` (formats), one module per protocol layer
 * above it, and the Stackv4 facade in `stack.ts` (`@mirage-ts/tcpip/stack`).
 */
export * as wire from './wire';
export { DropCounters } from './drops';
export { consoleLog, silentLog, type Log } from './log';
export { EthernetLayer } from './ethernet';
export { ArpLayer, type ArpOptions } from './arp';
export { Ipv4Layer, type Ipv4Options } from './ipv4';
export { Reassembler, type ReassemblyOptions } from './reassembly';
export { Icmpv4Layer, type Icmpv4Options } from './icmpv4';
export type { IcmpErrorReport, IpHeader, IpNetwork, TransportIcmp } from './ip';
export { Ipv6Layer, Ipv6Header, type Ipv6Options, type Ipv6Status } from './ipv6';
export { Icmpv6Layer, type Icmpv6Options } from './icmpv6';
export { NeighborCache, type NeighborOptions } from './ndp';
export { UdpLayer } from './udp';
export { TcpLayer, type TcpStats } from './tcp/layer';
export { type TcpSettings } from './tcp/config';
export { DhcpClient, type DhcpClientOptions } from './dhcp-client';
export { DirectStackv4, type DirectStackOptions } from './stack';
export * as layers from './layers';
