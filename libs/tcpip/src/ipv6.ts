import type { NetError, Result } from '@mirage-ts/types';
import type { DropCounters } from './drops';
import type { EthernetLayer } from './ethernet';
import { fail, failed } from './errors';
import type { IpHeader, IpNetwork, IpPacketHandler, IpPayloadFill } from './ip';
import type { Log } from './log';
import { NeighborCache, type NeighborOptions } from './ndp';
import { Reassembler, type ReassemblyOptions } from './reassembly';
import {
  ALL_NODES_IPV6,
  ALL_ROUTERS_IPV6,
  formatIpv6,
  interfaceIdFromMac,
  ipv6PrefixOf,
  isLinkLocalIpv6,
  isMulticastIpv6,
  LOOPBACK_IPV6,
  multicastMacIpv6,
  parseIpv6,
  readIpv6,
  solicitedNode,
  type IpAddress,
} from './wire/address';
import { checksum, ipPseudoHeaderSum } from './wire/checksum';
import { EtherType } from './wire/ethernet';
import {
  emitIcmpv6Header,
  emitLinkLayerOption,
  emitNeighborMessage,
  fillIcmpv6Checksum,
  ICMPV6_HEADER_LEN,
  Icmpv6Type,
  NA_OVERRIDE,
  NA_ROUTER,
  NA_SOLICITED,
  ND_TARGET_LEN,
  NdpOption,
  neighborMessageLength,
  parseNdpOptions,
  RA_BODY_LEN,
} from './wire/icmpv6';
import {
  emitFragmentHeader,
  emitIpv6,
  FRAGMENT_HEADER_LEN,
  IPV6_HEADER_LEN,
  IPV6_MIN_MTU,
  Ipv6View,
  NextHeader,
  walkExtensions,
  type ParameterProblem,
} from './wire/ipv6';

const ND_HOP_LIMIT = 255;

export interface Ipv6Options {
  /** Hop limit of outgoing packets (Linux uses 64). */
  readonly hopLimit?: number;
  readonly reassembly?: ReassemblyOptions;
  readonly neighbors?: NeighborOptions;
  /** Duplicate address detection (RFC 4862 5.4): solicitations per address (0 turns it off) and the wait after each. */
  readonly dadTransmits?: number;
  readonly dadRetransMs?: number;
  /** Router solicitations sent when the link-local address is ready (RFC 4861's 3), and their interval (4 s). */
  readonly routerSolicitations?: number;
  readonly routerSolicitationIntervalMs?: number;
  /** Form addresses from advertised prefixes (SLAAC, RFC 4862). Off unless asked for. */
  readonly slaac?: boolean;
  /** Addresses formed by SLAAC at most (advertisements cannot grow the address list without end). */
  readonly maxSlaacAddresses?: number;
}

/** The header of the packet being delivered (reused: valid while the handler runs). */
export class Ipv6Header implements IpHeader {
  src = 0n;
  dst = 0n;
  protocol = 0;
  ttl = 0;
  /** The whole packet (fixed header at `off`), for ICMPv6 errors that quote it. */
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  packetLength = 0;
  /** Offset from the fixed header of the field naming `protocol` (for a parameter problem). */
  nextHeaderPointer = 6;
  /** True when the packet was reassembled from fragments. */
  reassembled = false;
  /** The interface vouched for the transport checksum (see `IpHeader`); false once reassembled. */
  checksumVerified = false;
}

type AddressState = 'tentative' | 'preferred' | 'duplicate';

interface OwnAddress {
  state: AddressState;
  readonly prefixLength: number;
  /** Resolves when DAD has finished (true: the address is ours). */
  readonly ready: Promise<boolean>;
  settle: (ok: boolean) => void;
  timer: NodeJS.Timeout | undefined;
}

interface Router {
  readonly ip: bigint;
  /** Date.now() when it stops being a default router; Infinity for configured gateways. */
  expiresAt: number;
}

interface OnLinkPrefix {
  readonly prefix: bigint;
  readonly length: number;
  expiresAt: number;
}

/** Addresses and routes, as text, for logs and tests. */
export interface Ipv6Status {
  readonly addresses: Array<{ address: string; prefixLength: number; state: AddressState }>;
  readonly routers: string[];
  readonly onLink: string[];
  readonly mtu: number;
}

/**
 * IPv6 (RFC 8200) with Neighbor Discovery (RFC 4861) and stateless address
 * autoconfiguration (RFC 4862): validates input, walks and checks extension
 * headers, reassembles fragments, answers neighbor solicitations for its
 * addresses (joined through their solicited-node groups), resolves
 * neighbors, checks each address for duplicates before using it, solicits
 * routers and learns default routers, the link MTU, on-link prefixes and,
 * when asked, addresses from their advertisements; fragments what does not
 * fit the link.
 */
export class Ipv6Layer implements IpNetwork {
  readonly family = 'IPv6';
  readonly maxPayload = 0xffff - FRAGMENT_HEADER_LEN;
  readonly hopLimit: number;
  readonly linkLocal: bigint;
  private readonly view = new Ipv6View();
  private readonly header = new Ipv6Header();
  private readonly handlers = new Map<number, IpPacketHandler<Ipv6Header>>();
  private readonly reassembler: Reassembler;
  private readonly neighbors: NeighborCache;
  private readonly addresses = new Map<bigint, OwnAddress>();
  private readonly groups = new Set<bigint>();
  private readonly routers: Router[] = [];
  private readonly onLink: OnLinkPrefix[] = [];
  private readonly ticker: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();
  private linkMtu: number;
  private nextFragmentId = Math.floor(Math.random() * 0x1_0000_0000);
  private readonly dadTransmits: number;
  private readonly dadRetransMs: number;
  private readonly slaac: boolean;
  private readonly maxSlaacAddresses: number;
  private slaacAddresses = 0;
  private stopped = false;
  /** Called for a packet of an upper-layer protocol nobody handles (the ICMPv6 layer sends a parameter problem). */
  onUnknownProtocol: IpPacketHandler<Ipv6Header> | undefined;
  /** Called for a packet whose headers ask for a parameter problem (RFC 8200 4). */
  onParameterProblem: ((problem: ParameterProblem, hdr: Ipv6Header) => void) | undefined;

  constructor(
    private readonly eth: EthernetLayer,
    private readonly drops: DropCounters,
    private readonly log: Log,
    options: Ipv6Options = {},
  ) {
    this.hopLimit = options.hopLimit ?? 64;
    this.linkMtu = eth.mtu;
    this.dadTransmits = options.dadTransmits ?? 1;
    this.dadRetransMs = options.dadRetransMs ?? 1000;
    this.slaac = options.slaac ?? false;
    this.maxSlaacAddresses = options.maxSlaacAddresses ?? 4;
    this.reassembler = new Reassembler(drops, { timeoutMs: 60_000, ...options.reassembly }, 'ipv6');
    this.neighbors = new NeighborCache(
      (target, mac) => this.sendSolicitation(target, mac),
      drops,
      log,
      options.neighbors,
    );
    const tick = Math.min(1000, Math.max(10, (options.reassembly?.timeoutMs ?? 60_000) / 4));
    this.ticker = setInterval(() => this.expire(), tick);
    this.ticker.unref();
    this.joinGroup(ALL_NODES_IPV6);
    eth.setHandler(EtherType.ipv6, (buf, off, len, _src, checksumVerified) =>
      this.input(buf, off, len, checksumVerified),
    );
    this.linkLocal = (0xfe80n << 112n) | interfaceIdFromMac(eth.macNumber);
    const linkLocalReady = this.addAddress(this.linkLocal, 64);
    const solicitations = options.routerSolicitations ?? 3;
    void linkLocalReady.then((ok) => {
      if (ok && solicitations > 0) this.solicitRouters(solicitations, options.routerSolicitationIntervalMs ?? 4000);
    });
  }

  get mtu(): number {
    return this.linkMtu - IPV6_HEADER_LEN;
  }

  get checksumUnnecessary(): boolean {
    return this.eth.checksumUnnecessary;
  }

  setHandler(protocol: number, handler: IpPacketHandler<Ipv6Header>): void {
    this.handlers.set(protocol, handler);
  }

  handler(protocol: number): IpPacketHandler<Ipv6Header> | undefined {
    return this.handlers.get(protocol);
  }

  isGroup(dst: IpAddress): boolean {
    return typeof dst === 'bigint' && isMulticastIpv6(dst);
  }

  parse(text: string): bigint | null {
    return parseIpv6(text);
  }

  // --- addresses ---

  /**
   * Adds an address (tentative until duplicate address detection ends) and
   * its on-link prefix; resolves true when it is ready, false when another
   * node holds it.
   */
  addAddress(address: bigint, prefixLength: number): Promise<boolean> {
    const had = this.addresses.get(address);
    if (had) return had.ready;
    let settle: (ok: boolean) => void = () => undefined;
    const ready = new Promise<boolean>((r) => (settle = r));
    const a: OwnAddress = { state: 'tentative', prefixLength, ready, settle, timer: undefined };
    this.addresses.set(address, a);
    this.joinGroup(solicitedNode(address));
    if (prefixLength < 128 && !isLinkLocalIpv6(address))
      this.addOnLink(ipv6PrefixOf(address, prefixLength), prefixLength, Infinity);
    if (this.dadTransmits === 0) this.settleAddress(address, a, 'preferred');
    else this.probeAddress(address, a, 0);
    return ready;
  }

  private probeAddress(address: bigint, a: OwnAddress, sent: number): void {
    if (a.state !== 'tentative' || this.stopped) return;
    if (sent === this.dadTransmits) return this.settleAddress(address, a, 'preferred');
    // From the unspecified address, to the solicited-node group, without a link-layer option (RFC 4862 5.4.2).
    const dst = solicitedNode(address);
    const len = neighborMessageLength(false);
    void this.transmitTo(multicastMacIpv6(dst), 0n, dst, NextHeader.icmpv6, len, ND_HOP_LIMIT, (buf, off) =>
      emitNeighborMessage(buf, off, { type: Icmpv6Type.neighborSolicitation, target: address, src: 0n, dst }),
    );
    a.timer = this.later(() => this.probeAddress(address, a, sent + 1), this.dadRetransMs);
  }

  private settleAddress(address: bigint, a: OwnAddress, state: AddressState): void {
    if (a.state !== 'tentative') return;
    clearTimeout(a.timer);
    a.state = state;
    if (state === 'preferred') {
      this.log(`IPv6: ${formatIpv6(address)}/${a.prefixLength} is ready`);
    } else {
      this.log(`IPv6: duplicate address ${formatIpv6(address)}: another node on the link uses it; not using it`);
      this.leaveGroup(solicitedNode(address));
    }
    a.settle(state === 'preferred');
  }

  /** Adds a default router (`set_ip_gateways`); configured ones never expire. */
  addRouter(ip: bigint, lifetimeMs = Infinity): void {
    const now = Date.now();
    const r = this.routers.find((x) => x.ip === ip);
    if (lifetimeMs === 0) {
      if (r && r.expiresAt !== Infinity) this.routers.splice(this.routers.indexOf(r), 1);
      return;
    }
    if (r) r.expiresAt = r.expiresAt === Infinity ? Infinity : now + lifetimeMs;
    else if (this.routers.length < 16) this.routers.push({ ip, expiresAt: now + lifetimeMs });
    else this.drops.count('ndp.too-many-routers');
  }

  private addOnLink(prefix: bigint, length: number, lifetimeMs: number): void {
    const p = this.onLink.find((x) => x.prefix === prefix && x.length === length);
    if (p) p.expiresAt = p.expiresAt === Infinity ? Infinity : Date.now() + lifetimeMs;
    else if (this.onLink.length < 16) this.onLink.push({ prefix, length, expiresAt: Date.now() + lifetimeMs });
    else this.drops.count('ndp.too-many-prefixes');
  }

  /** The addresses that are ready, link-local first. */
  readyAddresses(): bigint[] {
    return [...this.addresses].filter(([, a]) => a.state === 'preferred').map(([ip]) => ip);
  }

  status(): Ipv6Status {
    return {
      addresses: [...this.addresses].map(([ip, a]) => ({
        address: formatIpv6(ip),
        prefixLength: a.prefixLength,
        state: a.state,
      })),
      routers: this.routers.map((r) => formatIpv6(r.ip)),
      onLink: this.onLink.map((p) => `${formatIpv6(p.prefix)}/${p.length}`),
      mtu: this.linkMtu,
    };
  }

  neighborCache(): ReturnType<NeighborCache['snapshot']> {
    return this.neighbors.snapshot();
  }

  reassemblyUse(): { datagrams: number; bytes: number } {
    return { datagrams: this.reassembler.datagramsHeld, bytes: this.reassembler.bytesInUse };
  }

  private joinGroup(group: bigint): void {
    if (this.groups.has(group)) return;
    this.groups.add(group);
    this.eth.joinGroup(multicastMacIpv6(group));
  }

  private leaveGroup(group: bigint): void {
    if (!this.groups.delete(group)) return;
    this.eth.leaveGroup(multicastMacIpv6(group));
  }

  /** The source address for `dst` (RFC 6724, reduced): link-local for link-local and multicast scope, else a global one. */
  localAddressFor(dst: IpAddress): bigint | null {
    const ready = this.readyAddresses();
    if (ready.length === 0) return null;
    const d = BigInt(dst);
    if (ready.includes(d)) return d;
    const linkScope = isLinkLocalIpv6(d) || (isMulticastIpv6(d) && ((d >> 112n) & 0xfn) <= 2n);
    const global = ready.filter((a) => !isLinkLocalIpv6(a));
    if (!linkScope && global.length === 1) return global[0];
    if (!linkScope && global.length > 0) {
      // The longest common prefix wins (rule 8).
      let best = global[0];
      let bestBits = -1;
      for (const a of global) {
        const bits = 128 - (a ^ d).toString(2).length;
        if (bits > bestBits) [best, bestBits] = [a, bits];
      }
      return best;
    }
    return ready.includes(this.linkLocal) ? this.linkLocal : ready[0];
  }

  // --- input ---

  private input(buf: Uint8Array, off: number, len: number, checksumVerified: boolean): void {
    const v = this.view;
    const bad = v.wrap(buf, off, len);
    if (bad) return this.drops.count(`ipv6.${bad}`);
    if (isMulticastIpv6(v.src) || v.src === LOOPBACK_IPV6) return this.drops.count('ipv6.bad-source');
    const own = this.addresses.get(v.dst);
    const forUs = own ? own.state === 'preferred' : this.groups.has(v.dst);
    // A tentative address takes only the neighbor messages of duplicate address detection.
    if (!forUs && !(own && own.state === 'tentative')) return this.drops.count('ipv6.not-for-us');
    const h = this.header;
    h.src = v.src;
    h.dst = v.dst;
    h.ttl = v.hopLimit;
    h.buf = buf;
    h.off = off;
    h.packetLength = IPV6_HEADER_LEN + v.payloadLength;
    h.reassembled = false;
    h.checksumVerified = checksumVerified;
    this.deliver(v, h, !forUs);
  }

  private deliver(v: Ipv6View, h: Ipv6Header, tentativeOnly: boolean): void {
    const x = walkExtensions(v);
    if (typeof x === 'string') return this.drops.count(`ipv6.${x}`);
    if ('code' in x) {
      this.drops.count('ipv6.parameter-problem');
      if (!tentativeOnly) this.onParameterProblem?.(x, h);
      return;
    }
    if (x.fragment) {
      if (tentativeOnly) return this.drops.count('ipv6.not-for-us');
      if (h.reassembled) return this.drops.count('ipv6.nested-fragment');
      return this.reassemble(v, h, x.offset, x.fragment);
    }
    const end = v.payloadOffset + v.payloadLength;
    const plen = end - x.offset;
    h.protocol = x.protocol;
    h.nextHeaderPointer = x.nextHeaderPointer;
    if (x.protocol === NextHeader.icmpv6 && plen >= ICMPV6_HEADER_LEN) {
      const type = v.buf[x.offset];
      if (type >= Icmpv6Type.routerSolicitation && type <= Icmpv6Type.redirect)
        return this.neighborDiscovery(v.buf, x.offset, plen, h);
    }
    if (tentativeOnly) return this.drops.count('ipv6.not-for-us');
    if (x.protocol === NextHeader.none) return this.drops.count('ipv6.no-next-header');
    const handler = this.handlers.get(x.protocol);
    if (handler) return handler(v.buf, x.offset, plen, h);
    this.drops.count('ipv6.unknown-protocol');
    this.onUnknownProtocol?.(v.buf, x.offset, plen, h);
  }

  /**
   * Holds a fragment; once the datagram is whole, rebuilds it as one packet
   * (the fixed header with the fragment header's next header, then the
   * reassembled part) and delivers that.
   */
  private reassemble(
    v: Ipv6View,
    h: Ipv6Header,
    fragOff: number,
    f: { offset: number; more: boolean; id: number; nextHeader: number },
  ): void {
    const start = fragOff + 8;
    const len = v.payloadOffset + v.payloadLength - start;
    if (fragOff !== v.payloadOffset) return this.drops.count('ipv6.fragment-after-extensions');
    if (f.offset + len > 0xffff) return this.drops.count('ipv6.fragment-too-long');
    const key = `${v.src}/${v.dst}/${f.id}`;
    const whole = this.reassembler.putFragment(key, f.offset, f.more, v.buf, start, len, Date.now());
    if (!whole) return;
    if (whole.length > 0xffff) return this.drops.count('ipv6.fragment-too-long');
    const packet = new Uint8Array(IPV6_HEADER_LEN + whole.length);
    packet.set(v.buf.subarray(v.off, v.off + IPV6_HEADER_LEN));
    packet.set(whole, IPV6_HEADER_LEN);
    packet[4] = whole.length >>> 8;
    packet[5] = whole.length;
    packet[6] = f.nextHeader;
    const rebuilt = new Ipv6View();
    if (rebuilt.wrap(packet, 0, packet.length)) return this.drops.count('ipv6.bad-reassembly');
    const h2 = new Ipv6Header();
    Object.assign(h2, h, {
      buf: packet,
      off: 0,
      packetLength: packet.length,
      reassembled: true,
      checksumVerified: false,
    });
    this.deliver(rebuilt, h2, false);
  }

  // --- neighbor discovery ---

  private neighborDiscovery(buf: Uint8Array, off: number, len: number, h: Ipv6Header): void {
    const type = buf[off];
    // RFC 4861 6.1, 7.1: only from the link itself, code 0, a valid checksum.
    if (h.ttl !== ND_HOP_LIMIT) return this.drops.count('ndp.bad-hop-limit');
    if (buf[off + 1] !== 0) return this.drops.count('ndp.bad-code');
    if (checksum(buf, off, len, ipPseudoHeaderSum(h.src, h.dst, NextHeader.icmpv6, len)) !== 0)
      return this.drops.count('icmpv6.bad-checksum');
    if (type === Icmpv6Type.neighborSolicitation) return this.solicitation(buf, off, len, h);
    if (type === Icmpv6Type.neighborAdvertisement) return this.advertisement(buf, off, len, h);
    if (type === Icmpv6Type.routerAdvertisement) return this.routerAdvertisement(buf, off, len, h);
    // Router solicitations are for routers; redirects are ignored (a host may, RFC 4861 8.1 allows it).
    this.drops.count(type === Icmpv6Type.routerSolicitation ? 'ndp.router-solicitation' : 'ndp.redirect-ignored');
  }

  private solicitation(buf: Uint8Array, off: number, len: number, h: Ipv6Header): void {
    if (len < ICMPV6_HEADER_LEN + ND_TARGET_LEN) return this.drops.count('ndp.truncated');
    const target = readIpv6(buf, off + ICMPV6_HEADER_LEN);
    if (isMulticastIpv6(target)) return this.drops.count('ndp.bad-target');
    const opts = parseNdpOptions(buf, off + ICMPV6_HEADER_LEN + ND_TARGET_LEN, off + len);
    if (opts === 'bad-options') return this.drops.count('ndp.bad-options');
    const fromDad = h.src === 0n;
    if (fromDad && (h.dst !== solicitedNode(target) || opts.sourceLinkLayer !== undefined))
      return this.drops.count('ndp.bad-dad-solicitation');
    const own = this.addresses.get(target);
    if (!own || own.state === 'duplicate') return this.drops.count('ndp.not-our-target');
    if (own.state === 'tentative') {
      // Another node is checking the same address at the same time (RFC 4862 5.4.3).
      if (fromDad) this.settleAddress(target, own, 'duplicate');
      return;
    }
    if (opts.sourceLinkLayer !== undefined) this.neighbors.learnt(h.src, opts.sourceLinkLayer);
    const dst = fromDad ? ALL_NODES_IPV6 : h.src;
    const flags = (fromDad ? 0 : NA_SOLICITED) | NA_OVERRIDE;
    const mac = this.eth.macNumber;
    const fill = (b: Uint8Array, o: number) =>
      emitNeighborMessage(b, o, {
        type: Icmpv6Type.neighborAdvertisement,
        flags,
        target,
        linkLayer: mac,
        src: target,
        dst,
      });
    const n = neighborMessageLength(true);
    // The solicitation's link-layer option says where to answer without resolving the sender first.
    const dstMac = fromDad ? multicastMacIpv6(ALL_NODES_IPV6) : opts.sourceLinkLayer;
    if (dstMac !== undefined)
      void this.transmitTo(dstMac, target, dst, NextHeader.icmpv6, n, ND_HOP_LIMIT, (b, o) => fill(b, o));
    else void this.send(dst, NextHeader.icmpv6, n, (b, o) => fill(b, o), { hopLimit: ND_HOP_LIMIT, src: target });
  }

  private advertisement(buf: Uint8Array, off: number, len: number, h: Ipv6Header): void {
    if (len < ICMPV6_HEADER_LEN + ND_TARGET_LEN) return this.drops.count('ndp.truncated');
    const flags = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
    const target = readIpv6(buf, off + ICMPV6_HEADER_LEN);
    if (isMulticastIpv6(target)) return this.drops.count('ndp.bad-target');
    const solicited = (flags & NA_SOLICITED) !== 0;
    if (solicited && isMulticastIpv6(h.dst)) return this.drops.count('ndp.bad-advertisement');
    const opts = parseNdpOptions(buf, off + ICMPV6_HEADER_LEN + ND_TARGET_LEN, off + len);
    if (opts === 'bad-options') return this.drops.count('ndp.bad-options');
    const own = this.addresses.get(target);
    if (own) {
      if (own.state === 'tentative') this.settleAddress(target, own, 'duplicate');
      else this.log(`NDP: another node advertises our address ${formatIpv6(target)}`);
      return;
    }
    this.neighbors.advertised(
      target,
      opts.targetLinkLayer,
      solicited,
      (flags & NA_OVERRIDE) !== 0,
      (flags & NA_ROUTER) !== 0,
    );
  }

  private routerAdvertisement(buf: Uint8Array, off: number, len: number, h: Ipv6Header): void {
    if (len < ICMPV6_HEADER_LEN + RA_BODY_LEN) return this.drops.count('ndp.truncated');
    if (!isLinkLocalIpv6(h.src)) return this.drops.count('ndp.bad-router-source');
    const opts = parseNdpOptions(buf, off + ICMPV6_HEADER_LEN + RA_BODY_LEN, off + len);
    if (opts === 'bad-options') return this.drops.count('ndp.bad-options');
    const lifetimeS = (buf[off + 6] << 8) | buf[off + 7];
    if (opts.sourceLinkLayer !== undefined) this.neighbors.learnt(h.src, opts.sourceLinkLayer);
    const known = this.routers.some((r) => r.ip === h.src);
    this.addRouter(h.src, lifetimeS * 1000);
    if (!known && lifetimeS > 0) this.log(`NDP: router ${formatIpv6(h.src)} for ${lifetimeS} s`);
    if (opts.mtu !== undefined) {
      if (opts.mtu >= IPV6_MIN_MTU && opts.mtu <= this.eth.mtu) this.linkMtu = opts.mtu;
      else this.drops.count('ndp.bad-mtu');
    }
    for (const p of opts.prefixes) {
      if (isLinkLocalIpv6(p.prefix) || p.preferredLifetime > p.validLifetime || p.prefixLength > 128) {
        this.drops.count('ndp.bad-prefix');
        continue;
      }
      const prefix = ipv6PrefixOf(p.prefix, p.prefixLength);
      const validMs = p.validLifetime === 0xffff_ffff ? Infinity : p.validLifetime * 1000;
      if (p.onLink) this.addOnLink(prefix, p.prefixLength, validMs);
      if (this.slaac && p.autonomous && p.prefixLength === 64 && p.validLifetime > 0) {
        const address = prefix | interfaceIdFromMac(this.eth.macNumber);
        if (!this.addresses.has(address)) {
          if (this.slaacAddresses >= this.maxSlaacAddresses) {
            this.drops.count('ndp.too-many-addresses');
            continue;
          }
          this.slaacAddresses++;
          this.log(`IPv6: SLAAC address ${formatIpv6(address)}/64 from ${formatIpv6(h.src)}`);
          void this.addAddress(address, 64);
        }
      }
    }
  }

  private solicitRouters(left: number, intervalMs: number): void {
    if (this.stopped || left === 0 || this.routers.some((r) => r.expiresAt !== Infinity)) return;
    const src = this.linkLocal;
    const len = ICMPV6_HEADER_LEN + 8;
    void this.transmitTo(
      multicastMacIpv6(ALL_ROUTERS_IPV6),
      src,
      ALL_ROUTERS_IPV6,
      NextHeader.icmpv6,
      len,
      ND_HOP_LIMIT,
      (b, o) => {
        emitIcmpv6Header(b, o, Icmpv6Type.routerSolicitation, 0, 0);
        emitLinkLayerOption(b, o + ICMPV6_HEADER_LEN, NdpOption.sourceLinkLayer, this.eth.macNumber);
        fillIcmpv6Checksum(b, o, len, src, ALL_ROUTERS_IPV6);
      },
    );
    this.later(() => this.solicitRouters(left - 1, intervalMs), intervalMs);
  }

  private sendSolicitation(target: bigint, mac: number | null): void {
    const src = this.localAddressFor(target);
    if (src === null) return;
    const dst = mac === null ? solicitedNode(target) : target;
    const len = neighborMessageLength(true);
    void this.transmitTo(mac ?? multicastMacIpv6(dst), src, dst, NextHeader.icmpv6, len, ND_HOP_LIMIT, (b, o) =>
      emitNeighborMessage(b, o, {
        type: Icmpv6Type.neighborSolicitation,
        target,
        linkLayer: this.eth.macNumber,
        src,
        dst,
      }),
    );
  }

  // --- output ---

  /** Where a packet for `dst` goes on the link: a multicast MAC, or the neighbor to resolve. */
  private nextHop(dst: bigint): { mac: number } | { ip: bigint } | string {
    if (isMulticastIpv6(dst)) return { mac: multicastMacIpv6(dst) };
    if (isLinkLocalIpv6(dst)) return { ip: dst };
    const now = Date.now();
    if (this.onLink.some((p) => p.expiresAt > now && ipv6PrefixOf(dst, p.length) === p.prefix)) return { ip: dst };
    const router = this.routers.find((r) => r.expiresAt > now);
    if (!router) return `no route to ${formatIpv6(dst)}: it is off-link and no router is known`;
    return { ip: router.ip };
  }

  /**
   * Sends one packet whose upper-layer payload `fill` writes in place: in
   * one frame when it fits the link, otherwise in fragments.
   */
  send(
    dst: IpAddress,
    protocol: number,
    payloadLength: number,
    fill: IpPayloadFill,
    options: { hopLimit?: number; src?: bigint; dontFragment?: boolean } = {},
  ): Promise<Result<void, NetError>> {
    if (typeof dst !== 'bigint') return failed('unreachable', `${String(dst)} is not an IPv6 address`);
    if (this.stopped) return failed('disconnected', 'the IPv6 layer is disconnected');
    if (payloadLength > this.maxPayload)
      return failed('too-big', `a ${payloadLength}-byte payload exceeds what an IPv6 packet can carry`);
    if (options.dontFragment && payloadLength > this.mtu)
      return failed(
        'too-big',
        `a ${payloadLength}-byte payload does not fit the ${this.mtu}-byte IPv6 MTU and fragmenting was refused`,
      );
    const src = options.src ?? this.localAddressFor(dst);
    if (src === null)
      return failed('unreachable', `no IPv6 address is ready yet, so ${formatIpv6(dst)} cannot be reached`);
    const hop = this.nextHop(dst);
    if (typeof hop === 'string') return failed('unreachable', hop);
    const hopLimit = options.hopLimit ?? this.hopLimit;
    if ('mac' in hop) return this.transmitTo(hop.mac, src, dst, protocol, payloadLength, hopLimit, fill);
    const mac = this.neighbors.resolve(hop.ip);
    if (typeof mac === 'number') return this.transmitTo(mac, src, dst, protocol, payloadLength, hopLimit, fill);
    return mac.then((m) =>
      m === null
        ? fail('unreachable', `${formatIpv6(hop.ip)} did not answer neighbor solicitations`)
        : this.transmitTo(m, src, dst, protocol, payloadLength, hopLimit, fill),
    );
  }

  private transmitTo(
    mac: number,
    src: bigint,
    dst: bigint,
    protocol: number,
    payloadLength: number,
    hopLimit: number,
    fill: IpPayloadFill,
  ): Promise<Result<void, NetError>> {
    if (IPV6_HEADER_LEN + payloadLength <= this.linkMtu) {
      return this.eth.send(mac, EtherType.ipv6, IPV6_HEADER_LEN + payloadLength, (buf, off) => {
        fill(buf, off + IPV6_HEADER_LEN, src);
        emitIpv6(buf, off, { src, dst, nextHeader: protocol, hopLimit, payloadLength });
      });
    }
    // The source fragments (RFC 8200 4.5): every piece but the last a multiple of 8 bytes.
    const whole = Buffer.allocUnsafe(payloadLength);
    fill(whole, 0, src);
    const id = this.nextFragmentId;
    this.nextFragmentId = (this.nextFragmentId + 1) >>> 0;
    const chunk = Math.floor((this.linkMtu - IPV6_HEADER_LEN - FRAGMENT_HEADER_LEN) / 8) * 8;
    const sends: Array<Promise<Result<void, NetError>>> = [];
    for (let at = 0; at < payloadLength; at += chunk) {
      const n = Math.min(chunk, payloadLength - at);
      const more = at + n < payloadLength;
      const len = FRAGMENT_HEADER_LEN + n;
      sends.push(
        this.eth.send(mac, EtherType.ipv6, IPV6_HEADER_LEN + len, (buf, off) => {
          emitIpv6(buf, off, { src, dst, nextHeader: NextHeader.fragment, hopLimit, payloadLength: len });
          emitFragmentHeader(buf, off + IPV6_HEADER_LEN, protocol, at, more, id);
          buf.set(whole.subarray(at, at + n), off + IPV6_HEADER_LEN + FRAGMENT_HEADER_LEN);
        }),
      );
    }
    return Promise.all(sends).then((rs) => rs.find((r) => !r.ok) ?? rs[0]);
  }

  private later(run: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      run();
    }, ms);
    // Kept referenced: someone may be awaiting what it ends (an address's DAD), and a Node program
    // whose only pending work is unreferenced timers exits mid-await. disconnect() clears them.
    this.timers.add(t);
    return t;
  }

  private expire(): void {
    const now = Date.now();
    this.reassembler.expire(now);
    for (let i = this.routers.length - 1; i >= 0; i--) if (this.routers[i].expiresAt <= now) this.routers.splice(i, 1);
    for (let i = this.onLink.length - 1; i >= 0; i--) if (this.onLink[i].expiresAt <= now) this.onLink.splice(i, 1);
  }

  async disconnect(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const a of this.addresses.values()) {
      clearTimeout(a.timer);
      a.settle(false);
    }
    this.neighbors.clear();
    this.reassembler.clear();
  }
}
