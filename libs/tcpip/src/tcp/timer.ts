// The global `performance` is a lazy getter in Node 20: reading it per call was ≈ 4 % of a bulk transfer.
import { performance } from 'node:perf_hooks';

/** Where time comes from, so the state machine can be driven by a test's clock. */
export interface TcpClock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The time read once per turn of the event loop (as Linux reads tcp_mstamp
 * once per batch of segments): a bulk transfer asked for it about six times
 * per segment, ≈ 7 % of the transfer. Every timer callback and every batch of
 * frames is a new turn, so the value is never older than the work in hand.
 */
let turnTime: number | undefined;
const newTurn = () => {
  turnTime = undefined;
};

export const realClock: TcpClock = {
  now: () => {
    if (turnTime === undefined) {
      turnTime = performance.now();
      queueMicrotask(newTurn);
    }
    return turnTime;
  },
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // The network device keeps a unikernel alive; a TCP timer alone must not.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * One timer of a connection (retransmission, delayed ACK, persist,
 * TIME-WAIT). The retransmission deadline moves on almost every ACK, so
 * moving it later only records the new deadline: the pending timeout wakes
 * up, sees it is early, and sleeps again. That keeps a bulk transfer from
 * creating and cancelling a timer per segment.
 */
export class Deadline {
  private at: number | undefined;
  private handle: unknown;
  private armedFor: number | undefined;

  constructor(
    private readonly clock: TcpClock,
    private readonly fire: () => void,
  ) {}

  get pending(): boolean {
    return this.at !== undefined;
  }

  /** Fires `ms` from now (replacing any earlier setting). */
  set(ms: number): void {
    const at = this.clock.now() + ms;
    this.at = at;
    if (this.armedFor !== undefined && this.armedFor <= at) return;
    this.arm(at);
  }

  /** Fires `ms` from now, unless it is already set to fire sooner. */
  atMost(ms: number): void {
    const at = this.clock.now() + ms;
    if (this.at !== undefined && this.at <= at) return;
    this.at = at;
    if (this.armedFor === undefined || this.armedFor > at) this.arm(at);
  }

  /** Sets it only if it is not already pending. */
  ensure(ms: number): void {
    if (this.at === undefined) this.set(ms);
  }

  /**
   * Stops it. The timer underneath stays armed and finds nothing to do when
   * it wakes: the delayed ACK is set and cleared for every other segment, and
   * a timer created and cancelled each time was ≈ 6 % of a bulk transfer.
   */
  clear(): void {
    this.at = undefined;
  }

  /** Stops it and frees the timer underneath (the connection is going away). */
  cancel(): void {
    this.at = undefined;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = this.armedFor = undefined;
  }

  private arm(at: number): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.armedFor = at;
    this.handle = this.clock.setTimeout(() => this.wake(), Math.max(0, Math.ceil(at - this.clock.now())));
  }

  private wake(): void {
    this.handle = this.armedFor = undefined;
    const at = this.at;
    if (at === undefined) return;
    if (this.clock.now() + 0.5 < at) return this.arm(at);
    this.at = undefined;
    this.fire();
  }
}
