import type { NetError, Result } from '@mirage-ts/types';
import type { IpAddress } from './wire/address';

/**
 * What UDP and TCP need from the network layer below them, whichever the
 * family: IPv4 (addresses are numbers) or IPv6 (bigints). One UdpLayer or
 * TcpLayer is built per network layer, as MirageOS applies `Udp.Make` to
 * either `Ipv4` or `Ipv6`.
 */
export interface IpHeader {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** The upper-layer protocol (after any IPv6 extension headers). */
  readonly protocol: number;
  readonly ttl: number;
  /**
   * The interface vouched for this packet's transport checksum (`Network.listen`'s
   * `checksumVerified`); never for a datagram reassembled from fragments.
   */
  readonly checksumVerified?: boolean;
}

/** What a protocol above receives: its payload's place and the (reused) header. */
export type IpPacketHandler<H extends IpHeader = IpHeader> = (buf: Uint8Array, off: number, len: number, ip: H) => void;

/** Writes `len` payload bytes at `off`; `src` is the source address chosen (for pseudo-header checksums). */
export type IpPayloadFill = (buf: Uint8Array, off: number, src: IpAddress) => void;

export interface IpSendOptions {
  /** Refuse to fragment at the source (and, in IPv4, set DF so routers answer fragmentation-needed instead). */
  readonly dontFragment?: boolean;
  /**
   * A TCP payload longer than the MTU (up to `IpNetwork.segmentOffload`) goes
   * as one super-segment that the interface cuts into segments of this many
   * payload bytes (TSO).
   */
  readonly segmentSize?: number;
}

export interface IpNetwork {
  /** `IPv4` or `IPv6`, for messages. */
  readonly family: 'IPv4' | 'IPv6';
  /** The largest upper-layer payload one unfragmented packet carries on this link. */
  readonly mtu: number;
  /** The largest upper-layer payload at all (fragmented). */
  readonly maxPayload: number;
  /** The link below never damages frames nor lets them leave the process (`Network.checksumUnnecessary`). */
  readonly checksumUnnecessary?: boolean;
  /** The largest upper-layer payload of one TCP super-segment the interface cuts itself (TSO); absent or 0: none. */
  readonly segmentOffload?: number;
  setHandler(protocol: number, handler: IpPacketHandler): void;
  send(
    dst: IpAddress,
    protocol: number,
    payloadLength: number,
    fill: IpPayloadFill,
    options?: IpSendOptions,
  ): Promise<Result<void, NetError>>;
  /** True for broadcast and multicast destinations, which transports neither answer nor connect to. */
  isGroup(dst: IpAddress): boolean;
  /** The address this host would send from to `dst`, or null while it has none. */
  localAddressFor(dst: IpAddress): IpAddress | null;
  parse(text: string): IpAddress | null;
}

/** ICMP as transports use it: reporting closed ports, and learning of errors about their own packets. */
export interface TransportIcmp {
  portUnreachable(hdr: IpHeader): void;
  setErrorHandler(protocol: number, handler: (report: IcmpErrorReport) => void): void;
}

/**
 * What a transport learns from an ICMP error about one of its own datagrams
 * (the TCP layer uses it for unreachable peers): the quoted addresses and
 * the first bytes of the transport header (ports, sequence).
 */
export interface IcmpErrorReport {
  readonly type: number;
  readonly code: number;
  /** The type-specific word: the next-hop MTU for fragmentation-needed (RFC 1191) or packet-too-big. */
  readonly restOfHeader: number;
  /** What the error means for a connection being opened, in either family's codes. */
  readonly meaning: 'refused' | 'unreachable' | 'other';
  /**
   * Set when the error says the path is narrower than our packet (ICMPv4
   * fragmentation-needed, RFC 1191; ICMPv6 packet-too-big, RFC 8201): the
   * largest upper-layer payload that now passes, after the family's header
   * and floor (552-byte IPv4 packets as Linux, 1280-byte IPv6 packets), so a
   * transport needs neither family's codes nor header sizes.
   */
  readonly pathPayloadMtu?: number;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly transportHeader: Uint8Array;
}
