import type { RttOptions } from './rtt';

/** Tuning of the TCP layer; every field has a default suited to a unikernel on a LAN. */
export interface TcpSettings {
  /** Receive buffer per connection, in bytes: the largest window advertised (default 256 KiB). */
  readonly receiveBuffer?: number;
  /**
   * Send buffer per connection: a write resolves once its bytes fit here (default 1 MiB). It bounds
   * the bytes in flight: at 256 KiB a bulk sender over a tap stalled whenever Linux's reader was late.
   */
  readonly sendBuffer?: number;
  /** Bytes buffered by all connections together, sent or received (default 64 MiB). */
  readonly memoryLimit?: number;
  /** Connections in any state, TIME-WAIT included (default 4096). */
  readonly maxConnections?: number;
  /** Half-open connections per listener before SYN cookies take over (default 128). */
  readonly backlog?: number;
  /** Out-of-order pieces held per connection (default 64). */
  readonly reorderPieces?: number;
  /** Retransmissions of data before the connection is given up (default 12). */
  readonly maxRetransmits?: number;
  /** Retransmissions of a SYN or SYN-ACK (default 5: about a minute with backoff, as Linux). */
  readonly synRetries?: number;
  /** How long TIME-WAIT lasts, 2 MSL (default 60 s, as Linux). */
  readonly timeWaitMs?: number;
  /** How long a closed connection may wait for the peer's FIN (default 60 s, Linux's tcp_fin_timeout). */
  readonly finTimeoutMs?: number;
  /** Delayed-ACK timeout (default 40 ms, Linux's minimum; RFC 9293 allows up to 500 ms). */
  readonly delayedAckMs?: number;
  /** Offer and accept RFC 7323 timestamps (default true). */
  readonly timestamps?: boolean;
  /**
   * Keep-alive (RFC 9293 3.8.4): after this long without a segment from the
   * peer, probe it; off by default (0), as the RFC asks. Linux uses 2 hours.
   */
  readonly keepAliveMs?: number;
  /** Between unanswered keep-alive probes (default 75 s, as Linux). */
  readonly keepAliveIntervalMs?: number;
  /** Unanswered keep-alive probes before the connection is given up (default 9, as Linux). */
  readonly keepAliveProbes?: number;
  /** Offer and accept selective acknowledgements, RFC 2018 (default true). */
  readonly sack?: boolean;
  /** Offer and accept RFC 7323 window scaling (default true). */
  readonly windowScaling?: boolean;
  readonly rtt?: RttOptions;
}

export type TcpConfig = Required<Omit<TcpSettings, 'rtt'>> & { readonly rtt: RttOptions };

export function tcpConfig(o: TcpSettings = {}): TcpConfig {
  const c: TcpConfig = {
    receiveBuffer: o.receiveBuffer ?? 256 * 1024,
    sendBuffer: o.sendBuffer ?? 1024 * 1024,
    memoryLimit: o.memoryLimit ?? 64 * 1024 * 1024,
    maxConnections: o.maxConnections ?? 4096,
    backlog: o.backlog ?? 128,
    reorderPieces: o.reorderPieces ?? 64,
    maxRetransmits: o.maxRetransmits ?? 12,
    synRetries: o.synRetries ?? 5,
    timeWaitMs: o.timeWaitMs ?? 60_000,
    finTimeoutMs: o.finTimeoutMs ?? 60_000,
    delayedAckMs: o.delayedAckMs ?? 40,
    timestamps: o.timestamps ?? true,
    windowScaling: o.windowScaling ?? true,
    sack: o.sack ?? true,
    keepAliveMs: o.keepAliveMs ?? 0,
    keepAliveIntervalMs: o.keepAliveIntervalMs ?? 75_000,
    keepAliveProbes: o.keepAliveProbes ?? 9,
    rtt: o.rtt ?? {},
  };
  for (const k of [
    'receiveBuffer',
    'sendBuffer',
    'memoryLimit',
    'maxConnections',
    'backlog',
    'reorderPieces',
    'keepAliveIntervalMs',
    'keepAliveProbes',
  ] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new RangeError(`tcp.${k} is ${c[k]}: give a positive integer`);
  }
  if (!Number.isInteger(c.keepAliveMs) || c.keepAliveMs < 0)
    throw new RangeError(`tcp.keepAliveMs is ${c.keepAliveMs}: give 0 (off) or a positive number of milliseconds`);
  if (c.receiveBuffer > 1 << 30)
    throw new RangeError(`tcp.receiveBuffer is ${c.receiveBuffer}: window scaling reaches 1 GiB at most`);
  return c;
}

/** The window shift that lets `buffer` bytes be advertised (RFC 7323 2.3: at most 14). */
export function windowShiftFor(buffer: number): number {
  let shift = 0;
  while (shift < 14 && 0xffff * 2 ** shift < buffer) shift++;
  return shift;
}
