import { MemorySwitch } from '@mirage-ts/netif';
import type { Console } from '@mirage-ts/types';
import { Main } from './unikernel';

function recording(): Console & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: async (s: string) => void lines.push(s) } as unknown as Console & { lines: string[] };
}

/** An Ethernet frame of `size` bytes whose payload starts with `n`, to `dst`. */
function frame(dst: string, src: string, n: number, size = 60): Uint8Array {
  const f = new Uint8Array(size);
  f.set(
    dst.split(':').map((h) => parseInt(h, 16)),
    0,
  );
  f.set(
    src.split(':').map((h) => parseInt(h, 16)),
    6,
  );
  f[12] = 0x88;
  f[13] = 0xb5;
  f[14] = n;
  return f;
}

describe('netif-forward', () => {
  it('writes every frame from the first interface to the second, in order, and prints the counters every 16', async () => {
    // Two links, as the two taps: a peer on each side.
    const [left, right] = [new MemorySwitch(), new MemorySwitch()];
    const [n1, sender] = [left.connect(), left.connect()];
    const [n2, receiver] = [right.connect(), right.connect()];
    const got: Uint8Array[] = [];
    void receiver.listen((f) => got.push(Uint8Array.from(f)));
    const c = recording();
    const running = new Main().start(c, n1, n2);

    const sent = Array.from({ length: 40 }, (_, i) => frame(n1.mac, sender.mac, i, 60 + i));
    for (const f of sent) await sender.write(f);
    const until = Date.now() + 5000;
    while (got.length < sent.length && Date.now() < until) await new Promise((r) => setTimeout(r, 5));

    expect(got.map((f) => Buffer.from(f).toString('hex'))).toEqual(sent.map((f) => Buffer.from(f).toString('hex')));
    expect(c.lines[0]).toBe(`listening on the interface with mac address '${n1.mac}' `);
    expect(c.lines.filter((l) => l.startsWith('packets'))).toEqual([
      expect.stringMatching(/^packets \(in = 16\) \(not forwarded = \d+\)$/),
      expect.stringMatching(/^packets \(in = 32\) \(not forwarded = \d+\)$/),
    ]);
    await n1.disconnect();
    await running;
    expect(c.lines.at(-1)).toBe('terminated.');
    await Promise.all([left.close(), right.close()]);
  });
});
