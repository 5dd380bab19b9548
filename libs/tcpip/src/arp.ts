import { ok, type Arp, type NetError, type Result } from '@mirage-ts/types';
import type { DropCounters } from './drops';
import type { EthernetLayer } from './ethernet';
import { fail } from './errors';
import type { Log } from './log';
import { BROADCAST_MAC, formatIpv4, formatMac, parseIpv4 } from './wire/address';
import { ARP_LEN, ArpOp, ArpView, emitArp } from './wire/arp';
import { EtherType } from './wire/ethernet';

export interface ArpOptions {
  /** How long a learnt address stays in the cache (ms). */
  readonly cacheTimeoutMs?: number;
  /** Requests sent for one address before giving up. */
  readonly probes?: number;
  /** Between two requests for the same address (ms). */
  readonly probeIntervalMs?: number;
  /** Senders waiting on one unresolved address; later ones fail at once. */
  readonly maxWaiters?: number;
  /** Addresses cached at once; the oldest is forgotten to make room (a flood of forged replies cannot grow memory). */
  readonly maxEntries?: number;
  /** Addresses being resolved at once; a send to one more fails at once. */
  readonly maxPending?: number;
}

interface Pending {
  readonly waiters: Array<(mac: number | null) => void>;
  sent: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * ARP for IPv4 (RFC 826), with the behaviour and log lines of MirageOS's
 * stack: answers requests for our addresses, learns from replies, resolves
 * with repeated requests ("probes"), forgets entries after a timeout and
 * announces each address with a gratuitous request.
 */
export class ArpLayer implements Arp {
  private readonly view = new ArpView();
  private ips: number[] = [];
  private readonly cache = new Map<number, { mac: number; expiresAt: number }>();
  private readonly pending = new Map<number, Pending>();
  private readonly ticker: NodeJS.Timeout;
  private readonly cacheTimeoutMs: number;
  private readonly probes: number;
  private readonly probeIntervalMs: number;
  private readonly maxWaiters: number;
  private readonly maxEntries: number;
  private readonly maxPending: number;

  constructor(
    private readonly eth: EthernetLayer,
    private readonly drops: DropCounters,
    private readonly log: Log,
    options: ArpOptions = {},
  ) {
    this.cacheTimeoutMs = options.cacheTimeoutMs ?? 60_000;
    this.probes = options.probes ?? 3;
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.maxWaiters = options.maxWaiters ?? 256;
    this.maxEntries = options.maxEntries ?? 512;
    this.maxPending = options.maxPending ?? 64;
    this.ticker = setInterval(() => this.expire(Date.now()), Math.min(1000, this.cacheTimeoutMs / 2));
    this.ticker.unref();
    eth.setHandler(EtherType.arp, (buf, off, len) => this.input(buf, off, len));
  }

  private input(buf: Uint8Array, off: number, len: number): void {
    const v = this.view;
    const bad = v.wrap(buf, off, len);
    if (bad) return this.drops.count(`arp.${bad}`);
    if (v.senderMac === this.eth.macNumber) return this.drops.count('arp.own-packet');
    if (this.ips.includes(v.senderIp) && v.senderIp !== 0) return this.drops.count('arp.address-conflict');
    if (v.op === ArpOp.request) {
      if (v.targetIp !== v.senderIp && this.ips.includes(v.targetIp)) {
        this.log(`ARP responding to: who-has ${formatIpv4(v.targetIp)}?`);
        this.send(ArpOp.reply, v.targetIp, v.senderMac, v.senderIp, v.senderMac);
      } else if (this.cache.has(v.senderIp) || this.pending.has(v.senderIp)) {
        // RFC 826's merge step: a request (gratuitous ones included) refreshes what we already knew.
        this.learn(v.senderIp, v.senderMac);
      }
      return;
    }
    if (v.senderIp !== 0) this.learn(v.senderIp, v.senderMac);
  }

  private learn(ip: number, mac: number): void {
    this.log(`ARP: updating ${formatIpv4(ip)} -> ${formatMac(mac)}`);
    this.cache.delete(ip); // re-inserted last: the Map's order is the eviction order
    if (this.cache.size >= this.maxEntries) {
      this.cache.delete(this.cache.keys().next().value as number);
      this.drops.count('arp.cache-full');
    }
    this.cache.set(ip, { mac, expiresAt: Date.now() + this.cacheTimeoutMs });
    const p = this.pending.get(ip);
    if (p) {
      clearTimeout(p.timer);
      this.pending.delete(ip);
      for (const w of p.waiters) w(mac);
    }
  }

  private expire(now: number): void {
    for (const [ip, entry] of this.cache) {
      if (entry.expiresAt <= now) {
        this.cache.delete(ip);
        this.log(`ARP: timeout ${formatIpv4(ip)}`);
      }
    }
  }

  private send(op: number, senderIp: number, targetMac: number, targetIp: number, dstMac: number): void {
    void this.eth.send(dstMac, EtherType.arp, ARP_LEN, (buf, o) =>
      emitArp(buf, o, op, this.eth.macNumber, senderIp, targetMac, targetIp),
    );
  }

  /** The cached MAC of `ip`, if known now. */
  lookup(ip: number): number | undefined {
    return this.cache.get(ip)?.mac;
  }

  /** The MAC of `ip`: from the cache at once, or after probing (null when nobody answered). */
  resolve(ip: number): number | Promise<number | null> {
    const hit = this.cache.get(ip);
    if (hit) return hit.mac;
    let p = this.pending.get(ip);
    if (!p) {
      if (this.pending.size >= this.maxPending) return Promise.resolve(null);
      p = { waiters: [], sent: 0, timer: undefined };
      this.pending.set(ip, p);
      this.probe(ip, p);
    } else if (p.waiters.length >= this.maxWaiters) {
      return Promise.resolve(null);
    }
    const entry = p;
    return new Promise((resolve) => entry.waiters.push(resolve));
  }

  private probe(ip: number, p: Pending): void {
    if (p.sent >= this.probes) {
      this.pending.delete(ip);
      for (const w of p.waiters) w(null);
      return;
    }
    p.sent++;
    this.log(`ARP: transmitting probe -> ${formatIpv4(ip)}`);
    this.send(ArpOp.request, this.ips[0] ?? 0, 0, ip, BROADCAST_MAC);
    p.timer = setTimeout(() => this.probe(ip, p), this.probeIntervalMs);
  }

  /** Announces `ip` as ours: a request for it from it, to everybody (RFC 5227's announcement). */
  announce(ip: number): void {
    this.log(`ARP: sending gratuitous from ${formatIpv4(ip)}`);
    this.send(ArpOp.request, ip, 0, ip, BROADCAST_MAC);
  }

  async query(ip: string): Promise<Result<string, NetError>> {
    const n = parseIpv4(ip);
    if (n === null) return fail('unreachable', `"${ip}" is not an IPv4 address`);
    const mac = await this.resolve(n);
    return mac === null ? fail('timeout', `no ARP reply from ${ip} after ${this.probes} requests`) : ok(formatMac(mac));
  }

  getIps(): string[] {
    return this.ips.map(formatIpv4);
  }

  /** The numeric form of getIps, for the IPv4 layer. */
  setIpNumbers(ips: readonly number[]): void {
    const fresh = ips.filter((ip) => !this.ips.includes(ip));
    this.ips = [...ips];
    for (const ip of fresh) this.announce(ip);
  }

  async setIps(ips: readonly string[]): Promise<void> {
    this.setIpNumbers(ips.map((ip) => parseIpv4(ip)).filter((n): n is number => n !== null));
  }

  async addIp(ip: string): Promise<void> {
    const n = parseIpv4(ip);
    if (n !== null && !this.ips.includes(n)) this.setIpNumbers([...this.ips, n]);
  }

  removeIp(ip: string): void {
    const n = parseIpv4(ip);
    this.ips = this.ips.filter((x) => x !== n);
  }

  /** Entries currently cached, for diagnostics and tests. */
  entries(): Array<{ ip: string; mac: string }> {
    return [...this.cache].map(([ip, e]) => ({ ip: formatIpv4(ip), mac: formatMac(e.mac) }));
  }

  async disconnect(): Promise<void> {
    clearInterval(this.ticker);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      for (const w of p.waiters) w(null);
    }
    this.pending.clear();
  }
}
