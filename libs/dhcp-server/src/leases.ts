/**
 * The lease database: who holds which address until when. An entry is an
 * offer (held briefly for a DISCOVER), a bound lease, or a declined address
 * (kept out of the pool). Expiry is lazy: an entry past its time is treated
 * as absent and swept when seen, so no timer is needed.
 */
export type LeaseState = 'offered' | 'bound' | 'declined';

export interface Lease {
  readonly client: string;
  readonly ip: number;
  readonly state: LeaseState;
  /** Seconds, same clock as `now`. */
  readonly expires: number;
}

export class LeaseDatabase {
  private readonly byClient = new Map<string, Lease>();
  private readonly byIp = new Map<number, Lease>();

  constructor(private readonly range?: { readonly start: number; readonly end: number }) {}

  inRange(ip: number): boolean {
    return this.range !== undefined && ip >= this.range.start && ip <= this.range.end;
  }

  private live(l: Lease | undefined, now: number): Lease | undefined {
    if (!l) return undefined;
    if (l.expires > now) return l;
    this.remove(l);
    return undefined;
  }

  private remove(l: Lease): void {
    if (this.byClient.get(l.client) === l) this.byClient.delete(l.client);
    if (this.byIp.get(l.ip) === l) this.byIp.delete(l.ip);
  }

  private put(l: Lease): void {
    const old = this.byClient.get(l.client);
    if (old) this.remove(old);
    const other = this.byIp.get(l.ip);
    if (other) this.remove(other);
    this.byIp.set(l.ip, l);
    if (l.state !== 'declined') this.byClient.set(l.client, l);
  }

  /** The client's live offer or lease. */
  get(client: string, now: number): Lease | undefined {
    return this.live(this.byClient.get(client), now);
  }

  isFree(ip: number, now: number): boolean {
    return this.live(this.byIp.get(ip), now) === undefined;
  }

  /** The client's current address, else `requested` if free in range, else the lowest free one. */
  choose(client: string, requested: number | undefined, now: number, reserved: Set<number>): number | undefined {
    const mine = this.get(client, now);
    if (mine) return mine.ip;
    if (!this.range) return undefined;
    const usable = (ip: number) => this.inRange(ip) && !reserved.has(ip) && this.isFree(ip, now);
    if (requested !== undefined && usable(requested)) return requested;
    for (let ip = this.range.start; ip <= this.range.end; ip++) if (usable(ip)) return ip;
    return undefined;
  }

  offer(client: string, ip: number, expires: number): void {
    const mine = this.byClient.get(client);
    // A DISCOVER while bound keeps the lease; only a new address becomes an offer.
    if (mine && mine.ip === ip && mine.state === 'bound' && mine.expires > expires) return;
    this.put({ client, ip, state: 'offered', expires });
  }

  dropOffer(client: string): void {
    const l = this.byClient.get(client);
    if (l && l.state === 'offered') this.remove(l);
  }

  bind(client: string, ip: number, expires: number): void {
    this.put({ client, ip, state: 'bound', expires });
  }

  /** True when the client held `ip`. */
  release(client: string, ip: number): boolean {
    const l = this.byClient.get(client);
    if (!l || l.ip !== ip) return false;
    this.remove(l);
    return true;
  }

  decline(client: string, ip: number, until: number): void {
    const l = this.byClient.get(client);
    if (l && l.ip === ip) this.remove(l);
    this.put({ client, ip, state: 'declined', expires: until });
  }

  /** Live entries, for logs and tests. */
  all(now: number): Lease[] {
    return [...this.byIp.values()].filter((l) => this.live(l, now) !== undefined);
  }
}
