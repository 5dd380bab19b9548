/**
 * The stack's layers composed by hand, as MirageOS unikernels do with
 * `Ethif.Make(N)`, `Arpv4.Make(E)`, `Ipv4.Make(E)(A)`, `Udp.Make(I)` and
 * `Tcp.Flow.Make(I)`, and `Ipv6.Make(E)` (the 2015 ping, ping6 and ethifv4
 * examples): each function
 * wraps the same layer classes DirectStackv4 uses, and `listen`/`input`
 * let the unikernel decide where each protocol's packets go.
 *
 * This is the one implementation module unikernels may import (a narrow
 * exception in eslint.config.mjs): composing layers is the example's point.
 */
import type { Console, NetError, Network, Result, TcpCallback, UdpCallback } from '@mirage-ts/types';
import { ArpLayer, type ArpOptions } from './arp';
import { DropCounters } from './drops';
import { EthernetLayer, type FrameHandler } from './ethernet';
import { Icmpv4Layer, type Icmpv4Options } from './icmpv4';
import { Icmpv6Layer, type Icmpv6Options } from './icmpv6';
import type { IpHeader, IpPacketHandler } from './ip';
import { Ipv4Layer, type Ipv4Options } from './ipv4';
import { Ipv6Layer, type Ipv6Options } from './ipv6';
import { consoleLog, silentLog, type Log } from './log';
import type { TcpSettings } from './tcp/config';
import { TcpLayer } from './tcp/layer';
import { UdpLayer } from './udp';
import { formatIpAddress, parseIpv4, parseIpv6, parseIpv6Prefix } from './wire/address';
import { EtherType } from './wire/ethernet';
import { IpProtocol } from './wire/ipv4';

type PacketHandler = IpPacketHandler;

/** One IPv4 datagram (or IPv6 packet: then `ttl` is its hop limit) as a unikernel's handler sees it (its own copy of the payload). */
export interface Ipv4Packet {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly ttl: number;
  readonly data: Uint8Array;
}

/** A per-protocol input handler (`~tcp`, `~udp`, `~default` of MirageOS's `I.input`). */
export type Ipv4Handler = (packet: Ipv4Packet) => void | Promise<void>;

export interface Ipv4Handlers {
  readonly tcp?: Ipv4Handler;
  readonly udp?: Ipv4Handler;
  /** Every other protocol but ICMP, which the IPv4 layer answers itself (as MirageOS's did). */
  readonly default?: Ipv4Handler;
}

/** The same for IPv6 (`I.input ~tcp ~udp ~default` of `Ipv6.Make`): ICMPv6 and Neighbor Discovery stay with the layer. */
export type Ipv6Packet = Ipv4Packet;
export type Ipv6Handler = Ipv4Handler;
export type Ipv6Handlers = Ipv4Handlers;

/**
 * Frame-level handlers (`~arpv4`, `~ipv4`, `~ipv6` of `E.input`), each given
 * a copy of the frame's payload: a protocol with a handler here goes to it
 * instead of its layer.
 */
export interface EthifHandlers {
  readonly arpv4?: (payload: Uint8Array) => void | Promise<void>;
  readonly ipv4?: (payload: Uint8Array) => void | Promise<void>;
  readonly ipv6?: (payload: Uint8Array) => void | Promise<void>;
}

/**
 * The raw place of the packet being dispatched: valid only while the
 * handler runs synchronously (the frame buffer and header view are reused),
 * which is how a pass-through such as `tcp: t.input` uses it.
 */
interface Raw {
  buf: Uint8Array;
  off: number;
  len: number;
  view: IpHeader;
}
const raws = new WeakMap<Ipv4Packet, Raw>();

export interface LayerOptions {
  /** Where the layers' log lines go (default: the console given, else nowhere). */
  readonly log?: Log;
  readonly console?: Console;
}

/** Ethernet over a Network (`Ethif.Make(N)`), holding what all layers above share: drop counters and the log. */
export class Ethif {
  readonly layer: EthernetLayer;
  readonly drops = new DropCounters();
  readonly log: Log;
  private internalErrorLogged = false;

  constructor(
    readonly network: Network,
    options: LayerOptions = {},
  ) {
    this.layer = new EthernetLayer(network, this.drops);
    this.log = options.log ?? (options.console ? consoleLog(options.console) : silentLog);
  }

  get mac(): string {
    return this.layer.mac;
  }

  /**
   * Delivers frames to the layers until the network disconnects (`N.listen n (E.input ...)`).
   * A handler that throws or rejects is logged and counted; it never stops the loop.
   */
  listen(handlers: EthifHandlers = {}): Promise<Result<void, NetError>> {
    const byType = [
      [EtherType.arp, handlers.arpv4],
      [EtherType.ipv4, handlers.ipv4],
      [EtherType.ipv6, handlers.ipv6],
    ] as const;
    for (const [etherType, handler] of byType) {
      if (!handler) continue;
      const h: FrameHandler = (buf, off, len) => this.guard(() => handler(buf.slice(off, off + len)));
      this.layer.setHandler(etherType, h);
    }
    return this.network.listen((frame, checksumVerified) =>
      this.guard(() => this.layer.input(frame, checksumVerified === true)),
    );
  }

  /** Runs a handler so that neither a throw nor a rejection escapes into the receive loop. */
  guard(run: () => void | Promise<void>): void {
    try {
      const r = run();
      if (r) r.catch((e: unknown) => this.internalError(e));
    } catch (e) {
      this.internalError(e);
    }
  }

  private internalError(e: unknown): void {
    this.drops.count('layers.handler-error');
    if (this.internalErrorLogged) return;
    this.internalErrorLogged = true;
    this.log(
      `a packet handler failed (counted as layers.handler-error): ${e instanceof Error ? e.message : String(e)}`,
    );
  }

  disconnect(): Promise<void> {
    return this.layer.disconnect();
  }
}

/** ARP for IPv4 over an Ethif (`Arpv4.Make(E)`). */
export class Arpv4 {
  readonly layer: ArpLayer;

  constructor(
    readonly ethif: Ethif,
    options?: ArpOptions,
  ) {
    this.layer = new ArpLayer(ethif.layer, ethif.drops, ethif.log, options);
  }

  disconnect(): Promise<void> {
    return this.layer.disconnect();
  }
}

export interface Ipv4LayerOptions extends Ipv4Options {
  readonly icmp?: Icmpv4Options;
}

/** IPv4 with its ICMP echo and error replies (`Ipv4.Make(E)(A)`). */
export class Ipv4 {
  readonly layer: Ipv4Layer;
  readonly icmp: Icmpv4Layer;

  constructor(
    readonly ethif: Ethif,
    readonly arp: Arpv4,
    options: Ipv4LayerOptions = {},
  ) {
    this.layer = new Ipv4Layer(ethif.layer, arp.layer, ethif.drops, options);
    this.icmp = new Icmpv4Layer(this.layer, ethif.drops, ethif.log, { logEcho: false, ...options.icmp });
  }

  /** Binds the interface's address (`I.set_ip`, `set_ip_netmask`, `set_ip_gateways` at once). */
  setIp(address: string, netmask: string, gateway: string | null = null): void {
    const a = parseIpv4(address);
    const m = parseIpv4(netmask);
    const g = gateway === null ? null : parseIpv4(gateway);
    if (a === null || m === null || (gateway !== null && g === null))
      throw new Error(
        `setIp(${JSON.stringify(address)}, ${JSON.stringify(netmask)}, ${JSON.stringify(gateway)}): write dotted quads such as 10.0.0.2, 255.255.255.0, 10.0.0.1`,
      );
    this.layer.setNumbers({ address: a, netmask: m, gateway: g });
  }

  /**
   * Routes TCP, UDP and other protocols to the handlers given (`I.input ~tcp ~udp ~default`).
   * A protocol without a handler keeps its layer's (or, for others, a protocol-unreachable reply).
   */
  input(handlers: Ipv4Handlers): void {
    if (handlers.tcp) this.layer.setHandler(IpProtocol.tcp, this.adapt(handlers.tcp));
    if (handlers.udp) this.layer.setHandler(IpProtocol.udp, this.adapt(handlers.udp));
    if (handlers.default) this.layer.onUnknownProtocol = this.adapt(handlers.default);
  }

  private adapt(handler: Ipv4Handler): PacketHandler {
    return adapt(this.ethif, handler);
  }

  disconnect(): Promise<void> {
    this.icmp.disconnect();
    return this.layer.disconnect();
  }
}

/** A unikernel's handler as a layer's packet handler: it gets a copy, and the raw place is kept for `input` pass-throughs. */
function adapt(ethif: Ethif, handler: Ipv4Handler): PacketHandler {
  return (buf, off, len, view) => {
    const packet: Ipv4Packet = {
      src: formatIpAddress(view.src),
      dst: formatIpAddress(view.dst),
      protocol: view.protocol,
      ttl: view.ttl,
      data: buf.slice(off, off + len),
    };
    const raw: Raw = { buf, off, len, view };
    raws.set(packet, raw);
    try {
      ethif.guard(() => handler(packet));
    } finally {
      raws.delete(packet);
    }
  };
}

export interface Ipv6LayerOptions extends Ipv6Options {
  readonly icmp?: Icmpv6Options;
}

/** IPv6 with Neighbor Discovery and its ICMPv6 echo and error replies (`Ipv6.Make(E)`). */
export class Ipv6 {
  readonly layer: Ipv6Layer;
  readonly icmp: Icmpv6Layer;

  constructor(
    readonly ethif: Ethif,
    options: Ipv6LayerOptions = {},
  ) {
    this.layer = new Ipv6Layer(ethif.layer, ethif.drops, ethif.log, options);
    this.icmp = new Icmpv6Layer(this.layer, ethif.drops, ethif.log, { logEcho: false, ...options.icmp });
  }

  /**
   * Adds an address (`I.set_ip`; `fc00::2` means `fc00::2/64`) and resolves
   * once duplicate address detection is over: true when it is ours to use.
   */
  setIp(address: string): Promise<boolean> {
    const p = parseIpv6Prefix(address);
    if (p === null)
      throw new Error(`setIp(${JSON.stringify(address)}): write an IPv6 address such as fc00::2 or fc00::2/64`);
    return this.layer.addAddress(p.address, p.prefixLength);
  }

  /** Adds default routers (`I.set_ip_gateways`). */
  setGateways(gateways: readonly string[]): void {
    for (const g of gateways) {
      const ip = parseIpv6(g);
      if (ip === null)
        throw new Error(`setGateways: ${JSON.stringify(g)} is not an IPv6 address (write it like fc00::1)`);
      this.layer.addRouter(ip);
    }
  }

  /** The addresses ready for use, as text. */
  addresses(): string[] {
    return this.layer.readyAddresses().map(formatIpAddress);
  }

  /** Routes TCP, UDP and other protocols to the handlers given (`I.input ~tcp ~udp ~default`). */
  input(handlers: Ipv6Handlers): void {
    if (handlers.tcp) this.layer.setHandler(IpProtocol.tcp, adapt(this.ethif, handlers.tcp));
    if (handlers.udp) this.layer.setHandler(IpProtocol.udp, adapt(this.ethif, handlers.udp));
    if (handlers.default) this.layer.onUnknownProtocol = adapt(this.ethif, handlers.default);
  }

  disconnect(): Promise<void> {
    this.icmp.disconnect();
    return this.layer.disconnect();
  }
}

/** Hands a packet to a layer's own handler; a packet kept past its dispatch is counted and dropped. */
function passThrough(ethif: Ethif, handler: PacketHandler, packet: Ipv4Packet): void {
  const raw = raws.get(packet);
  if (!raw) return ethif.drops.count('layers.packet-passed-after-dispatch');
  handler(raw.buf, raw.off, raw.len, raw.view);
}

/** UDP over an Ipv4 or an Ipv6 (`Udp.Make(I)`); `input` is its handler for `ip.input({ udp })`. */
export class Udp {
  readonly layer: UdpLayer;
  private readonly own: PacketHandler;

  constructor(readonly ip: Ipv4 | Ipv6) {
    this.layer = new UdpLayer(ip.layer, ip.icmp, ip.ethif.drops, ip.ethif.log);
    this.own = ownHandler(ip.layer, IpProtocol.udp);
  }

  /** Gives a datagram to this layer: call it synchronously from a `udp` handler. */
  readonly input: Ipv4Handler = (packet) => passThrough(this.ip.ethif, this.own, packet);

  listen(port: number, callback: UdpCallback): Result<void, NetError> {
    return this.layer.listen(port, callback);
  }
}

/** TCP over an Ipv4 or an Ipv6 (`Tcp.Flow.Make(I)`); `input` is its handler for `ip.input({ tcp })`. */
export class Tcp {
  readonly layer: TcpLayer;
  private readonly own: PacketHandler;

  constructor(
    readonly ip: Ipv4 | Ipv6,
    settings?: TcpSettings,
  ) {
    this.layer = new TcpLayer(ip.layer, ip.icmp, ip.ethif.drops, ip.ethif.log, settings);
    this.own = ownHandler(ip.layer, IpProtocol.tcp);
  }

  /** Gives a segment to this layer: call it synchronously from a `tcp` handler. */
  readonly input: Ipv4Handler = (packet) => passThrough(this.ip.ethif, this.own, packet);

  listen(port: number, callback: TcpCallback): Result<void, NetError> {
    return this.layer.listen(port, callback);
  }

  disconnect(): void {
    this.layer.disconnect();
  }
}

/** The handler a layer's constructor registered on IP for `protocol`. */
function ownHandler(ip: Ipv4Layer | Ipv6Layer, protocol: number): PacketHandler {
  const h = ip.handler(protocol) as PacketHandler | undefined;
  if (!h) throw new Error(`no ${ip.family} handler for protocol ${protocol} after building its layer`);
  return h;
}

// MirageOS's functor names, as functions: `const e = ethif(n); const a = arpv4(e); const i = ipv4(e, a)`.
export const ethif = (network: Network, options?: LayerOptions): Ethif => new Ethif(network, options);
export const arpv4 = (e: Ethif, options?: ArpOptions): Arpv4 => new Arpv4(e, options);
export const ipv4 = (e: Ethif, a: Arpv4, options?: Ipv4LayerOptions): Ipv4 => new Ipv4(e, a, options);
export const ipv6 = (e: Ethif, options?: Ipv6LayerOptions): Ipv6 => new Ipv6(e, options);
export const udp = (i: Ipv4 | Ipv6): Udp => new Udp(i);
export const tcp = (i: Ipv4 | Ipv6, settings?: TcpSettings): Tcp => new Tcp(i, settings);
