import {
  ok,
  type Datagram,
  type Endpoint,
  type NetError,
  type Result,
  type UdpCallback,
  type Udpv4Layer,
} from '@mirage-ts/types';
import type { DropCounters } from './drops';
import { fail, failed } from './errors';
import type { IpHeader, IpNetwork, TransportIcmp } from './ip';
import type { Log } from './log';
import { copyBytes, formatIpAddress, type IpAddress } from './wire/address';
import { IpProtocol } from './wire/ipv4';
import { emitUdp, UDP_HEADER_LEN, UdpView } from './wire/udp';

const EPHEMERAL_FIRST = 49152; // RFC 6335's dynamic range
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

/**
 * UDP (RFC 768) over IPv4 or IPv6 (one layer per network layer): checks and demultiplexes datagrams to listeners by port,
 * answers closed ports with ICMP port-unreachable, sends from the given or
 * an ephemeral port.
 */
export class UdpLayer implements Udpv4Layer {
  private readonly view = new UdpView();
  private readonly listeners = new Map<number, UdpCallback>();
  private nextEphemeral = Math.floor(Math.random() * EPHEMERAL_COUNT);

  constructor(
    private readonly ip: IpNetwork,
    private readonly icmp: TransportIcmp,
    private readonly drops: DropCounters,
    private readonly log: Log,
  ) {
    ip.setHandler(IpProtocol.udp, (buf, off, len, hdr) => this.input(buf, off, len, hdr));
  }

  private input(buf: Uint8Array, off: number, len: number, hdr: IpHeader): void {
    const v = this.view;
    const bad = v.wrap(buf, off, len, hdr.src, hdr.dst);
    if (bad) return this.drops.count(`udp.${bad}`);
    const callback = this.listeners.get(v.dstPort);
    if (!callback) {
      this.drops.count('udp.closed-port');
      if (!this.ip.isGroup(hdr.dst)) this.icmp.portUnreachable(hdr);
      return;
    }
    const datagram: Datagram = {
      src: { address: formatIpAddress(hdr.src), port: v.srcPort },
      dst: { address: formatIpAddress(hdr.dst), port: v.dstPort },
      data: copyBytes(buf, v.payloadOffset, v.payloadOffset + v.payloadLength),
    };
    const port = v.dstPort;
    try {
      const r = callback(datagram);
      if (r && typeof r.then === 'function') r.then(undefined, (e: unknown) => this.listenerFailed(port, e));
    } catch (e) {
      this.listenerFailed(port, e);
    }
  }

  private listenerFailed(port: number, e: unknown): void {
    this.drops.count('udp.listener-error');
    this.log(`UDP: the listener on port ${port} failed: ${e instanceof Error ? e.message : String(e)}`);
  }

  listen(port: number, callback: UdpCallback): Result<void, NetError> {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return fail('io', `UDP port ${port} is not a port number: use 1 to 65535`);
    if (this.listeners.has(port)) return fail('in-use', `UDP port ${port} already has a listener`);
    this.listeners.set(port, callback);
    return ok(undefined);
  }

  unlisten(port: number): void {
    this.listeners.delete(port);
  }

  /** A port from the dynamic range that no listener holds. */
  ephemeralPort(): number {
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_FIRST + ((this.nextEphemeral + i) % EPHEMERAL_COUNT);
      if (!this.listeners.has(port)) {
        this.nextEphemeral = (this.nextEphemeral + i + 1) % EPHEMERAL_COUNT;
        return port;
      }
    }
    return EPHEMERAL_FIRST; // every dynamic port is listened on: sending from one is still valid UDP
  }

  /** The numeric fast path of `write`. */
  send(dst: IpAddress, dstPort: number, srcPort: number, data: Uint8Array): Promise<Result<void, NetError>> {
    const max = this.ip.maxPayload - UDP_HEADER_LEN;
    if (data.length > max)
      return failed('too-big', `a ${data.length}-byte UDP payload exceeds the ${max} bytes a datagram can carry`);
    return this.ip.send(dst, IpProtocol.udp, UDP_HEADER_LEN + data.length, (buf, off, src) => {
      buf.set(data, off + UDP_HEADER_LEN);
      emitUdp(buf, off, srcPort, dstPort, data.length, src, dst);
    });
  }

  write(dst: Endpoint, data: Uint8Array, options: { srcPort?: number } = {}): Promise<Result<void, NetError>> {
    const d = this.ip.parse(dst.address);
    if (d === null) return failed('unreachable', `"${dst.address}" is not an ${this.ip.family} address`);
    if (!Number.isInteger(dst.port) || dst.port < 1 || dst.port > 65535)
      return failed('io', `UDP port ${dst.port} is not a port number: use 1 to 65535`);
    const srcPort = options.srcPort ?? this.ephemeralPort();
    if (!Number.isInteger(srcPort) || srcPort < 1 || srcPort > 65535)
      return failed('io', `UDP source port ${srcPort} is not a port number: use 1 to 65535`);
    return this.send(d, dst.port, srcPort, data);
  }
}
