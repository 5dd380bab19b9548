import type { Ipv4, Ipv4Config, Ipv4Input, Ipv4WriteOptions, NetError, Result } from '@mirage-ts/types';
import type { ArpLayer } from './arp';
import type { DropCounters } from './drops';
import type { EthernetLayer, Fill } from './ethernet';
import { fail, failed } from './errors';
import type { IpNetwork, IpSendOptions } from './ip';
import { Reassembler, type ReassemblyOptions } from './reassembly';
import {
  BROADCAST_IPV4,
  BROADCAST_MAC,
  formatIpv4,
  isMulticastIpv4,
  multicastMac,
  parseIpv4,
  type IpAddress,
} from './wire/address';
import { EtherType } from './wire/ethernet';
import { emitIpv4, IPV4_HEADER_LEN, Ipv4View } from './wire/ipv4';

/** What a protocol above IPv4 receives: its payload's place and the (reused) header view. */
export type PacketHandler = (buf: Uint8Array, off: number, len: number, ip: Ipv4View) => void;

/** Writes `len` payload bytes at `off`; `src` is the source address chosen (for pseudo-header checksums). */
export type PayloadFill = (buf: Uint8Array, off: number, src: number) => void;

export interface Ipv4Options {
  /** TTL of outgoing datagrams. MirageOS's stack uses 38 (the seed's ping shows ttl=38). */
  readonly ttl?: number;
  readonly reassembly?: ReassemblyOptions;
}

/** The numeric configuration used inside the stack. */
export interface Ipv4Numbers {
  readonly address: number;
  readonly netmask: number;
  readonly gateway: number | null;
}

/**
 * IPv4 (RFC 791, host requirements of RFC 1122): validates and filters input,
 * reassembles fragments, routes output on-link or via the gateway,
 * fragments what does not fit the link MTU.
 */
export class Ipv4Layer implements Ipv4, IpNetwork {
  readonly family = 'IPv4';
  readonly maxPayload = 0xffff - IPV4_HEADER_LEN;
  private readonly view = new Ipv4View();
  private readonly out = {
    fill: undefined as PayloadFill | undefined,
    src: 0,
    dst: 0,
    protocol: 0,
    ttl: 0,
    id: 0,
    payloadLength: 0,
    dontFragment: false,
  };
  private readonly fillOut: Fill = (buf, off) => {
    const o = this.out;
    const fill = o.fill as PayloadFill;
    o.fill = undefined;
    fill(buf, off + IPV4_HEADER_LEN, o.src);
    emitIpv4(buf, off, o);
  };
  private readonly handlers = new Map<number, PacketHandler>();
  private readonly reassembler: Reassembler;
  private readonly ticker: NodeJS.Timeout;
  private cfg: Ipv4Numbers | null = null;
  private nextId = Math.floor(Math.random() * 0x10000);
  readonly ttl: number;
  /** Called for a datagram of a protocol nobody handles (the ICMP layer answers protocol-unreachable). */
  onUnknownProtocol: PacketHandler | undefined;

  constructor(
    private readonly eth: EthernetLayer,
    private readonly arp: ArpLayer,
    private readonly drops: DropCounters,
    options: Ipv4Options = {},
  ) {
    this.ttl = options.ttl ?? 38;
    this.reassembler = new Reassembler(drops, options.reassembly);
    const tick = Math.min(1000, Math.max(10, (options.reassembly?.timeoutMs ?? 30_000) / 4));
    this.ticker = setInterval(() => this.reassembler.expire(Date.now()), tick);
    this.ticker.unref();
    eth.setHandler(EtherType.ipv4, (buf, off, len, _src, checksumVerified) =>
      this.input(buf, off, len, checksumVerified),
    );
  }

  get mtu(): number {
    return this.eth.mtu - IPV4_HEADER_LEN;
  }

  get checksumUnnecessary(): boolean {
    return this.eth.checksumUnnecessary;
  }

  get segmentOffload(): number {
    return this.eth.segmentOffload > 0 ? this.eth.segmentOffload - IPV4_HEADER_LEN : 0;
  }

  get numbers(): Ipv4Numbers | null {
    return this.cfg;
  }

  /** Bytes and datagrams held for reassembly right now. */
  reassemblyUse(): { datagrams: number; bytes: number } {
    return { datagrams: this.reassembler.datagramsHeld, bytes: this.reassembler.bytesInUse };
  }

  setHandler(protocol: number, handler: PacketHandler): void {
    this.handlers.set(protocol, handler);
  }

  /** The handler for `protocol`, so a layer composed by hand can pass packets on to it. */
  handler(protocol: number): PacketHandler | undefined {
    return this.handlers.get(protocol);
  }

  /** True when `dst` is a broadcast for this interface (limited or directed). */
  isBroadcast(dst: number): boolean {
    if (dst === BROADCAST_IPV4) return true;
    const c = this.cfg;
    return c !== null && c.netmask !== BROADCAST_IPV4 && dst === (c.address | ~c.netmask) >>> 0;
  }

  isGroup(dst: IpAddress): boolean {
    return typeof dst === 'number' && (this.isBroadcast(dst) || isMulticastIpv4(dst));
  }

  localAddressFor(_dst: IpAddress): number | null {
    return this.cfg?.address ?? null;
  }

  parse(text: string): number | null {
    return parseIpv4(text);
  }

  private input(buf: Uint8Array, off: number, len: number, checksumVerified: boolean): void {
    const v = this.view;
    const bad = v.wrap(buf, off, len);
    if (bad) return this.drops.count(`ipv4.${bad}`);
    if (v.hasSourceRoute) return this.drops.count('ipv4.source-route');
    if (v.src === BROADCAST_IPV4 || isMulticastIpv4(v.src) || v.src >>> 24 === 127)
      return this.drops.count('ipv4.bad-source');
    const c = this.cfg;
    const forUs =
      c === null
        ? v.protocol === 17 // before an address is bound only UDP gets through: the DHCP replies
        : v.dst === c.address || this.isBroadcast(v.dst);
    if (!forUs) return this.drops.count('ipv4.not-for-us');
    let pbuf = buf;
    let poff = v.payloadOffset;
    let plen = v.payloadLength;
    // The interface vouches for one frame's checksum, not for a datagram pieced together from several.
    v.checksumVerified = checksumVerified && !v.isFragment;
    if (v.isFragment) {
      const whole = this.reassembler.put(v, Date.now());
      if (!whole) return;
      pbuf = whole;
      poff = 0;
      plen = whole.length;
    }
    const handler = this.handlers.get(v.protocol);
    if (handler) handler(pbuf, poff, plen, v);
    else {
      this.drops.count('ipv4.unknown-protocol');
      this.onUnknownProtocol?.(pbuf, poff, plen, v);
    }
  }

  /** The source address for `dst` (0.0.0.0 while unconfigured). */
  sourceFor(_dst: number): number {
    return this.cfg?.address ?? 0;
  }

  /** The link-layer next hop of `dst`: a MAC for broadcast and multicast, else the IP to resolve. */
  private nextHop(dst: number): { mac: number } | { ip: number } | string {
    if (this.isBroadcast(dst)) return { mac: BROADCAST_MAC };
    if (isMulticastIpv4(dst)) return { mac: multicastMac(dst) };
    const c = this.cfg;
    if (!c) return `no IPv4 address is configured yet, so ${formatIpv4(dst)} cannot be reached`;
    if (((dst ^ c.address) & c.netmask) === 0) return { ip: dst };
    if (c.gateway === null) return `no route to ${formatIpv4(dst)}: it is off-link and no gateway is configured`;
    return { ip: c.gateway };
  }

  /**
   * Sends one datagram whose payload `fill` writes in place: in one frame
   * when it fits, otherwise in fragments (unless `dontFragment`).
   */
  send(
    dst: number,
    protocol: number,
    payloadLength: number,
    fill: PayloadFill,
    options: Ipv4WriteOptions & IpSendOptions = {},
  ): Promise<Result<void, NetError>> {
    const c = this.cfg;
    // The usual case, a unicast peer on the link, without the object nextHop makes.
    const hop =
      c !== null && ((dst ^ c.address) & c.netmask) === 0 && !this.isBroadcast(dst) && !isMulticastIpv4(dst)
        ? dst
        : this.nextHop(dst);
    if (typeof hop === 'string') return failed('unreachable', hop);
    if (payloadLength > 0xffff - IPV4_HEADER_LEN)
      return failed('too-big', `a ${payloadLength}-byte payload exceeds the 65515 bytes an IPv4 datagram can carry`);
    const fits =
      IPV4_HEADER_LEN + payloadLength <= this.eth.mtu ||
      (options.segmentSize !== undefined && payloadLength <= this.segmentOffload);
    if (!fits && options.dontFragment)
      return failed(
        'too-big',
        `a ${payloadLength}-byte payload does not fit the ${this.mtu}-byte IPv4 MTU and fragmenting was refused`,
      );
    if (typeof hop === 'object' && 'mac' in hop)
      return this.transmit(hop.mac, dst, protocol, payloadLength, fill, options);
    const ip = typeof hop === 'number' ? hop : hop.ip;
    const mac = this.arp.resolve(ip);
    if (typeof mac === 'number') return this.transmit(mac, dst, protocol, payloadLength, fill, options);
    return mac.then((m) =>
      m === null
        ? fail('unreachable', `${formatIpv4(ip)} did not answer ARP requests`)
        : this.transmit(m, dst, protocol, payloadLength, fill, options),
    );
  }

  private transmit(
    mac: number,
    dst: number,
    protocol: number,
    payloadLength: number,
    fill: PayloadFill,
    options: Ipv4WriteOptions & IpSendOptions,
  ): Promise<Result<void, NetError>> {
    const src = this.sourceFor(dst);
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xffff;
    const ttl = options.ttl ?? this.ttl;
    const superSegment = options.segmentSize !== undefined && payloadLength <= this.segmentOffload;
    if (IPV4_HEADER_LEN + payloadLength <= this.eth.mtu || superSegment) {
      // Ethernet calls the fill at once: the datagram's fields wait in `out`, not in a closure and an object per packet.
      const o = this.out;
      o.fill = fill;
      o.src = src;
      o.dst = dst;
      o.protocol = protocol;
      o.ttl = ttl;
      o.id = id;
      o.payloadLength = payloadLength;
      o.dontFragment = options.dontFragment === true;
      return this.eth.send(mac, EtherType.ipv4, IPV4_HEADER_LEN + payloadLength, this.fillOut, options.segmentSize);
    }
    const whole = Buffer.allocUnsafe(payloadLength);
    fill(whole, 0, src);
    const chunk = Math.floor((this.eth.mtu - IPV4_HEADER_LEN) / 8) * 8;
    const sends: Array<Promise<Result<void, NetError>>> = [];
    for (let at = 0; at < payloadLength; at += chunk) {
      const n = Math.min(chunk, payloadLength - at);
      const more = at + n < payloadLength;
      sends.push(
        this.eth.send(mac, EtherType.ipv4, IPV4_HEADER_LEN + n, (buf, off) => {
          buf.set(whole.subarray(at, at + n), off + IPV4_HEADER_LEN);
          emitIpv4(buf, off, {
            src,
            dst,
            protocol,
            ttl,
            id,
            payloadLength: n,
            moreFragments: more,
            fragmentOffset: at,
          });
        }),
      );
    }
    return Promise.all(sends).then((rs) => rs.find((r) => !r.ok) ?? rs[0]);
  }

  // --- the Ipv4 signature, with string addresses ---

  write(
    dst: string,
    protocol: number,
    payload: Uint8Array,
    options?: Ipv4WriteOptions,
  ): Promise<Result<void, NetError>> {
    const d = parseIpv4(dst);
    if (d === null) return failed('unreachable', `"${dst}" is not an IPv4 address`);
    return this.send(d, protocol, payload.length, (buf, off) => buf.set(payload, off), options);
  }

  listen(protocol: number, input: Ipv4Input): void {
    this.setHandler(protocol, (buf, off, len, ip) =>
      input(buf.subarray(off, off + len), {
        src: formatIpv4(ip.src),
        dst: formatIpv4(ip.dst),
        protocol: ip.protocol,
        ttl: ip.ttl,
      }),
    );
  }

  source(dst: string): string {
    return formatIpv4(this.sourceFor(parseIpv4(dst) ?? 0));
  }

  config(): Ipv4Config | null {
    const c = this.cfg;
    return (
      c && {
        address: formatIpv4(c.address),
        netmask: formatIpv4(c.netmask),
        gateway: c.gateway === null ? null : formatIpv4(c.gateway),
      }
    );
  }

  /** Binds (or, with null, unbinds) the interface's address; ARP announces a new one. */
  setNumbers(c: Ipv4Numbers | null): void {
    this.cfg = c;
    this.arp.setIpNumbers(c ? [c.address] : []);
  }

  async setConfig(config: Ipv4Config | null): Promise<void> {
    if (config === null) return this.setNumbers(null);
    const address = parseIpv4(config.address);
    const netmask = parseIpv4(config.netmask);
    const gateway = config.gateway === null ? null : parseIpv4(config.gateway);
    if (address === null || netmask === null || (config.gateway !== null && gateway === null)) {
      throw new Error(`invalid IPv4 configuration ${JSON.stringify(config)}: addresses must be dotted quads`);
    }
    this.setNumbers({ address, netmask, gateway });
  }

  async disconnect(): Promise<void> {
    clearInterval(this.ticker);
    this.reassembler.clear();
  }
}
