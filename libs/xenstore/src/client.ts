import type { Result, Xenstore, XenstoreError, XenstoreWatch } from '@mirage-ts/types';
import {
  encodeMessage,
  parseDirectory,
  parseError,
  parseOk,
  parseWatchEvent,
  pathPayload,
  typeName,
  watchPayload,
  writePayload,
  XsFrameReader,
  XsProtocolError,
  XsRequestError,
  XsType,
  type XsMessage,
} from './wire';

/** Whole messages out, bytes in: the device file, or a fake store in tests. */
export interface XsTransport {
  /** Writes one whole message. */
  write(message: Buffer): Promise<void>;
  /** The next bytes from the store (any amount); an empty array at end of stream. */
  read(): Promise<Uint8Array>;
  close(): Promise<void>;
}

interface Pending {
  readonly type: number;
  readonly resolve: (reply: Result<Buffer, XenstoreError>) => void;
}

const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
const fail = (error: XenstoreError): Result<never, XenstoreError> => ({ ok: false, error });

/**
 * A xenstore client over a transport. Replies are matched to requests by
 * req_id, since watch events and replies to other requests arrive
 * interleaved. It reads only while a reply or a watch is outstanding, so an
 * idle connection holds nothing open in the event loop.
 */
export class XenstoreClient implements Xenstore {
  private nextReqId = 1;
  private nextToken = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly watches = new Map<string, { path: string; onChange: (changed: string) => void }>();
  private readonly frames = new XsFrameReader();
  private reading = false;
  private broken: XenstoreError | undefined;
  private closed = false;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly transport: XsTransport,
    /** Told about a watch callback that threw (it does not stop the others). */
    private readonly onWatchError: (e: unknown) => void = () => undefined,
  ) {}

  async read(path: string): Promise<Result<string, XenstoreError>> {
    const r = await this.request(XsType.READ, () => pathPayload(path));
    return r.ok ? ok(r.value.toString('utf8')) : r;
  }

  async write(path: string, value: string): Promise<Result<void, XenstoreError>> {
    const r = await this.request(XsType.WRITE, () => writePayload(path, value));
    return r.ok ? this.decode(() => parseOk(XsType.WRITE, r.value)) : r;
  }

  async directory(path: string): Promise<Result<readonly string[], XenstoreError>> {
    const r = await this.request(XsType.DIRECTORY, () => pathPayload(path));
    return r.ok ? this.decode(() => parseDirectory(r.value)) : r;
  }

  async watch(path: string, onChange: (changed: string) => void): Promise<Result<XenstoreWatch, XenstoreError>> {
    const token = `mirage-ts/${this.nextToken++}`;
    // Registered before the request: the store fires the new watch at once, maybe before its reply.
    this.watches.set(token, { path, onChange });
    const r = await this.request(XsType.WATCH, () => watchPayload(path, token));
    const checked = r.ok ? this.decode(() => parseOk(XsType.WATCH, r.value)) : r;
    if (!checked.ok) {
      this.watches.delete(token);
      return checked;
    }
    return ok({ path, cancel: () => this.unwatch(token) });
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    if (!this.broken) for (const token of [...this.watches.keys()]) await this.unwatch(token);
    this.closed = true;
    this.failAll({ kind: 'disconnected', message: 'the xenstore connection was closed' });
    await this.writes.catch(() => undefined);
    await this.transport.close();
  }

  private async unwatch(token: string): Promise<Result<void, XenstoreError>> {
    const w = this.watches.get(token);
    if (!w) return ok(undefined);
    // Whatever the store says, no more events for this watch reach its callback.
    this.watches.delete(token);
    const r = await this.request(XsType.UNWATCH, () => watchPayload(w.path, token));
    return r.ok ? this.decode(() => parseOk(XsType.UNWATCH, r.value)) : r;
  }

  private decode<T>(f: () => T): Result<T, XenstoreError> {
    try {
      return ok(f());
    } catch (e) {
      return fail(this.breakWith(e));
    }
  }

  private async request(type: number, payload: () => Buffer): Promise<Result<Buffer, XenstoreError>> {
    if (this.closed) return fail({ kind: 'disconnected', message: 'the xenstore connection was closed' });
    if (this.broken) return fail(this.broken);
    let message: Buffer;
    const reqId = this.nextReqId;
    try {
      message = encodeMessage({ type, reqId, payload: payload() });
    } catch (e) {
      if (e instanceof XsRequestError) return fail({ kind: 'xenstore', code: 'EINVAL', message: e.message });
      throw e;
    }
    this.nextReqId = (this.nextReqId + 1) >>> 0 || 1;
    const reply = new Promise<Result<Buffer, XenstoreError>>((resolve) => this.pending.set(reqId, { type, resolve }));
    const written = this.writes.then(() => this.transport.write(message));
    this.writes = written.catch(() => undefined);
    written.then(
      () => this.pump(),
      (e: unknown) => this.breakWith(e, 'cannot write to xenstore'),
    );
    return reply;
  }

  /** Keeps one read outstanding while anything waits for the store. */
  private pump(): void {
    if (this.reading || this.broken || this.closed) return;
    if (this.pending.size === 0 && this.watches.size === 0) return;
    this.reading = true;
    this.transport.read().then(
      (chunk) => {
        this.reading = false;
        if (chunk.length === 0) {
          if (this.closed) return;
          this.breakWith(new Error('the device ended the stream'), 'xenstore connection lost');
          return;
        }
        try {
          for (const m of this.frames.push(chunk)) this.dispatch(m);
        } catch (e) {
          this.breakWith(e);
          return;
        }
        this.pump();
      },
      (e: unknown) => {
        this.reading = false;
        if (!this.closed) this.breakWith(e, 'cannot read from xenstore');
      },
    );
  }

  private dispatch(m: XsMessage): void {
    if (m.type === XsType.WATCH_EVENT) {
      const event = parseWatchEvent(m.payload);
      const w = this.watches.get(event.token);
      // Events for a watch being cancelled may still be queued: dropped, as the kernel's own client does.
      if (!w) return;
      try {
        w.onChange(event.path);
      } catch (e) {
        this.onWatchError(e);
      }
      return;
    }
    const p = this.pending.get(m.reqId);
    if (!p) {
      throw new XsProtocolError(`a ${typeName(m.type)} reply with req_id ${m.reqId} answers no request`);
    }
    // Checked while the request is still pending, so that a protocol error fails it too.
    if (m.type !== XsType.ERROR && m.type !== p.type) {
      throw new XsProtocolError(`req_id ${m.reqId} was ${typeName(p.type)} but its reply is ${typeName(m.type)}`);
    }
    const code = m.type === XsType.ERROR ? parseError(m.payload) : undefined;
    this.pending.delete(m.reqId);
    p.resolve(
      code === undefined
        ? ok(m.payload)
        : fail({ kind: 'xenstore', code, message: `xenstore answered ${code} to ${typeName(p.type)}` }),
    );
  }

  /** After a protocol or I/O error nothing more can be matched: every waiting request fails with it. */
  private breakWith(e: unknown, context?: string): XenstoreError {
    const text = e instanceof Error ? e.message : String(e);
    const error: XenstoreError = { kind: 'io', message: context ? `${context}: ${text}` : text };
    if (!this.broken) this.broken = error;
    this.failAll(this.broken);
    return this.broken;
  }

  private failAll(error: XenstoreError): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.resolve(fail(error));
  }
}
