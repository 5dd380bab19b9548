import type { IpAddress } from './address';
import { checksum, ipPseudoHeaderSum } from './checksum';
import type { WireError } from './errors';
import { IpProtocol } from './ipv4';

/**
 * TCP segments (RFC 9293), parse and emit only: the connection state machine
 * is a layer of its own above IPv4. The options Linux puts in a SYN (MSS,
 * SACK-permitted, timestamps, window scale) and SACK blocks are decoded.
 */
export const TCP_HEADER_LEN = 20;

export const TcpFlag = {
  fin: 0x01,
  syn: 0x02,
  rst: 0x04,
  psh: 0x08,
  ack: 0x10,
  urg: 0x20,
  ece: 0x40,
  cwr: 0x80,
} as const;

const OPT_END = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERMITTED = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMP = 8;

export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  /** [left, right) edges of received blocks. */
  sack?: Array<readonly [number, number]>;
  timestamp?: { readonly value: number; readonly echo: number };
}

export class TcpView {
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  headerLength = 0;
  flags = 0;
  window = 0;
  urgent = 0;
  payloadOffset = 0;
  payloadLength = 0;
  /**
   * The options of the wrapped segment. One object, refilled by each wrap
   * (absent options are undefined): two fresh objects per segment were a
   * good part of a bulk transfer's garbage. Copy what you keep.
   */
  readonly options: TcpOptions = {
    mss: undefined,
    windowScale: undefined,
    sackPermitted: undefined,
    sack: undefined,
    timestamp: undefined,
  };
  private readonly timestamp = { value: 0, echo: 0 };

  /** Parses a segment; `verify` false skips the checksum (a link where it is unnecessary). */
  wrap(
    buf: Uint8Array,
    off: number,
    len: number,
    srcIp: IpAddress,
    dstIp: IpAddress,
    verify = true,
  ): WireError | undefined {
    if (len < TCP_HEADER_LEN) return 'truncated';
    const headerLength = (buf[off + 12] >>> 4) * 4;
    if (headerLength < TCP_HEADER_LEN) return 'bad-header-length';
    if (headerLength > len) return 'truncated';
    if (verify && checksum(buf, off, len, ipPseudoHeaderSum(srcIp, dstIp, IpProtocol.tcp, len)) !== 0)
      return 'bad-checksum';
    const o = this.options;
    o.mss = o.windowScale = o.sackPermitted = o.sack = o.timestamp = undefined;
    if (
      headerLength > TCP_HEADER_LEN &&
      !parseTcpOptions(buf, off + TCP_HEADER_LEN, off + headerLength, o, this.timestamp)
    )
      return 'bad-options';
    this.srcPort = (buf[off] << 8) | buf[off + 1];
    this.dstPort = (buf[off + 2] << 8) | buf[off + 3];
    this.seq = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
    this.ack = ((buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11]) >>> 0;
    this.headerLength = headerLength;
    this.flags = buf[off + 13];
    this.window = (buf[off + 14] << 8) | buf[off + 15];
    this.urgent = (buf[off + 18] << 8) | buf[off + 19];
    this.payloadOffset = off + headerLength;
    this.payloadLength = len - headerLength;
    return undefined;
  }
}

const u32 = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

/** Fills `o` (and `ts`, when a timestamp is present) from the option bytes; false when they are malformed. */
function parseTcpOptions(
  buf: Uint8Array,
  start: number,
  end: number,
  o: TcpOptions,
  ts: { value: number; echo: number },
): boolean {
  let i = start;
  while (i < end) {
    const kind = buf[i];
    if (kind === OPT_END) break;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const len = buf[i + 1];
    if (len < 2 || i + len > end) return false;
    switch (kind) {
      case OPT_MSS:
        if (len !== 4) return false;
        o.mss = (buf[i + 2] << 8) | buf[i + 3];
        break;
      case OPT_WSCALE:
        if (len !== 3) return false;
        o.windowScale = Math.min(buf[i + 2], 14);
        break;
      case OPT_SACK_PERMITTED:
        if (len !== 2) return false;
        o.sackPermitted = true;
        break;
      case OPT_SACK: {
        if ((len - 2) % 8 !== 0) return false;
        const blocks: Array<readonly [number, number]> = [];
        for (let j = i + 2; j < i + len; j += 8) blocks.push([u32(buf, j), u32(buf, j + 4)]);
        o.sack = blocks;
        break;
      }
      case OPT_TIMESTAMP:
        if (len !== 10) return false;
        ts.value = u32(buf, i + 2);
        ts.echo = u32(buf, i + 6);
        o.timestamp = ts;
        break;
      default: // unknown options are skipped, as RFC 9293 3.1 asks
    }
    i += len;
  }
  return true;
}

/** The header length `emitTcp` will write for `options` (a multiple of 4). */
export function tcpHeaderLength(options: TcpOptions = {}): number {
  let n = 0;
  if (options.mss !== undefined) n += 4;
  if (options.windowScale !== undefined) n += 3;
  if (options.sackPermitted) n += 2;
  if (options.timestamp) n += 10;
  if (options.sack?.length) n += 2 + 8 * options.sack.length;
  return TCP_HEADER_LEN + ((n + 3) & ~3);
}

export interface TcpHeaderFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly urgent?: number;
  readonly options?: TcpOptions;
}

const put32 = (b: Uint8Array, i: number, v: number) => {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
};

/**
 * Writes the header of a segment whose `payloadLength` bytes already follow
 * the header's place (at `off + tcpHeaderLength(options)`), checksum included
 * unless `sum` is false (a link where it is unnecessary: the field stays 0);
 * returns the header length.
 */
export function emitTcp(
  buf: Uint8Array,
  off: number,
  f: TcpHeaderFields,
  payloadLength: number,
  srcIp: IpAddress,
  dstIp: IpAddress,
  sum = true,
): number {
  const headerLength = tcpHeaderLength(f.options);
  if (headerLength > 60) throw new RangeError('TCP options do not fit a header');
  buf[off] = f.srcPort >>> 8;
  buf[off + 1] = f.srcPort;
  buf[off + 2] = f.dstPort >>> 8;
  buf[off + 3] = f.dstPort;
  put32(buf, off + 4, f.seq);
  put32(buf, off + 8, f.ack);
  buf[off + 12] = (headerLength / 4) << 4;
  buf[off + 13] = f.flags;
  buf[off + 14] = f.window >>> 8;
  buf[off + 15] = f.window;
  buf[off + 16] = 0;
  buf[off + 17] = 0;
  buf[off + 18] = (f.urgent ?? 0) >>> 8;
  buf[off + 19] = f.urgent ?? 0;
  let i = off + TCP_HEADER_LEN;
  const o = f.options ?? {};
  if (o.mss !== undefined) {
    buf[i++] = OPT_MSS;
    buf[i++] = 4;
    buf[i++] = o.mss >>> 8;
    buf[i++] = o.mss;
  }
  if (o.sackPermitted) {
    buf[i++] = OPT_SACK_PERMITTED;
    buf[i++] = 2;
  }
  if (o.timestamp) {
    buf[i++] = OPT_TIMESTAMP;
    buf[i++] = 10;
    put32(buf, i, o.timestamp.value);
    put32(buf, i + 4, o.timestamp.echo);
    i += 8;
  }
  if (o.windowScale !== undefined) {
    buf[i++] = OPT_WSCALE;
    buf[i++] = 3;
    buf[i++] = o.windowScale;
  }
  if (o.sack?.length) {
    buf[i++] = OPT_SACK;
    buf[i++] = 2 + 8 * o.sack.length;
    for (const [l, r] of o.sack) {
      put32(buf, i, l);
      put32(buf, i + 4, r);
      i += 8;
    }
  }
  while (i < off + headerLength) buf[i++] = OPT_END;
  if (!sum) return headerLength;
  const length = headerLength + payloadLength;
  const value = checksum(buf, off, length, ipPseudoHeaderSum(srcIp, dstIp, IpProtocol.tcp, length));
  buf[off + 16] = value >>> 8;
  buf[off + 17] = value;
  return headerLength;
}
