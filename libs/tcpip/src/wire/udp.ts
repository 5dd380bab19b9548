import type { IpAddress } from './address';
import { checksum, ipPseudoHeaderSum } from './checksum';
import type { WireError } from './errors';
import { IpProtocol } from './ipv4';

export const UDP_HEADER_LEN = 8;

/**
 * A reusable view of a UDP datagram. The length field must fit the IP
 * payload (extra bytes after it are ignored); a zero checksum means the
 * sender computed none (RFC 768), anything else is verified.
 */
export class UdpView {
  srcPort = 0;
  dstPort = 0;
  length = 0;
  checksum = 0;
  payloadOffset = 0;
  payloadLength = 0;

  wrap(buf: Uint8Array, off: number, len: number, srcIp: IpAddress, dstIp: IpAddress): WireError | undefined {
    if (len < UDP_HEADER_LEN) return 'truncated';
    const length = (buf[off + 4] << 8) | buf[off + 5];
    if (length < UDP_HEADER_LEN || length > len) return 'bad-length';
    const sum = (buf[off + 6] << 8) | buf[off + 7];
    // Over IPv6 the checksum is mandatory (RFC 8200 8.1): zero is refused.
    if (
      sum === 0
        ? typeof srcIp === 'bigint'
        : checksum(buf, off, length, ipPseudoHeaderSum(srcIp, dstIp, IpProtocol.udp, length)) !== 0
    )
      return 'bad-checksum';
    this.srcPort = (buf[off] << 8) | buf[off + 1];
    this.dstPort = (buf[off + 2] << 8) | buf[off + 3];
    this.length = length;
    this.checksum = sum;
    this.payloadOffset = off + UDP_HEADER_LEN;
    this.payloadLength = length - UDP_HEADER_LEN;
    return undefined;
  }
}

/** Writes the header of a datagram whose payload is already in place after it, checksum included. */
export function emitUdp(
  buf: Uint8Array,
  off: number,
  srcPort: number,
  dstPort: number,
  payloadLength: number,
  srcIp: IpAddress,
  dstIp: IpAddress,
): void {
  const length = UDP_HEADER_LEN + payloadLength;
  buf[off] = srcPort >>> 8;
  buf[off + 1] = srcPort;
  buf[off + 2] = dstPort >>> 8;
  buf[off + 3] = dstPort;
  buf[off + 4] = length >>> 8;
  buf[off + 5] = length;
  buf[off + 6] = 0;
  buf[off + 7] = 0;
  let sum = checksum(buf, off, length, ipPseudoHeaderSum(srcIp, dstIp, IpProtocol.udp, length));
  if (sum === 0) sum = 0xffff; // zero would mean "no checksum"
  buf[off + 6] = sum >>> 8;
  buf[off + 7] = sum;
}
