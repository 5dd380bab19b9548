import { readIpv4, readMac, writeIpv4, writeMac } from './address';
import type { WireError } from './errors';
import { EtherType } from './ethernet';

/** ARP for IPv4 over Ethernet (RFC 826): the only kind this stack speaks. */
export const ARP_LEN = 28;
export const ArpOp = { request: 1, reply: 2 } as const;

export class ArpView {
  op = 0;
  senderMac = 0;
  senderIp = 0;
  targetMac = 0;
  targetIp = 0;

  wrap(buf: Uint8Array, off: number, len: number): WireError | undefined {
    if (len < ARP_LEN) return 'truncated';
    const htype = (buf[off] << 8) | buf[off + 1];
    const ptype = (buf[off + 2] << 8) | buf[off + 3];
    if (htype !== 1 || ptype !== EtherType.ipv4 || buf[off + 4] !== 6 || buf[off + 5] !== 4) return 'unsupported';
    this.op = (buf[off + 6] << 8) | buf[off + 7];
    if (this.op !== ArpOp.request && this.op !== ArpOp.reply) return 'bad-operation';
    this.senderMac = readMac(buf, off + 8);
    this.senderIp = readIpv4(buf, off + 14);
    this.targetMac = readMac(buf, off + 18);
    this.targetIp = readIpv4(buf, off + 24);
    return undefined;
  }
}

export function emitArp(
  buf: Uint8Array,
  off: number,
  op: number,
  senderMac: number,
  senderIp: number,
  targetMac: number,
  targetIp: number,
): void {
  buf[off] = 0;
  buf[off + 1] = 1;
  buf[off + 2] = EtherType.ipv4 >>> 8;
  buf[off + 3] = EtherType.ipv4 & 0xff;
  buf[off + 4] = 6;
  buf[off + 5] = 4;
  buf[off + 6] = op >>> 8;
  buf[off + 7] = op;
  writeMac(buf, off + 8, senderMac);
  writeIpv4(buf, off + 14, senderIp);
  writeMac(buf, off + 18, targetMac);
  writeIpv4(buf, off + 24, targetIp);
}
