/**
 * The layers below a Stackv4 (MirageOS V1's ETHIF, ARP, IPV4, ICMPV4 and UDPV4
 * module types), for code that wants to talk to one layer of a direct stack.
 * Addresses are the same strings as everywhere else (`10.0.0.2`,
 * `aa:bb:cc:dd:ee:ff`); payloads are the bytes after the layer's header.
 */
import type { Ipv4Address, MacAddress, NetError } from './network';
import type { Result } from './result';
import type { Udpv4, UdpCallback } from './stack';

/** IEEE EtherType numbers the stack knows by name. */
export type KnownEtherType = 0x0800 /* IPv4 */ | 0x0806 /* ARP */ | 0x86dd; /* IPv6 */

export interface EthernetHeader {
  readonly src: MacAddress;
  readonly dst: MacAddress;
  readonly etherType: number;
}

/** Receives a frame's payload; the bytes are only valid during the call. */
export type EthernetInput = (payload: Uint8Array, header: EthernetHeader) => void;

/** Ethernet framing over a Network (MirageOS V1.ETHIF). */
export interface Ethernet {
  readonly mac: MacAddress;
  /** Largest payload of one frame. */
  readonly mtu: number;
  /** Sends `payload` in one frame; a payload longer than `mtu` is refused with `too-big`. */
  write(dst: MacAddress, etherType: number, payload: Uint8Array): Promise<Result<void, NetError>>;
  /** Routes received frames of `etherType` to `input` (one input per type; a later call replaces it). */
  listen(etherType: number, input: EthernetInput): void;
  disconnect(): Promise<void>;
}

/** Address resolution (MirageOS V1.ARP). */
export interface Arp {
  /** The hardware address of `ip`, from the cache or by asking the link (with retries). */
  query(ip: Ipv4Address): Promise<Result<MacAddress, NetError>>;
  /** The addresses this host answers ARP requests for. */
  getIps(): Ipv4Address[];
  /** Replaces them, announcing each new one with a gratuitous ARP. */
  setIps(ips: readonly Ipv4Address[]): Promise<void>;
  addIp(ip: Ipv4Address): Promise<void>;
  removeIp(ip: Ipv4Address): void;
  disconnect(): Promise<void>;
}

/** An interface's IPv4 configuration. */
export interface Ipv4Config {
  readonly address: Ipv4Address;
  readonly netmask: Ipv4Address;
  /** The default router, or null for a link with no way off it. */
  readonly gateway: Ipv4Address | null;
}

/** What the IPv4 layer tells an upper layer about a datagram it delivers. */
export interface Ipv4Header {
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  readonly protocol: number;
  readonly ttl: number;
}

/** Receives a datagram's payload (reassembled when it came in fragments); valid only during the call. */
export type Ipv4Input = (payload: Uint8Array, header: Ipv4Header) => void;

export interface Ipv4WriteOptions {
  readonly ttl?: number;
  /** Refuse to fragment: a payload larger than one frame fails with `too-big`. */
  readonly dontFragment?: boolean;
}

/** IPv4 (MirageOS V1.IPV4): routing, fragmentation, reassembly. */
export interface Ipv4 {
  /** Sends one datagram of `protocol` (1 ICMP, 6 TCP, 17 UDP) to `dst`, in fragments when it does not fit one frame. */
  write(
    dst: Ipv4Address,
    protocol: number,
    payload: Uint8Array,
    options?: Ipv4WriteOptions,
  ): Promise<Result<void, NetError>>;
  /** Routes received datagrams of `protocol` to `input` (a later call replaces it). */
  listen(protocol: number, input: Ipv4Input): void;
  /** The source address a datagram to `dst` would carry. */
  source(dst: Ipv4Address): Ipv4Address;
  /** Null until an address is configured (e.g. while DHCP runs). */
  config(): Ipv4Config | null;
  setConfig(config: Ipv4Config | null): Promise<void>;
  /** Largest payload that fits one frame without fragmentation. */
  readonly mtu: number;
  disconnect(): Promise<void>;
}

export interface EchoReply {
  readonly from: Ipv4Address;
  readonly sequence: number;
  readonly ttl: number;
  readonly rttMs: number;
}

/** ICMP for IPv4 (MirageOS V1.ICMPV4): echo both ways, errors out. */
export interface Icmpv4 {
  /** Sends an echo request and waits for its reply (`timeout` after `timeoutMs`, default 1000). */
  echo(
    dst: Ipv4Address,
    options?: { sequence?: number; data?: Uint8Array; timeoutMs?: number },
  ): Promise<Result<EchoReply, NetError>>;
  /** Sends a raw ICMP message (type, code, checksum and body; the checksum is filled in). */
  write(dst: Ipv4Address, message: Uint8Array): Promise<Result<void, NetError>>;
}

/** UDP over IPv4 as a layer: the facade's Udpv4 plus its demultiplexer (MirageOS V1.UDPV4). */
export interface Udpv4Layer extends Udpv4 {
  /** Delivers every datagram to `port` to `callback`; `in-use` when the port already has one. */
  listen(port: number, callback: UdpCallback): Result<void, NetError>;
  unlisten(port: number): void;
}

/** What a DHCP server handed out. */
export interface DhcpLease {
  readonly address: Ipv4Address;
  readonly netmask: Ipv4Address;
  readonly gateway: Ipv4Address | null;
  readonly dns: readonly Ipv4Address[];
  readonly server: Ipv4Address;
  readonly leaseSeconds: number;
  /** When it was granted or last renewed, in ms since the Unix epoch. */
  readonly boundAtMs: number;
}
