import type { NetError, Result } from '@mirage-ts/types';
import type { DropCounters } from '../drops';
import { formatIpAddress } from '../wire/address';
import { TCP_HEADER_LEN, TcpFlag, type TcpHeaderFields, type TcpOptions } from '../wire/tcp';
import type { TcpConfig } from './config';
import { windowShiftFor } from './config';
import { NewReno } from './congestion';
import type { ConnectionId } from './isn';
import { ReceiveSlabs } from './receive-slabs';
import { ReorderQueue } from './reorder-queue';
import { Scoreboard, seqMin } from './scoreboard';
import { RttEstimator } from './rtt';
import { SendBuffer } from './send-buffer';
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt } from './seq';
import { Deadline, type TcpClock } from './timer';

export type TcpState =
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT'
  | 'CLOSED';

/** A received segment, already checked by the wire view; `payload` is only valid during the call. */
export interface IncomingSegment {
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly payload: Uint8Array;
  readonly options: TcpOptions;
}

/** How often loss recovery did what, over all connections: tests and benchmarks read these. */
export interface TcpEventCounts {
  /** Loss recoveries entered from SACK information (RFC 6675). */
  sackRecoveries: number;
  /** Holes retransmitted during SACK recovery. */
  sackRetransmits: number;
  /** Holes found lost by time (RACK, RFC 8985) rather than by three segments SACKed above them. */
  rackRetransmits: number;
  /** Tail loss probes sent (RFC 8985 7). */
  tlpProbes: number;
  /** Retransmission timeouts of data (not of SYNs). */
  rtoCount: number;
  /** D-SACK blocks received (RFC 2883): the peer got a segment twice. */
  dsacksReceived: number;
  /** D-SACK blocks sent. */
  dsacksSent: number;
  /** Keep-alive probes sent (RFC 9293 3.8.4). */
  keepAliveProbes: number;
  /** Times an ICMP fragmentation-needed lowered a connection's MSS (RFC 1191). */
  mssReductions: number;
  /** Retransmission timeouts found spurious by their timestamps and undone (RFC 3522, RFC 4015). */
  spuriousRtos: number;
}

export function newEventCounts(): TcpEventCounts {
  return {
    sackRecoveries: 0,
    sackRetransmits: 0,
    rackRetransmits: 0,
    tlpProbes: 0,
    rtoCount: 0,
    dsacksReceived: 0,
    dsacksSent: 0,
    keepAliveProbes: 0,
    mssReductions: 0,
    spuriousRtos: 0,
  };
}

/** What a connection needs from the TCP layer around it. */
export interface ConnectionHost {
  readonly clock: TcpClock;
  readonly drops: DropCounters;
  readonly events: TcpEventCounts;
  /**
   * Sends one segment; the payload views are copied into the frame when it is
   * built. `header` and its options belong to the connection, which refills
   * them for its next segment: a host that keeps them past the call copies them.
   * A payload longer than one packet (see `segmentOffload`) goes as a
   * super-segment that the interface cuts into `segmentSize`-byte segments.
   */
  transmit(
    conn: Connection,
    header: TcpHeaderFields,
    payload: readonly Uint8Array[],
    length: number,
    segmentSize?: number,
  ): Promise<Result<void, NetError>>;
  /** The largest TCP segment (header and payload) one transmit may carry when the interface cuts it (TSO); 0 or absent: one packet. */
  readonly segmentOffload?: number;
  /** Takes `bytes` from the stack-wide buffer budget; false when it is spent. */
  reserve(bytes: number): boolean;
  release(bytes: number): void;
  /** Bytes left in the stack-wide budget. */
  available(): number;
  /** The budget, not the connection's own buffer, keeps a writer waiting: call `notify` when it frees up. */
  waitForMemory(conn: Connection): void;
  established(conn: Connection): void;
  /** The connection reached CLOSED: the layer forgets it. */
  closed(conn: Connection): void;
}

/** Why a connection ended, for its flow. */
export type Failure = NetError;

const TIMESTAMP_OPTION = 12;
/** A TCP header with the most options (data offset 15). */
const MAX_TCP_HEADER = 60;

/**
 * In-order payloads are copied back to back into a receive slab, and a read
 * takes the unread run as one view: no allocation per segment and no
 * concatenation per read. Slabs grow from the smallest to the largest as a
 * connection keeps receiving, so one that only gets a request holds little.
 * Full-sized slabs a reader hands back (`Flow.release`) are filled again.
 */
const RECEIVE_SLAB_MIN = 16 * 1024;
const RECEIVE_SLAB_MAX = 256 * 1024;

/** A SACK option with `blocks` blocks (at most 3 beside timestamps, 4 without), padded to 32 bits. */
function sackOptionBytes(blocks: number, tsOk: boolean): number {
  return 4 + 8 * Math.min(blocks, tsOk ? 3 : 4);
}

/** RFC 6675's DupThresh: a hole is lost once more than (DupThresh - 1) segments are SACKed above it. */
const DUP_THRESH = 3;
/**
 * RFC 8985 7.2's WCDelAckT, the delay allowed for the ACK of a lone segment: 200 ms in the RFC,
 * less here because Linux and this stack acknowledge within 40 ms, and 200 ms would equal the RTO.
 */
const WORST_DELAYED_ACK_MS = 50;
/**
 * The probe timeout's floor: RFC 8985 7.2 has none (PTO = 2·SRTT), Linux adds two jiffies, and
 * Node's timers count whole milliseconds. A 10 ms floor, ten round trips on a tap, halved the
 * rate under 5 % loss, where a probe fires every few hundred segments.
 */
const MIN_PTO_MS = 2;
/** RFC 9293 3.7.1: the MSS to assume when the peer sends none. */
const DEFAULT_MSS = 536;
/** RFC 7323 5.5: timestamps older than 24 days are not compared. */
const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;
const MAX_PERSIST_MS = 60_000;
/** Linux's tcp_invalid_ratelimit: answers to unusable segments without data, at most one per this interval. */
const UNUSABLE_ANSWER_MS = 500;
/** Received bytes a read returns at most at once. */
const READ_MAX = 256 * 1024;

const SYNCHRONIZED_SENDING: ReadonlySet<TcpState> = new Set([
  'ESTABLISHED',
  'CLOSE-WAIT',
  'FIN-WAIT-1',
  'CLOSING',
  'LAST-ACK',
]);
const RECEIVING: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2']);

/**
 * One TCP connection (RFC 9293's TCB and its event processing): the state
 * machine, sending with retransmission and congestion control, receiving
 * with reordering and window management, and its timers. It never throws on
 * a segment; whatever it refuses is counted.
 */
export class Connection {
  state: TcpState;
  readonly id: ConnectionId;
  /** Set by the layer: the listener a passive connection came from. */
  listener: unknown;
  /** Told whenever a reader or a writer may make progress. */
  onChange: (() => void) | undefined;
  /** Why the connection failed (reset, timeout, refused), once it has. */
  error: Failure | undefined;
  /** The peer's FIN arrived and every byte before it was received. */
  peerFinished = false;

  readonly iss: number;
  irs = 0;
  sndUna: number;
  sndNxt: number;
  /** The highest sequence number sent so far (SND.NXT moves back after a timeout). */
  sndMax: number;
  sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private maxSndWnd = 0;
  /** Sequence number of the send buffer's first byte. */
  private sndBase: number;
  private sndShift = 0;
  private rcvShift = 0;
  /** Payload bytes per segment we send (the peer's MSS, less our options). */
  sndMss = DEFAULT_MSS;
  rcvNxt = 0;
  /** The right edge of the window last advertised; it never moves left (RFC 9293 3.8.6.2.2). */
  private rcvAdvRight = 0;

  private readonly sendBuffer = new SendBuffer();
  private finQueued = false;
  private finSeq = 0;
  /** Received bytes for the reader, in order: these pieces, then the open run of the receive slab. */
  private readonly ready: Uint8Array[] = [];
  /** Bytes in `ready` and in the open run. */
  private readyBytes = 0;
  private rxSlab: Buffer | undefined;
  private readonly slabs = new ReceiveSlabs(RECEIVE_SLAB_MAX);
  /** The open run: [rxRun, rxFill) of the slab, unread and not yet in `ready`. */
  private rxRun = 0;
  private rxFill = 0;
  /** Whether the ready bytes count against the stack-wide budget (not once the connection is gone). */
  private readyCounted = true;
  private readonly reorder: ReorderQueue;
  private readClosed = false;

  private tsOk = false;
  private tsRecent = 0;
  private tsRecentAt = 0;
  private readonly tsOffset = Math.floor(Math.random() * 0x1_0000_0000);
  private lastAckSent = 0;
  /** Refilled for every segment sent (objects per segment were a large share of the GC's work). */
  private readonly txTimestamp = { value: 0, echo: 0 };
  private readonly txOptions: TcpOptions = { timestamp: this.txTimestamp };
  private readonly txHeader: { -readonly [K in keyof TcpHeaderFields]: TcpHeaderFields[K] };
  private windowScaleOk = false;
  /** Both ends offered SACK (RFC 2018). */
  sackOk = false;
  /** The sender's SACK scoreboard. */
  private readonly scoreboard = new Scoreboard();
  /** RFC 6675's HighRxt: holes below it were retransmitted in this recovery. */
  private highRxt = 0;
  /** A hole below any SACKed byte counts as lost (RACK's time rule, set once a probe found the tail). */
  private rackLost = false;
  /** Retransmissions of this recovery, to find those lost again (RACK, RFC 8985 6.2). */
  private retransmissions: Array<{ from: number; to: number; at: number; after: number }> = [];
  /**
   * After a timeout, the TSval of the first retransmission and the state
   * before it: an ACK that echoes an older TSval acknowledges the original,
   * so the timeout was spurious (Eifel detection, RFC 3522).
   */
  private eifel: { ts: number; cwnd: number; ssthresh: number; recover: number } | undefined;
  /** The first hole SACK reported (at SND.UNA), and since when, for RACK's reorder timer; -1 for none. */
  private reorderHole = -1;
  private reorderSince = 0;
  /** Probes sent since the last ACK that moved anything. */
  private probesSent = 0;
  /** A tail loss probe is out and not yet answered. */
  private tlpOut = false;
  /** Where the last out-of-order segment began, so that its block is reported first. */
  /** A duplicate to report in the next ACK as a D-SACK (RFC 2883). */
  private dsack: [number, number] | undefined;

  readonly rtt: RttEstimator;
  readonly cc: NewReno;
  private timing = false;
  private timedSeq = 0;
  private timedAt = 0;
  private retries = 0;
  private probes = 0;
  private segmentsUnacked = 0;
  private ackNeeded = false;
  private outputQueued = false;
  private tailFlushQueued = false;
  private synSentAt = 0;
  private lastUnusableAnswer = -Infinity;

  private readonly retransmitTimer: Deadline;
  private readonly delayedAckTimer: Deadline;
  private readonly persistTimer: Deadline;
  /** RFC 8985's probe timeout (PTO). */
  private readonly probeTimer: Deadline;
  private readonly keepAliveTimer: Deadline;
  private keepAlivesUnanswered = 0;
  /** Idle time before keep-alive probes; 0 is off. The stack's setting until `setKeepAlive` changes it. */
  private keepAliveMs: number;
  /** TIME-WAIT, and the FIN timeout of a connection closed locally. */
  private readonly lifetimeTimer: Deadline;

  private constructor(
    private readonly host: ConnectionHost,
    readonly cfg: TcpConfig,
    id: ConnectionId,
    iss: number,
    /** The MSS we announce: the link MTU less the headers. */
    private readonly rcvMss: number,
    /** Opened by us (connect), rather than accepted. */
    readonly active: boolean,
    state: TcpState,
  ) {
    this.id = id;
    this.txHeader = { srcPort: id.localPort, dstPort: id.remotePort, seq: 0, ack: 0, flags: 0, window: 0 };
    this.state = state;
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.sndBase = seqAdd(iss, 1);
    this.reorder = new ReorderQueue(cfg.reorderPieces);
    this.rtt = new RttEstimator(cfg.rtt);
    this.cc = new NewReno(DEFAULT_MSS, iss);
    const clock = host.clock;
    this.retransmitTimer = new Deadline(clock, () => this.retransmitTimeout());
    this.delayedAckTimer = new Deadline(clock, () => this.ackNow());
    this.persistTimer = new Deadline(clock, () => this.persistTimeout());
    this.probeTimer = new Deadline(clock, () => this.probeTimeout());
    this.keepAliveTimer = new Deadline(clock, () => this.keepAliveTimeout());
    this.keepAliveMs = cfg.keepAliveMs;
    this.lifetimeTimer = new Deadline(clock, () => this.lifetimeEnded());
  }

  /** Active open: sends a SYN (SYN-SENT). */
  static connect(host: ConnectionHost, cfg: TcpConfig, id: ConnectionId, iss: number, mss: number): Connection {
    const c = new Connection(host, cfg, id, iss, mss, true, 'SYN-SENT');
    c.sendSyn();
    return c;
  }

  /** Passive open: answers `syn` with a SYN-ACK (SYN-RECEIVED). */
  static accept(
    host: ConnectionHost,
    cfg: TcpConfig,
    id: ConnectionId,
    iss: number,
    mss: number,
    syn: IncomingSegment,
  ): Connection {
    const c = new Connection(host, cfg, id, iss, mss, false, 'SYN-RECEIVED');
    c.synReceived(syn);
    c.sendSyn();
    return c;
  }

  /**
   * A connection whose SYN-ACK came from a SYN cookie: the ACK completing the
   * handshake arrived, and the cookie kept the peer's MSS and window scale.
   */
  static fromCookie(
    host: ConnectionHost,
    cfg: TcpConfig,
    id: ConnectionId,
    iss: number,
    mss: number,
    ack: IncomingSegment,
    peer: { readonly mss: number; readonly windowScale: number | undefined },
  ): Connection {
    const c = new Connection(host, cfg, id, iss, mss, false, 'ESTABLISHED');
    c.irs = seqAdd(ack.seq, -1);
    c.rcvNxt = ack.seq;
    c.rcvAdvRight = seqAdd(c.rcvNxt, Math.min(cfg.receiveBuffer, 0xffff));
    c.lastAckSent = c.rcvNxt;
    if (peer.windowScale !== undefined && cfg.windowScaling) {
      c.windowScaleOk = true;
      c.sndShift = peer.windowScale;
      c.rcvShift = windowShiftFor(cfg.receiveBuffer);
    }
    c.setSendMss(peer.mss);
    c.sndNxt = c.sndMax = seqAdd(iss, 1);
    c.sndUna = seqAdd(iss, 1);
    c.sndWnd = ack.window << c.sndShift;
    c.maxSndWnd = c.sndWnd;
    c.sndWl1 = ack.seq;
    c.sndWl2 = ack.ack;
    return c;
  }

  // --- what the flow uses ---

  /** Bytes a writer may hand over now. */
  sendSpace(): number {
    if (this.finQueued || !SYNCHRONIZED_SENDING.has(this.state)) return 0;
    const own = this.cfg.sendBuffer - this.sendBuffer.length;
    const shared = this.host.available();
    if (shared <= 0 && own > 0) this.host.waitForMemory(this);
    return Math.max(0, Math.min(own, shared));
  }

  /** Wakes the flow (the stack-wide budget freed up). */
  notify(): void {
    this.changed();
  }

  /** Ends the connection without a segment (an ICMP error, a TIME-WAIT reused, a SYN-ACK nobody answered). */
  forget(reason?: Failure): void {
    this.teardown(reason);
  }

  /**
   * Whether a new SYN may end this TIME-WAIT early (RFC 6191): its
   * timestamp, or else its sequence number, is newer than anything of the
   * old connection.
   */
  acceptsNewSyn(seg: IncomingSegment): boolean {
    if (this.state !== 'TIME-WAIT') return false;
    const ts = seg.options.timestamp;
    if (this.tsOk && ts) return seqGt(ts.value, this.tsRecent);
    return seqGt(seg.seq, this.rcvNxt);
  }

  /** Whether writes are still possible at all (not closed, not failed). */
  get writable(): boolean {
    return (
      !this.finQueued &&
      SYNCHRONIZED_SENDING.has(this.state) &&
      this.state !== 'FIN-WAIT-1' &&
      this.state !== 'CLOSING' &&
      this.state !== 'LAST-ACK'
    );
  }

  /** Copies `n` bytes (at most `sendSpace()`) into the send buffer; they go out on the next turn. */
  write(data: Uint8Array, from: number, n: number): void {
    if (n <= 0) return;
    if (!this.host.reserve(n)) throw new RangeError('write beyond sendSpace()');
    this.sendBuffer.append(data, from, n);
    this.scheduleOutput();
  }

  /** Received bytes, in order, or undefined when none wait. */
  read(): Uint8Array | undefined {
    if (this.readyBytes === 0) return undefined;
    let chunk: Uint8Array;
    if (this.ready.length === 0) {
      chunk = (this.rxSlab as Buffer).subarray(this.rxRun, this.rxFill);
      this.rxRun = this.rxFill;
      this.slabs.lend(chunk);
    } else if (this.ready.length === 1 || this.ready[0].length >= READ_MAX) {
      chunk = this.ready.shift() as Uint8Array;
      this.slabs.lend(chunk);
    } else {
      let n = 0;
      let k = 0;
      while (k < this.ready.length && n + this.ready[k].length <= READ_MAX) n += this.ready[k++].length;
      const pieces = this.ready.splice(0, k);
      chunk = Buffer.concat(pieces, n);
      for (const piece of pieces) this.slabs.copied(piece);
    }
    this.readyBytes -= chunk.length;
    if (this.readyCounted) this.host.release(chunk.length);
    this.windowOpened();
    return chunk;
  }

  /** The reader is done with `chunk`, which a read returned: its slab may take new data (`Flow.release`). */
  handBack(chunk: Uint8Array): void {
    this.slabs.handBack(chunk);
  }

  /** Sends a FIN after the bytes already written (the local side is done sending). */
  shutdown(): void {
    if (this.finQueued) return;
    if (this.state === 'ESTABLISHED') this.state = 'FIN-WAIT-1';
    else if (this.state === 'CLOSE-WAIT') this.state = 'LAST-ACK';
    else return;
    this.finQueued = true;
    this.finSeq = seqAdd(this.sndBase, this.sendBuffer.length);
    // Nobody will read any more: bound how long the peer may take to finish.
    if (this.readClosed) this.lifetimeTimer.set(this.cfg.finTimeoutMs);
    this.output();
  }

  /** The local side will not read any more: received bytes are acknowledged and dropped. */
  closeReading(): void {
    if (this.readClosed) return;
    this.readClosed = true;
    this.host.release((this.readyCounted ? this.readyBytes : 0) + this.reorder.bytes);
    this.ready.length = 0;
    this.readyBytes = 0;
    this.rxRun = this.rxFill;
    this.slabs.clear();
    this.reorder.clear();
    if (this.finQueued) this.lifetimeTimer.set(this.cfg.finTimeoutMs);
    this.windowOpened();
  }

  /** Ends the connection at once with a reset (RFC 9293 3.10.5 ABORT). */
  abort(reason: Failure): void {
    if (this.state === 'CLOSED') return;
    if (this.state !== 'SYN-SENT' && this.state !== 'TIME-WAIT') {
      this.emit(this.sndMax, TcpFlag.rst | TcpFlag.ack, [], 0);
    }
    this.teardown(reason);
  }

  /** Bytes this connection holds in its buffers. */
  get bufferedBytes(): number {
    return this.sendBuffer.length + this.readyBytes + this.reorder.bytes;
  }

  // --- segment arrival (RFC 9293 3.10.7) ---

  input(seg: IncomingSegment): void {
    if (this.state === 'CLOSED') return;
    if (this.keepAliveMs > 0) {
      this.keepAlivesUnanswered = 0;
      this.keepAliveTimer.set(this.keepAliveMs);
    }
    if (this.state === 'SYN-SENT') this.inputSynSent(seg);
    else this.inputSynchronized(seg);
    if (this.isClosed()) return;
    this.output();
    if (this.ackNeeded) this.sendAck();
  }

  private inputSynSent(seg: IncomingSegment): void {
    const f = seg.flags;
    if (f & TcpFlag.ack && (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax))) {
      this.host.drops.count('tcp.bad-ack');
      if (!(f & TcpFlag.rst)) this.emitBare(seg.ack, TcpFlag.rst);
      return;
    }
    if (f & TcpFlag.rst) {
      if (f & TcpFlag.ack) this.teardown({ kind: 'refused', message: `${this.name} refused the connection` });
      return;
    }
    if (!(f & TcpFlag.syn)) return this.host.drops.count('tcp.unexpected');
    this.synReceived(seg);
    if (f & TcpFlag.ack) {
      this.acceptSynAck(seg);
      this.ackNeeded = true;
      this.becomeEstablished();
    } else {
      // Simultaneous open (RFC 9293 figure 8): answer with our SYN again, now with an ACK.
      this.state = 'SYN-RECEIVED';
      this.emit(this.iss, TcpFlag.syn | TcpFlag.ack, [], 0);
    }
  }

  /** Records what the peer's SYN says: its ISN and the options it offers. */
  private synReceived(syn: IncomingSegment): void {
    this.irs = syn.seq;
    this.rcvNxt = seqAdd(syn.seq, 1);
    this.rcvAdvRight = seqAdd(this.rcvNxt, Math.min(this.cfg.receiveBuffer, 0xffff));
    this.lastAckSent = this.rcvNxt;
    const o = syn.options;
    // An active opener offered both already; a passive one offers what the peer did.
    if (this.cfg.windowScaling && o.windowScale !== undefined) {
      this.windowScaleOk = true;
      this.sndShift = o.windowScale;
      this.rcvShift = windowShiftFor(this.cfg.receiveBuffer);
    } else {
      this.windowScaleOk = false;
      this.sndShift = this.rcvShift = 0;
    }
    this.sackOk = this.cfg.sack && o.sackPermitted === true;
    if (this.cfg.timestamps && o.timestamp) {
      this.tsOk = true;
      this.tsRecent = o.timestamp.value;
      this.tsRecentAt = this.host.clock.now();
    } else {
      this.tsOk = false;
    }
    this.setSendMss(o.mss ?? DEFAULT_MSS);
  }

  private setSendMss(peerMss: number): void {
    const mss = Math.max(64, Math.min(peerMss, this.rcvMss)) - (this.tsOk ? TIMESTAMP_OPTION : 0);
    this.sndMss = mss;
    this.cc.setMss(mss);
  }

  /** Our SYN was acknowledged by a SYN-ACK (SYN-SENT, or the ACK in SYN-RECEIVED). */
  private acceptSynAck(seg: IncomingSegment): void {
    if (this.retries === 0) {
      if (this.tsOk && seg.options.timestamp?.echo) this.rttSampleFromEcho(seg.options.timestamp.echo);
      else this.rtt.sample(this.host.clock.now() - this.synSentAt);
    }
    this.retries = 0;
    this.sndUna = seg.ack;
    if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
    // The window in a SYN is never scaled (RFC 7323 2.2).
    this.sndWnd = seg.flags & TcpFlag.syn ? seg.window : seg.window << this.sndShift;
    this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.retransmitTimer.clear();
  }

  private becomeEstablished(): void {
    this.state = 'ESTABLISHED';
    if (this.keepAliveMs > 0) this.keepAliveTimer.set(this.keepAliveMs);
    this.host.established(this);
  }

  private inputSynchronized(seg: IncomingSegment): void {
    const f = seg.flags;
    const drops = this.host.drops;
    // A retransmitted SYN while our SYN-ACK is unanswered: say it again.
    if (this.state === 'SYN-RECEIVED' && f & TcpFlag.syn && !(f & TcpFlag.ack) && seg.seq === this.irs) {
      this.emit(this.iss, TcpFlag.syn | TcpFlag.ack, [], 0);
      return;
    }
    const ts = seg.options.timestamp;
    // PAWS (RFC 7323 5.3): a segment with an older timestamp is a stale duplicate.
    if (
      this.tsOk &&
      ts &&
      !(f & TcpFlag.rst) &&
      seqLt(ts.value, this.tsRecent) &&
      this.host.clock.now() - this.tsRecentAt < PAWS_IDLE_MS
    ) {
      drops.count('tcp.paws-rejected');
      return this.answerUnusable(seg);
    }
    let payload = seg.payload;
    let seq = seg.seq;
    const syn = (f & TcpFlag.syn) !== 0;
    let fin = (f & TcpFlag.fin) !== 0;
    const segLen = payload.length + (syn ? 1 : 0) + (fin ? 1 : 0);
    const wnd = Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt));
    if (!this.acceptable(seq, segLen, wnd)) {
      drops.count('tcp.out-of-window');
      if (this.state === 'TIME-WAIT' && fin) this.lifetimeTimer.set(this.cfg.timeWaitMs);
      if (!(f & TcpFlag.rst)) this.answerUnusable(seg);
      return;
    }
    // Trim to the window: what precedes RCV.NXT was received already, what passes the right edge does not fit.
    if (seqLt(seq, this.rcvNxt)) {
      let cut = seqDiff(this.rcvNxt, seq);
      if (this.sackOk && payload.length > 0 && !syn)
        this.dsack = [seq, seqMin(seqAdd(seq, payload.length), this.rcvNxt)];
      // The SYN takes the first of the sequence numbers received already.
      if (syn) cut--;
      if (cut >= payload.length) {
        if (cut > payload.length) fin = false;
        payload = payload.subarray(payload.length);
      } else {
        payload = payload.subarray(cut);
      }
      seq = this.rcvNxt;
    }
    const room = seqDiff(seqAdd(this.rcvNxt, wnd), seq);
    if (payload.length > room) {
      payload = payload.subarray(0, Math.max(0, room));
      fin = false;
    }
    if (f & TcpFlag.rst) {
      // RFC 5961 3.2: only a reset at exactly RCV.NXT is believed; one elsewhere in the window gets a challenge ACK.
      if (seg.seq === this.rcvNxt) this.resetReceived();
      else {
        drops.count('tcp.challenge-ack');
        this.answerUnusable(seg);
      }
      return;
    }
    if (f & TcpFlag.syn) {
      // RFC 5961 4.2: a SYN inside a synchronized connection is answered with a challenge ACK.
      drops.count('tcp.challenge-ack');
      return this.answerUnusable(seg);
    }
    if (!(f & TcpFlag.ack)) return drops.count('tcp.no-ack');
    if (this.tsOk && ts && seqLe(seg.seq, this.lastAckSent) && seqGe(ts.value, this.tsRecent)) {
      this.tsRecent = ts.value;
      this.tsRecentAt = this.host.clock.now();
    }
    if (this.state === 'SYN-RECEIVED') {
      if (!(seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax))) {
        drops.count('tcp.bad-ack');
        this.emitBare(seg.ack, TcpFlag.rst);
        return;
      }
      this.acceptSynAck(seg);
      this.becomeEstablished();
      if (this.isClosed()) return; // the layer may have refused it
    } else if (!this.processAck(seg)) {
      return;
    }
    const finAcked = this.finQueued && seqGt(this.sndUna, this.finSeq);
    switch (this.state) {
      case 'FIN-WAIT-1':
        if (finAcked) {
          this.state = 'FIN-WAIT-2';
          if (this.readClosed) this.lifetimeTimer.set(this.cfg.finTimeoutMs);
        }
        break;
      case 'CLOSING':
        if (finAcked) this.enterTimeWait();
        return;
      case 'LAST-ACK':
        if (finAcked) this.teardown(undefined);
        return;
      case 'TIME-WAIT':
        return;
      default:
    }
    if (payload.length > 0 && RECEIVING.has(this.state)) this.receiveText(seq, payload, fin);
    else if (fin && seq === this.rcvNxt) this.finReceived();
    else if (fin && RECEIVING.has(this.state)) this.reorder.finSeq = seqAdd(seq, payload.length);
  }

  /**
   * An unacceptable segment is answered with an ACK (RFC 9293 3.10.7.4,
   * RFC 5961's challenge ACKs), but for ones without data or FIN at most
   * every 500 ms, as Linux does: two ends that disagree about the sequence
   * space cannot then bounce ACKs off each other as fast as the link goes.
   */
  private answerUnusable(seg: IncomingSegment): void {
    const carries = seg.payload.length > 0 || (seg.flags & TcpFlag.fin) !== 0;
    // A whole segment received before: report it as a D-SACK (RFC 2883).
    if (this.sackOk && seg.payload.length > 0 && seqLe(seqAdd(seg.seq, seg.payload.length), this.rcvNxt))
      this.dsack = [seg.seq, seqAdd(seg.seq, seg.payload.length)];
    if (!carries || seg.flags & TcpFlag.syn) {
      const now = this.host.clock.now();
      if (now - this.lastUnusableAnswer < UNUSABLE_ANSWER_MS) return this.host.drops.count('tcp.answer-rate-limited');
      this.lastUnusableAnswer = now;
    }
    this.ackNeeded = true;
  }

  /** RFC 9293 3.10.7.4's four cases, with the zero-window allowance for ACKs and resets. */
  private acceptable(seq: number, segLen: number, wnd: number): boolean {
    const nxt = this.rcvNxt;
    if (wnd === 0) return seq === nxt;
    const right = seqAdd(nxt, wnd);
    if (segLen === 0) return seqInWindow(seq, nxt, right);
    return seqInWindow(seq, nxt, right) || seqInWindow(seqAdd(seq, segLen - 1), nxt, right);
  }

  /** The ACK field of a segment in a synchronized state; false when the segment is to be dropped. */
  private processAck(seg: IncomingSegment): boolean {
    const ack = seg.ack;
    if (seqGt(ack, this.sndMax)) {
      // Acknowledges something never sent (RFC 5961 5.2 too): answer with an ACK, drop it.
      this.host.drops.count('tcp.ack-unsent');
      this.answerUnusable(seg);
      return false;
    }
    const window = seg.window << this.sndShift;
    if (this.sackOk && seg.options.sack) {
      // Blocks are judged against this ACK's cumulative point: one below it is a D-SACK (RFC 2883).
      const una = seqGt(ack, this.sndUna) ? ack : this.sndUna;
      if (this.scoreboard.update(una, this.sndMax, seg.options.sack)) this.host.events.dsacksReceived++;
    }
    if (seqGt(ack, this.sndUna)) {
      if (this.eifel) this.detectSpuriousTimeout(seg);
      this.newAck(ack, seg);
    } else if (
      ack === this.sndUna &&
      seg.payload.length === 0 &&
      !(seg.flags & (TcpFlag.syn | TcpFlag.fin)) &&
      window === this.sndWnd &&
      seqGt(this.sndMax, this.sndUna)
    ) {
      if (this.sackOk) this.cc.dupAcks++;
      else if (this.cc.onDuplicateAck(this.sndUna, this.sndMax, seqDiff(this.sndMax, this.sndUna)) === 'retransmit')
        this.retransmitFirst();
    }
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = window;
      this.maxSndWnd = Math.max(this.maxSndWnd, window);
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (window > 0) {
        this.persistTimer.clear();
        this.probes = 0;
      }
    }
    if (this.sackOk) {
      this.sackLossCheck();
      if (!this.tlpOut) this.armProbe();
    }
    return true;
  }

  /**
   * The first ACK for new data after a timeout: if it echoes a timestamp
   * older than the retransmission's, the original arrived and only the ACKs
   * were late (a busy host, a queue). Undo the timeout (RFC 4015): the window
   * as it was, and carry on after SND.MAX instead of resending a window the
   * peer holds already.
   */
  private detectSpuriousTimeout(seg: IncomingSegment): void {
    const e = this.eifel as NonNullable<typeof this.eifel>;
    this.eifel = undefined;
    const echo = seg.options.timestamp?.echo;
    if (echo === undefined || !seqLt(echo, e.ts)) return;
    this.host.events.spuriousRtos++;
    this.cc.cwnd = e.cwnd;
    this.cc.ssthresh = e.ssthresh;
    this.cc.recover = e.recover;
    this.sndNxt = this.sndMax;
  }

  /** SACKed bytes above a hole beyond which it counts as lost (RFC 6675 IsLost; any, once RACK's time rule applies). */
  private lostThreshold(): number {
    return this.rackLost ? 0 : (DUP_THRESH - 1) * this.sndMss;
  }

  /** Enters SACK loss recovery (RFC 6675 5) when the first hole is lost, and retransmits it at once. */
  private sackLossCheck(): void {
    if (this.cc.inRecovery || this.sndUna === this.sndMax || seqLt(this.sndUna, this.cc.recover)) return;
    const lost =
      (this.cc.dupAcks >= DUP_THRESH && this.scoreboard.count > 0) || this.scoreboard.sacked > this.lostThreshold();
    if (!lost || this.scoreboard.count === 0) return;
    this.cc.enterRecovery(seqDiff(this.sndMax, this.sndUna), this.sndMax);
    this.retransmissions = [];
    this.host.events.sackRecoveries++;
    this.probeTimer.clear();
    this.highRxt = this.sndUna;
    this.host.drops.count('tcp.retransmit-fast');
    const first = this.scoreboard.nextBlock(this.sndUna) ?? this.sndMax;
    this.retransmitRange(this.sndUna, seqMin(first, seqAdd(this.sndUna, this.sndMss)));
    this.retransmitTimer.set(this.rtt.rto);
  }

  /**
   * RACK (RFC 8985 6.2) for retransmissions, which RFC 6675 cannot see lost:
   * one is lost when data sent after it was delivered and more than a round
   * trip and a quarter (the reordering window) has passed since it left.
   */
  private resendLostRetransmissions(): void {
    const srtt = this.rtt.srtt ?? 0;
    const now = this.host.clock.now();
    const delivered = this.scoreboard.highest ?? this.sndUna;
    this.retransmissions = this.retransmissions.filter((r) => seqGt(r.to, this.sndUna));
    for (const r of this.retransmissions) {
      if (!seqGt(delivered, r.after) || now - r.at < srtt * 1.25 + 1) continue;
      const from = seqLt(r.from, this.sndUna) ? this.sndUna : r.from;
      const sackedTo = this.scoreboard.sackedEnd(from);
      if (sackedTo !== undefined && seqGe(sackedTo, r.to)) continue;
      const next = this.scoreboard.nextBlock(from);
      const to = next !== undefined && seqLt(next, r.to) ? next : r.to;
      r.at = now;
      r.after = this.sndMax;
      const saved = this.highRxt;
      this.retransmitRange(from, to);
      this.retransmissions.pop(); // retransmitRange logged it again; this entry stands for it
      if (seqGt(saved, this.highRxt)) this.highRxt = saved;
      this.host.events.rackRetransmits++;
    }
  }

  /**
   * RFC 6675's pipe: bytes thought to be in the network, i.e. holes not
   * (yet) deemed lost, plus whatever was retransmitted.
   */
  private pipe(): number {
    let pipe = 0;
    const thr = this.lostThreshold();
    this.scoreboard.holes(this.sndUna, this.sndMax, (from, to, above) => {
      if (above <= thr) pipe += seqDiff(to, from);
      if (seqGt(this.highRxt, from)) pipe += seqDiff(seqMin(this.highRxt, to), from);
    });
    return pipe;
  }

  /** RFC 6675 NextSeg: a lost hole not yet retransmitted (rule 1), or with `rule3` any hole below SACKed data. */
  private nextHole(rule3: boolean): [number, number] | undefined {
    const thr = this.lostThreshold();
    let found: [number, number] | undefined;
    this.scoreboard.holes(this.sndUna, this.sndMax, (from, to, above) => {
      const start = seqGt(this.highRxt, from) ? this.highRxt : from;
      if (!seqLt(start, to) || !(above > thr || (rule3 && above > 0))) return false;
      found = [start, seqMin(to, seqAdd(start, this.sndMss))];
      return true;
    });
    return found;
  }

  /** Sends [from, to) again (a hole, or the tail for a probe); returns the sequence space it took. */
  private retransmitRange(from: number, to: number): number {
    const offset = seqDiff(from, this.sndBase);
    const len = Math.max(0, Math.min(seqDiff(to, from), this.sendBuffer.length - offset, this.segmentMss()));
    const fin = this.finQueued && seqAdd(from, len) === this.finSeq && seqGt(this.sndMax, this.finSeq);
    if (len === 0 && !fin) return 0;
    this.timing = false; // Karn: no measurement from a retransmitted segment
    this.emit(from, TcpFlag.ack | (fin ? TcpFlag.fin : 0), len > 0 ? this.sendBuffer.views(offset, len) : [], len);
    const end = seqAdd(from, len + (fin ? 1 : 0));
    if (seqGt(end, this.highRxt)) this.highRxt = end;
    if (this.cc.inRecovery) this.retransmissions.push({ from, to: end, at: this.host.clock.now(), after: this.sndMax });
    return len + (fin ? 1 : 0);
  }

  /**
   * RFC 8985 7: arms the probe timeout after new data went out or an ACK
   * came, so that a lost tail is resent after about two round trips instead
   * of a retransmission timeout.
   */
  private armProbe(): void {
    const srtt = this.rtt.srtt;
    if (!this.sackOk || this.tlpOut || this.sndUna === this.sndMax || srtt === undefined)
      return this.probeTimer.clear();
    this.probesSent = 0;
    this.setProbe();
    // RACK's reorder timer (RFC 8985 6.2-6.3): with a small window there are often too few
    // segments above a hole for DupThresh, and waiting for the probe timeout (two round trips,
    // plus the delayed-ACK allowance for a lone segment) cost most of the time under 5 % loss.
    // A hole still open a quarter round trip after data above it was SACKed is lost.
    if (this.scoreboard.count > 0 && !this.cc.inRecovery && !seqLt(this.sndUna, this.cc.recover)) {
      const now = this.host.clock.now();
      if (this.reorderHole !== this.sndUna) {
        this.reorderHole = this.sndUna;
        this.reorderSince = now;
      }
      this.probeTimer.atMost(Math.max(this.reorderSince + srtt / 4 - now, 1));
    }
  }

  /** The probe timeout, doubled for each probe already sent without an answer; never past the RTO. */
  private setProbe(): void {
    let pto = Math.max(2 * (this.rtt.srtt ?? 0), MIN_PTO_MS);
    if (seqDiff(this.sndMax, this.sndUna) <= this.sndMss + 1) pto += WORST_DELAYED_ACK_MS;
    pto *= 2 ** this.probesSent;
    if (pto >= this.rtt.rto) return this.probeTimer.clear();
    this.probeTimer.set(pto);
  }

  /**
   * The probe timeout. A timer that ran late may find ACKs already waiting
   * in the netif's queue: the probe waits one more turn of the event loop so
   * that they are read first (an ACK then re-arms or clears the timer).
   */
  private probeTimeout(): void {
    this.host.clock.setTimeout(() => {
      if (!this.probeTimer.pending) this.sendProbe();
    }, 0);
  }

  /**
   * No ACK for a probe timeout. With holes below SACKed data, RACK's time
   * rule finds them lost now (its reorder timer, RFC 8985 6.3): recovery
   * starts. In recovery or after a timeout, where RFC 8985 would wait for
   * the (backed-off) timeout, the first hole is probed: its retransmission
   * may have been lost too. Probes repeat, each interval doubled, while that
   * stays below the RTO: on a lossy link a lost probe is common.
   * Otherwise the tail may be lost: the last segment is resent (the probe,
   * RFC 8985 7.3) so that its ACK or SACK tells.
   */
  private sendProbe(): void {
    if (!SYNCHRONIZED_SENDING.has(this.state) || this.sndUna === this.sndMax) return;
    this.probesSent++;
    if (this.cc.inRecovery || seqLt(this.sndUna, this.cc.recover)) {
      const next = this.scoreboard.nextBlock(this.sndUna) ?? this.sndMax;
      this.tlpOut = true;
      this.host.events.rackRetransmits++;
      this.retransmitRange(this.sndUna, seqMin(next, seqAdd(this.sndUna, this.sndMss)));
      this.retransmitTimer.ensure(this.rtt.rto);
      this.setProbe();
      return;
    }
    this.rackLost = true;
    if (this.scoreboard.count > 0 && !seqLt(this.sndUna, this.cc.recover)) {
      this.sackLossCheck();
      this.output();
      this.armProbe();
      return;
    }
    this.host.events.tlpProbes++;
    this.tlpOut = true;
    const finSent = this.finQueued && seqGt(this.sndMax, this.finSeq);
    const from = seqAdd(this.sndMax, -(finSent ? 1 : 0) - this.segmentMss());
    this.retransmitRange(seqLt(from, this.sndUna) ? this.sndUna : from, this.sndMax);
    this.retransmitTimer.ensure(this.rtt.rto);
    this.setProbe();
  }

  private newAck(ack: number, seg: IncomingSegment): void {
    const before = this.sndUna;
    const dataAcked = Math.max(0, Math.min(this.sendBuffer.length, seqDiff(ack, this.sndBase)));
    if (dataAcked > 0) {
      this.sendBuffer.consume(dataAcked);
      this.host.release(dataAcked);
      this.sndBase = seqAdd(this.sndBase, dataAcked);
    }
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    const echo = seg.options.timestamp?.echo;
    if (this.tsOk && echo) this.rttSampleFromEcho(echo);
    else if (this.timing && seqGe(ack, this.timedSeq)) {
      this.timing = false;
      this.rtt.sample(this.host.clock.now() - this.timedAt);
    }
    this.retries = 0;
    this.probes = 0;
    const flight = seqDiff(this.sndMax, ack);
    this.tlpOut = false;
    if (this.sackOk) {
      this.scoreboard.advance(ack);
      if (seqLt(this.highRxt, ack)) this.highRxt = ack;
    }
    if (this.sackOk && this.cc.inRecovery) {
      // Partial ACKs need nothing here: output() retransmits the holes that remain.
      this.cc.dupAcks = 0;
      if (seqGe(ack, this.cc.recover)) {
        this.cc.exitRecovery(flight);
        this.rackLost = false;
      }
    } else if (this.cc.onNewAck(ack, seqDiff(ack, before), flight) === 'retransmit') this.retransmitFirst();
    if (flight === 0) {
      this.retransmitTimer.clear();
      this.rackLost = false;
    } else this.retransmitTimer.set(this.rtt.rto);
    if (dataAcked > 0) this.changed();
  }

  private rttSampleFromEcho(echo: number): void {
    const rtt = (this.tsNow() - echo) >>> 0;
    if (rtt < 600_000) this.rtt.sample(rtt);
  }

  private resetReceived(): void {
    this.host.drops.count('tcp.reset-received');
    switch (this.state) {
      case 'SYN-RECEIVED':
        return this.teardown(
          this.active ? { kind: 'refused', message: `${this.name} refused the connection` } : undefined,
        );
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
        return this.teardown({ kind: 'disconnected', message: `${this.name}: the peer reset the connection` });
      default:
        return this.teardown(undefined);
    }
  }

  // --- receiving ---

  private receiveText(seq: number, payload: Uint8Array, fin: boolean): void {
    if (seq === this.rcvNxt) {
      if (!this.store(payload)) return;
      this.rcvNxt = seqAdd(this.rcvNxt, payload.length);
      const held = this.reorder.count;
      if (held > 0) {
        this.rcvNxt = this.reorder.drain(
          this.rcvNxt,
          (d) => this.deliver(d),
          (n) => this.host.release(n),
        );
        // Filling a hole is acknowledged at once (RFC 5681 4.2), so the sender's recovery ends quickly.
        this.ackNeeded = true;
      } else if (++this.segmentsUnacked >= 2) {
        this.ackNeeded = true;
      } else {
        this.delayedAckTimer.ensure(this.cfg.delayedAckMs);
      }
      if (fin) this.finReceived();
      else if (this.reorder.finSeq !== undefined && this.reorder.finSeq === this.rcvNxt) this.finReceived();
      this.changed();
      return;
    }
    // Ahead of RCV.NXT: keep it, and send a duplicate ACK at once (RFC 5681 4.2) for fast retransmit.
    this.ackNeeded = true;
    this.reorder.arrived(seq);
    if (fin) this.reorder.finSeq = seqAdd(seq, payload.length);
    if (!this.host.reserve(payload.length)) return this.host.drops.count('tcp.memory-limit');
    const added = this.reorder.insert(seq, payload);
    if (added < 0) this.host.drops.count('tcp.reorder-full');
    this.host.release(payload.length - Math.max(0, added));
  }

  /** Keeps in-order bytes for the reader (a copy: the frame is reused). */
  private store(payload: Uint8Array): boolean {
    if (this.readClosed) return true;
    if (!this.host.reserve(payload.length)) {
      this.host.drops.count('tcp.memory-limit');
      return false;
    }
    const n = payload.length;
    let slab = this.rxSlab;
    if (slab === undefined || this.rxFill + n > slab.length) {
      this.closeRun();
      const size = slab === undefined ? RECEIVE_SLAB_MIN : Math.min(RECEIVE_SLAB_MAX, 2 * slab.length);
      slab = this.rxSlab = this.slabs.next(Math.max(size, n));
      this.rxRun = this.rxFill = 0;
    }
    slab.set(payload, this.rxFill);
    this.slabs.stored(n);
    this.rxFill += n;
    this.readyBytes += n;
    return true;
  }

  /** Moves the open run into `ready`, so that what is pushed there next comes after it. */
  private closeRun(): void {
    if (this.rxFill === this.rxRun) return;
    this.ready.push((this.rxSlab as Buffer).subarray(this.rxRun, this.rxFill));
    this.rxRun = this.rxFill;
  }

  /** Bytes the reorder queue released (already counted against the budget). */
  private deliver(data: Uint8Array): void {
    if (this.readClosed) return this.host.release(data.length);
    this.closeRun();
    this.ready.push(data);
    this.readyBytes += data.length;
  }

  private finReceived(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.reorder.finSeq = undefined;
    this.peerFinished = true;
    this.ackNeeded = true;
    switch (this.state) {
      case 'ESTABLISHED':
        this.state = 'CLOSE-WAIT';
        break;
      case 'FIN-WAIT-1':
        // Simultaneous close when our FIN is not acknowledged yet (RFC 9293 figure 13).
        if (seqGt(this.sndUna, this.finSeq)) this.enterTimeWait();
        else this.state = 'CLOSING';
        break;
      case 'FIN-WAIT-2':
        this.enterTimeWait();
        break;
      default:
    }
    this.changed();
  }

  private enterTimeWait(): void {
    this.state = 'TIME-WAIT';
    this.retransmitTimer.cancel();
    this.persistTimer.cancel();
    this.delayedAckTimer.cancel();
    this.probeTimer.cancel();
    this.keepAliveTimer.cancel();
    this.lifetimeTimer.set(this.cfg.timeWaitMs);
    this.releaseBuffers();
    this.changed();
  }

  /** The reader took bytes: announce a window that opened by a useful amount (receiver-side SWS avoidance). */
  private windowOpened(): void {
    if (!RECEIVING.has(this.state)) return;
    const advertised = Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt));
    const free = this.cfg.receiveBuffer - this.readyBytes;
    if (
      advertised < this.cfg.receiveBuffer / 2 &&
      free - advertised >= Math.min(this.cfg.receiveBuffer / 2, this.rcvMss)
    )
      this.sendAck();
  }

  /** The window field for a segment, moving the advertised right edge (never left). */
  private windowField(syn: boolean): number {
    const advertised = Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt));
    const free = this.readClosed ? this.cfg.receiveBuffer : Math.max(0, this.cfg.receiveBuffer - this.readyBytes);
    let win = free;
    if (win < advertised || win - advertised < Math.min(this.cfg.receiveBuffer / 2, this.rcvMss)) win = advertised;
    if (syn) return Math.min(win, 0xffff);
    // Integer shifts, not 2 ** shift (a float power per segment): the window is below 2^31 and the shift at most 14.
    const shift = this.rcvShift;
    const field = Math.min(0xffff, (win + (1 << shift) - 1) >>> shift);
    const right = seqAdd(this.rcvNxt, field << shift);
    if (seqGt(right, this.rcvAdvRight)) this.rcvAdvRight = right;
    return field;
  }

  // --- sending ---

  private scheduleOutput(): void {
    if (this.outputQueued) return;
    this.outputQueued = true;
    // Writes made in one turn go out together, in full-sized segments.
    queueMicrotask(() => {
      this.outputQueued = false;
      this.output();
    });
  }

  /**
   * Sends a held-back tail once this turn's writes and ACKs are in (as
   * Linux's autocorking holds a small segment while the one before it is
   * still on its way out): each 64 KiB write otherwise cost a second write
   * to the tap for its last few hundred bytes, and Linux a second packet.
   */
  private flushTailAfterTurn(): void {
    if (this.tailFlushQueued) return;
    this.tailFlushQueued = true;
    setImmediate(() => {
      this.tailFlushQueued = false;
      this.output();
    });
  }

  /**
   * Sends what the windows allow (RFC 9293 3.8.6.2.1's sender-side SWS
   * avoidance, without Nagle). In SACK recovery the congestion window is
   * held against RFC 6675's pipe, and lost holes go before new data.
   */
  output(): void {
    if (!SYNCHRONIZED_SENDING.has(this.state)) return;
    const recovering = this.sackOk && this.cc.inRecovery;
    let pipe = recovering ? this.pipe() : 0;
    if (recovering) {
      this.resendLostRetransmissions();
      for (let hole = this.nextHole(false); hole && this.cc.cwnd - pipe >= this.sndMss; hole = this.nextHole(false)) {
        pipe += this.retransmitRange(hole[0], hole[1]);
        if (this.rackLost) this.host.events.rackRetransmits++;
        else this.host.events.sackRetransmits++;
      }
    }
    let sentNew = false;
    for (;;) {
      // After a timeout SND.NXT walks forward again: what the peer SACKed is skipped.
      if (this.sackOk && seqLt(this.sndNxt, this.sndMax)) {
        const end = this.scoreboard.sackedEnd(this.sndNxt);
        if (end !== undefined) {
          this.sndNxt = end;
          continue;
        }
      }
      const offset = seqDiff(this.sndNxt, this.sndBase);
      let unsent = Math.max(0, this.sendBuffer.length - offset);
      if (this.sackOk && seqLt(this.sndNxt, this.sndMax)) {
        const next = this.scoreboard.nextBlock(this.sndNxt);
        if (next !== undefined) unsent = Math.min(unsent, seqDiff(next, this.sndNxt));
      }
      const flight = seqDiff(this.sndNxt, this.sndUna);
      const room = recovering
        ? Math.min(this.sndWnd - flight, this.cc.cwnd - pipe)
        : Math.min(this.sndWnd, this.cc.cwnd) - flight;
      const mss = this.segmentMss();
      let len = Math.max(0, Math.min(unsent, this.sendSize(mss), room));
      // A super-segment is cut into whole segments: only the end of the data may leave a short one.
      if (len > mss && len < unsent) len -= len % mss;
      const fin = this.finQueued && len === unsent && seqAdd(this.sndNxt, len) === this.finSeq;
      if (len === 0 && !fin) {
        if (unsent > 0 && flight === 0 && this.sndWnd === 0) this.persistTimer.ensure(this.persistInterval());
        break;
      }
      if (len < mss && len < unsent && flight > 0) break; // wait for ACKs rather than send a runt
      if (!recovering && this.deferSuperSegment(len, unsent, flight, mss)) break;
      if (len < mss && len === unsent && !fin && sentNew && this.sendSize(mss) > mss) {
        // Autocorking: the short tail after super-segments waits for the end of this turn, when the
        // writer has likely added the rest (a 64 KiB write leaves 376 bytes past 45 whole segments).
        this.flushTailAfterTurn();
        break;
      }
      let flags = TcpFlag.ack;
      if (fin) flags |= TcpFlag.fin;
      if (len > 0 && len === unsent) flags |= TcpFlag.psh;
      const views = len > 0 ? this.sendBuffer.views(offset, len) : [];
      const fresh = seqGe(this.sndNxt, this.sndMax);
      if (!this.timing && fresh && len > 0 && !this.tsOk) {
        this.timing = true;
        this.timedSeq = seqAdd(this.sndNxt, len);
        this.timedAt = this.host.clock.now();
      }
      this.emit(this.sndNxt, flags, views, len);
      this.sndNxt = seqAdd(this.sndNxt, len + (fin ? 1 : 0));
      if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
      pipe += len + (fin ? 1 : 0);
      sentNew = true;
      this.retransmitTimer.ensure(this.rtt.rto);
    }
    // RFC 6675 NextSeg rule 3: with no new data to send, a hole below SACKed data goes out rather than nothing.
    if (recovering && !sentNew && this.cc.cwnd - pipe >= this.sndMss) {
      const hole = this.nextHole(true);
      if (hole) {
        this.retransmitRange(hole[0], hole[1]);
        this.host.events.sackRetransmits++;
      }
    }
    // RFC 8985 7.2: new data re-arms the probe. Armed by the ACK just before, with at most one
    // segment in flight then, it would still carry the delayed-ACK allowance for a lone segment
    // (50 ms) although several are in flight now: most probes under loss waited that long.
    if (sentNew && !this.tlpOut) this.armProbe();
  }

  /** Sends the first unacknowledged segment again (fast retransmit, NewReno partial ACK). */
  private retransmitFirst(): void {
    this.timing = false; // Karn: no measurement from a retransmitted segment
    this.host.drops.count('tcp.retransmit-fast');
    const offset = seqDiff(this.sndUna, this.sndBase);
    const len = Math.max(
      0,
      Math.min(this.segmentMss(), this.sendBuffer.length - offset, seqDiff(this.sndMax, this.sndUna)),
    );
    const fin = this.finQueued && seqAdd(this.sndUna, len) === this.finSeq && seqGt(this.sndMax, this.finSeq);
    if (len === 0 && !fin) return;
    this.emit(
      this.sndUna,
      TcpFlag.ack | (fin ? TcpFlag.fin : 0),
      len > 0 ? this.sendBuffer.views(offset, len) : [],
      len,
    );
    this.retransmitTimer.set(this.rtt.rto);
  }

  private retransmitTimeout(): void {
    if (this.state === 'CLOSED' || this.state === 'TIME-WAIT') return;
    this.timing = false;
    if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') {
      if (++this.retries > this.cfg.synRetries) {
        this.host.drops.count(this.active ? 'tcp.connect-timeout' : 'tcp.syn-ack-timeout');
        return this.teardown(
          this.active ? { kind: 'timeout', message: `connect to ${this.name} timed out` } : undefined,
        );
      }
      this.rtt.timedOut();
      return this.sendSyn();
    }
    if (this.sndUna === this.sndMax) return;
    if (++this.retries > this.cfg.maxRetransmits)
      return this.abort({
        kind: 'timeout',
        message: `${this.name}: the peer stopped acknowledging, the connection timed out`,
      });
    this.host.drops.count('tcp.retransmit-timeout');
    this.host.events.rtoCount++;
    if (this.tsOk && this.eifel === undefined)
      this.eifel = { ts: this.tsNow(), cwnd: this.cc.cwnd, ssthresh: this.cc.ssthresh, recover: this.cc.recover };
    this.probeTimer.clear();
    this.tlpOut = false;
    this.rackLost = false;
    this.highRxt = this.sndUna;
    this.cc.onTimeout(seqDiff(this.sndMax, this.sndUna), this.sndMax);
    this.rtt.timedOut();
    // Go back to the first unacknowledged byte; slow start sends it again.
    this.sndNxt = this.sndUna;
    this.retransmitTimer.clear();
    this.output();
    this.retransmitTimer.ensure(this.rtt.rto);
  }

  /** Turns keep-alive on (idle `ms` before the first probe) or off (0) for this connection. */
  setKeepAlive(ms: number): void {
    if (!Number.isInteger(ms) || ms < 0)
      throw new RangeError(`keep-alive idle time is ${ms}: give 0 (off) or a positive number of milliseconds`);
    this.keepAliveMs = ms;
    this.keepAlivesUnanswered = 0;
    if (ms > 0 && (SYNCHRONIZED_SENDING.has(this.state) || this.state === 'FIN-WAIT-2')) this.keepAliveTimer.set(ms);
    else this.keepAliveTimer.clear();
  }

  /**
   * Keep-alive (RFC 9293 3.8.4): the peer was silent for the idle time. A
   * segment at SND.NXT - 1 with no data makes it answer with an ACK; with
   * data outstanding the retransmission timer already asks.
   */
  private keepAliveTimeout(): void {
    if (!SYNCHRONIZED_SENDING.has(this.state) && this.state !== 'FIN-WAIT-2') return;
    if (this.sndUna !== this.sndMax) return this.keepAliveTimer.set(this.keepAliveMs);
    if (++this.keepAlivesUnanswered > this.cfg.keepAliveProbes) {
      this.host.drops.count('tcp.keep-alive-timeout');
      return this.abort({ kind: 'timeout', message: `${this.name}: the peer stopped answering keep-alive probes` });
    }
    this.host.events.keepAliveProbes++;
    this.emitBare(seqAdd(this.sndMax, -1), TcpFlag.ack);
    this.keepAliveTimer.set(this.cfg.keepAliveIntervalMs);
  }

  /**
   * An ICMP fragmentation-needed (RFC 1191) or packet-too-big (RFC 8201)
   * about a segment in flight: the path carries at most `payloadMtu` bytes
   * above the IP header (the ICMP layer has applied its family's header size
   * and floor). Segments are made smaller from now on and what is in flight
   * goes again at the new size (as Linux's tcp_simple_retransmit), without a
   * congestion response: nothing was congested.
   */
  pathMtu(payloadMtu: number): void {
    if (!SYNCHRONIZED_SENDING.has(this.state)) return;
    const mss = payloadMtu - TCP_HEADER_LEN - (this.tsOk ? TIMESTAMP_OPTION : 0);
    if (mss >= this.sndMss) return this.host.drops.count('tcp.icmp-mtu-not-lower');
    this.sndMss = mss;
    this.cc.lowerMss(mss);
    this.host.events.mssReductions++;
    if (this.sndNxt !== this.sndUna) {
      this.sndNxt = this.sndUna;
      this.timing = false;
      this.output();
    }
  }

  private persistInterval(): number {
    return Math.min(MAX_PERSIST_MS, this.rtt.rto * 2 ** Math.min(this.probes, 16));
  }

  /** The peer's window is zero: probe it (RFC 9293 3.8.6.1) with a segment it must acknowledge. */
  private persistTimeout(): void {
    if (!SYNCHRONIZED_SENDING.has(this.state)) return;
    if (this.sndWnd > 0) return this.output();
    if (++this.probes > this.cfg.maxRetransmits)
      return this.abort({
        kind: 'timeout',
        message: `${this.name}: the peer stopped answering window probes, the connection timed out`,
      });
    // One byte before SND.UNA: outside the window, so the peer answers with an ACK carrying its window.
    this.emitBare(seqAdd(this.sndUna, -1), TcpFlag.ack);
    this.persistTimer.set(this.persistInterval());
  }

  private sendSyn(): void {
    this.synSentAt = this.host.clock.now();
    const flags = this.state === 'SYN-SENT' ? TcpFlag.syn : TcpFlag.syn | TcpFlag.ack;
    const sent = this.emit(this.iss, flags, [], 0);
    this.sndNxt = seqAdd(this.iss, 1);
    if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    this.retransmitTimer.set(this.rtt.rto);
    if (this.state === 'SYN-SENT') {
      void sent.then((r) => {
        // No ARP answer for the peer (or no route): nothing will ever come back.
        if (!r.ok && r.error.kind === 'unreachable' && this.state === 'SYN-SENT')
          this.teardown({ kind: 'unreachable', message: `${this.name} is unreachable: ${r.error.message}` });
      });
    }
  }

  private ackNow(): void {
    if (this.state === 'CLOSED') return;
    this.sendAck();
  }

  /**
   * A segment with no data carries SND.MAX, not SND.NXT: after a timeout
   * SND.NXT steps back to resend, and the peer, which may hold more than we
   * know, would find a sequence number behind its RCV.NXT unacceptable and
   * drop the ACK with it. Both ends stepping back at once would then deadlock.
   */
  sendAck(): void {
    if (this.state === 'CLOSED' || this.state === 'SYN-SENT') return;
    this.emit(this.sndMax, TcpFlag.ack, [], 0);
  }

  /** A segment with no payload and no options but timestamps, at `seq` (resets, probes). */
  private emitBare(seq: number, flags: number): void {
    this.emit(seq, flags, [], 0);
  }

  private emit(
    seq: number,
    flags: number,
    payload: readonly Uint8Array[],
    len: number,
  ): Promise<Result<void, NetError>> {
    const syn = (flags & TcpFlag.syn) !== 0;
    const hasAck = (flags & TcpFlag.ack) !== 0;
    // Before the SACK blocks below are spent: what each cut segment of a super-segment carries.
    const segmentSize = len > this.sndMss ? this.segmentMss() : undefined;
    let options: TcpOptions | undefined;
    if (syn) {
      options = { mss: this.rcvMss };
      const offerAll = this.state === 'SYN-SENT';
      if (this.cfg.windowScaling && (offerAll || this.windowScaleOk))
        options.windowScale = windowShiftFor(this.cfg.receiveBuffer);
      if (this.cfg.sack && (offerAll || this.sackOk)) options.sackPermitted = true;
      if (this.cfg.timestamps && (offerAll || this.tsOk))
        options.timestamp = { value: this.tsNow(), echo: offerAll ? 0 : this.tsRecent };
    } else if (!(flags & TcpFlag.rst)) {
      if (this.tsOk) {
        // One options object per connection, refilled: the host uses it before transmit returns (see ConnectionHost).
        this.txTimestamp.value = this.tsNow();
        this.txTimestamp.echo = this.tsRecent;
        options = this.txOptions;
      }
      if (this.sackOk && hasAck && (this.dsack || this.reorder.count > 0)) {
        // 40 option bytes: 3 blocks beside timestamps, 4 without (RFC 2018 3); on data, only what fits the MSS.
        let max = this.tsOk ? 3 : 4;
        while (max > 0 && len > this.sndMss - sackOptionBytes(max, this.tsOk)) max--;
        const blocks: Array<readonly [number, number]> = [];
        if (max > 0) {
          if (this.dsack) {
            blocks.push(this.dsack);
            this.dsack = undefined;
            this.host.events.dsacksSent++;
          }
          blocks.push(...this.reorder.blocks(max - blocks.length));
          const withSack: TcpOptions = { sack: blocks };
          if (options?.timestamp) withSack.timestamp = options.timestamp;
          options = withSack;
        }
      }
    }
    const header = this.txHeader;
    header.seq = seq;
    header.ack = hasAck ? this.rcvNxt : 0;
    header.flags = flags;
    header.window = flags & TcpFlag.rst ? 0 : this.windowField(syn);
    header.options = options;
    if (hasAck) {
      this.lastAckSent = this.rcvNxt;
      this.ackNeeded = false;
      this.segmentsUnacked = 0;
      this.delayedAckTimer.clear();
    }
    return this.host.transmit(this, header, payload, len, segmentSize);
  }

  /**
   * How many payload bytes one send may carry: one segment, or with
   * segmentation offload as many whole segments as fit a super-segment (as
   * Linux's TSO; its header may take up to 60 bytes).
   */
  private sendSize(mss: number): number {
    const most = this.host.segmentOffload ?? 0;
    if (most <= 0) return mss;
    const segments = Math.floor((most - MAX_TCP_HEADER) / mss);
    return segments > 1 ? segments * mss : mss;
  }

  /**
   * Whether to hold back a super-segment cut short while more data is on its
   * way (as Linux's tcp_tso_should_defer): the window let only part of what
   * waits go, or the send buffer is full and the writer waits for room. With
   * at least four segments in flight, ACKs will open room for a fuller one;
   * sent at once, each ACK (Linux's come every few segments) released a
   * super-segment of a few segments.
   */
  private deferSuperSegment(len: number, unsent: number, flight: number, mss: number): boolean {
    const most = this.sendSize(mss);
    if (most <= mss || len >= most || flight < 4 * mss) return false;
    const moreComing = len < unsent || this.sendBuffer.length >= this.cfg.sendBuffer;
    return moreComing && len < Math.min(this.sndWnd, this.cc.cwnd, this.cfg.sendBuffer) / 3;
  }

  /**
   * Payload bytes the next data segment may carry: the MSS less the SACK
   * blocks that will ride on it (as Linux's tcp_current_mss). The MSS counts
   * options against the payload (RFC 6691), so a full segment with three
   * blocks would be 28 bytes too long for the link: with DF set it would
   * never leave.
   */
  private segmentMss(): number {
    if (!this.sackOk || (this.dsack === undefined && this.reorder.count === 0)) return this.sndMss;
    return this.sndMss - sackOptionBytes((this.dsack ? 1 : 0) + this.reorder.count, this.tsOk);
  }

  private tsNow(): number {
    return (Math.floor(this.host.clock.now()) + this.tsOffset) >>> 0;
  }

  // --- endings ---

  private lifetimeEnded(): void {
    if (this.state === 'TIME-WAIT') return this.teardown(undefined);
    if (this.state === 'CLOSED') return;
    this.host.drops.count('tcp.fin-timeout');
    this.abort({ kind: 'timeout', message: `${this.name}: the peer did not finish closing` });
  }

  /**
   * Frees the send buffer and the reorder queue. Bytes received in order stay
   * readable (after a reset too, as with a socket) unless nobody will read
   * them, but no longer count against the budget.
   */
  private releaseBuffers(): void {
    const held = this.sendBuffer.length + this.reorder.bytes + (this.readyCounted ? this.readyBytes : 0);
    if (held > 0) this.host.release(held);
    if (this.sendBuffer.length > 0) this.sendBuffer.consume(this.sendBuffer.length);
    this.reorder.clear();
    this.readyCounted = false;
    if (this.readClosed) {
      this.ready.length = 0;
      this.readyBytes = 0;
      this.rxRun = this.rxFill;
    }
  }

  /** CLOSED: timers stop, buffers are freed, the layer forgets the connection. */
  private teardown(reason: Failure | undefined): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.error ??= reason;
    this.retransmitTimer.cancel();
    this.delayedAckTimer.cancel();
    this.persistTimer.cancel();
    this.probeTimer.cancel();
    this.keepAliveTimer.cancel();
    this.lifetimeTimer.cancel();
    this.releaseBuffers();
    this.host.closed(this);
    this.changed();
  }

  /** A method, not a comparison, because the state changes under TypeScript's narrowing. */
  private isClosed(): boolean {
    return this.state === 'CLOSED';
  }

  private changed(): void {
    this.onChange?.();
  }

  /** `TCP 10.0.0.1.8080`, for messages. */
  get name(): string {
    return `TCP ${formatIpAddress(this.id.remoteIp)}.${this.id.remotePort}`;
  }
}
