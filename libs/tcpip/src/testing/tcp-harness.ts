import { ok, type NetError, type Result } from '@mirage-ts/types';
import { DropCounters } from '../drops';
import { tcpConfig, type TcpConfig, type TcpSettings } from '../tcp/config';
import { Connection, newEventCounts, type ConnectionHost, type IncomingSegment } from '../tcp/connection';
import type { ConnectionId } from '../tcp/isn';
import type { TcpClock } from '../tcp/timer';
import type { TcpHeaderFields } from '../wire/tcp';
import { TcpFlag } from '../wire/tcp';

/** A clock that moves only when the test says so; timers fire in deadline order. */
export class ManualClock implements TcpClock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }
}

/** A segment as it went over the test link. */
export interface SentSegment {
  readonly from: string;
  readonly header: TcpHeaderFields;
  readonly payload: Uint8Array;
}

export const describeFlags = (f: number): string =>
  (['SYN', 'ACK', 'FIN', 'RST', 'PSH'] as const)
    .filter((n) => f & { SYN: TcpFlag.syn, ACK: TcpFlag.ack, FIN: TcpFlag.fin, RST: TcpFlag.rst, PSH: TcpFlag.psh }[n])
    .join('|');

/** One end of a back-to-back link: a ConnectionHost that records what it sends. */
export class End implements ConnectionHost {
  readonly drops = new DropCounters();
  readonly events = newEventCounts();
  conn: Connection | undefined;
  readonly cfg: TcpConfig;
  establishedCount = 0;
  closedCount = 0;
  private used = 0;

  constructor(
    readonly name: string,
    readonly clock: ManualClock,
    readonly link: BackToBack,
    readonly id: ConnectionId,
    settings: TcpSettings = {},
    /** The ISN a passive connection at this end picks. */
    readonly iss = 2_000_000_000,
  ) {
    this.cfg = tcpConfig(settings);
  }

  transmit(
    _conn: Connection,
    header: TcpHeaderFields,
    payload: readonly Uint8Array[],
    length: number,
  ): Promise<Result<void, NetError>> {
    const bytes = Buffer.concat(payload as Uint8Array[], length);
    // The connection refills its header and options for the next segment: keep a copy.
    const options = header.options && {
      ...header.options,
      timestamp: header.options.timestamp && { ...header.options.timestamp },
    };
    this.link.carry({ from: this.name, header: { ...header, options }, payload: bytes });
    return Promise.resolve(ok(undefined));
  }

  reserve(bytes: number): boolean {
    if (this.used + bytes > this.cfg.memoryLimit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used -= bytes;
  }

  available(): number {
    return this.cfg.memoryLimit - this.used;
  }

  get memoryUsed(): number {
    return this.used;
  }

  waitForMemory(): void {}

  established(): void {
    this.establishedCount++;
  }

  closed(): void {
    this.closedCount++;
  }

  /** Delivers a segment to this end: to its connection, or, with none, a SYN makes a passive one. */
  receive(s: SentSegment): void {
    const seg: IncomingSegment = {
      seq: s.header.seq,
      ack: s.header.ack,
      flags: s.header.flags,
      window: s.header.window,
      payload: s.payload,
      options: s.header.options ?? {},
    };
    if (!this.conn) {
      if (s.header.flags & TcpFlag.syn && !(s.header.flags & TcpFlag.ack))
        this.conn = Connection.accept(this, this.cfg, this.id, this.iss, 1460, seg);
      return;
    }
    this.conn.input(seg);
  }
}

/**
 * Two connections back to back with a clock the test moves: every segment is
 * recorded, and the test decides which are delivered, dropped or held.
 */
export class BackToBack {
  readonly clock = new ManualClock();
  readonly log: SentSegment[] = [];
  private queue: SentSegment[] = [];
  /** Return true to lose a segment on the way. */
  lose: (s: SentSegment) => boolean = () => false;
  readonly a: End;
  readonly b: End;

  constructor(settingsA: TcpSettings = {}, settingsB: TcpSettings = settingsA, issB?: number) {
    const idA = { localIp: 0x0a000002, localPort: 40000, remoteIp: 0x0a000003, remotePort: 80 };
    const idB = { localIp: 0x0a000003, localPort: 80, remoteIp: 0x0a000002, remotePort: 40000 };
    this.a = new End('a', this.clock, this, idA, settingsA);
    this.b = new End('b', this.clock, this, idB, settingsB, issB);
  }

  /** `a` connects to `b` (which accepts on the SYN) with ISN `iss`, and the handshake runs. */
  async open(iss = 1_000_000): Promise<{ a: Connection; b: Connection }> {
    this.a.conn = Connection.connect(this.a, this.a.cfg, this.a.id, iss, 1460);
    await this.settle();
    if (!this.b.conn) throw new Error('b never saw the SYN');
    return { a: this.a.conn, b: this.b.conn };
  }

  carry(s: SentSegment): void {
    this.log.push(s);
    if (!this.lose(s)) this.queue.push(s);
  }

  /** Segments sent but not delivered yet. */
  get inFlight(): readonly SentSegment[] {
    return this.queue;
  }

  /** Takes the segments in flight out of the link (to deliver later, reordered, or never). */
  takeInFlight(): SentSegment[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  deliver(s: SentSegment): void {
    (s.from === 'a' ? this.b : this.a).receive(s);
  }

  /** Delivers everything in flight, and what that provokes, until the link is quiet (microtasks included). */
  async settle(maxRounds = 10_000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      await flushMicrotasks();
      const q = this.takeInFlight();
      if (q.length === 0) return;
      for (const s of q) this.deliver(s);
    }
    throw new Error('the link never went quiet');
  }

  /** A readable transcript of the segments from `from` on: `a>b SYN seq=...`. */
  transcript(from = 0): string[] {
    return this.log
      .slice(from)
      .map(
        (s) =>
          `${s.from}>${s.from === 'a' ? 'b' : 'a'} ${describeFlags(s.header.flags)}${s.payload.length ? ` len=${s.payload.length}` : ''}`,
      );
  }
}

export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
