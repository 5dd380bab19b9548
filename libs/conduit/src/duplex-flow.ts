import { err, ok, type Endpoint, type Flow, type NetError, type Result } from '@mirage-ts/types';
import type { Duplex } from 'node:stream';

type ReadResult = Result<Uint8Array | 'eof', NetError>;

/** Bytes received but not read before the stream is paused (receive back-pressure). */
const READ_HIGH_WATER = 256 * 1024;
/** After `close`, how long a peer that never closes its side keeps the stream open. */
const CLOSE_LINGER_MS = 5_000;

function netErrorOf(e: Error & { code?: string }, name: string): NetError {
  if (e.code === 'ECONNRESET') return { kind: 'disconnected', message: `${name}: the peer reset the connection` };
  return { kind: 'io', message: `${name}: ${e.message}` };
}

/**
 * A Duplex (a TLS session) seen as a Flow, so that conduit hands TLS
 * connections to the unikernel with the same type as TCP ones. It attaches
 * to the stream only when first used: `takeDuplex` gives the stream itself
 * to a user that speaks streams (the http server), with no second adapter.
 */
export class DuplexFlow implements Flow {
  private attached = false;
  private taken = false;
  private readonly chunks: Buffer[] = [];
  private queued = 0;
  private readonly readers: ((r: ReadResult) => void)[] = [];
  private ended = false;
  private failure: NetError | undefined;

  constructor(
    private readonly duplex: Duplex,
    readonly local: Endpoint,
    readonly remote: Endpoint,
    private readonly name = `TLS ${remote.address}.${remote.port}`,
  ) {
    // Always listened to: an 'error' nobody listens to would end the process.
    duplex.on('end', () => {
      this.ended = true;
      this.wake();
    });
    duplex.on('error', (e: Error) => {
      this.failure ??= netErrorOf(e, this.name);
      this.wake();
    });
    duplex.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** The stream itself, for a consumer that reads it directly; then this Flow must not be used. */
  takeDuplex(): Duplex | undefined {
    if (this.attached || this.taken) return undefined;
    this.taken = true;
    return this.duplex;
  }

  /** Starts reading (flowing mode) on first use. */
  private attach(): void {
    if (this.attached) return;
    if (this.taken) throw new Error(`${this.name}: the stream was given to another reader`);
    this.attached = true;
    const d = this.duplex;
    d.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.queued += chunk.length;
      if (this.queued >= READ_HIGH_WATER) d.pause();
      this.wake();
    });
  }

  private next(): ReadResult | undefined {
    const chunk = this.chunks.shift();
    if (chunk) {
      this.queued -= chunk.length;
      if (this.queued < READ_HIGH_WATER && this.duplex.isPaused()) this.duplex.resume();
      return ok(chunk);
    }
    if (this.failure) return err(this.failure);
    if (this.ended) return ok('eof');
    return undefined;
  }

  private wake(): void {
    while (this.readers.length > 0) {
      const r = this.next();
      if (!r) return;
      this.readers.shift()!(r);
    }
  }

  read(): Promise<ReadResult> {
    this.attach();
    if (this.readers.length === 0) {
      const now = this.next();
      if (now) return Promise.resolve(now);
    }
    return new Promise((resolve) => this.readers.push(resolve));
  }

  write(data: Uint8Array): Promise<Result<void, NetError>> {
    return this.writev([data]);
  }

  writev(data: readonly Uint8Array[]): Promise<Result<void, NetError>> {
    this.attach();
    const d = this.duplex;
    if (d.destroyed || d.writableEnded)
      return Promise.resolve(err(this.failure ?? { kind: 'closed', message: `${this.name} is closed` }));
    return new Promise((resolve) => {
      if (data.length === 0) return resolve(ok(undefined));
      data.forEach((chunk, i) => {
        const last = i === data.length - 1;
        d.write(chunk, (e?: Error | null) => {
          if (last) resolve(e ? err(this.failure ?? netErrorOf(e, this.name)) : ok(undefined));
        });
      });
    });
  }

  async close(): Promise<void> {
    this.attach();
    const d = this.duplex;
    if (d.destroyed) return;
    d.end();
    // Reads after close see end-of-stream; incoming bytes are dropped until the peer closes.
    this.ended = true;
    this.chunks.length = 0;
    this.queued = 0;
    d.resume();
    this.wake();
    const linger = setTimeout(() => d.destroy(), CLOSE_LINGER_MS);
    linger.unref();
    d.once('close', () => clearTimeout(linger));
  }
}
