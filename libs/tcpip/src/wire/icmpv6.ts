import { readIpv6, readMac, writeIpv6, writeMac, type IpAddress } from './address';
import { checksum, ipPseudoHeaderSum } from './checksum';
import type { WireError } from './errors';

export const ICMPV6_HEADER_LEN = 8;
const PROTOCOL_ICMPV6 = 58;

export const Icmpv6Type = {
  unreachable: 1,
  packetTooBig: 2,
  timeExceeded: 3,
  parameterProblem: 4,
  echoRequest: 128,
  echoReply: 129,
  routerSolicitation: 133,
  routerAdvertisement: 134,
  neighborSolicitation: 135,
  neighborAdvertisement: 136,
  redirect: 137,
} as const;

export const Unreachable6Code = { noRoute: 0, prohibited: 1, beyondScope: 2, address: 3, port: 4 } as const;

/** NDP option types (RFC 4861 4.6). */
export const NdpOption = {
  sourceLinkLayer: 1,
  targetLinkLayer: 2,
  prefixInformation: 3,
  redirected: 4,
  mtu: 5,
} as const;

/**
 * A reusable view of an ICMPv6 message; `wrap` checks the length and the
 * checksum, which covers the IPv6 pseudo-header (RFC 4443 2.3).
 */
export class Icmpv6View {
  type = 0;
  code = 0;
  /** The type-specific word after the checksum (echo id/seq, MTU, pointer, NA flags...). */
  restOfHeader = 0;
  dataOffset = 0;
  dataLength = 0;

  wrap(buf: Uint8Array, off: number, len: number, src: bigint, dst: bigint): WireError | undefined {
    if (len < ICMPV6_HEADER_LEN) return 'truncated';
    if (checksum(buf, off, len, ipPseudoHeaderSum(src, dst, PROTOCOL_ICMPV6, len)) !== 0) return 'bad-checksum';
    this.type = buf[off];
    this.code = buf[off + 1];
    this.restOfHeader = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
    this.dataOffset = off + ICMPV6_HEADER_LEN;
    this.dataLength = len - ICMPV6_HEADER_LEN;
    return undefined;
  }

  get id(): number {
    return this.restOfHeader >>> 16;
  }

  get sequence(): number {
    return this.restOfHeader & 0xffff;
  }
}

/** Writes the 8-byte header; the checksum is filled by `fillIcmpv6Checksum` once the body is in place. */
export function emitIcmpv6Header(buf: Uint8Array, off: number, type: number, code: number, restOfHeader: number): void {
  buf[off] = type;
  buf[off + 1] = code;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = restOfHeader >>> 24;
  buf[off + 5] = restOfHeader >>> 16;
  buf[off + 6] = restOfHeader >>> 8;
  buf[off + 7] = restOfHeader;
}

export function fillIcmpv6Checksum(buf: Uint8Array, off: number, len: number, src: IpAddress, dst: IpAddress): void {
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  const sum = checksum(buf, off, len, ipPseudoHeaderSum(src, dst, PROTOCOL_ICMPV6, len));
  buf[off + 2] = sum >>> 8;
  buf[off + 3] = sum;
}

/** A prefix information option (RFC 4861 4.6.2). */
export interface PrefixInformation {
  readonly prefixLength: number;
  readonly onLink: boolean;
  readonly autonomous: boolean;
  readonly validLifetime: number;
  readonly preferredLifetime: number;
  readonly prefix: bigint;
}

/** The NDP options the stack uses; unknown ones are skipped, as RFC 4861 asks. */
export interface NdpOptions {
  sourceLinkLayer?: number;
  targetLinkLayer?: number;
  mtu?: number;
  prefixes: PrefixInformation[];
}

/** Parses the options from `off` to `end`; a zero-length option or one running past the end is malformed (RFC 4861 4.6). */
export function parseNdpOptions(buf: Uint8Array, off: number, end: number): NdpOptions | 'bad-options' {
  const out: NdpOptions = { prefixes: [] };
  let i = off;
  while (i < end) {
    if (i + 2 > end) return 'bad-options';
    const type = buf[i];
    const len = buf[i + 1] * 8;
    if (len === 0 || i + len > end) return 'bad-options';
    if ((type === NdpOption.sourceLinkLayer || type === NdpOption.targetLinkLayer) && len >= 8) {
      const mac = readMac(buf, i + 2);
      if (type === NdpOption.sourceLinkLayer) out.sourceLinkLayer = mac;
      else out.targetLinkLayer = mac;
    } else if (type === NdpOption.mtu && len === 8) {
      out.mtu = ((buf[i + 4] << 24) | (buf[i + 5] << 16) | (buf[i + 6] << 8) | buf[i + 7]) >>> 0;
    } else if (type === NdpOption.prefixInformation) {
      if (len !== 32) return 'bad-options';
      const u32 = (k: number) => ((buf[k] << 24) | (buf[k + 1] << 16) | (buf[k + 2] << 8) | buf[k + 3]) >>> 0;
      out.prefixes.push({
        prefixLength: buf[i + 2],
        onLink: (buf[i + 3] & 0x80) !== 0,
        autonomous: (buf[i + 3] & 0x40) !== 0,
        validLifetime: u32(i + 4),
        preferredLifetime: u32(i + 8),
        prefix: readIpv6(buf, i + 16),
      });
    }
    i += len;
  }
  return out;
}

/** Writes a link-layer address option (8 bytes) for an Ethernet MAC. */
export function emitLinkLayerOption(buf: Uint8Array, off: number, type: number, mac: number): void {
  buf[off] = type;
  buf[off + 1] = 1;
  writeMac(buf, off + 2, mac);
}

/** The NS/NA body after the 8-byte header: the target address (16 bytes), then options. */
export const ND_TARGET_LEN = 16;
export const NA_ROUTER = 0x8000_0000;
export const NA_SOLICITED = 0x4000_0000;
export const NA_OVERRIDE = 0x2000_0000;

/** Writes a whole neighbor solicitation or advertisement (checksum included); returns its length. */
export function emitNeighborMessage(
  buf: Uint8Array,
  off: number,
  f: {
    readonly type: 135 | 136;
    readonly flags?: number;
    readonly target: bigint;
    readonly linkLayer?: number;
    readonly src: bigint;
    readonly dst: bigint;
  },
): number {
  const len = neighborMessageLength(f.linkLayer !== undefined);
  emitIcmpv6Header(buf, off, f.type, 0, f.flags ?? 0);
  writeIpv6(buf, off + ICMPV6_HEADER_LEN, f.target);
  if (f.linkLayer !== undefined)
    emitLinkLayerOption(
      buf,
      off + ICMPV6_HEADER_LEN + ND_TARGET_LEN,
      f.type === Icmpv6Type.neighborSolicitation ? NdpOption.sourceLinkLayer : NdpOption.targetLinkLayer,
      f.linkLayer,
    );
  fillIcmpv6Checksum(buf, off, len, f.src, f.dst);
  return len;
}

export function neighborMessageLength(withLinkLayer: boolean): number {
  return ICMPV6_HEADER_LEN + ND_TARGET_LEN + (withLinkLayer ? 8 : 0);
}

/** The fixed part of a router advertisement after the ICMPv6 header: reachable time and retransmit timer. */
export const RA_BODY_LEN = 8;
