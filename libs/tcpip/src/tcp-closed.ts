import type { DropCounters } from './drops';
import type { Ipv4Layer } from './ipv4';
import { isMulticastIpv4 } from './wire/address';
import { IpProtocol, type Ipv4View } from './wire/ipv4';
import { emitTcp, TCP_HEADER_LEN, TcpFlag, TcpView } from './wire/tcp';

/**
 * TCP until the connection layer lands: every port is closed, so a segment
 * is answered with a reset as RFC 9293 3.10.7.1 says, which makes a client
 * fail at once ("connection refused") instead of timing out. The TCP layer
 * replaces this handler with `ip.setHandler(6, ...)`.
 */
export class ClosedTcp {
  private readonly view = new TcpView();

  constructor(
    private readonly ip: Ipv4Layer,
    private readonly drops: DropCounters,
  ) {
    ip.setHandler(IpProtocol.tcp, (buf, off, len, hdr) => this.input(buf, off, len, hdr));
  }

  private input(buf: Uint8Array, off: number, len: number, hdr: Ipv4View): void {
    const v = this.view;
    const bad = v.wrap(buf, off, len, hdr.src, hdr.dst);
    if (bad) return this.drops.count(`tcp.${bad}`);
    this.drops.count('tcp.closed-port');
    if (v.flags & TcpFlag.rst || this.ip.isBroadcast(hdr.dst) || isMulticastIpv4(hdr.dst)) return;
    const ackSet = (v.flags & TcpFlag.ack) !== 0;
    const segLen = v.payloadLength + (v.flags & TcpFlag.syn ? 1 : 0) + (v.flags & TcpFlag.fin ? 1 : 0);
    const fields = {
      srcPort: v.dstPort,
      dstPort: v.srcPort,
      seq: ackSet ? v.ack : 0,
      ack: ackSet ? 0 : (v.seq + segLen) >>> 0,
      flags: ackSet ? TcpFlag.rst : TcpFlag.rst | TcpFlag.ack,
      window: 0,
    };
    const dst = hdr.src;
    void this.ip.send(dst, IpProtocol.tcp, TCP_HEADER_LEN, (out, o, src) => {
      emitTcp(out, o, fields, 0, src, dst);
    });
  }
}
