import { NewReno } from './congestion';
import { COOKIE_MSS, SequenceNumbers } from './isn';
import { ReorderQueue } from './reorder-queue';
import { RttEstimator } from './rtt';
import { SendBuffer } from './send-buffer';
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax, seqMin } from './seq';

const bytes = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('sequence numbers', () => {
  it('compare across the 2^32 wrap', () => {
    const top = 0xffff_fff0;
    const wrapped = seqAdd(top, 0x20); // 0x10
    expect(wrapped).toBe(0x10);
    expect(seqLt(top, wrapped)).toBe(true);
    expect(seqGt(wrapped, top)).toBe(true);
    expect(seqLe(top, top)).toBe(true);
    expect(seqGe(wrapped, top)).toBe(true);
    expect(seqDiff(wrapped, top)).toBe(0x20);
    expect(seqDiff(top, wrapped)).toBe(-0x20);
    expect(seqMax(top, wrapped)).toBe(wrapped);
    expect(seqMin(top, wrapped)).toBe(top);
    expect(seqAdd(0, -1)).toBe(0xffff_ffff);
  });

  it('decide window membership across the wrap', () => {
    const lo = 0xffff_ff00;
    const hi = seqAdd(lo, 0x200);
    expect(seqInWindow(0xffff_ffff, lo, hi)).toBe(true);
    expect(seqInWindow(0, lo, hi)).toBe(true);
    expect(seqInWindow(0xff, lo, hi)).toBe(true);
    expect(seqInWindow(0x100, lo, hi)).toBe(false); // hi itself is outside
    expect(seqInWindow(lo - 1, lo, hi)).toBe(false);
  });

  it('treat numbers half the space apart consistently (the ordering breaks beyond 2^31, as RFC 1982 says)', () => {
    expect(seqLt(0, 0x7fff_ffff)).toBe(true);
    expect(seqLt(0, 0x8000_0001)).toBe(false);
    expect(seqGt(0, 0x8000_0001)).toBe(true);
  });
});

describe('SendBuffer', () => {
  it('hands out views across chunks that survive consumption', () => {
    const b = new SendBuffer();
    const data = bytes(0, 200_000);
    b.append(data, 0, 100_000);
    b.append(data, 100_000, 100_000);
    expect(b.length).toBe(200_000);
    const views = b.views(65_000, 2_000); // crosses the first 64 KiB chunk boundary
    expect(views.length).toBe(2);
    b.consume(150_000);
    expect(b.length).toBe(50_000);
    expect(Buffer.concat(views)).toEqual(Buffer.from(data.subarray(65_000, 67_000)));
    expect(Buffer.concat(b.views(0, 50_000))).toEqual(Buffer.from(data.subarray(150_000)));
    b.consume(50_000);
    b.append(data, 0, 10);
    expect(Buffer.concat(b.views(0, 10))).toEqual(Buffer.from(data.subarray(0, 10)));
  });

  it('refuses ranges it does not hold', () => {
    const b = new SendBuffer();
    b.append(bytes(0, 10), 0, 10);
    expect(() => b.views(5, 6)).toThrow(RangeError);
    expect(() => b.consume(11)).toThrow(RangeError);
  });
});

describe('ReorderQueue', () => {
  it('keeps only new bytes of overlapping segments and drains them in order', () => {
    const q = new ReorderQueue(8);
    const base = 0xffff_fff0; // across the wrap
    const stream = bytes(0, 100);
    expect(q.insert(seqAdd(base, 20), stream.subarray(20, 40))).toBe(20);
    expect(q.insert(seqAdd(base, 30), stream.subarray(30, 60))).toBe(20); // 30..40 was held
    expect(q.insert(seqAdd(base, 10), stream.subarray(10, 70))).toBe(20); // only 10..20 and 60..70 are new
    expect(q.insert(seqAdd(base, 25), stream.subarray(25, 35))).toBe(0);
    expect(q.bytes).toBe(60);
    const out: Uint8Array[] = [];
    let discarded = 0;
    const discard = (n: number) => (discarded += n);
    expect(q.drain(base, (d) => out.push(d), discard)).toBe(base); // nothing at base yet
    const nxt = q.drain(seqAdd(base, 15), (d) => out.push(Uint8Array.from(d)), discard);
    expect(nxt).toBe(seqAdd(base, 70));
    expect(Buffer.concat(out)).toEqual(Buffer.from(stream.subarray(15, 70)));
    expect(discarded).toBe(5); // 10..15 came in order already
    expect(q.bytes).toBe(0);
    // A piece the in-order stream overtook entirely is discarded whole.
    q.insert(200, stream.subarray(0, 10));
    expect(q.drain(300, () => undefined, discard)).toBe(300);
    expect(discarded).toBe(15);
  });

  it('reports the newest block first, then the most recently reported ones, as RFC 2018 4 asks', () => {
    const q = new ReorderQueue(16);
    const arrive = (seq: number) => {
      q.arrived(seq);
      q.insert(seq, bytes(0, 10));
    };
    // Holes every other 10 bytes: blocks at 100, 120, 140, 160, 180 arrive in that order.
    for (const seq of [100, 120, 140, 160, 180]) arrive(seq);
    expect(q.blocks(3)).toEqual([
      [180, 190],
      [160, 170],
      [140, 150],
    ]);
    // An arrival that extends an older block moves that block to the front; the others keep their recency.
    arrive(110);
    expect(q.blocks(4)).toEqual([
      [100, 130],
      [180, 190],
      [160, 170],
      [140, 150],
    ]);
    // Blocks no ACK has named recently still come, lowest first, once the recent ones are listed.
    const fresh = new ReorderQueue(16);
    for (const seq of [300, 320]) fresh.insert(seq, bytes(0, 10));
    fresh.arrived(340);
    fresh.insert(340, bytes(0, 10));
    expect(fresh.blocks(3)).toEqual([
      [340, 350],
      [300, 310],
      [320, 330],
    ]);
  });

  it('refuses pieces beyond its limit, so scattered segments cannot grow it', () => {
    const q = new ReorderQueue(3);
    for (let i = 0; i < 3; i++) expect(q.insert(i * 10, bytes(0, 5))).toBe(5);
    expect(q.insert(100, bytes(0, 5))).toBe(-1);
    expect(q.count).toBe(3);
  });
});

describe('RttEstimator (RFC 6298)', () => {
  it('starts at 1 s, follows SRTT + 4 RTTVAR with a floor, and doubles on timeouts up to the cap', () => {
    const r = new RttEstimator({ minMs: 200, maxMs: 60_000 });
    expect(r.rto).toBe(1000);
    r.sample(100); // SRTT 100, RTTVAR 50 -> 300
    expect(r.srtt).toBe(100);
    expect(r.rto).toBe(300);
    r.sample(100); // RTTVAR 37.5, SRTT 100 -> 250
    expect(r.rto).toBe(250);
    for (let i = 0; i < 20; i++) r.sample(1);
    expect(r.rto).toBe(200);
    r.timedOut();
    expect(r.rto).toBe(400);
    r.timedOut();
    expect(r.rto).toBe(800);
    for (let i = 0; i < 20; i++) r.timedOut();
    expect(r.rto).toBe(60_000);
    r.sample(1);
    expect(r.rto).toBe(200);
  });
});

describe('NewReno', () => {
  const mss = 1000;
  it('grows exponentially in slow start, linearly in congestion avoidance', () => {
    const cc = new NewReno(mss, 0);
    expect(cc.cwnd).toBe(10 * mss);
    cc.onNewAck(2000, 2000, 0);
    expect(cc.cwnd).toBe(12 * mss);
    cc.ssthresh = cc.cwnd;
    const before = cc.cwnd;
    for (let i = 0; i < 12; i++) cc.onNewAck(0, mss, 0);
    expect(cc.cwnd).toBe(before + mss);
  });

  it('fast-retransmits on the third duplicate ACK, inflates, retransmits on a partial ACK and deflates on the full one', () => {
    const cc = new NewReno(mss, 0);
    cc.cwnd = 20 * mss;
    const una = 5000;
    const sndMax = 25_000;
    expect(cc.onDuplicateAck(una, sndMax, 20_000)).toBe('none');
    expect(cc.onDuplicateAck(una, sndMax, 20_000)).toBe('none');
    expect(cc.onDuplicateAck(una, sndMax, 20_000)).toBe('retransmit');
    expect(cc.inRecovery).toBe(true);
    expect(cc.ssthresh).toBe(10 * mss);
    expect(cc.cwnd).toBe(13 * mss);
    cc.onDuplicateAck(una, sndMax, 20_000);
    expect(cc.cwnd).toBe(14 * mss);
    expect(cc.onNewAck(10_000, 5000, 15_000)).toBe('retransmit'); // partial: below recover
    expect(cc.cwnd).toBe(10 * mss);
    expect(cc.onNewAck(25_000, 15_000, 0)).toBe('none');
    expect(cc.inRecovery).toBe(false);
    expect(cc.cwnd).toBe(2 * mss); // min(ssthresh, flight + MSS)
  });

  it('does not fast-retransmit again for losses from before the last timeout', () => {
    const cc = new NewReno(mss, 0);
    cc.onTimeout(20_000, 30_000);
    expect(cc.cwnd).toBe(mss);
    expect(cc.ssthresh).toBe(10 * mss);
    for (let i = 0; i < 3; i++) expect(cc.onDuplicateAck(20_000, 30_000, 10_000)).toBe('none');
  });
});

describe('SequenceNumbers', () => {
  let t = 0;
  const numbers = new SequenceNumbers(() => t, Buffer.alloc(32, 7));
  const id = { localIp: 0x0a000002, localPort: 8080, remoteIp: 0x0a000001, remotePort: 40000 };

  it('makes ISNs that differ per connection and advance with time', () => {
    const a = numbers.isn(id);
    const b = numbers.isn({ ...id, remotePort: 40001 });
    expect(a).not.toBe(b);
    t += 1000;
    expect(seqDiff(numbers.isn(id), a)).toBe(250_000);
  });

  it('round-trips a SYN cookie and refuses forged, reused and stale ones', () => {
    t = 5_000_000;
    const cookie = numbers.cookie(id, 12345, { mss: 1460, windowScale: 7 });
    expect(numbers.checkCookie(id, 12345, cookie)).toEqual({ mss: 1460, windowScale: 7 });
    expect(numbers.checkCookie(id, 12346, cookie)).toBeNull();
    expect(numbers.checkCookie({ ...id, remotePort: 40001 }, 12345, cookie)).toBeNull();
    expect(numbers.checkCookie(id, 12345, (cookie ^ 1) >>> 0)).toBeNull();
    const plain = numbers.cookie(id, 1, { mss: 1300, windowScale: undefined });
    expect(numbers.checkCookie(id, 1, plain)).toEqual({ mss: COOKIE_MSS[1], windowScale: undefined });
    t += 64_000;
    expect(numbers.checkCookie(id, 12345, cookie)).not.toBeNull(); // one tick later: still good
    t += 64_000;
    expect(numbers.checkCookie(id, 12345, cookie)).toBeNull();
  });
});
