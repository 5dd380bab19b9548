import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LinkFaults } from './link-faults';
import { MemorySwitch, type MemoryNetif } from './memory';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, FrameLog, dstMac, ethernet, srcMac } from './testing/frames';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';
const switches: MemorySwitch[] = [];

function makeSwitch(options?: ConstructorParameters<typeof MemorySwitch>[0]): MemorySwitch {
  const sw = new MemorySwitch(options);
  switches.push(sw);
  return sw;
}

afterEach(async () => {
  for (const sw of switches.splice(0)) await sw.close();
});

function payload(n: number, size = 46): Uint8Array {
  const p = new Uint8Array(size);
  new DataView(p.buffer).setUint32(0, n);
  for (let i = 4; i < size; i++) p[i] = (n * 7 + i) & 0xff;
  return p;
}

const seqOf = (frame: Uint8Array) => new DataView(frame.buffer, frame.byteOffset + 14).getUint32(0);

describe('MemorySwitch forwarding', () => {
  it('floods unknown and broadcast destinations, then learns where each MAC lives', async () => {
    const sw = makeSwitch();
    const [a, b, c] = [sw.connect(), sw.connect(), sw.connect()];
    const [la, lb, lc] = [new FrameLog(a), new FrameLog(b), new FrameLog(c)];

    await a.write(ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(1)));
    await lb.waitForCount(1, 'frame at b');
    await lc.waitForCount(1, 'flooded frame at c');
    expect(sw.stats().flooded).toBe(1);

    // a's MAC was learned from that frame: the answer goes to a only.
    await b.write(ethernet(a.mac, b.mac, ETHERTYPE_IPV4, payload(2)));
    await la.waitForCount(1, 'answer at a');
    // Both MACs are now known: a -> b is unicast too.
    await a.write(ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(3)));
    await lb.waitForCount(2, 'second frame at b');
    await c.write(ethernet(BROADCAST, c.mac, ETHERTYPE_ARP, payload(4)));
    await la.waitForCount(2, 'broadcast at a');
    await lb.waitForCount(3, 'broadcast at b');
    await new Promise((r) => setImmediate(r));

    expect(la.frames.map(seqOf)).toEqual([2, 4]);
    expect(lb.frames.map(seqOf)).toEqual([1, 3, 4]);
    expect(lc.frames.map(seqOf)).toEqual([1]);
    expect(sw.stats()).toMatchObject({ unicast: 2, flooded: 2 });
    expect(a.stats()).toMatchObject({ txFrames: 2, rxFrames: 2, dropped: 0 });
    expect(lb.frames[1].length).toBe(60);
  });

  it('delivers on a later turn of the event loop, never inside write', async () => {
    const sw = makeSwitch();
    const [a, b] = [sw.connect(), sw.connect()];
    const lb = new FrameLog(b);
    const frame = ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(9));
    const written = a.write(frame);
    frame.fill(0); // the sender may reuse its buffer at once
    expect(lb.frames).toHaveLength(0);
    await written;
    expect(lb.frames).toHaveLength(0);
    await lb.waitForCount(1, 'frame');
    expect(seqOf(lb.frames[0])).toBe(9);
    expect(srcMac(lb.frames[0])).toBe(a.mac);
    // A Buffer too: its slice() would be a view, so the switch must really copy.
    const buffer = Buffer.from(ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(10)));
    await a.write(buffer);
    buffer.fill(0);
    await lb.waitForCount(2, 'frame from a Buffer');
    expect(seqOf(lb.frames[1])).toBe(10);
  });

  it('keeps frames for a port until it listens, and forgets a port that leaves', async () => {
    const sw = makeSwitch();
    const [a, b, c] = [sw.connect(), sw.connect(), sw.connect()];
    const lc = new FrameLog(c);
    await a.write(ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(1)));
    await b.write(ethernet(a.mac, b.mac, ETHERTYPE_IPV4, payload(2)));
    await lc.waitForCount(1, 'flooded frame at c');
    const la = new FrameLog(a);
    await la.waitForCount(1, 'frame kept for a');
    expect(seqOf(la.frames[0])).toBe(2);

    await b.disconnect();
    await a.write(ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(3)));
    await lc.waitForCount(2, 'frame for the departed MAC, flooded');
    expect(await b.write(ethernet(a.mac, b.mac, ETHERTYPE_IPV4, payload(4)))).toMatchObject({
      ok: false,
      error: { kind: 'disconnected' },
    });
  });

  it('does not send a frame back to the port its destination lives on', async () => {
    const sw = makeSwitch();
    const [a, b] = [sw.connect(), sw.connect()];
    const lb = new FrameLog(b);
    const behindA = '02:00:00:00:00:99';
    await a.write(ethernet(BROADCAST, behindA, ETHERTYPE_ARP, payload(1)));
    await lb.waitForCount(1, 'broadcast');
    await a.write(ethernet(behindA, a.mac, ETHERTYPE_IPV4, payload(2)));
    await a.write(ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(3)));
    await lb.waitForCount(2, 'frame to b');
    expect(lb.frames.map(seqOf)).toEqual([1, 3]);
    expect(sw.stats().filtered).toBe(1);
  });

  it('ends listen when the port disconnects, and refuses a second listener', async () => {
    const sw = makeSwitch();
    const a = sw.connect();
    const listening = a.listen(() => undefined);
    expect(await a.listen(() => undefined)).toMatchObject({ ok: false, error: { kind: 'in-use' } });
    await a.disconnect();
    expect(await listening).toEqual({ ok: true, value: undefined });
    expect(await a.listen(() => undefined)).toMatchObject({ ok: false, error: { kind: 'disconnected' } });
  });

  it('makes MACs from the seed: locally administered, unicast, distinct, the same for the same seed', () => {
    const macs = (seed: number) => {
      const sw = makeSwitch({ seed });
      return [sw.connect().mac, sw.connect().mac, sw.connect().mac];
    };
    const first = macs(42);
    expect(macs(42)).toEqual(first);
    expect(macs(43)).not.toEqual(first);
    expect(new Set(first).size).toBe(3);
    for (const mac of first) {
      expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      expect(parseInt(mac.slice(0, 2), 16) & 0b11).toBe(0b10);
    }
  });

  it('takes a given MAC and refuses a malformed, multicast or duplicate one', () => {
    const sw = makeSwitch();
    expect(sw.connect('C2:9D:56:19:D7:2C').mac).toBe('c2:9d:56:19:d7:2c');
    expect(() => sw.connect('c2:9d:56:19:d7:2c')).toThrow(/already plugged/);
    expect(() => sw.connect('c2:9d:56:19:d7')).toThrow(/not a MAC address/);
    expect(() => sw.connect('01:00:5e:00:00:01')).toThrow(/multicast/);
  });

  it('refuses bad options with the option name and the allowed range', () => {
    expect(() => new MemorySwitch({ faults: { loss: 1.5 } })).toThrow(/faults.loss is 1.5.*from 0 to 1/);
    expect(() => new MemorySwitch({ faults: { delayMs: -1 } })).toThrow(/faults.delayMs/);
    expect(() => new MemorySwitch({ mtu: 20 })).toThrow(/mtu is 20/);
    expect(() => new MemorySwitch({ seed: 1.5 })).toThrow(/seed is 1.5/);
  });
});

describe('MemorySwitch checksums', () => {
  it('lets its ports declare checksums unnecessary only when asked, and never together with corruption', async () => {
    const plain = new MemorySwitch();
    const trusted = new MemorySwitch({ skipChecksums: true, faults: { loss: 0.1, reorder: 0.1 } });
    expect([plain.connect().checksumUnnecessary, trusted.connect().checksumUnnecessary]).toEqual([false, true]);
    expect(() => new MemorySwitch({ skipChecksums: true, faults: { corrupt: 0.01 } })).toThrow(
      /skipChecksums with corrupt faults/,
    );
    await plain.close();
    await trusted.close();
  });
});

describe('MemorySwitch MTU', () => {
  it('drops and counts frames whose payload exceeds the MTU, and frames shorter than a header', async () => {
    const sw = makeSwitch({ mtu: 576 });
    const [a, b] = [sw.connect(), sw.connect()];
    const lb = new FrameLog(b);
    expect(a.mtu).toBe(576);
    expect(await a.write(ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(1, 576)))).toEqual({
      ok: true,
      value: undefined,
    });
    const tooBig = await a.write(ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(2, 577)));
    expect(tooBig).toMatchObject({ ok: false, error: { kind: 'too-big' } });
    expect(!tooBig.ok && tooBig.error.message).toMatch(/577 bytes exceeds the MTU of 576/);
    // An 802.1Q tag does not count against the MTU.
    const tagged = ethernet(b.mac, a.mac, 0x8100, payload(3, 580));
    expect(await a.write(tagged)).toEqual({ ok: true, value: undefined });
    expect(await a.write(new Uint8Array(10))).toMatchObject({ ok: false, error: { kind: 'io' } });
    await lb.waitForCount(2, 'frames within the MTU');
    await new Promise((r) => setTimeout(r, 5));
    expect(lb.frames).toHaveLength(2);
    expect(sw.stats().oversize).toBe(1);
    expect(a.stats()).toMatchObject({ txFrames: 2, dropped: 2 });
  });
});

/** Sends `n` numbered frames a -> b over a faulty switch and returns what b received. */
async function runFaulty(seed: number, faults: LinkFaults, n = 2000) {
  const sw = makeSwitch({ seed, faults });
  const [a, b] = [sw.connect(), sw.connect()];
  const receivedAt: number[] = [];
  const lb = new FrameLog(b, () => receivedAt.push(performance.now()));
  const sent: Uint8Array[] = [];
  const sentAt: number[] = [];
  for (let i = 1; i <= n; i++) {
    const frame = ethernet(b.mac, a.mac, ETHERTYPE_IPV4, payload(i));
    sent.push(Uint8Array.from(frame));
    sentAt.push(performance.now());
    expect((await a.write(frame)).ok).toBe(true);
  }
  const stats = () => sw.stats();
  const expected = () => n - stats().lost + stats().duplicated;
  await lb.waitUntil(() => lb.frames.length >= expected(), 'frames through the faulty link');
  await new Promise((r) => setTimeout(r, 30)); // anything more would be a bug
  expect(lb.frames).toHaveLength(expected());
  return { sent, sentAt, received: lb.frames, receivedAt, stats: stats() };
}

const hex = (frames: Uint8Array[]) => frames.map((f) => Buffer.from(f).toString('hex'));

describe('MemorySwitch faults, each deterministic under a seed', () => {
  it('loss drops about that share of frames, the same ones for the same seed', async () => {
    const run = await runFaulty(7, { loss: 0.1 });
    expect(run.stats.lost).toBeGreaterThan(120);
    expect(run.stats.lost).toBeLessThan(280);
    const seqs = run.received.map(seqOf);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(hex(run.received)).toEqual(hex(run.sent.filter((f) => seqs.includes(seqOf(f)))));
    expect((await runFaulty(7, { loss: 0.1 })).received.map(seqOf)).toEqual(seqs);
    expect((await runFaulty(8, { loss: 0.1 })).received.map(seqOf)).not.toEqual(seqs);
    // Other faults switched on do not move the losses.
    const lossAndPadding = await runFaulty(7, { loss: 0.1, trailingBytes: 0.5 });
    expect(lossAndPadding.received.map(seqOf)).toEqual(seqs);
  });

  it('duplicate delivers some frames twice, back to back', async () => {
    const run = await runFaulty(7, { duplicate: 0.05 });
    const seqs = run.received.map(seqOf);
    expect(run.stats.duplicated).toBeGreaterThan(50);
    expect(run.stats.duplicated).toBeLessThan(160);
    const repeats = seqs.filter((s, i) => i > 0 && seqs[i - 1] === s);
    expect(repeats).toHaveLength(run.stats.duplicated);
    expect([...new Set(seqs)]).toEqual(run.sent.map(seqOf));
    expect((await runFaulty(7, { duplicate: 0.05 })).received.map(seqOf)).toEqual(seqs);
    expect((await runFaulty(9, { duplicate: 0.05 })).received.map(seqOf)).not.toEqual(seqs);
  });

  it('reorder delivers a frame after its successor and loses nothing', async () => {
    const run = await runFaulty(7, { reorder: 0.05 });
    const seqs = run.received.map(seqOf);
    expect([...seqs].sort((x, y) => x - y)).toEqual(run.sent.map(seqOf));
    const swaps = seqs.filter((s, i) => i > 0 && seqs[i - 1] > s).length;
    expect(swaps).toBe(run.stats.reordered);
    expect(swaps).toBeGreaterThan(50);
    expect((await runFaulty(7, { reorder: 0.05 })).received.map(seqOf)).toEqual(seqs);
    expect((await runFaulty(10, { reorder: 0.05 })).received.map(seqOf)).not.toEqual(seqs);
  });

  it('corrupt flips exactly one bit past the MAC addresses', async () => {
    const run = await runFaulty(7, { corrupt: 0.1 });
    let changed = 0;
    run.received.forEach((frame, i) => {
      const original = run.sent[i];
      expect(frame.length).toBe(original.length);
      let bits = 0;
      for (let j = 0; j < frame.length; j++) {
        const diff = frame[j] ^ original[j];
        if (diff) expect(j).toBeGreaterThanOrEqual(12);
        bits += diff.toString(2).replace(/0/g, '').length;
      }
      expect(bits).toBeLessThanOrEqual(1);
      changed += bits;
    });
    expect(changed).toBe(run.stats.corrupted);
    expect(changed).toBeGreaterThan(120);
    expect(hex((await runFaulty(7, { corrupt: 0.1 })).received)).toEqual(hex(run.received));
    expect(hex((await runFaulty(11, { corrupt: 0.1 })).received)).not.toEqual(hex(run.received));
  });

  it('trailingBytes appends 1 to 32 bytes and keeps the frame as it was before them', async () => {
    const run = await runFaulty(7, { trailingBytes: 0.2 });
    let padded = 0;
    run.received.forEach((frame, i) => {
      const original = run.sent[i];
      expect(Buffer.from(frame.subarray(0, original.length)).equals(Buffer.from(original))).toBe(true);
      const extra = frame.length - original.length;
      expect(extra).toBeGreaterThanOrEqual(0);
      expect(extra).toBeLessThanOrEqual(32);
      if (extra > 0) padded++;
    });
    expect(padded).toBe(run.stats.padded);
    expect(padded).toBeGreaterThan(300);
    expect(hex((await runFaulty(7, { trailingBytes: 0.2 })).received)).toEqual(hex(run.received));
    expect(hex((await runFaulty(12, { trailingBytes: 0.2 })).received)).not.toEqual(hex(run.received));
  });

  it('delayMs holds every frame back at least that long, in order', async () => {
    const run = await runFaulty(7, { delayMs: 25 }, 50);
    expect(run.received.map(seqOf)).toEqual(run.sent.map(seqOf));
    run.receivedAt.forEach((at, i) => expect(at - run.sentAt[i]).toBeGreaterThanOrEqual(25));
  });

  it('every fault at once replays byte for byte under the same seed', async () => {
    const faults: LinkFaults = {
      loss: 0.05,
      duplicate: 0.05,
      reorder: 0.05,
      corrupt: 0.05,
      trailingBytes: 0.05,
      delayMs: 1,
    };
    const first = await runFaulty(1234, faults, 1000);
    const again = await runFaulty(1234, faults, 1000);
    expect(hex(again.received)).toEqual(hex(first.received));
    expect(again.stats).toEqual(first.stats);
    for (const kind of ['lost', 'duplicated', 'reordered', 'corrupted', 'padded'] as const)
      expect(first.stats[kind]).toBeGreaterThan(0);
  });
});

describe('MemorySwitch pcap capture', () => {
  const tcpdump = spawnSync('tcpdump', ['--version']).status === 0;

  it('writes every forwarded frame to a file that tcpdump reads', async () => {
    expect(tcpdump).toBe(true); // tcpdump comes from .ci/apt-packages.txt
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netif-pcap-'));
    try {
      const file = path.join(dir, 'switch.pcap');
      const sw = makeSwitch({ pcapFile: file });
      const [a, b]: MemoryNetif[] = [sw.connect('02:00:00:00:00:0a'), sw.connect('02:00:00:00:00:0b')];
      const lb = new FrameLog(b);
      // An ARP request as Linux sends it: who-has 10.0.0.2 tell 10.0.0.1.
      const arp = Uint8Array.from([
        0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0x0a, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
      ]);
      await a.write(ethernet(BROADCAST, a.mac, ETHERTYPE_ARP, arp));
      for (let i = 1; i <= 20; i++) await a.write(ethernet(b.mac, a.mac, 0x88b5, payload(i, 100 + i)));
      await lb.waitForCount(21, 'frames');
      await sw.close();
      expect(sw.stats().captured).toBe(21);

      const read = spawnSync('tcpdump', ['-r', file, '-nn', '-e', '-tt'], { encoding: 'utf8' });
      expect(read.stderr).toContain('link-type EN10MB (Ethernet)');
      expect(read.status).toBe(0);
      const lines = read.stdout.split('\n').filter((l) => /^\d/.test(l)); // without the hex dumps
      expect(lines).toHaveLength(21);
      expect(lines[0]).toMatch(
        /02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ethertype ARP \(0x0806\), length 42: Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1/,
      );
      expect(lines[20]).toMatch(/02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype .*\(0x88b5\), length 134/);
      const times = lines.map((l) => Number(l.split(' ')[0]));
      expect(Math.abs(times[0] - Date.now() / 1000)).toBeLessThan(60);
      expect(dstMac(lb.frames[0])).toBe(BROADCAST);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
