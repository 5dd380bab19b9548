import type { DropCounters } from '@mirage-ts/tcpip/drops';
import { formatIpv4, formatMac } from '@mirage-ts/tcpip/wire/address';
import { ArpOp, ArpView, emitArp } from '@mirage-ts/tcpip/wire/arp';
import {
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DhcpOptionCode as O,
  emitDhcp,
  parseDhcp,
  type DhcpMessage,
  type DhcpMessageFields,
} from '@mirage-ts/tcpip/wire/dhcp';
import {
  emitEthernet,
  ETHERNET_HEADER_LEN,
  ETHERNET_MIN_FRAME,
  EtherType,
  EthernetView,
} from '@mirage-ts/tcpip/wire/ethernet';
import { emitIpv4, IpProtocol, IPV4_HEADER_LEN, Ipv4View } from '@mirage-ts/tcpip/wire/ipv4';
import { emitUdp, UDP_HEADER_LEN, UdpView } from '@mirage-ts/tcpip/wire/udp';
import { messageTypeName } from './server';

/**
 * The frames a DHCP server on a bare network device deals with: ARP for its
 * own address, and DHCP inside UDP inside IPv4 inside Ethernet. Reuses the
 * direct stack's wire views; what does not parse is counted, never thrown.
 */
export type Incoming =
  | { readonly kind: 'arp-request'; readonly reply: Uint8Array }
  | { readonly kind: 'dhcp'; readonly message: DhcpMessage; readonly srcIp: number; readonly srcMac: number }
  /** Malformed: counted under `reason` in the drop counters. */
  | { readonly kind: 'dropped'; readonly reason: string }
  | { readonly kind: 'ignored' };

const IGNORED: Incoming = { kind: 'ignored' };

export class FrameDecoder {
  private readonly eth = new EthernetView();
  private readonly arp = new ArpView();
  private readonly ip = new Ipv4View();
  private readonly udp = new UdpView();

  constructor(
    private readonly mac: number,
    private readonly ipaddr: number,
    readonly drops: DropCounters,
  ) {}

  private drop(reason: string): Incoming {
    this.drops.count(reason);
    return { kind: 'dropped', reason };
  }

  decode(frame: Uint8Array): Incoming {
    const { eth } = this;
    if (eth.wrap(frame)) return this.drop('ethernet.truncated');
    if (eth.dst !== this.mac && eth.dst !== 0xffff_ffff_ffff) return IGNORED;
    if (eth.etherType === EtherType.arp) return this.decodeArp(frame);
    if (eth.etherType !== EtherType.ipv4) return IGNORED;
    const ip = this.ip;
    const ipErr = ip.wrap(frame, eth.payloadOffset, eth.payloadLength);
    if (ipErr) return this.drop(`ipv4.${ipErr}`);
    if (ip.protocol !== IpProtocol.udp || ip.isFragment) return IGNORED;
    if (ip.dst !== this.ipaddr && ip.dst !== 0xffff_ffff) return IGNORED;
    const udpErr = this.udp.wrap(frame, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst);
    if (udpErr) return this.drop(`udp.${udpErr}`);
    if (this.udp.dstPort !== DHCP_SERVER_PORT) return IGNORED;
    const m = parseDhcp(frame, this.udp.payloadOffset, this.udp.payloadLength);
    if (typeof m === 'string') return this.drop(`dhcp.${m}`);
    return { kind: 'dhcp', message: m, srcIp: ip.src, srcMac: eth.src };
  }

  private decodeArp(frame: Uint8Array): Incoming {
    const err = this.arp.wrap(frame, ETHERNET_HEADER_LEN, frame.length - ETHERNET_HEADER_LEN);
    if (err) return this.drop(`arp.${err}`);
    if (this.arp.op !== ArpOp.request || this.arp.targetIp !== this.ipaddr) return IGNORED;
    const reply = new Uint8Array(ETHERNET_MIN_FRAME);
    emitEthernet(reply, 0, this.arp.senderMac, this.mac, EtherType.arp);
    emitArp(reply, ETHERNET_HEADER_LEN, ArpOp.reply, this.mac, this.ipaddr, this.arp.senderMac, this.arp.senderIp);
    return { kind: 'arp-request', reply };
  }
}

let ipId = 0;

/** A whole frame carrying `reply` from the server's port 67 to the client's port 68 (or a relay's 67). */
export function encodeDhcpFrame(
  reply: DhcpMessageFields,
  srcMac: number,
  srcIp: number,
  dstMac: number,
  dstIp: number,
  dstPort = DHCP_CLIENT_PORT,
): Uint8Array {
  const payload = emitDhcp(reply);
  const udpOff = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN;
  const frame = new Uint8Array(udpOff + UDP_HEADER_LEN + payload.length);
  emitEthernet(frame, 0, dstMac, srcMac, EtherType.ipv4);
  ipId = (ipId + 1) & 0xffff;
  emitIpv4(frame, ETHERNET_HEADER_LEN, {
    src: srcIp,
    dst: dstIp,
    protocol: IpProtocol.udp,
    ttl: 64,
    id: ipId,
    payloadLength: UDP_HEADER_LEN + payload.length,
  });
  frame.set(payload, udpOff + UDP_HEADER_LEN);
  emitUdp(frame, udpOff, DHCP_SERVER_PORT, dstPort, payload.length, srcIp, dstIp);
  return frame;
}

/** One line describing a message, as the skeleton's logs print it. */
export function describeDhcp(m: DhcpMessage | DhcpMessageFields): string {
  const option = (code: number) => m.options.find((o) => o.code === code)?.data;
  const type = option(O.messageType)?.[0];
  const fields = [
    messageTypeName(type),
    `xid 0x${(m.xid >>> 0).toString(16).padStart(8, '0')}`,
    `chaddr ${formatMac(m.chaddr)}`,
    `ciaddr ${formatIpv4(m.ciaddr ?? 0)}`,
    `yiaddr ${formatIpv4(m.yiaddr ?? 0)}`,
  ];
  const requested = option(O.requestedIp);
  if (requested?.length === 4) fields.push(`requested ${formatIpv4(Buffer.from(requested).readUInt32BE(0))}`);
  if (m.broadcast) fields.push('broadcast');
  return fields.join(' ');
}
