import { BackToBack, describeFlags, flushMicrotasks, type SentSegment } from '../testing/tcp-harness';
import { TcpFlag } from '../wire/tcp';
import { Connection } from './connection';
import { seqAdd, seqDiff } from './seq';

/**
 * The state machine on its own: two connections back to back over a link the
 * test controls (deliver, lose, reorder, hold) and a clock it moves.
 */
const pattern = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function readAll(c: Connection): Buffer {
  const parts: Uint8Array[] = [];
  for (let d = c.read(); d; d = c.read()) parts.push(d);
  return Buffer.concat(parts);
}

/** Writes as much of `data` as the connection takes now; returns how much it took. */
function writeSome(c: Connection, data: Uint8Array, from = 0): number {
  const n = Math.min(c.sendSpace(), data.length - from);
  c.write(data, from, n);
  return n;
}

/** Byte-for-byte equality without Jest's element-wise diff, which crawls on large buffers. */
function expectBytes(got: Uint8Array, want: Uint8Array): void {
  expect(got.length).toBe(want.length);
  expect(
    Buffer.compare(
      Buffer.from(got.buffer, got.byteOffset, got.length),
      Buffer.from(want.buffer, want.byteOffset, want.length),
    ),
  ).toBe(0);
}

const flagsOf = (s: SentSegment) => describeFlags(s.header.flags);

describe('TCP connection state machine', () => {
  it('opens with a three-way handshake, negotiating MSS, window scaling, SACK and timestamps', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    expect(link.transcript()).toEqual(['a>b SYN', 'b>a SYN|ACK', 'a>b ACK']);
    expect([a.state, b.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    const [syn, synAck, ack] = link.log;
    expect(syn.header.options).toEqual({
      mss: 1460,
      windowScale: 3,
      sackPermitted: true,
      timestamp: { value: expect.any(Number), echo: 0 },
    });
    expect(synAck.header.options).toEqual({
      mss: 1460,
      windowScale: 3,
      sackPermitted: true,
      timestamp: { value: expect.any(Number), echo: syn.header.options?.timestamp?.value },
    });
    expect(ack.header.options?.timestamp?.echo).toBe(synAck.header.options?.timestamp?.value);
    expect(synAck.header.ack).toBe(seqAdd(syn.header.seq, 1));
    // 1460 less the 12 bytes of the timestamp option.
    expect([a.sndMss, b.sndMss]).toEqual([1448, 1448]);
    expect([link.a.establishedCount, link.b.establishedCount]).toEqual([1, 1]);
    expect([a.sackOk, b.sackOk]).toEqual([true, true]);
  });

  it('declines timestamps and window scaling cleanly when one side does not offer them', async () => {
    const link = new BackToBack({}, { timestamps: false, windowScaling: false });
    const { a, b } = await link.open();
    expect(link.log[1].header.options).toEqual({ mss: 1460, sackPermitted: true });
    expect([a.sndMss, b.sndMss]).toEqual([1460, 1460]);
    writeSome(a, pattern(3000));
    await link.settle();
    // Without timestamps no segment carries options; without scaling windows are plain bytes.
    for (const s of link.log.slice(2)) expect(s.header.options).toBeUndefined();
    expectBytes(readAll(b), pattern(3000));
    expect(link.log.at(-1)?.header.window).toBe(65535);
  });

  it('carries data both ways while the sequence numbers wrap past 2^32', async () => {
    const link = new BackToBack({}, {}, 0xffff_f000);
    const { a, b } = await link.open(0xffff_ff00);
    const toB = pattern(300_000, 3);
    const toA = pattern(200_000, 5);
    let sentB = 0;
    let sentA = 0;
    const gotB: Buffer[] = [];
    const gotA: Buffer[] = [];
    while (sentB < toB.length || sentA < toA.length) {
      sentB += writeSome(a, toB, sentB);
      sentA += writeSome(b, toA, sentA);
      await link.settle();
      gotB.push(readAll(b));
      gotA.push(readAll(a));
    }
    await link.settle();
    link.clock.advance(40); // the last delayed ACKs
    await link.settle();
    gotB.push(readAll(b));
    gotA.push(readAll(a));
    expectBytes(Buffer.concat(gotB), toB);
    expectBytes(Buffer.concat(gotA), toA);
    expect(a.sndUna).toBe(seqAdd(0xffff_ff00, 1 + toB.length));
    expect(a.sndUna).toBeLessThan(0x1_0000_0); // it wrapped
    expect(b.sndUna).toBe(seqAdd(0xffff_f000, 1 + toA.length));
  });

  it('closes actively: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT for 2 MSL; the peer goes CLOSE-WAIT, LAST-ACK, CLOSED', async () => {
    const link = new BackToBack({ timeWaitMs: 1000 });
    const { a, b } = await link.open();
    a.closeReading();
    a.shutdown();
    expect(a.state).toBe('FIN-WAIT-1');
    link.deliver(link.takeInFlight()[0]); // the FIN reaches b
    expect(b.state).toBe('CLOSE-WAIT');
    expect(b.peerFinished).toBe(true);
    link.deliver(link.takeInFlight()[0]); // b's ACK of it
    expect(a.state).toBe('FIN-WAIT-2');
    b.closeReading();
    b.shutdown();
    expect(b.state).toBe('LAST-ACK');
    await link.settle();
    expect(a.state).toBe('TIME-WAIT');
    expect(b.state).toBe('CLOSED');
    expect(link.b.closedCount).toBe(1);
    link.clock.advance(999);
    expect(a.state).toBe('TIME-WAIT');
    link.clock.advance(1);
    expect(a.state).toBe('CLOSED');
    expect(a.error).toBeUndefined();
  });

  it('in TIME-WAIT, acknowledges a retransmitted FIN and starts 2 MSL again', async () => {
    const link = new BackToBack({ timeWaitMs: 1000 });
    const { a, b } = await link.open();
    a.shutdown();
    await link.settle();
    b.shutdown();
    const fin = link.inFlight[0];
    await link.settle();
    expect(a.state).toBe('TIME-WAIT');
    link.clock.advance(800);
    const before = link.log.length;
    link.deliver(fin); // as if our ACK of it was lost
    expect(link.transcript(before)).toEqual(['a>b ACK']);
    link.clock.advance(800);
    expect(a.state).toBe('TIME-WAIT');
    link.clock.advance(200);
    expect(a.state).toBe('CLOSED');
  });

  it('closes simultaneously: both FINs cross, both go CLOSING then TIME-WAIT', async () => {
    const link = new BackToBack({ timeWaitMs: 500 });
    const { a, b } = await link.open();
    a.shutdown();
    b.shutdown();
    const fins = link.takeInFlight();
    expect(fins.map(flagsOf)).toEqual(['ACK|FIN', 'ACK|FIN']);
    for (const f of fins) link.deliver(f);
    expect([a.state, b.state]).toEqual(['CLOSING', 'CLOSING']);
    await link.settle();
    expect([a.state, b.state]).toEqual(['TIME-WAIT', 'TIME-WAIT']);
    link.clock.advance(500);
    expect([a.state, b.state]).toEqual(['CLOSED', 'CLOSED']);
  });

  it('opens simultaneously when both ends send a SYN', async () => {
    const link = new BackToBack();
    link.a.conn = Connection.connect(link.a, link.a.cfg, link.a.id, 100, 1460);
    link.b.conn = Connection.connect(link.b, link.b.cfg, link.b.id, 900_000, 1460);
    const syns = link.takeInFlight();
    expect(syns.map(flagsOf)).toEqual(['SYN', 'SYN']);
    for (const s of syns) link.deliver(s);
    expect([link.a.conn.state, link.b.conn.state]).toEqual(['SYN-RECEIVED', 'SYN-RECEIVED']);
    await link.settle();
    expect([link.a.conn.state, link.b.conn.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    writeSome(link.a.conn, pattern(5000));
    await link.settle();
    expectBytes(readAll(link.b.conn), pattern(5000));
  });

  it('believes a reset only at RCV.NXT; one elsewhere in the window gets a challenge ACK (RFC 5961)', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    const rst = (seq: number): SentSegment => ({
      from: 'b',
      header: { srcPort: 80, dstPort: 40000, seq, ack: 0, flags: TcpFlag.rst, window: 0 },
      payload: new Uint8Array(0),
    });
    let before = link.log.length;
    link.deliver(rst(seqAdd(a.rcvNxt, 100)));
    expect(link.transcript(before)).toEqual(['a>b ACK']);
    expect(a.state).toBe('ESTABLISHED');
    expect(link.a.drops.get('tcp.challenge-ack')).toBe(1);
    before = link.log.length;
    link.deliver(rst(seqAdd(a.rcvNxt, 10_000_000))); // outside the window: dropped without a word
    expect(link.log.length).toBe(before);
    link.deliver(rst(a.rcvNxt));
    expect(a.state).toBe('CLOSED');
    expect(a.error).toEqual({ kind: 'disconnected', message: 'TCP 10.0.0.3.80: the peer reset the connection' });
    void b;
  });

  it('answers unusable segments without data at most every 500 ms, so confused ends cannot ping-pong ACKs', async () => {
    const link = new BackToBack();
    const { a } = await link.open();
    const stray = (seq: number): SentSegment => ({
      from: 'b',
      header: { srcPort: 80, dstPort: 40000, seq, ack: a.sndMax, flags: TcpFlag.ack, window: 1000 },
      payload: new Uint8Array(0),
    });
    const before = link.log.length;
    for (let i = 0; i < 5; i++) link.deliver(stray(seqAdd(a.rcvNxt, -1000 - i)));
    expect(link.transcript(before)).toEqual(['a>b ACK']);
    expect(link.a.drops.get('tcp.answer-rate-limited')).toBe(4);
    link.clock.advance(500);
    link.deliver(stray(seqAdd(a.rcvNxt, -2000)));
    expect(link.transcript(before)).toEqual(['a>b ACK', 'a>b ACK']);
    // Old data is always answered: the ACK is what lets a sender that went back move on.
    link.deliver({ ...stray(seqAdd(a.rcvNxt, -100)), payload: pattern(50) });
    expect(link.transcript(before)).toEqual(['a>b ACK', 'a>b ACK', 'a>b ACK']);
  });

  it('answers a SYN inside an established connection with a challenge ACK', async () => {
    const link = new BackToBack();
    const { a } = await link.open();
    const before = link.log.length;
    link.deliver({
      from: 'b',
      header: { srcPort: 80, dstPort: 40000, seq: a.rcvNxt, ack: 0, flags: TcpFlag.syn, window: 1000 },
      payload: new Uint8Array(0),
    });
    expect(link.transcript(before)).toEqual(['a>b ACK']);
    expect(a.state).toBe('ESTABLISHED');
  });

  it('retransmits with exponential backoff, then gives up with a reset', async () => {
    // Without SACK there is no tail loss probe (tested below): only the timer resends.
    const link = new BackToBack({ maxRetransmits: 4, sack: false });
    const { a } = await link.open();
    link.lose = (s) => s.from === 'a';
    writeSome(a, pattern(100));
    await flushMicrotasks();
    const sentAt = () => link.log.filter((s) => s.from === 'a' && s.payload.length === 100).length;
    expect(sentAt()).toBe(1);
    const rto = a.rtt.rto;
    const times: number[] = [];
    for (let t = 0; t < 60_000 && a.state !== 'CLOSED'; t += 10) {
      const n = sentAt();
      link.clock.advance(10);
      if (sentAt() > n) times.push(link.clock.now());
    }
    expect(times).toHaveLength(4);
    const gaps = times.map((t, i) => t - (i === 0 ? times[0] - rto : times[i - 1]));
    expect(gaps).toEqual([rto, 2 * rto, 4 * rto, 8 * rto]);
    expect(a.state).toBe('CLOSED');
    expect(a.error?.kind).toBe('timeout');
    expect(link.log.at(-1)?.header.flags).toBe(TcpFlag.rst | TcpFlag.ack);
  });

  it('reports out-of-order data in SACK blocks, newest first, and recovers two holes by SACK without a timer', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    const data = pattern(10 * 1448);
    writeSome(a, data);
    await flushMicrotasks();
    const segments = link.takeInFlight();
    expect(segments).toHaveLength(10);
    const start = segments[0].header.seq;
    const at = (i: number) => seqAdd(start, i * 1448);
    const lost = new Set([1, 4]);
    const kept = segments.filter((_, i) => !lost.has(i));
    // 0, 2, 3 arrive: the ACKs from b name [2, 4) as held.
    for (const s of kept.slice(0, 3)) link.deliver(s);
    expect(link.inFlight.at(-1)?.header.options?.sack).toEqual([[at(2), at(4)]]);
    // 5 arrives: its block comes first (RFC 2018 4), then the older one.
    link.deliver(kept[3]);
    expect(link.inFlight.at(-1)?.header.options?.sack).toEqual([
      [at(5), at(6)],
      [at(2), at(4)],
    ]);
    for (const s of kept.slice(4)) link.deliver(s);
    await link.settle();
    expectBytes(readAll(b), data);
    const sentData = link.log.filter((s) => s.from === 'a' && s.payload.length > 0);
    // Each lost segment went out once more, nothing else was resent.
    expect(sentData).toHaveLength(12);
    expect(sentData.slice(10).map((s) => s.header.seq)).toEqual([at(1), at(4)]);
    expect(link.a.events).toMatchObject({ sackRecoveries: 1, sackRetransmits: 1, rtoCount: 0, tlpProbes: 0 });
    expect(a.cc.inRecovery).toBe(false);
  });

  it('recovers a lost last segment with a tail loss probe, well before the retransmission timeout', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    const data = pattern(6 * 1448);
    writeSome(a, data);
    await flushMicrotasks();
    const segments = link.takeInFlight();
    for (const s of segments.slice(0, -1)) link.deliver(s);
    await link.settle();
    expect(readAll(b)).toHaveLength(5 * 1448);
    const rto = a.rtt.rto;
    const began = link.clock.now();
    let got = 0;
    while (got < 1448 && link.clock.now() - began < 10 * rto) {
      link.clock.advance(5);
      await link.settle();
      got += readAll(b).length;
    }
    expect(got).toBe(1448);
    expect(link.clock.now() - began).toBeLessThan(rto);
    expect(link.a.events).toMatchObject({ tlpProbes: 1, rtoCount: 0 });
    expect(link.a.drops.get('tcp.retransmit-timeout')).toBe(0);
  });

  it('re-arms the tail probe when new data goes out after an ACK that left one segment in flight', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    writeSome(a, pattern(3 * 1448));
    await flushMicrotasks();
    // Two of three arrive (the third is lost): b acknowledges them at once, leaving one segment in flight at a.
    const [first, second, third] = link.takeInFlight();
    expect(third.payload).toHaveLength(1448);
    link.deliver(first);
    link.deliver(second);
    await link.settle();
    expect(readAll(b)).toHaveLength(2 * 1448);
    // Armed now, the probe would allow for a delayed ACK of that lone segment (50 ms).
    writeSome(a, pattern(4 * 1448, 2));
    await flushMicrotasks();
    expect(link.takeInFlight()).toHaveLength(4); // lost too: only a probe can recover them before the RTO
    const sent = link.clock.now();
    while (link.a.events.tlpProbes === 0 && link.clock.now() - sent < 200) {
      link.clock.advance(1);
      await link.settle();
    }
    // Five segments in flight: two round trips (here the 2 ms floor), not the lone segment's allowance.
    expect(link.a.events.tlpProbes).toBe(1);
    expect(link.clock.now() - sent).toBeLessThan(20);
  });

  it('sends a D-SACK for a segment received twice, and the sender counts it', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    writeSome(a, pattern(1448));
    await flushMicrotasks();
    const [seg] = link.takeInFlight();
    link.deliver(seg);
    link.takeInFlight(); // b's (delayed) ACK, if any, is lost
    link.deliver(seg);
    const [ack] = link.takeInFlight();
    expect(ack.header.options?.sack).toEqual([[seg.header.seq, seqAdd(seg.header.seq, 1448)]]);
    link.deliver(ack);
    expect(link.b.events.dsacksSent).toBe(1);
    expect(link.a.events.dsacksReceived).toBe(1);
    expect(readAll(b)).toHaveLength(1448);
    expect(a.sndUna).toBe(a.sndMax);
  });

  it('keeps SACK off when the peer does not offer it', async () => {
    const link = new BackToBack({}, { sack: false });
    const { a, b } = await link.open();
    expect(link.log[1].header.options?.sackPermitted).toBeUndefined();
    expect([a.sackOk, b.sackOk]).toEqual([false, false]);
  });

  it('sends no keep-alive unless asked to', async () => {
    const link = new BackToBack();
    await link.open();
    const before = link.log.length;
    link.clock.advance(3 * 3600_000);
    await link.settle();
    expect(link.log.length).toBe(before);
  });

  it('probes an idle peer with keep-alives when enabled, and gives up when they go unanswered', async () => {
    const link = new BackToBack({ keepAliveMs: 10_000, keepAliveIntervalMs: 1000, keepAliveProbes: 3 });
    const { a, b } = await link.open();
    link.clock.advance(9_999);
    await link.settle();
    expect(link.a.events.keepAliveProbes + link.b.events.keepAliveProbes).toBe(0);
    link.clock.advance(1);
    const probes = link.inFlight.filter(
      (s) => s.payload.length === 0 && s.header.seq === seqAdd((s.from === 'a' ? a : b).sndMax, -1),
    );
    expect(probes.map((s) => s.from).sort()).toEqual(['a', 'b']);
    await link.settle(); // each answers the other's probe with an ACK: both stay open
    expect([a.state, b.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    // Now b falls silent: a probes three times, a second apart, then resets.
    link.lose = (s) => s.from === 'b';
    const sentBefore = link.a.events.keepAliveProbes;
    link.clock.advance(10_000 + 3 * 1000);
    await link.settle();
    expect(link.a.events.keepAliveProbes - sentBefore).toBe(3);
    expect(a.state).toBe('CLOSED');
    expect(a.error?.kind).toBe('timeout');
    expect(link.a.drops.get('tcp.keep-alive-timeout')).toBe(1);
  });

  it('makes segments smaller on fragmentation-needed and resends what was in flight at the new size', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    const data = pattern(4 * 1448);
    writeSome(a, data);
    await flushMicrotasks();
    link.takeInFlight(); // lost on the narrow path
    a.pathMtu(1000 - 20); // a 1000-byte IPv4 path
    expect(a.sndMss).toBe(1000 - 40 - 12);
    await link.settle();
    expectBytes(readAll(b), data);
    const resent = link.log.filter((s) => s.from === 'a' && s.payload.length > 0).slice(4);
    expect(Math.max(...resent.map((s) => s.payload.length))).toBe(948);
    expect(link.a.events.mssReductions).toBe(1);
    a.pathMtu(1400 - 20); // not lower: ignored
    expect(a.sndMss).toBe(948);
  });

  it('fast-retransmits a lost segment on three duplicate ACKs, before any timer', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    const data = pattern(10 * 1448);
    writeSome(a, data);
    await flushMicrotasks();
    const segments = link.takeInFlight();
    expect(segments).toHaveLength(10);
    segments.splice(1, 1); // lose the second
    for (const s of segments) link.deliver(s);
    const dupAcks = link.takeInFlight();
    expect(dupAcks.filter((s) => s.header.ack === seqAdd(a.sndUna, 0))).toHaveLength(0);
    expect(new Set(dupAcks.map((s) => s.header.ack)).size).toBe(1); // all the same: duplicates
    for (const s of dupAcks) link.deliver(s);
    expect(a.cc.inRecovery).toBe(true);
    expect(link.a.drops.get('tcp.retransmit-fast')).toBe(1);
    await link.settle();
    expectBytes(readAll(b), data);
    expect(a.cc.inRecovery).toBe(false);
    expect(link.a.drops.get('tcp.retransmit-timeout')).toBe(0);
  });

  it('undoes a retransmission timeout that the timestamps show was spurious (late ACKs, nothing lost)', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    const data = pattern(20 * 1448);
    writeSome(a, data);
    await flushMicrotasks();
    for (const s of link.takeInFlight()) link.deliver(s); // b has all of it; its ACKs are late
    const lateAcks = link.takeInFlight();
    expect(lateAcks.length).toBeGreaterThan(0);
    const cwnd = a.cc.cwnd;
    const first = a.sndUna;
    link.clock.advance(a.rtt.rto); // tail probes first, then the timeout
    expect(link.a.events.rtoCount).toBe(1);
    const resent = link.takeInFlight();
    expect(resent.filter((s) => s.header.seq === first)).toHaveLength(1); // slow start from one segment
    for (const s of lateAcks) link.deliver(s);
    expect(link.a.events.spuriousRtos).toBe(1);
    expect(a.cc.cwnd).toBeGreaterThanOrEqual(cwnd);
    expect(a.sndNxt).toBe(a.sndMax); // the window is not sent again
    for (const s of resent) link.deliver(s); // the one resent segment arrives as a duplicate
    await link.settle();
    expectBytes(readAll(b), data);
  });

  it('keeps a timeout whose ACK echoes the retransmission (the original was lost)', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    link.lose = (s) => s.from === 'a' && link.a.events.rtoCount === 0; // the segment and its tail probes
    writeSome(a, pattern(1448));
    await flushMicrotasks();
    link.clock.advance(a.rtt.rto);
    await link.settle();
    expect(readAll(b)).toHaveLength(1448);
    expect([link.a.events.rtoCount, link.a.events.spuriousRtos]).toEqual([1, 0]);
  });

  it('puts reordered segments back in order, acknowledging each out-of-order one at once', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    const data = pattern(6 * 1448);
    writeSome(a, data);
    await flushMicrotasks();
    const segs = link.takeInFlight();
    const before = link.log.length;
    for (const i of [5, 3, 4, 1, 2, 0]) link.deliver(segs[i]);
    expect(link.transcript(before).length).toBeGreaterThanOrEqual(5); // immediate duplicate ACKs
    expectBytes(readAll(b), data);
    expect(b.rcvNxt).toBe(a.sndNxt);
  });

  it('gives back the memory of held pieces that an in-order segment overlapped', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    const data = pattern(4 * 1448);
    writeSome(a, data);
    await flushMicrotasks();
    const segs = link.takeInFlight();
    link.deliver(segs[2]); // held ahead of RCV.NXT
    expect(link.b.memoryUsed).toBe(1448);
    // A retransmission that coalesced the first three segments covers the held one.
    link.deliver({ ...segs[0], payload: Buffer.concat([segs[0].payload, segs[1].payload, segs[2].payload]) });
    link.deliver(segs[3]);
    expectBytes(readAll(b), data);
    expect(link.b.memoryUsed).toBe(0);
    void a;
  });

  it('delays a lone ACK by 40 ms but acknowledges every second segment at once', async () => {
    const link = new BackToBack();
    const { a } = await link.open();
    writeSome(a, pattern(100));
    await flushMicrotasks();
    link.deliver(link.takeInFlight()[0]);
    expect(link.inFlight).toHaveLength(0);
    link.clock.advance(39);
    expect(link.inFlight).toHaveLength(0);
    link.clock.advance(1);
    expect(link.inFlight.map(flagsOf)).toEqual(['ACK']);
    await link.settle();
    writeSome(a, pattern(2 * 1448));
    await flushMicrotasks();
    for (const s of link.takeInFlight()) link.deliver(s);
    expect(link.inFlight.map(flagsOf)).toEqual(['ACK']);
  });

  it('stops at a zero window, probes it with backoff, and resumes when the reader makes room', async () => {
    const link = new BackToBack({}, { receiveBuffer: 8192 });
    const { a, b } = await link.open();
    const data = pattern(40_000);
    let sent = writeSome(a, data);
    for (let i = 0; i < 3; i++) {
      await link.settle();
      link.clock.advance(40); // delayed ACKs
    }
    await link.settle();
    expect(link.log.filter((s) => s.from === 'b').at(-1)?.header.window).toBe(0);
    const held = b.bufferedBytes;
    expect(held).toBeGreaterThanOrEqual(8192 - 1448);
    expect(held).toBeLessThanOrEqual(8192 + 8);
    const probes = () =>
      link.log.filter((s) => s.from === 'a' && s.payload.length === 0 && s.header.seq === seqAdd(a.sndUna, -1)).length;
    link.clock.advance(a.rtt.rto);
    await link.settle();
    expect(probes()).toBe(1);
    link.clock.advance(2 * a.rtt.rto);
    await link.settle();
    expect(probes()).toBe(2);
    // Probes are answered: the connection stays up however long the reader sleeps.
    link.clock.advance(120_000);
    await link.settle();
    expect(a.state).toBe('ESTABLISHED');
    expect(b.bufferedBytes).toBe(held);
    const got: Buffer[] = [];
    while (got.reduce((n, g) => n + g.length, 0) < data.length) {
      got.push(readAll(b));
      sent += writeSome(a, data, sent);
      await link.settle();
      link.clock.advance(1);
    }
    expectBytes(Buffer.concat(got), data);
  });

  it('drops a segment with an old timestamp (PAWS) and answers with an ACK', async () => {
    const link = new BackToBack();
    const { a, b } = await link.open();
    writeSome(b, pattern(10));
    await flushMicrotasks();
    const old = link.inFlight[0];
    await link.settle();
    link.clock.advance(50);
    writeSome(b, pattern(10));
    await link.settle();
    readAll(a);
    const before = link.log.length;
    link.deliver({ ...old, header: { ...old.header, seq: a.rcvNxt } });
    expect(link.a.drops.get('tcp.paws-rejected')).toBe(1);
    expect(link.transcript(before)).toEqual(['a>b ACK']);
    expect(a.read()).toBeUndefined();
  });

  it('holds a bounded number of out-of-order pieces', async () => {
    const link = new BackToBack({}, { reorderPieces: 2 });
    const { a, b } = await link.open();
    writeSome(a, pattern(20 * 1448));
    await flushMicrotasks();
    const segs = link.takeInFlight();
    expect(segs).toHaveLength(10); // the initial window
    for (let i = 1; i < segs.length; i += 2) link.deliver(segs[i]); // every other one: all out of order
    expect(link.b.drops.get('tcp.reorder-full')).toBe(3);
    expect(b.bufferedBytes).toBe(2 * 1448);
  });

  it('refuses a connection with a reset, and acknowledges nothing it never sent', async () => {
    const link = new BackToBack();
    link.a.conn = Connection.connect(link.a, link.a.cfg, link.a.id, 5000, 1460);
    const syn = link.takeInFlight()[0];
    // An ACK for something else first: SYN-SENT answers it with a reset at that number.
    link.deliver({
      from: 'b',
      header: { srcPort: 80, dstPort: 40000, seq: 1, ack: 999, flags: TcpFlag.ack, window: 0 },
      payload: new Uint8Array(0),
    });
    expect(link.inFlight.map((s) => [flagsOf(s), s.header.seq])).toEqual([['RST', 999]]);
    link.takeInFlight();
    link.deliver({
      from: 'b',
      header: {
        srcPort: 80,
        dstPort: 40000,
        seq: 0,
        ack: seqAdd(syn.header.seq, 1),
        flags: TcpFlag.rst | TcpFlag.ack,
        window: 0,
      },
      payload: new Uint8Array(0),
    });
    expect(link.a.conn.state).toBe('CLOSED');
    expect(link.a.conn.error).toEqual({ kind: 'refused', message: 'TCP 10.0.0.3.80 refused the connection' });
  });

  it('gives up connecting after its SYN retries, doubling the interval', async () => {
    const link = new BackToBack({ synRetries: 3 });
    link.lose = () => true;
    const a = (link.a.conn = Connection.connect(link.a, link.a.cfg, link.a.id, 5000, 1460));
    link.clock.advance(1000 + 2000 + 4000 - 1);
    expect(link.log.map(flagsOf)).toEqual(['SYN', 'SYN', 'SYN']);
    link.clock.advance(1);
    expect(link.log.map(flagsOf)).toEqual(['SYN', 'SYN', 'SYN', 'SYN']);
    link.clock.advance(7999);
    expect(a.state).toBe('SYN-SENT');
    link.clock.advance(1);
    expect(a.state).toBe('CLOSED');
    expect(a.error).toEqual({ kind: 'timeout', message: 'connect to TCP 10.0.0.3.80 timed out' });
  });

  it('keeps the advertised right edge from moving left while the reader is slow', async () => {
    const link = new BackToBack({}, { receiveBuffer: 20_000, windowScaling: false });
    const { a } = await link.open();
    writeSome(a, pattern(100_000));
    await link.settle();
    const acks = link.log.filter((s) => s.from === 'b' && s.header.flags & TcpFlag.ack);
    for (let i = 1; i < acks.length; i++) {
      const right = seqAdd(acks[i].header.ack, acks[i].header.window);
      const prev = seqAdd(acks[i - 1].header.ack, acks[i - 1].header.window);
      expect(seqDiff(right, prev)).toBeGreaterThanOrEqual(0);
    }
  });
});
