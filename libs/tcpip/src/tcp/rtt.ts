/**
 * The retransmission timer's value (RFC 6298): SRTT and RTTVAR from
 * measured round trips, RTO = SRTT + max(G, 4 RTTVAR), doubled on every
 * timeout (exponential backoff) until a new measurement arrives.
 */
export interface RttOptions {
  /** Before any measurement (RFC 6298: 1 s). */
  readonly initialMs?: number;
  /** Lower bound. RFC 6298 says 1 s; Linux uses 200 ms, which suits a LAN. */
  readonly minMs?: number;
  /** Upper bound (RFC 6298: at least 60 s). */
  readonly maxMs?: number;
}

/** Clock granularity G, in milliseconds. */
const GRANULARITY = 1;

export class RttEstimator {
  srtt: number | undefined;
  rttvar = 0;
  private base: number;
  private backoffs = 0;
  private readonly minMs: number;
  private readonly maxMs: number;

  constructor(options: RttOptions = {}) {
    this.base = options.initialMs ?? 1000;
    this.minMs = options.minMs ?? 200;
    this.maxMs = options.maxMs ?? 60_000;
  }

  /** The current RTO, backoff included, in milliseconds. */
  get rto(): number {
    return Math.min(this.maxMs, this.base * 2 ** this.backoffs);
  }

  /** Timeouts since the last measurement. */
  get backoff(): number {
    return this.backoffs;
  }

  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.base = Math.min(this.maxMs, Math.max(this.minMs, this.srtt + Math.max(GRANULARITY, 4 * this.rttvar)));
    this.backoffs = 0;
  }

  /** A timeout: the next RTO doubles (RFC 6298 5.5). */
  timedOut(): void {
    if (this.rto < this.maxMs) this.backoffs++;
  }
}
