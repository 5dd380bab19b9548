import {
  err,
  ok,
  type Endpoint,
  type Flow,
  type NetError,
  type Result,
  type TcpCallback,
  type Tcpv4,
} from '@mirage-ts/types';
import type { DropCounters } from '../drops';
import { fail } from '../errors';
import type { IcmpErrorReport, IpHeader, IpNetwork, TransportIcmp } from '../ip';
import type { Log } from '../log';
import { formatIpAddress, type IpAddress } from '../wire/address';
import { IpProtocol } from '../wire/ipv4';
import { emitTcp, TCP_HEADER_LEN, TcpFlag, tcpHeaderLength, TcpView, type TcpHeaderFields } from '../wire/tcp';
import { tcpConfig, windowShiftFor, type TcpConfig, type TcpSettings } from './config';
import {
  Connection,
  newEventCounts,
  type ConnectionHost,
  type IncomingSegment,
  type TcpEventCounts,
  type TcpState,
} from './connection';
import { TcpFlow } from './flow';
import { SequenceNumbers, type ConnectionId } from './isn';
import { seqAdd, seqInWindow } from './seq';

import { realClock, type TcpClock } from './timer';

/** Segments carry DF, so a path narrower than the link answers with fragmentation-needed (RFC 1191). */
const TCP_IP_OPTIONS = { dontFragment: true } as const;
const EPHEMERAL_FIRST = 49152; // RFC 6335's dynamic range
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

interface Listener {
  readonly port: number;
  readonly callback: TcpCallback;
  /** Connections in SYN-RECEIVED. */
  readonly halfOpen: Set<Connection>;
}

/** What the TCP layer holds right now (for tests, benchmarks and limits). */
export interface TcpStats {
  readonly connections: number;
  readonly byState: Partial<Record<TcpState, number>>;
  /** Bytes in send, receive and reorder buffers, against `memoryLimit`. */
  readonly bufferedBytes: number;
  /** Loss recovery events of all connections so far (SACK recoveries, probes, timeouts...). */
  readonly events: Readonly<TcpEventCounts>;
}

const pairKey = (remoteIp: IpAddress, remotePort: number): number | bigint =>
  typeof remoteIp === 'bigint' ? (remoteIp << 16n) | BigInt(remotePort) : remoteIp * 65536 + remotePort;

/**
 * TCP over IPv4 or IPv6 (RFC 9293; one layer per network layer): demultiplexes segments to connections, accepts
 * connections on listening ports (with SYN cookies once a listener's
 * half-open queue is full), opens connections, answers segments for no
 * connection with a reset, and keeps the number of connections and the
 * bytes they buffer within fixed limits.
 */
export class TcpLayer implements Tcpv4, ConnectionHost {
  readonly drops: DropCounters;
  readonly events: TcpEventCounts = newEventCounts();
  readonly clock: TcpClock;
  readonly cfg: TcpConfig;
  private readonly view = new TcpView();
  private readonly segment: { -readonly [K in keyof IncomingSegment]: IncomingSegment[K] } = {
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    payload: new Uint8Array(0),
    options: {},
  };
  private readonly listeners = new Map<number, Listener>();
  /** Local port -> (remote address and port -> connection). */
  private readonly table = new Map<number, Map<number | bigint, Connection>>();
  private connectionCount = 0;
  private readonly connecting = new Map<Connection, (r: Result<Flow, NetError>) => void>();
  private readonly flows = new Map<Connection, TcpFlow>();
  private readonly numbers: SequenceNumbers;
  private memoryUsed = 0;
  private readonly starved = new Set<Connection>();
  private wakeQueued = false;
  private nextEphemeral = Math.floor(Math.random() * EPHEMERAL_COUNT);
  private disconnected = false;

  constructor(
    private readonly ip: IpNetwork,
    icmp: TransportIcmp,
    drops: DropCounters,
    private readonly log: Log,
    settings: TcpSettings = {},
    clock: TcpClock = realClock,
  ) {
    this.drops = drops;
    this.clock = clock;
    this.cfg = tcpConfig(settings);
    this.numbers = new SequenceNumbers(() => clock.now());
    ip.setHandler(IpProtocol.tcp, (buf, off, len, hdr) => this.input(buf, off, len, hdr));
    icmp.setErrorHandler(IpProtocol.tcp, (report) => this.icmpError(report));
  }

  /** The MSS announced: what fits one IP packet on the link. */
  private get ourMss(): number {
    return Math.min(0xffff, this.ip.mtu - TCP_HEADER_LEN);
  }

  // --- listening and connecting ---

  listen(port: number, callback: TcpCallback): Result<void, NetError> {
    if (this.disconnected) return fail('disconnected', 'the stack is disconnected');
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return fail('io', `TCP port ${port} is not a port number: use 1 to 65535`);
    if (this.listeners.has(port)) return fail('in-use', `TCP port ${port} already has a listener`);
    this.listeners.set(port, { port, callback, halfOpen: new Set() });
    return ok(undefined);
  }

  unlisten(port: number): void {
    this.listeners.delete(port);
  }

  async connect(dst: Endpoint): Promise<Result<Flow, NetError>> {
    if (this.disconnected) return err({ kind: 'disconnected', message: 'the stack is disconnected' });
    const remoteIp = this.ip.parse(dst.address);
    if (remoteIp === null)
      return err({ kind: 'unreachable', message: `'${dst.address}' is not an ${this.ip.family} address` });
    if (!Number.isInteger(dst.port) || dst.port < 1 || dst.port > 65535)
      return err({ kind: 'io', message: `${dst.port} is not a port number: use 1 to 65535` });
    const what = `TCP ${dst.address}.${dst.port}`;
    const localIp = this.ip.localAddressFor(remoteIp);
    if (localIp === null)
      return err({
        kind: 'unreachable',
        message: `${what} is unreachable: no ${this.ip.family} address is configured yet`,
      });
    if (this.ip.isGroup(remoteIp) || remoteIp === 0 || remoteIp === 0n) {
      return err({ kind: 'unreachable', message: `${what} is unreachable: not a unicast address` });
    }
    if (!this.roomForConnection())
      return err({
        kind: 'io',
        message: `connect to ${what}: ${this.cfg.maxConnections} connections are open already`,
      });
    const localPort = this.ephemeralPort(remoteIp, dst.port);
    if (localPort === undefined)
      return err({ kind: 'in-use', message: `connect to ${what}: every local port is in use for that peer` });
    const id: ConnectionId = { localIp, localPort, remoteIp, remotePort: dst.port };
    return new Promise((resolve) => {
      const conn = Connection.connect(this, this.cfg, id, this.numbers.isn(id), this.ourMss);
      this.add(conn);
      this.connecting.set(conn, resolve);
    });
  }

  private ephemeralPort(remoteIp: IpAddress, remotePort: number): number | undefined {
    const key = pairKey(remoteIp, remotePort);
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_FIRST + ((this.nextEphemeral + i) % EPHEMERAL_COUNT);
      if (this.listeners.has(port) || this.table.get(port)?.has(key)) continue;
      this.nextEphemeral = (this.nextEphemeral + i + 1) % EPHEMERAL_COUNT;
      return port;
    }
    return undefined;
  }

  // --- the connection table ---

  private lookup(localPort: number, remoteIp: IpAddress, remotePort: number): Connection | undefined {
    return this.table.get(localPort)?.get(pairKey(remoteIp, remotePort));
  }

  private add(conn: Connection): void {
    let byPeer = this.table.get(conn.id.localPort);
    if (!byPeer) this.table.set(conn.id.localPort, (byPeer = new Map()));
    byPeer.set(pairKey(conn.id.remoteIp, conn.id.remotePort), conn);
    this.connectionCount++;
  }

  /** Whether one more connection fits, making room by ending the oldest TIME-WAIT if need be. */
  private roomForConnection(): boolean {
    if (this.connectionCount < this.cfg.maxConnections) return true;
    for (const byPeer of this.table.values()) {
      for (const conn of byPeer.values()) {
        if (conn.state === 'TIME-WAIT') {
          conn.forget();
          return true;
        }
      }
    }
    return false;
  }

  stats(): TcpStats {
    const byState: Partial<Record<TcpState, number>> = {};
    for (const byPeer of this.table.values())
      for (const c of byPeer.values()) byState[c.state] = (byState[c.state] ?? 0) + 1;
    return { connections: this.connectionCount, byState, bufferedBytes: this.memoryUsed, events: { ...this.events } };
  }

  // --- ConnectionHost ---

  transmit(
    conn: Connection,
    header: TcpHeaderFields,
    payload: readonly Uint8Array[],
    length: number,
    segmentSize?: number,
  ): Promise<Result<void, NetError>> {
    return this.sendSegment(conn.id.remoteIp, header, payload, length, segmentSize);
  }

  /** The largest TCP segment (header and payload) one transmit may carry: the interface cuts it (TSO); 0 without. */
  get segmentOffload(): number {
    return this.ip.segmentOffload ?? 0;
  }

  private sendSegment(
    dst: IpAddress,
    header: TcpHeaderFields,
    payload: readonly Uint8Array[],
    length: number,
    segmentSize = 0,
  ): Promise<Result<void, NetError>> {
    const headerLength = tcpHeaderLength(header.options);
    // Longer than one packet: a super-segment, whose checksums the interface fills in as it cuts it.
    const superSegment = segmentSize > 0 && headerLength + length > this.ip.mtu;
    const sum = this.ip.checksumUnnecessary !== true && !superSegment;
    let parts = payload;
    let fields = header;
    let built = false;
    const sent = this.ip.send(
      dst,
      IpProtocol.tcp,
      headerLength + length,
      (buf, off, src) => {
        built = true;
        let at = off + headerLength;
        for (const p of parts) {
          buf.set(p, at);
          at += p.length;
        }
        emitTcp(buf, off, fields, length, src, dst, sum);
      },
      superSegment ? { dontFragment: true, segmentSize } : TCP_IP_OPTIONS,
    );
    // Waiting for ARP: the send buffer may reuse the payload's memory once it is acknowledged,
    // and the connection refills its header for the next segment.
    if (!built) {
      if (length > 0) parts = [Buffer.concat(payload as Uint8Array[], length)];
      fields = copyHeader(header);
    }
    return sent;
  }

  reserve(bytes: number): boolean {
    if (this.memoryUsed + bytes > this.cfg.memoryLimit) return false;
    this.memoryUsed += bytes;
    return true;
  }

  release(bytes: number): void {
    this.memoryUsed = Math.max(0, this.memoryUsed - bytes);
    if (this.starved.size > 0 && !this.wakeQueued) {
      this.wakeQueued = true;
      queueMicrotask(() => {
        this.wakeQueued = false;
        const waiting = [...this.starved];
        this.starved.clear();
        for (const c of waiting) c.notify();
      });
    }
  }

  available(): number {
    return this.cfg.memoryLimit - this.memoryUsed;
  }

  waitForMemory(conn: Connection): void {
    this.starved.add(conn);
  }

  established(conn: Connection): void {
    const local = { address: formatIpAddress(conn.id.localIp), port: conn.id.localPort };
    const remote = { address: formatIpAddress(conn.id.remoteIp), port: conn.id.remotePort };
    const resolve = this.connecting.get(conn);
    if (resolve) {
      this.connecting.delete(conn);
      const flow = new TcpFlow(conn, local, remote);
      this.flows.set(conn, flow);
      resolve(ok(flow));
      return;
    }
    const listener = conn.listener as Listener | undefined;
    listener?.halfOpen.delete(conn);
    if (!listener || this.listeners.get(listener.port) !== listener) {
      // The port stopped listening meanwhile.
      conn.abort({ kind: 'refused', message: `${conn.name}: nobody listens any more` });
      return;
    }
    const flow = new TcpFlow(conn, local, remote);
    this.flows.set(conn, flow);
    const failed = (e: unknown) => {
      this.log(`TCP callback on port ${listener.port} failed: ${e instanceof Error ? e.message : String(e)}`);
      void flow.close();
    };
    try {
      const r = listener.callback(flow);
      if (r && typeof r.then === 'function') r.then(undefined, failed);
    } catch (e) {
      failed(e);
    }
  }

  closed(conn: Connection): void {
    const byPeer = this.table.get(conn.id.localPort);
    if (byPeer?.get(pairKey(conn.id.remoteIp, conn.id.remotePort)) === conn) {
      byPeer.delete(pairKey(conn.id.remoteIp, conn.id.remotePort));
      if (byPeer.size === 0) this.table.delete(conn.id.localPort);
      this.connectionCount--;
    }
    (conn.listener as Listener | undefined)?.halfOpen.delete(conn);
    this.flows.delete(conn);
    this.starved.delete(conn);
    const resolve = this.connecting.get(conn);
    if (resolve) {
      this.connecting.delete(conn);
      resolve(err(conn.error ?? { kind: 'refused', message: `${conn.name} refused the connection` }));
    }
  }

  // --- segment arrival ---

  private input(buf: Uint8Array, off: number, len: number, hdr: IpHeader): void {
    const v = this.view;
    // Nothing to verify on a link that never damages frames, nor when the interface vouched for this one.
    const verify = this.ip.checksumUnnecessary !== true && hdr.checksumVerified !== true;
    const bad = v.wrap(buf, off, len, hdr.src, hdr.dst, verify);
    if (bad) return this.drops.count(`tcp.${bad}`);
    if (this.ip.isGroup(hdr.dst)) return this.drops.count('tcp.not-unicast');
    if (v.srcPort === 0 || v.dstPort === 0) return this.drops.count('tcp.bad-port');
    const f = v.flags;
    // Combinations no TCP sends (scanners and damaged segments do).
    if ((f & TcpFlag.syn && f & (TcpFlag.fin | TcpFlag.rst)) || !(f & (TcpFlag.syn | TcpFlag.ack | TcpFlag.rst)))
      return this.drops.count('tcp.bad-flags');
    // One segment object refilled per arrival: nothing keeps it past the call, and a network
    // never delivers a frame inside a write (like the view and its options, it is not re-entered).
    const seg = this.segment;
    seg.seq = v.seq;
    seg.ack = v.ack;
    seg.flags = f;
    seg.window = v.window;
    seg.payload = buf.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength);
    seg.options = v.options;
    this.dispatch(seg, v.srcPort, v.dstPort, hdr);
  }

  private dispatch(seg: IncomingSegment, srcPort: number, dstPort: number, hdr: IpHeader): void {
    const f = seg.flags;
    const conn = this.lookup(dstPort, hdr.src, srcPort);
    const listener = this.listeners.get(dstPort);
    if (conn) {
      const newSyn = (f & (TcpFlag.syn | TcpFlag.ack | TcpFlag.rst)) === TcpFlag.syn;
      if (!(newSyn && listener && conn.acceptsNewSyn(seg))) return conn.input(seg);
      conn.forget(); // RFC 6191: a new incarnation may end TIME-WAIT early
    }
    if (this.disconnected) return;
    if (!listener) return this.closedPort(seg, srcPort, dstPort, hdr.src);
    this.listening(listener, seg, { localIp: hdr.dst, localPort: dstPort, remoteIp: hdr.src, remotePort: srcPort });
  }

  /** RFC 9293 3.10.7.2: a segment for a listening port. */
  private listening(listener: Listener, seg: IncomingSegment, id: ConnectionId): void {
    const f = seg.flags;
    if (f & TcpFlag.rst) return this.drops.count('tcp.listen-rst');
    if (f & TcpFlag.ack) {
      if (!(f & TcpFlag.syn)) {
        const cookie = this.numbers.checkCookie(id, seqAdd(seg.seq, -1), seqAdd(seg.ack, -1));
        if (cookie) {
          if (!this.roomForConnection()) return this.drops.count('tcp.too-many-connections');
          this.drops.count('tcp.syn-cookie-accepted');
          const conn = Connection.fromCookie(this, this.cfg, id, seqAdd(seg.ack, -1), this.ourMss, seg, cookie);
          conn.listener = listener;
          this.add(conn);
          this.established(conn);
          conn.input(seg); // the ACK may carry data already
          return;
        }
      }
      this.drops.count('tcp.listen-bad-ack');
      return this.reset(id.remoteIp, id.localPort, id.remotePort, seg.ack, undefined);
    }
    if (!(f & TcpFlag.syn)) return this.drops.count('tcp.listen-unexpected');
    if (!this.roomForConnection()) return this.drops.count('tcp.too-many-connections');
    if (listener.halfOpen.size >= this.cfg.backlog) return this.sendCookie(seg, id);
    const conn = Connection.accept(this, this.cfg, id, this.numbers.isn(id), this.ourMss, seg);
    conn.listener = listener;
    listener.halfOpen.add(conn);
    this.add(conn);
  }

  /** A SYN-ACK that keeps no state: the connection is made when the ACK brings the cookie back. */
  private sendCookie(syn: IncomingSegment, id: ConnectionId): void {
    this.drops.count('tcp.syn-cookie-sent');
    const peerScale = this.cfg.windowScaling ? syn.options.windowScale : undefined;
    const peerMss = syn.options.mss ?? 536;
    const cookie = this.numbers.cookie(id, syn.seq, { mss: peerMss, windowScale: peerScale });
    void this.sendSegment(
      id.remoteIp,
      {
        srcPort: id.localPort,
        dstPort: id.remotePort,
        seq: cookie,
        ack: seqAdd(syn.seq, 1),
        flags: TcpFlag.syn | TcpFlag.ack,
        window: Math.min(this.cfg.receiveBuffer, 0xffff),
        options: {
          mss: this.ourMss,
          ...(peerScale === undefined ? {} : { windowScale: windowShiftFor(this.cfg.receiveBuffer) }),
        },
      },
      [],
      0,
    );
  }

  /** RFC 9293 3.10.7.1: a segment for no connection is answered with a reset (never a reset for a reset). */
  private closedPort(seg: IncomingSegment, srcPort: number, dstPort: number, src: IpAddress): void {
    this.drops.count('tcp.closed-port');
    if (seg.flags & TcpFlag.rst) return;
    if (seg.flags & TcpFlag.ack) return this.reset(src, dstPort, srcPort, seg.ack, undefined);
    const segLen = seg.payload.length + (seg.flags & TcpFlag.syn ? 1 : 0) + (seg.flags & TcpFlag.fin ? 1 : 0);
    this.reset(src, dstPort, srcPort, 0, seqAdd(seg.seq, segLen));
  }

  /** A reset at `seq`, with an ACK of `ack` when given. */
  private reset(dst: IpAddress, srcPort: number, dstPort: number, seq: number, ack: number | undefined): void {
    void this.sendSegment(
      dst,
      {
        srcPort,
        dstPort,
        seq,
        ack: ack ?? 0,
        flags: ack === undefined ? TcpFlag.rst : TcpFlag.rst | TcpFlag.ack,
        window: 0,
      },
      [],
      0,
    );
  }

  /**
   * ICMP errors about our segments (RFC 1122 4.2.3.9, RFC 5927): while
   * connecting, an unreachable peer ends the attempt; otherwise they are
   * soft errors and the retransmission timer decides.
   */
  private icmpError(report: IcmpErrorReport): void {
    const th = report.transportHeader;
    if (th.length < 8) return this.drops.count('tcp.icmp-short-quote');
    const localPort = (th[0] << 8) | th[1];
    const remotePort = (th[2] << 8) | th[3];
    const seq = ((th[4] << 24) | (th[5] << 16) | (th[6] << 8) | th[7]) >>> 0;
    const conn = this.lookup(localPort, report.dst, remotePort);
    if (conn && report.pathPayloadMtu !== undefined && conn.state !== 'SYN-SENT') {
      // RFC 5927 4.1: only an error quoting a segment in flight is believed.
      if (!seqInWindow(seq, conn.sndUna, conn.sndMax)) return this.drops.count('tcp.icmp-ignored');
      return conn.pathMtu(report.pathPayloadMtu);
    }
    if (!conn || conn.state !== 'SYN-SENT' || seq !== conn.iss) return this.drops.count('tcp.icmp-ignored');
    if (report.meaning === 'other') return this.drops.count('tcp.icmp-ignored');
    const refused = report.meaning === 'refused';
    conn.forget(
      refused
        ? { kind: 'refused', message: `${conn.name} refused the connection (ICMP unreachable code ${report.code})` }
        : { kind: 'unreachable', message: `${conn.name} is unreachable (ICMP unreachable code ${report.code})` },
    );
  }

  /** Resets every connection and stops listening (the stack is going away). */
  disconnect(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.listeners.clear();
    const gone: NetError = { kind: 'disconnected', message: 'the stack is disconnected' };
    for (const flow of [...this.flows.values()]) flow.shut(gone);
    for (const byPeer of [...this.table.values()]) for (const conn of [...byPeer.values()]) conn.abort(gone);
  }
}

/** A header to keep: its own options (the connection reuses its objects for every segment). */
function copyHeader(header: TcpHeaderFields): TcpHeaderFields {
  const o = header.options;
  if (!o) return { ...header };
  return {
    ...header,
    options: { ...o, timestamp: o.timestamp && { ...o.timestamp }, sack: o.sack && [...o.sack] },
  };
}
