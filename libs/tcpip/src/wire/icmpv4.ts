import { checksum } from './checksum';
import type { WireError } from './errors';

export const ICMP_HEADER_LEN = 8;
export const IcmpType = {
  echoReply: 0,
  unreachable: 3,
  echoRequest: 8,
  timeExceeded: 11,
  parameterProblem: 12,
} as const;
export const UnreachableCode = { net: 0, host: 1, protocol: 2, port: 3, fragmentationNeeded: 4 } as const;

/** A reusable view of an ICMP message; `wrap` checks the length and the checksum over the whole message. */
export class Icmpv4View {
  type = 0;
  code = 0;
  /** Echo identifier (first half of the rest-of-header word). */
  id = 0;
  /** Echo sequence number (second half). */
  sequence = 0;
  dataOffset = 0;
  dataLength = 0;

  wrap(buf: Uint8Array, off: number, len: number): WireError | undefined {
    if (len < ICMP_HEADER_LEN) return 'truncated';
    if (checksum(buf, off, len) !== 0) return 'bad-checksum';
    this.type = buf[off];
    this.code = buf[off + 1];
    this.id = (buf[off + 4] << 8) | buf[off + 5];
    this.sequence = (buf[off + 6] << 8) | buf[off + 7];
    this.dataOffset = off + ICMP_HEADER_LEN;
    this.dataLength = len - ICMP_HEADER_LEN;
    return undefined;
  }
}

/** Writes the 8-byte header; `restOfHeader` is the type-specific word (echo id/seq, next-hop MTU...). */
export function emitIcmpHeader(buf: Uint8Array, off: number, type: number, code: number, restOfHeader: number): void {
  buf[off] = type;
  buf[off + 1] = code;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = restOfHeader >>> 24;
  buf[off + 5] = restOfHeader >>> 16;
  buf[off + 6] = restOfHeader >>> 8;
  buf[off + 7] = restOfHeader;
}

/** Fills the checksum of a complete message of `len` bytes at `off`. */
export function fillIcmpChecksum(buf: Uint8Array, off: number, len: number): void {
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  const sum = checksum(buf, off, len);
  buf[off + 2] = sum >>> 8;
  buf[off + 3] = sum;
}
