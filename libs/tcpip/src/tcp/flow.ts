import { err, ok, type Endpoint, type Flow, type NetError, type Result } from '@mirage-ts/types';
import type { Connection } from './connection';

type ReadResult = Result<Uint8Array | 'eof', NetError>;
type WriteResult = Result<void, NetError>;

/**
 * After `close`, how long pending writes may take to enter the send buffer
 * before the connection is reset instead, as the socket stack lets a socket
 * linger before destroying it.
 */
const CLOSE_LINGER_MS = 5_000;
/** Linux's tcp_keepalive_time. */
const DEFAULT_KEEPALIVE_MS = 2 * 3600_000;

interface PendingWrite {
  readonly buffers: readonly Uint8Array[];
  index: number;
  offset: number;
  readonly settle: (r: WriteResult) => void;
}

/**
 * The Flow of one connection, with the socket stack's behaviour: reads in
 * arrival order, `'eof'` after the peer's FIN or after `close`, a reset as a
 * `disconnected` error once the bytes before it are read; a write resolves
 * once all its bytes are in the send buffer, so a slow reader slows the
 * writer down.
 */
export class TcpFlow implements Flow {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  private readonly readers: Array<(r: ReadResult) => void> = [];
  private readonly writes: PendingWrite[] = [];
  private closedLocally = false;
  private closing: Promise<void> | undefined;
  private finishClose: (() => void) | undefined;

  constructor(
    private readonly conn: Connection,
    local: Endpoint,
    remote: Endpoint,
  ) {
    this.local = local;
    this.remote = remote;
    conn.onChange = () => this.changed();
  }

  read(): Promise<ReadResult> {
    if (this.readers.length === 0) {
      const now = this.next();
      if (now) return Promise.resolve(now);
    }
    return new Promise((resolve) => this.readers.push(resolve));
  }

  write(data: Uint8Array): Promise<WriteResult> {
    return this.writeAll([data]);
  }

  /** See `Flow.release`: a whole slab handed back is filled again instead of fresh memory. */
  release(chunk: Uint8Array): void {
    this.conn.handBack(chunk);
  }

  writev(data: readonly Uint8Array[]): Promise<WriteResult> {
    return this.writeAll(data);
  }

  /**
   * Keep-alive for this connection (RFC 9293 3.8.4), as Node's
   * `socket.setKeepAlive`: probe the peer after `idleMs` without a segment
   * from it (default: the stack's `tcp.keepAliveMs`, else 2 hours), and
   * reset when `tcp.keepAliveProbes` probes go unanswered. Off by default.
   */
  setKeepAlive(enable: boolean, idleMs = 0): void {
    this.conn.setKeepAlive(enable ? idleMs || this.conn.cfg.keepAliveMs || DEFAULT_KEEPALIVE_MS : 0);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closedLocally = true;
    this.conn.closeReading();
    this.wakeReaders();
    this.closing = new Promise((resolve) => {
      const linger = setTimeout(() => {
        // Pending writes could not get in (a peer that does not read): give up on them.
        this.conn.abort({ kind: 'closed', message: `${this.conn.name} is closed` });
        this.changed();
      }, CLOSE_LINGER_MS);
      linger.unref();
      this.finishClose = () => {
        clearTimeout(linger);
        resolve();
      };
    });
    this.pump();
    return this.closing;
  }

  /** Ends the flow at once (the stack is disconnecting): reads see end-of-stream, writes fail. */
  shut(reason: NetError): void {
    this.closedLocally = true;
    const closed: NetError = { kind: 'closed', message: `${this.conn.name} is closed` };
    for (const w of this.writes.splice(0)) w.settle(err(closed));
    this.conn.abort(reason);
    this.wakeReaders();
  }

  private writeAll(buffers: readonly Uint8Array[]): Promise<WriteResult> {
    const unusable = this.unwritable();
    if (unusable) return Promise.resolve(err(unusable));
    if (buffers.every((b) => b.length === 0)) return Promise.resolve(ok(undefined));
    return new Promise((settle) => {
      this.writes.push({ buffers, index: 0, offset: 0, settle });
      this.pump();
    });
  }

  private unwritable(): NetError | undefined {
    if (this.closedLocally) return { kind: 'closed', message: `${this.conn.name} is closed` };
    if (this.conn.error) return this.conn.error;
    if (!this.conn.writable) return { kind: 'closed', message: `${this.conn.name} is closed` };
    return undefined;
  }

  /** Moves pending writes into the send buffer as far as it has room; sends the FIN once they are all in. */
  private pump(): void {
    while (this.writes.length > 0) {
      const w = this.writes[0];
      let space = this.conn.sendSpace();
      while (space > 0 && w.index < w.buffers.length) {
        const b = w.buffers[w.index];
        const n = Math.min(space, b.length - w.offset);
        this.conn.write(b, w.offset, n);
        space -= n;
        w.offset += n;
        if (w.offset === b.length) {
          w.index++;
          w.offset = 0;
        }
      }
      if (w.index < w.buffers.length) break;
      this.writes.shift();
      w.settle(ok(undefined));
    }
    if (this.writes.length === 0 && this.finishClose) {
      this.conn.shutdown();
      this.finishClose();
      this.finishClose = undefined;
    }
  }

  private changed(): void {
    this.wakeReaders();
    if (this.conn.state === 'CLOSED' || this.conn.error) {
      const failure = this.conn.error ?? { kind: 'closed' as const, message: `${this.conn.name} is closed` };
      for (const w of this.writes.splice(0)) w.settle(err(failure));
      this.finishClose?.();
      this.finishClose = undefined;
      return;
    }
    if (this.writes.length > 0) this.pump();
  }

  /** What a read gets now, or undefined when it has to wait. */
  private next(): ReadResult | undefined {
    if (this.closedLocally) return ok('eof');
    const chunk = this.conn.read();
    if (chunk) return ok(chunk);
    if (this.conn.error) return err(this.conn.error);
    if (this.conn.peerFinished || this.conn.state === 'CLOSED') return ok('eof');
    return undefined;
  }

  private wakeReaders(): void {
    while (this.readers.length > 0) {
      const r = this.next();
      if (!r) return;
      (this.readers.shift() as (r: ReadResult) => void)(r);
    }
  }
}
