import { err, ok, type Endpoint, type Flow, type NetError, type Result } from '@mirage-ts/types';
import type { Socket } from 'node:net';
import { netErrorOf } from './errors';
import type { Closable } from './resources';

/** Bytes received but not yet read before the socket stops reading (receive back-pressure). */
const READ_HIGH_WATER = 256 * 1024;
/**
 * After `close`, how long to wait for the peer's end-of-stream before the
 * socket is destroyed. Until then incoming bytes are read and dropped: closing
 * a socket with unread bytes makes the kernel send a reset, which would throw
 * away what was written just before `close`.
 */
const CLOSE_LINGER_MS = 5_000;

type ReadResult = Result<Uint8Array | 'eof', NetError>;
type WriteResult = Result<void, NetError>;

/**
 * A Flow over a connected `net.Socket`. Every socket event is handled here
 * (an 'error' without a listener would end the process), and turned into
 * values for `read` and `write`.
 */
export class SocketFlow implements Flow, Closable {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** Resolves once the socket is fully closed (its file descriptor released). */
  readonly closed: Promise<void>;

  private readonly chunks: Buffer[] = [];
  private queued = 0;
  private readonly readers: ((r: ReadResult) => void)[] = [];
  private readonly pendingWrites = new Set<(r: WriteResult) => void>();
  private peerEnded = false;
  private socketClosed = false;
  private closedLocally = false;
  private failure: NetError | undefined;
  private closing: Promise<void> | undefined;

  /** Names the connection in messages: `TCP 127.0.0.1.50997`. */
  private readonly name: string;

  constructor(
    private readonly socket: Socket,
    name?: string,
  ) {
    // A connection reset before it was accepted has no addresses left to read.
    this.local = { address: socket.localAddress ?? '0.0.0.0', port: socket.localPort ?? 0 };
    this.remote = { address: socket.remoteAddress ?? '0.0.0.0', port: socket.remotePort ?? 0 };
    this.name = name ?? `TCP ${this.remote.address}.${this.remote.port}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => {
      this.peerEnded = true;
      this.wakeReaders();
    });
    socket.on('error', (e) => {
      this.failure ??= netErrorOf(e, { op: 'transfer', what: this.name });
      this.wakeReaders();
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.socketClosed = true;
        this.wakeReaders();
        const failure = this.failure ?? { kind: 'closed', message: `${this.name} is closed` };
        for (const settle of this.pendingWrites) settle(err(failure));
        this.pendingWrites.clear();
        resolve();
      });
    });
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

  writev(data: readonly Uint8Array[]): Promise<WriteResult> {
    return this.writeAll(data);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closedLocally = true;
    this.chunks.length = 0;
    this.queued = 0;
    this.wakeReaders();
    if (this.socketClosed) return (this.closing = Promise.resolve());
    // Drop whatever still arrives, and let the peer's end-of-stream complete the close.
    this.socket.resume();
    const linger = setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS);
    linger.unref();
    void this.closed.then(() => clearTimeout(linger));
    this.closing = new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      // Our side is done once the FIN is handed to the kernel.
      this.socket.end(() => resolve());
    });
    return this.closing;
  }

  /** Ends the connection at once (the stack is disconnecting). */
  shut(): Promise<void> {
    this.closedLocally = true;
    this.socket.destroy();
    return this.closed;
  }

  private writeAll(buffers: readonly Uint8Array[]): Promise<WriteResult> {
    const unusable = this.unwritable();
    if (unusable) return Promise.resolve(err(unusable));
    if (buffers.length === 0) return Promise.resolve(ok(undefined));
    // Resolve on the write callback: by then the kernel has the bytes, so the
    // caller may reuse its buffers, and a slow peer slows the writer down.
    return new Promise((resolve) => {
      const settle = (r: WriteResult) => {
        if (this.pendingWrites.delete(settle)) resolve(r);
      };
      this.pendingWrites.add(settle);
      const last = buffers.length - 1;
      if (last > 0) this.socket.cork();
      buffers.forEach((b, i) => {
        if (i < last) this.socket.write(b);
        else
          this.socket.write(b, (e) =>
            settle(e ? err(this.failure ?? netErrorOf(e, { op: 'write to', what: this.name })) : ok(undefined)),
          );
      });
      if (last > 0) this.socket.uncork();
    });
  }

  private unwritable(): NetError | undefined {
    if (this.closedLocally) return { kind: 'closed', message: `${this.name} is closed` };
    if (this.failure) return this.failure;
    if (this.socketClosed || this.socket.destroyed || !this.socket.writable) {
      return { kind: 'closed', message: `${this.name} is closed` };
    }
    return undefined;
  }

  private received(chunk: Buffer): void {
    if (this.closedLocally) return;
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (this.queued >= READ_HIGH_WATER) this.socket.pause();
    this.wakeReaders();
  }

  /** What a read gets now, or undefined when it has to wait. */
  private next(): ReadResult | undefined {
    if (this.closedLocally) return ok('eof');
    const chunk = this.chunks.shift();
    if (chunk) {
      this.queued -= chunk.length;
      if (this.queued < READ_HIGH_WATER && this.socket.isPaused() && !this.socket.destroyed) this.socket.resume();
      return ok(chunk);
    }
    if (this.failure) return err(this.failure);
    if (this.peerEnded || this.socketClosed) return ok('eof');
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
