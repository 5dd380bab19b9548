import { parseIpv4, parseMac } from '../wire/address';
import { emitEthernet, EtherType } from '../wire/ethernet';
import { emitIcmpHeader, fillIcmpChecksum, IcmpType } from '../wire/icmpv4';
import { emitIpv4, ipv4HeaderLength, IpProtocol } from '../wire/ipv4';
import { emitUdp } from '../wire/udp';

/** Hand-built frames for specs that feed the stack exactly the bytes they mean. */
export interface IpFrameSpec {
  readonly dstMac: string;
  readonly srcMac: string;
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly payload: Uint8Array;
  readonly id?: number;
  readonly ttl?: number;
  readonly options?: Uint8Array;
  readonly moreFragments?: boolean;
  readonly fragmentOffset?: number;
}

const ip = (s: string) => parseIpv4(s) as number;
const mac = (s: string) => parseMac(s) as number;

export function ipFrame(f: IpFrameSpec): Uint8Array {
  const hl = ipv4HeaderLength(f.options);
  const frame = new Uint8Array(14 + hl + f.payload.length);
  emitEthernet(frame, 0, mac(f.dstMac), mac(f.srcMac), EtherType.ipv4);
  frame.set(f.payload, 14 + hl);
  emitIpv4(frame, 14, {
    src: ip(f.src),
    dst: ip(f.dst),
    protocol: f.protocol,
    ttl: f.ttl ?? 64,
    id: f.id ?? 1,
    payloadLength: f.payload.length,
    options: f.options,
    moreFragments: f.moreFragments,
    fragmentOffset: f.fragmentOffset,
  });
  return frame;
}

export function echoRequest(
  id: number,
  sequence: number,
  data: Uint8Array = new Uint8Array(56).fill(0x61),
): Uint8Array {
  const msg = new Uint8Array(8 + data.length);
  emitIcmpHeader(msg, 0, IcmpType.echoRequest, 0, ((id << 16) | sequence) >>> 0);
  msg.set(data, 8);
  fillIcmpChecksum(msg, 0, msg.length);
  return msg;
}

export function udpDatagram(src: string, dst: string, srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const d = new Uint8Array(8 + data.length);
  d.set(data, 8);
  emitUdp(d, 0, srcPort, dstPort, data.length, ip(src), ip(dst));
  return d;
}

export { IpProtocol };
