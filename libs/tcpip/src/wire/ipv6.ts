import { readIpv6, writeIpv6 } from './address';
import type { WireError } from './errors';

export const IPV6_HEADER_LEN = 40;
/** Every IPv6 link carries at least this many bytes per packet (RFC 8200 5). */
export const IPV6_MIN_MTU = 1280;
export const FRAGMENT_HEADER_LEN = 8;

/** Next-header values of the extension headers and the upper layers the stack knows. */
export const NextHeader = {
  hopByHop: 0,
  tcp: 6,
  udp: 17,
  routing: 43,
  fragment: 44,
  esp: 50,
  auth: 51,
  icmpv6: 58,
  none: 59,
  destination: 60,
} as const;

/**
 * A reusable view of the fixed IPv6 header. `wrap` checks the version and
 * that the payload length fits (trailing link padding is cut off); the
 * extension headers are walked by `walkExtensions`.
 */
export class Ipv6View {
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  trafficClass = 0;
  flowLabel = 0;
  payloadLength = 0;
  nextHeader = 0;
  hopLimit = 0;
  src = 0n;
  dst = 0n;

  get payloadOffset(): number {
    return this.off + IPV6_HEADER_LEN;
  }

  wrap(buf: Uint8Array, off: number, len: number): WireError | undefined {
    if (len < IPV6_HEADER_LEN) return 'truncated';
    if (buf[off] >>> 4 !== 6) return 'bad-version';
    const payloadLength = (buf[off + 4] << 8) | buf[off + 5];
    // Zero with a hop-by-hop jumbo option means a jumbogram (RFC 2675), which no Ethernet carries.
    if (IPV6_HEADER_LEN + payloadLength > len) return 'truncated';
    this.buf = buf;
    this.off = off;
    this.trafficClass = ((buf[off] & 0xf) << 4) | (buf[off + 1] >>> 4);
    this.flowLabel = ((buf[off + 1] & 0xf) << 16) | (buf[off + 2] << 8) | buf[off + 3];
    this.payloadLength = payloadLength;
    this.nextHeader = buf[off + 6];
    this.hopLimit = buf[off + 7];
    this.src = readIpv6(buf, off + 8);
    this.dst = readIpv6(buf, off + 24);
    return undefined;
  }
}

export interface Ipv6HeaderFields {
  readonly src: bigint;
  readonly dst: bigint;
  readonly nextHeader: number;
  readonly hopLimit: number;
  /** Bytes after the fixed header (extension headers included). */
  readonly payloadLength: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
}

/** Writes the fixed 40-byte header. */
export function emitIpv6(buf: Uint8Array, off: number, f: Ipv6HeaderFields): void {
  const tc = f.trafficClass ?? 0;
  const fl = f.flowLabel ?? 0;
  buf[off] = 0x60 | (tc >>> 4);
  buf[off + 1] = ((tc & 0xf) << 4) | ((fl >>> 16) & 0xf);
  buf[off + 2] = fl >>> 8;
  buf[off + 3] = fl;
  buf[off + 4] = f.payloadLength >>> 8;
  buf[off + 5] = f.payloadLength;
  buf[off + 6] = f.nextHeader;
  buf[off + 7] = f.hopLimit;
  writeIpv6(buf, off + 8, f.src);
  writeIpv6(buf, off + 24, f.dst);
}

/** What an option of a hop-by-hop or destination options header asks for when it is not understood (RFC 8200 4.2). */
export type UnknownOptionAction = 'skip' | 'discard' | 'discard-and-report' | 'discard-and-report-unicast';

/** A problem to answer with an ICMPv6 parameter problem: its code and the offset (from the IPv6 header) it points at. */
export interface ParameterProblem {
  readonly code: 0 | 1 | 2;
  readonly pointer: number;
}

/** Where the upper-layer payload starts, or why the packet is refused. */
export interface Extensions {
  /** The upper-layer protocol (or 59, none). */
  protocol: number;
  /** Offset in the buffer of the upper-layer payload, or of the fragment header when `fragment` is set. */
  offset: number;
  /** The fragment header, when the walk stopped at one. */
  fragment?: { readonly offset: number; readonly more: boolean; readonly id: number; readonly nextHeader: number };
  /** The next header's offset inside the packet, for a parameter problem about an unknown one. */
  nextHeaderPointer: number;
}

/**
 * Walks the extension headers after the fixed header (RFC 8200 4): hop-by-hop
 * (first only) and destination options are checked option by option, a
 * routing header with segments left is refused (type 0 is deprecated, RFC
 * 5095, and a host forwards nothing), and the walk stops at a fragment
 * header or an upper-layer protocol. Returns a wire error for a broken
 * encoding, or a parameter problem to report.
 */
export function walkExtensions(v: Ipv6View): Extensions | WireError | ParameterProblem {
  const buf = v.buf;
  const start = v.off;
  const end = v.payloadOffset + v.payloadLength;
  let next = v.nextHeader;
  let at = v.payloadOffset;
  let pointerToNext = 6;
  let first = true;
  for (;;) {
    if (next === NextHeader.hopByHop && !first) return { code: 1, pointer: pointerToNext };
    if (next === NextHeader.hopByHop || next === NextHeader.destination) {
      if (at + 2 > end) return 'truncated';
      const len = (buf[at + 1] + 1) * 8;
      if (at + len > end) return 'truncated';
      const problem = checkOptions(buf, at + 2, at + len, start, v.dst);
      if (problem) return problem;
      pointerToNext = at - start;
      next = buf[at];
      at += len;
    } else if (next === NextHeader.routing) {
      if (at + 4 > end) return 'truncated';
      const len = (buf[at + 1] + 1) * 8;
      if (at + len > end) return 'truncated';
      if (buf[at + 3] !== 0) return { code: 0, pointer: at + 3 - start };
      pointerToNext = at - start;
      next = buf[at];
      at += len;
    } else if (next === NextHeader.fragment) {
      if (at + FRAGMENT_HEADER_LEN > end) return 'truncated';
      const offMore = (buf[at + 2] << 8) | buf[at + 3];
      const id = ((buf[at + 4] << 24) | (buf[at + 5] << 16) | (buf[at + 6] << 8) | buf[at + 7]) >>> 0;
      return {
        protocol: buf[at],
        offset: at,
        fragment: { offset: offMore & 0xfff8, more: (offMore & 1) === 1, id, nextHeader: buf[at] },
        nextHeaderPointer: at - start,
      };
    } else {
      return { protocol: next, offset: at, nextHeaderPointer: pointerToNext };
    }
    first = false;
  }
}

/** Pad1, PadN and router alert are understood; others act as their type's top bits say. */
function checkOptions(
  buf: Uint8Array,
  from: number,
  to: number,
  start: number,
  dst: bigint,
): ParameterProblem | WireError | undefined {
  let i = from;
  while (i < to) {
    const type = buf[i];
    if (type === 0) {
      i++;
      continue;
    }
    if (i + 2 > to) return 'bad-options';
    const len = buf[i + 1];
    if (i + 2 + len > to) return 'bad-options';
    if (type !== 1 && type !== 5) {
      const action = unknownOptionAction(type);
      if (action === 'discard') return 'unsupported';
      if (action === 'discard-and-report') return { code: 2, pointer: i - start };
      if (action === 'discard-and-report-unicast')
        return dst >> 120n === 0xffn ? 'unsupported' : { code: 2, pointer: i - start };
    }
    i += 2 + len;
  }
  return undefined;
}

export function unknownOptionAction(type: number): UnknownOptionAction {
  switch (type >>> 6) {
    case 0:
      return 'skip';
    case 1:
      return 'discard';
    case 2:
      return 'discard-and-report';
    default:
      return 'discard-and-report-unicast';
  }
}

/** Writes a fragment header (RFC 8200 4.5); `offset` in bytes, a multiple of 8. */
export function emitFragmentHeader(
  buf: Uint8Array,
  off: number,
  nextHeader: number,
  offset: number,
  more: boolean,
  id: number,
): void {
  buf[off] = nextHeader;
  buf[off + 1] = 0;
  const v = (offset & 0xfff8) | (more ? 1 : 0);
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
  buf[off + 4] = id >>> 24;
  buf[off + 5] = id >>> 16;
  buf[off + 6] = id >>> 8;
  buf[off + 7] = id;
}
