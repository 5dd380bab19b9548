import { XenstoreClient, type XsTransport } from './client';
import { encodeMessage, HEADER_BYTES, XsFrameReader, XsType } from './wire';

/**
 * A small xenstored behind a transport: a tree of values, watches that fire
 * once when set and on every write at or below their path, events queued
 * before the reply that caused them (as the real daemon may), and output
 * handed out in small chunks so replies straddle reads.
 */
class FakeStore implements XsTransport {
  readonly tree = new Map<string, string>([['/local/domain/5/domid', '5']]);
  readonly watches: { path: string; token: string }[] = [];
  readonly requests: number[] = [];
  private out = Buffer.alloc(0);
  private reader?: (b: Uint8Array) => void;
  private readonly frames = new XsFrameReader();
  /** Replaces the reply to the next request (for malformed replies). */
  nextReply?: Buffer;
  closed = false;

  constructor(private readonly chunk = 5) {}

  private abs(p: string) {
    return p.startsWith('/') ? p : `/local/domain/5/${p}`;
  }

  private queue(type: number, reqId: number, payload: string | Buffer) {
    const m = encodeMessage({ type, reqId, payload: typeof payload === 'string' ? Buffer.from(payload) : payload });
    this.out = Buffer.concat([this.out, m]);
  }

  private fire(changed: string) {
    for (const w of this.watches) {
      if (changed === w.path || changed.startsWith(`${w.path}/`))
        this.queue(XsType.WATCH_EVENT, 0, `${changed}\0${w.token}\0`);
    }
  }

  async write(message: Buffer): Promise<void> {
    for (const m of this.frames.push(message)) {
      this.requests.push(m.type);
      const parts = m.payload.toString().split('\0');
      if (this.nextReply) {
        this.out = Buffer.concat([this.out, this.nextReply]);
        this.nextReply = undefined;
      } else if (m.type === XsType.READ) {
        const v = this.tree.get(this.abs(parts[0]));
        this.queue(v === undefined ? XsType.ERROR : m.type, m.reqId, v === undefined ? 'ENOENT\0' : v);
      } else if (m.type === XsType.WRITE) {
        const path = this.abs(parts[0]);
        this.tree.set(path, parts.slice(1).join('\0'));
        this.fire(path); // the event comes before the reply
        this.queue(m.type, m.reqId, 'OK\0');
      } else if (m.type === XsType.DIRECTORY) {
        const dir = this.abs(parts[0]);
        const names = new Set(
          [...this.tree.keys()]
            .filter((k) => k.startsWith(`${dir}/`))
            .map((k) => k.slice(dir.length + 1).split('/')[0]),
        );
        this.queue(m.type, m.reqId, [...names].map((n) => `${n}\0`).join(''));
      } else if (m.type === XsType.WATCH) {
        const w = { path: this.abs(parts[0]), token: parts[1] };
        this.watches.push(w);
        this.queue(XsType.WATCH_EVENT, 0, `${w.path}\0${w.token}\0`);
        this.queue(m.type, m.reqId, 'OK\0');
      } else if (m.type === XsType.UNWATCH) {
        this.watches.splice(
          this.watches.findIndex((w) => w.token === parts[1]),
          1,
        );
        this.queue(m.type, m.reqId, 'OK\0');
      }
    }
    this.flush();
  }

  /** An outside change, as the toolstack would make one. */
  toolstackWrite(path: string, value: string) {
    this.tree.set(path, value);
    this.fire(path);
    this.flush();
  }

  private flush() {
    if (this.reader && this.out.length) {
      const r = this.reader;
      this.reader = undefined;
      const n = Math.min(this.chunk, this.out.length);
      const piece = this.out.subarray(0, n);
      this.out = this.out.subarray(n);
      setImmediate(() => r(piece));
    }
  }

  read(): Promise<Uint8Array> {
    if (this.reader) throw new Error('two reads at once');
    return new Promise((resolve) => {
      this.reader = resolve;
      this.flush();
    });
  }

  get reading(): boolean {
    return this.reader !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const settle = () => new Promise((r) => setTimeout(r, 10));

/** Waits until `ready()` holds (or 5 s): a fixed pause loses to a loaded machine. */
async function until(ready: () => boolean): Promise<void> {
  for (let waited = 0; !ready() && waited < 5000; waited += 10) await settle();
}

describe('XenstoreClient', () => {
  it('reads, writes and lists, relative paths under the domain home', async () => {
    const store = new FakeStore();
    const xs = new XenstoreClient(store);
    expect(await xs.read('domid')).toEqual({ ok: true, value: '5' });
    expect(await xs.write('data/greeting', 'hello')).toEqual({ ok: true, value: undefined });
    expect(store.tree.get('/local/domain/5/data/greeting')).toBe('hello');
    expect(await xs.read('data/greeting')).toEqual({ ok: true, value: 'hello' });
    expect(await xs.directory('/local/domain/5')).toEqual({ ok: true, value: ['domid', 'data'] });
    const missing = await xs.read('nothing/here');
    expect(missing).toEqual({
      ok: false,
      error: { kind: 'xenstore', code: 'ENOENT', message: 'xenstore answered ENOENT to XS_READ' },
    });
    await xs.disconnect();
    expect(store.closed).toBe(true);
    expect(await xs.read('domid')).toMatchObject({ ok: false, error: { kind: 'disconnected' } });
  });

  it('matches concurrent replies by req_id', async () => {
    const store = new FakeStore(3);
    const xs = new XenstoreClient(store);
    store.tree.set('/a', '1');
    store.tree.set('/b', '2');
    const got = await Promise.all([xs.read('/a'), xs.read('/b'), xs.read('/missing'), xs.read('/a')]);
    expect(got.map((r) => (r.ok ? r.value : r.error.kind))).toEqual(['1', '2', 'xenstore', '1']);
  });

  it('delivers watch events interleaved with replies, and none after cancel', async () => {
    const store = new FakeStore();
    const xs = new XenstoreClient(store);
    const seen: string[] = [];
    const w = await xs.watch('control', (p) => seen.push(p));
    expect(w.ok).toBe(true);
    await until(() => seen.length >= 1);
    expect(seen).toEqual(['/local/domain/5/control']); // fired once when set
    expect((await xs.write('control/shutdown', 'poweroff')).ok).toBe(true);
    store.toolstackWrite('/local/domain/5/control/sysrq', 'b');
    await until(() => seen.length >= 3);
    expect(seen).toEqual([
      '/local/domain/5/control',
      '/local/domain/5/control/shutdown',
      '/local/domain/5/control/sysrq',
    ]);
    expect(store.reading).toBe(true); // a watch keeps a read outstanding
    if (w.ok) expect(await w.value.cancel()).toEqual({ ok: true, value: undefined });
    store.toolstackWrite('/local/domain/5/control/shutdown', 'reboot');
    await settle();
    expect(seen).toHaveLength(3);
    expect(store.watches).toEqual([]);
    expect(store.reading).toBe(false); // idle: nothing keeps the event loop busy
  });

  it('cancels remaining watches on disconnect', async () => {
    const store = new FakeStore();
    const xs = new XenstoreClient(store);
    await xs.watch('a', () => undefined);
    await xs.watch('b', () => undefined);
    expect(store.watches).toHaveLength(2);
    await xs.disconnect();
    expect(store.watches).toEqual([]);
    expect(store.requests.filter((t) => t === XsType.UNWATCH)).toHaveLength(2);
  });

  it('a throwing watch callback is reported and does not stop the connection', async () => {
    const store = new FakeStore();
    const errors: unknown[] = [];
    const xs = new XenstoreClient(store, (e) => errors.push(e));
    await xs.watch('x', () => {
      throw new Error('callback bug');
    });
    await until(() => errors.length >= 1);
    expect(errors).toHaveLength(1);
    expect(await xs.read('domid')).toEqual({ ok: true, value: '5' });
  });

  it('a malformed reply fails the request with a clear error, and later ones too, without throwing', async () => {
    const store = new FakeStore();
    const xs = new XenstoreClient(store);
    const bad = Buffer.alloc(HEADER_BYTES);
    bad.writeUInt32LE(XsType.READ, 0);
    bad.writeUInt32LE(1, 4);
    bad.writeUInt32LE(100000, 12);
    store.nextReply = bad;
    const r = await xs.read('domid');
    expect(r).toEqual({
      ok: false,
      error: {
        kind: 'io',
        message:
          'xenstore protocol error: a message header announces 100000 bytes of payload (XS_READ), more than the 4096 allowed',
      },
    });
    expect(await xs.read('domid')).toMatchObject({ ok: false, error: { kind: 'io' } });
    await xs.disconnect();
  });

  it('a reply of the wrong type or for no request is a protocol error', async () => {
    const store = new FakeStore();
    const xs = new XenstoreClient(store);
    store.nextReply = encodeMessage({ type: XsType.DIRECTORY, reqId: 1, payload: Buffer.from('a\0') });
    expect(await xs.read('domid')).toMatchObject({
      ok: false,
      error: { message: 'xenstore protocol error: req_id 1 was XS_READ but its reply is XS_DIRECTORY' },
    });
    const other = new XenstoreClient(new FakeStore());
    const s2 = (other as unknown as { transport: FakeStore }).transport;
    s2.nextReply = encodeMessage({ type: XsType.READ, reqId: 99, payload: Buffer.from('x') });
    expect(await other.read('domid')).toMatchObject({
      ok: false,
      error: { message: 'xenstore protocol error: a XS_READ reply with req_id 99 answers no request' },
    });
  });

  it('refuses a path with a NUL byte without sending anything', async () => {
    const store = new FakeStore();
    const xs = new XenstoreClient(store);
    expect(await xs.write('a\0b', 'v')).toMatchObject({ ok: false, error: { kind: 'xenstore', code: 'EINVAL' } });
    expect(store.requests).toEqual([]);
    expect(await xs.read('domid')).toEqual({ ok: true, value: '5' });
  });

  it('a read error from the device fails what waits', async () => {
    const xs = new XenstoreClient({
      write: async () => undefined,
      read: async () => {
        throw new Error('EIO: i/o error');
      },
      close: async () => undefined,
    });
    expect(await xs.read('domid')).toEqual({
      ok: false,
      error: { kind: 'io', message: 'cannot read from xenstore: EIO: i/o error' },
    });
  });
});
