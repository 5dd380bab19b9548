import { readMac, writeMac } from './address';
import type { WireError } from './errors';

export const ETHERNET_HEADER_LEN = 14;
/** Frames shorter than this (without FCS) are padded with zeros on send (IEEE 802.3). */
export const ETHERNET_MIN_FRAME = 60;

export const EtherType = { ipv4: 0x0800, arp: 0x0806, ipv6: 0x86dd, vlan: 0x8100 } as const;

/**
 * A reusable view of an Ethernet II header. `wrap` checks lengths and fills
 * the fields; the payload runs to the end of the frame (padding included:
 * the layer above knows its own length).
 */
export class EthernetView {
  dst = 0;
  src = 0;
  etherType = 0;
  buf: Uint8Array = new Uint8Array(0);
  payloadOffset = 0;
  payloadLength = 0;

  wrap(frame: Uint8Array): WireError | undefined {
    if (frame.length < ETHERNET_HEADER_LEN) return 'truncated';
    this.buf = frame;
    this.dst = readMac(frame, 0);
    this.src = readMac(frame, 6);
    this.etherType = (frame[12] << 8) | frame[13];
    this.payloadOffset = ETHERNET_HEADER_LEN;
    this.payloadLength = frame.length - ETHERNET_HEADER_LEN;
    return undefined;
  }
}

export function emitEthernet(buf: Uint8Array, off: number, dst: number, src: number, etherType: number): void {
  writeMac(buf, off, dst);
  writeMac(buf, off + 6, src);
  buf[off + 12] = etherType >>> 8;
  buf[off + 13] = etherType;
}
