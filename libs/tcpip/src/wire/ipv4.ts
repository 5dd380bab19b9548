import { copyBytes, readIpv4, writeIpv4 } from './address';
import { checksum, sumBytes, finishChecksum } from './checksum';
import type { WireError } from './errors';

export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IpProtocol = { icmp: 1, tcp: 6, udp: 17 } as const;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;

/** Option types (RFC 791, RFC 2113). Source routes are flagged: hosts drop them (RFC 1122 3.3.5, Linux's default). */
export const Ipv4Option = {
  end: 0,
  nop: 1,
  recordRoute: 7,
  timestamp: 68,
  looseSourceRoute: 131,
  strictSourceRoute: 137,
  routerAlert: 148,
} as const;

export interface Ipv4OptionEntry {
  readonly type: number;
  readonly data: Uint8Array;
}

/**
 * A reusable view of an IPv4 header. `wrap` accepts a datagram only when its
 * version, header length, total length (trailing link padding is allowed and
 * cut off), header checksum and option encoding are all right.
 */
export class Ipv4View {
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  headerLength = 0;
  tos = 0;
  totalLength = 0;
  id = 0;
  dontFragment = false;
  moreFragments = false;
  /** In bytes. */
  fragmentOffset = 0;
  ttl = 0;
  protocol = 0;
  src = 0;
  dst = 0;
  hasSourceRoute = false;
  /** Set by the IPv4 layer on input: the interface vouched for the transport checksum (see `IpHeader`). */
  checksumVerified = false;

  get payloadOffset(): number {
    return this.off + this.headerLength;
  }

  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }

  get isFragment(): boolean {
    return this.moreFragments || this.fragmentOffset !== 0;
  }

  wrap(buf: Uint8Array, off: number, len: number): WireError | undefined {
    if (len < IPV4_HEADER_LEN) return 'truncated';
    const vihl = buf[off];
    if (vihl >>> 4 !== 4) return 'bad-version';
    const headerLength = (vihl & 0xf) * 4;
    if (headerLength < IPV4_HEADER_LEN) return 'bad-header-length';
    if (headerLength > len) return 'truncated';
    const totalLength = (buf[off + 2] << 8) | buf[off + 3];
    if (totalLength < headerLength) return 'bad-length';
    if (totalLength > len) return 'truncated';
    if (checksum(buf, off, headerLength) !== 0) return 'bad-checksum';
    const flagsFrag = (buf[off + 6] << 8) | buf[off + 7];
    this.buf = buf;
    this.off = off;
    this.headerLength = headerLength;
    this.tos = buf[off + 1];
    this.totalLength = totalLength;
    this.id = (buf[off + 4] << 8) | buf[off + 5];
    this.dontFragment = (flagsFrag & FLAG_DF) !== 0;
    this.moreFragments = (flagsFrag & FLAG_MF) !== 0;
    this.fragmentOffset = (flagsFrag & 0x1fff) * 8;
    this.ttl = buf[off + 8];
    this.protocol = buf[off + 9];
    this.src = readIpv4(buf, off + 12);
    this.dst = readIpv4(buf, off + 16);
    this.hasSourceRoute = false;
    if (headerLength > IPV4_HEADER_LEN) {
      const r = scanOptions(buf, off + IPV4_HEADER_LEN, off + headerLength, undefined);
      if (r === 'bad-options') return r;
      this.hasSourceRoute = r;
    }
    if (this.fragmentOffset + totalLength - headerLength > 0xffff) return 'bad-length';
    return undefined;
  }

  /** The options of the wrapped header, in order (EOL and NOP left out). */
  options(): Ipv4OptionEntry[] {
    const out: Ipv4OptionEntry[] = [];
    scanOptions(this.buf, this.off + IPV4_HEADER_LEN, this.off + this.headerLength, out);
    return out;
  }
}

/** Walks the option bytes; true when a source route is present, 'bad-options' when the encoding is broken. */
function scanOptions(
  buf: Uint8Array,
  start: number,
  end: number,
  into: Ipv4OptionEntry[] | undefined,
): boolean | 'bad-options' {
  let sourceRoute = false;
  let i = start;
  while (i < end) {
    const type = buf[i];
    if (type === Ipv4Option.end) break;
    if (type === Ipv4Option.nop) {
      i++;
      continue;
    }
    if (i + 1 >= end) return 'bad-options';
    const optLen = buf[i + 1];
    if (optLen < 2 || i + optLen > end) return 'bad-options';
    if (type === Ipv4Option.looseSourceRoute || type === Ipv4Option.strictSourceRoute) sourceRoute = true;
    into?.push({ type, data: copyBytes(buf, i + 2, i + optLen) });
    i += optLen;
  }
  return sourceRoute;
}

export interface Ipv4HeaderFields {
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  readonly ttl: number;
  readonly id: number;
  /** Bytes after the header (of this fragment). */
  readonly payloadLength: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  /** In bytes, a multiple of 8. */
  readonly fragmentOffset?: number;
  readonly tos?: number;
  /** Encoded options; padded with EOL to a multiple of 4 bytes. */
  readonly options?: Uint8Array;
}

/** The header length `emitIpv4` will write for `options`. */
export function ipv4HeaderLength(options?: Uint8Array): number {
  return IPV4_HEADER_LEN + (options ? (options.length + 3) & ~3 : 0);
}

/** Writes a header with its checksum; returns its length. */
export function emitIpv4(buf: Uint8Array, off: number, f: Ipv4HeaderFields): number {
  const headerLength = ipv4HeaderLength(f.options);
  if (headerLength > IPV4_MAX_HEADER_LEN)
    throw new RangeError(`IPv4 options of ${f.options?.length} bytes do not fit a header`);
  const total = headerLength + f.payloadLength;
  buf[off] = 0x40 | (headerLength >>> 2);
  buf[off + 1] = f.tos ?? 0;
  buf[off + 2] = total >>> 8;
  buf[off + 3] = total;
  buf[off + 4] = f.id >>> 8;
  buf[off + 5] = f.id;
  const flagsFrag = (f.dontFragment ? FLAG_DF : 0) | (f.moreFragments ? FLAG_MF : 0) | ((f.fragmentOffset ?? 0) >>> 3);
  buf[off + 6] = flagsFrag >>> 8;
  buf[off + 7] = flagsFrag;
  buf[off + 8] = f.ttl;
  buf[off + 9] = f.protocol;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  writeIpv4(buf, off + 12, f.src);
  writeIpv4(buf, off + 16, f.dst);
  if (f.options) {
    buf.set(f.options, off + IPV4_HEADER_LEN);
    buf.fill(0, off + IPV4_HEADER_LEN + f.options.length, off + headerLength);
  }
  const sum = finishChecksum(sumBytes(buf, off, headerLength));
  buf[off + 10] = sum >>> 8;
  buf[off + 11] = sum;
  return headerLength;
}
