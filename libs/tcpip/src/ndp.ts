import type { DropCounters } from './drops';
import type { Log } from './log';
import { formatIpv6, formatMac } from './wire/address';

export interface NeighborOptions {
  /** Entries kept at most (resolved and pending); the least recently confirmed goes first. */
  readonly maxEntries?: number;
  /** How long a confirmation keeps an entry REACHABLE (RFC 4861's REACHABLE_TIME, 30 s). */
  readonly reachableMs?: number;
  /** Time between solicitations of an unresolved neighbor (RetransTimer, 1 s). */
  readonly retransMs?: number;
  /** Solicitations before giving up (MAX_MULTICAST_SOLICIT, 3). */
  readonly maxSolicits?: number;
  /** Packets waiting for one neighbor at most. */
  readonly maxWaiting?: number;
}

type State = 'INCOMPLETE' | 'REACHABLE' | 'STALE';

interface Entry {
  state: State;
  mac: number | null;
  confirmedAt: number;
  isRouter: boolean;
  solicits: number;
  timer: NodeJS.Timeout | undefined;
  readonly waiting: Array<(mac: number | null) => void>;
}

/**
 * The neighbor cache of Neighbor Discovery (RFC 4861 7.3), simplified to
 * three states: INCOMPLETE (multicast solicitations, packets waiting),
 * REACHABLE (confirmed recently) and STALE (usable; its first use after it
 * went stale sends one unicast solicitation to confirm it, in place of the
 * DELAY and PROBE states). The number of entries and of waiting packets is
 * bounded, so unsolicited traffic cannot grow it.
 */
export class NeighborCache {
  private readonly entries = new Map<bigint, Entry>();
  private readonly maxEntries: number;
  readonly reachableMs: number;
  readonly retransMs: number;
  private readonly maxSolicits: number;
  private readonly maxWaiting: number;

  constructor(
    /** Sends a neighbor solicitation for `target`: multicast to its solicited-node group, or unicast to `mac`. */
    private readonly solicit: (target: bigint, mac: number | null) => void,
    private readonly drops: DropCounters,
    private readonly log: Log,
    options: NeighborOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 256;
    this.reachableMs = options.reachableMs ?? 30_000;
    this.retransMs = options.retransMs ?? 1000;
    this.maxSolicits = options.maxSolicits ?? 3;
    this.maxWaiting = options.maxWaiting ?? 16;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The MAC of `ip`, now when known, else once it answers (null when it never does). */
  resolve(ip: bigint): number | Promise<number | null> {
    const e = this.entries.get(ip);
    const now = Date.now();
    if (e && e.mac !== null) {
      if (e.state === 'REACHABLE' && now - e.confirmedAt > this.reachableMs) e.state = 'STALE';
      if (e.state === 'STALE' && e.solicits === 0) {
        e.solicits = 1;
        this.solicit(ip, e.mac);
      }
      return e.mac;
    }
    if (e) {
      if (e.waiting.length >= this.maxWaiting) {
        this.drops.count('ndp.too-many-waiting');
        return Promise.resolve(null);
      }
      return new Promise((resolve) => e.waiting.push(resolve));
    }
    this.makeRoom();
    const entry: Entry = {
      state: 'INCOMPLETE',
      mac: null,
      confirmedAt: 0,
      isRouter: false,
      solicits: 0,
      timer: undefined,
      waiting: [],
    };
    this.entries.set(ip, entry);
    const waiting = new Promise<number | null>((resolve) => entry.waiting.push(resolve));
    this.retry(ip, entry);
    return waiting;
  }

  private retry(ip: bigint, e: Entry): void {
    if (e.solicits >= this.maxSolicits) {
      this.log(`NDP: ${formatIpv6(ip)} did not answer ${e.solicits} solicitations`);
      this.entries.delete(ip);
      for (const w of e.waiting.splice(0)) w(null);
      return;
    }
    e.solicits++;
    this.solicit(ip, null);
    // Referenced, as packets wait on it (a few seconds at most; clear() ends it).
    e.timer = setTimeout(() => this.retry(ip, e), this.retransMs);
  }

  /**
   * What a neighbor advertisement says (RFC 4861 7.2.5): a solicited one
   * confirms reachability, an override replaces the MAC; an unsolicited one
   * without override only fills an incomplete entry.
   */
  advertised(ip: bigint, mac: number | undefined, solicited: boolean, override: boolean, isRouter: boolean): void {
    const e = this.entries.get(ip);
    if (!e) return this.drops.count('ndp.unsolicited-advertisement');
    if (e.state === 'INCOMPLETE') {
      if (mac === undefined) return this.drops.count('ndp.advertisement-without-address');
      this.complete(ip, e, mac, solicited ? 'REACHABLE' : 'STALE');
    } else if (override || mac === undefined || mac === e.mac) {
      if (mac !== undefined && mac !== e.mac) this.log(`NDP: updating ${formatIpv6(ip)} -> ${formatMac(mac)}`);
      if (mac !== undefined) e.mac = mac;
      if (solicited) {
        e.state = 'REACHABLE';
        e.confirmedAt = Date.now();
        e.solicits = 0;
      } else if (mac !== undefined && override) e.state = 'STALE';
    }
    e.isRouter = isRouter;
  }

  /** A link-layer address learnt from a solicitation or router advertisement (RFC 4861 7.2.3): STALE unless unchanged. */
  learnt(ip: bigint, mac: number): void {
    const e = this.entries.get(ip);
    if (!e) {
      this.makeRoom();
      this.entries.set(ip, {
        state: 'STALE',
        mac,
        confirmedAt: 0,
        isRouter: false,
        solicits: 0,
        timer: undefined,
        waiting: [],
      });
      return;
    }
    if (e.state === 'INCOMPLETE') return this.complete(ip, e, mac, 'STALE');
    if (e.mac !== mac) {
      e.mac = mac;
      e.state = 'STALE';
      e.solicits = 0;
    }
  }

  private complete(ip: bigint, e: Entry, mac: number, state: State): void {
    clearTimeout(e.timer);
    e.timer = undefined;
    e.mac = mac;
    e.state = state;
    e.confirmedAt = Date.now();
    e.solicits = 0;
    this.log(`NDP: ${formatIpv6(ip)} is at ${formatMac(mac)}`);
    for (const w of e.waiting.splice(0)) w(mac);
  }

  /** The cache as text lines, for tests and logs. */
  snapshot(): Array<{ ip: string; mac: string | null; state: State }> {
    return [...this.entries].map(([ip, e]) => ({
      ip: formatIpv6(ip),
      mac: e.mac === null ? null : formatMac(e.mac),
      state: e.state,
    }));
  }

  /** Evicts the oldest resolved entry (never a pending one, unless all are). */
  private makeRoom(): void {
    while (this.entries.size >= this.maxEntries) {
      let victim: bigint | undefined;
      let oldest = Infinity;
      for (const [ip, e] of this.entries)
        if (e.state !== 'INCOMPLETE' && e.confirmedAt < oldest) {
          oldest = e.confirmedAt;
          victim = ip;
        }
      if (victim === undefined) victim = this.entries.keys().next().value as bigint;
      const e = this.entries.get(victim) as Entry;
      clearTimeout(e.timer);
      for (const w of e.waiting.splice(0)) w(null);
      this.entries.delete(victim);
      this.drops.count('ndp.cache-evicted');
    }
  }

  clear(): void {
    for (const e of this.entries.values()) {
      clearTimeout(e.timer);
      for (const w of e.waiting.splice(0)) w(null);
    }
    this.entries.clear();
  }
}
