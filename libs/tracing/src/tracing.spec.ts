import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Lanes, MAX_LANES, Ring, traceDevice, tracePromises, Tracer } from './index';

const READER = path.resolve(__dirname, '../../../tools/testing/read-trace.mjs');

interface ReadBack {
  bounds: { min: number; max: number };
  warnings: string[];
  threads: {
    tid: number;
    name: string | null;
    depth: number;
    events: { name: string; cat: string; ts: number; dur: number; args: Record<string, unknown> }[];
  }[];
}

/** Writes the tracer's file and reads it back with Chrome DevTools' trace engine. */
function readBack(tracer: Tracer): ReadBack {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mts-trace-'));
  try {
    const file = path.join(dir, 'trace.json');
    fs.writeFileSync(file, JSON.stringify(tracer.toJSON()));
    const r = spawnSync(process.execPath, [READER, file], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`the trace reader failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as ReadBack;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A clock the test moves by hand, in milliseconds. */
function manualClock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('Ring', () => {
  it('keeps the newest items in order and counts what it overwrote', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.overwritten).toBe(2);
    expect(() => new Ring(0)).toThrow(/at least 1 event/);
  });
});

describe('Lanes', () => {
  it('hands out the lowest free row and refuses beyond the maximum', () => {
    const l = new Lanes();
    expect([l.take(2), l.take(2), l.take(2)]).toEqual([0, 1, -1]);
    l.give(0);
    expect(l.take(2)).toBe(0);
  });
});

describe('traceDevice', () => {
  it('records each call as a span until its promise settles, with what it returned, and wraps what calls hand out', async () => {
    const clock = manualClock();
    const tracer = new Tracer(100, 'mir-test', clock.now, 7);
    const flow = { write: async (b: Uint8Array) => ({ ok: true as const, value: b.length }) };
    const device = {
      secret: 41,
      connect(this: { secret: number }, port: number) {
        clock.advance(5);
        return Promise.resolve(
          port === this.secret + 1
            ? { ok: true as const, value: flow }
            : { ok: false as const, error: { kind: 'refused' } },
        );
      },
      listen(onFrame: (f: Uint8Array) => void) {
        onFrame(new Uint8Array(3));
      },
    };
    const traced = traceDevice(tracer, 'stackv4', device);
    const c = await traced.connect(42);
    expect(c.ok).toBe(true);
    if (c.ok) await c.value.write(new Uint8Array(2));
    expect((await traced.connect(1)).ok).toBe(false);
    traced.listen(() => clock.advance(1));

    const events = tracer.toJSON().traceEvents.filter((e) => e.ph === 'X');
    expect(events.map((e) => [e.name, e.ph === 'X' ? e.args : undefined])).toEqual([
      ['stackv4.connect', { ok: true }],
      ['stackv4.connect.write', { ok: true }],
      ['stackv4.connect', { ok: false, error: 'refused' }],
      ['stackv4.listen callback', undefined],
      ['stackv4.listen', undefined],
    ]);
    expect(events[0]).toMatchObject({ ts: 0, dur: 5000, pid: 7, tid: 1, cat: 'device' });
    // The callback ran inside listen: it took the next row.
    expect(events[3]).toMatchObject({ tid: 2, dur: 1000, cat: 'callback' });
  });
});

describe('a trace read back by Chrome DevTools trace engine', () => {
  // (the engine behind the Performance panel; Perfetto's trace processor is on PyPI, which is out of reach here)
  it('shows device calls and promises on named rows, none overlapping on a row', async () => {
    const tracer = new Tracer(10_000, 'mir-test');
    const stop = tracePromises(tracer);
    const slow = traceDevice(tracer, 'block', {
      read: (ms: number) =>
        new Promise<{ ok: true; value: Uint8Array }>((r) =>
          setTimeout(() => r({ ok: true, value: new Uint8Array(512) }), ms),
        ),
    });
    // Three reads at once: they overlap in time, so they need three rows.
    await Promise.all([slow.read(30), slow.read(20), slow.read(10)]);
    stop();
    const trace = readBack(tracer);
    expect(trace.warnings).toEqual([]);
    const devices = trace.threads.filter((t) => t.name?.startsWith('device calls '));
    const reads = devices.flatMap((t) => t.events).filter((e) => e.name === 'block.read');
    expect(reads).toHaveLength(3);
    expect(reads.map((e) => e.args)).toEqual(Array(3).fill({ ok: true, bytes: 512 }));
    expect(Math.max(...reads.map((e) => e.dur))).toBeGreaterThanOrEqual(25_000);
    expect(devices.length).toBe(3);
    const promises = trace.threads.filter((t) => t.name?.startsWith('promises '));
    expect(promises.flatMap((t) => t.events).filter((e) => e.cat === 'promise').length).toBeGreaterThanOrEqual(3);
    for (const t of trace.threads) expect({ row: t.name, depth: t.depth }).toEqual({ row: t.name, depth: 1 });
  });

  it('keeps only the newest events of a full ring, and says how many it lost', () => {
    const tracer = new Tracer(5, 'mir-test');
    for (let i = 0; i < 8; i++) tracer.begin('device', 'device', `call ${i}`).end();
    const json = tracer.toJSON();
    expect(json.otherData).toMatchObject({ ringSize: 5, overwritten: 3 });
    expect(json.traceEvents.flatMap((e) => (e.ph === 'X' ? [e.name] : []))).toEqual([
      'call 3',
      'call 4',
      'call 5',
      'call 6',
      'call 7',
    ]);
  });

  it(`counts spans beyond ${MAX_LANES} rows instead of drawing them over others`, () => {
    const tracer = new Tracer(1000, 'mir-test');
    const open = Array.from({ length: MAX_LANES + 2 }, (_, i) => tracer.begin('promise', 'promise', `p${i}`));
    for (const s of open) s.end();
    expect(tracer.toJSON().otherData).toMatchObject({ unplaced: 2 });
  });
});
