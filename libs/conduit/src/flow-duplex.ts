import type { Flow, NetError } from '@mirage-ts/types';
import { Duplex } from 'node:stream';

/** A NetError as the Error Node's streams expect, with the errno-style code Node's http looks at. */
export function netErrorToError(e: NetError): Error & { code: string } {
  const code =
    e.kind === 'disconnected'
      ? 'ECONNRESET'
      : e.kind === 'closed'
        ? 'EPIPE'
        : e.kind === 'timeout'
          ? 'ETIMEDOUT'
          : e.kind === 'refused'
            ? 'ECONNREFUSED'
            : 'EIO';
  return Object.assign(new Error(e.message), { code });
}

/**
 * A Flow seen as a `net.Socket`-like Duplex, so that Node's own http and tls
 * run over any stack's connections. What Node needs of it was measured
 * (FACTS.md): written bytes reach the flow synchronously in `_write` (http
 * writes a 400 and destroys back to back), `_destroy` closes the flow (else
 * the peer never sees end-of-stream), half-open is off, and `setTimeout`
 * works (else idle keep-alive connections never close).
 */
export class FlowDuplex extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteFamily = 'IPv4';
  /** Idle time-out in ms (0: none), as `net.Socket#timeout`. */
  timeout = 0;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;

  constructor(readonly flow: Flow) {
    super({ allowHalfOpen: false });
    this.remoteAddress = flow.remote.address;
    this.remotePort = flow.remote.port;
    this.localAddress = flow.local.address;
    this.localPort = flow.local.port;
  }

  override _read(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pump();
  }

  /** Reads until the consumer wants no more (push returns false) or the flow ends. */
  private async pump(): Promise<void> {
    for (;;) {
      const r = await this.flow.read();
      if (this.destroyed) return;
      if (!r.ok) {
        this.destroy(netErrorToError(r.error));
        return;
      }
      if (r.value === 'eof') {
        this.push(null);
        return;
      }
      this.touch();
      if (!this.push(r.value)) {
        this.pumping = false;
        return;
      }
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.touch();
    this.flow.write(chunk).then(
      (r) => callback(r.ok ? null : netErrorToError(r.error)),
      (e: Error) => callback(e),
    );
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.touch();
    this.flow.writev(chunks.map((c) => c.chunk)).then(
      (r) => callback(r.ok ? null : netErrorToError(r.error)),
      (e: Error) => callback(e),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Written bytes are still delivered, then the peer sees end-of-stream.
    void this.flow.close();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.flow.close();
    callback(error);
  }

  /** As `net.Socket#setTimeout`: 'timeout' once the connection has been idle `ms` (0 turns it off). */
  setTimeout(ms: number, callback?: () => void): this {
    this.timeout = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (ms > 0 && !this.destroyed) {
      this.timer = setTimeout(() => this.emit('timeout'), ms);
      this.timer.unref();
    }
    return this;
  }

  private touch(): void {
    this.timer?.refresh();
  }

  // The stack decides on Nagle and keep-alive probes; these exist because Node's http and tls call them.
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  address(): { address: string; port: number; family: string } {
    return { address: this.localAddress, port: this.localPort, family: 'IPv4' };
  }
}
