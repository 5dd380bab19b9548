import { parseIpv4, parseIpv6, parseMac } from '../wire/address';
import { emitEthernet, EtherType } from '../wire/ethernet';
import { emitIcmpHeader, fillIcmpChecksum, IcmpType } from '../wire/icmpv4';
import { emitIcmpv6Header, fillIcmpv6Checksum } from '../wire/icmpv6';
import { emitIpv4, ipv4HeaderLength, IpProtocol } from '../wire/ipv4';
import { emitIpv6 } from '../wire/ipv6';
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

export interface Ipv6FrameSpec {
  readonly dstMac: string;
  readonly srcMac: string;
  readonly src: string;
  readonly dst: string;
  readonly nextHeader: number;
  /** Everything after the fixed header: extension headers and the upper layer. */
  readonly payload: Uint8Array;
  readonly hopLimit?: number;
}

const ip6 = (s: string) => parseIpv6(s) as bigint;

export function ipv6Frame(f: Ipv6FrameSpec): Uint8Array {
  const frame = new Uint8Array(14 + 40 + f.payload.length);
  emitEthernet(frame, 0, mac(f.dstMac), mac(f.srcMac), EtherType.ipv6);
  emitIpv6(frame, 14, {
    src: ip6(f.src),
    dst: ip6(f.dst),
    nextHeader: f.nextHeader,
    hopLimit: f.hopLimit ?? 64,
    payloadLength: f.payload.length,
  });
  frame.set(f.payload, 54);
  return frame;
}

/** An ICMPv6 message with its checksum over the pseudo-header of `src` and `dst`. */
export function icmpv6Message(
  type: number,
  code: number,
  restOfHeader: number,
  body: Uint8Array,
  src: string,
  dst: string,
): Uint8Array {
  const msg = new Uint8Array(8 + body.length);
  emitIcmpv6Header(msg, 0, type, code, restOfHeader);
  msg.set(body, 8);
  fillIcmpv6Checksum(msg, 0, msg.length, ip6(src), ip6(dst));
  return msg;
}

export function udp6Datagram(src: string, dst: string, srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const d = new Uint8Array(8 + data.length);
  d.set(data, 8);
  emitUdp(d, 0, srcPort, dstPort, data.length, ip6(src), ip6(dst));
  return d;
}
