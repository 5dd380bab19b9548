import { publishKeys } from '@mirage-ts/mirage/key-gen';
import type { Console } from '@mirage-ts/types';
import { Echo_server2, Int_server, MVar } from './mvar_unikernels';
import { Unikernel as StreamServer } from './stream_server';
import { Echo_server1, Heads1, Heads2, Heads3, Timeout1, Timeout2 } from './unikernels';

/** The nine lwt unikernels on a recording console, with 10 ms "seconds". */
function recording(): Console & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: async (s: string) => void lines.push(s),
    logs: async (s: string) => void lines.push(s),
  } as unknown as Console & { lines: string[] };
}

const run = async (entry: { start(c: Console): Promise<void> }, count = 0) => {
  publishKeys({ 'tick-ms': 10, count, variant: 'x' });
  const c = recording();
  await entry.start(c);
  return c.lines;
};

describe('the lwt unikernels', () => {
  it.each([
    ['heads1', new Heads1()],
    ['heads2', new Heads2()],
    ['heads3', new Heads3()],
  ])('%s prints Heads, Tails, Finished', async (_name, u) => {
    expect(await run(u)).toEqual(['Heads', 'Tails', 'Finished']);
  });

  it.each([
    ['timeout1', new Timeout1(), 'cancelled'],
    ['timeout2', new Timeout2(), 'Cancelled'],
  ])('%s prints Heads or its cancellation, then Finished, over many runs', async (_name, u, cancelled) => {
    const firsts = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const lines = await run(u);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toBe('Finished');
      firsts.add(lines[0]);
    }
    // The task takes 0-3 s against a 2 s timeout: both outcomes appear (each with probability 2/3 and 1/3).
    expect([...firsts].sort()).toEqual([cancelled, 'Heads'].sort());
  });

  it('echo_server1 prints ten lines of fewer than 20 a', async () => {
    const lines = await run(new Echo_server1());
    expect(lines).toHaveLength(10);
    for (const l of lines) expect(l).toMatch(/^a{0,19}$/);
  });

  it('echo_server2 prints the lines capitalised, and stops after --count lines', async () => {
    const lines = await run(new Echo_server2(), 5);
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l).toMatch(/^A{0,19}$/);
  });

  it('int_server prints sums, products and the odd ones', async () => {
    const lines = await run(new Int_server(), 30);
    expect(lines).toHaveLength(30);
    for (const l of lines) expect(l).toMatch(/^(Add:|Mult:|Odd:) \d+$/);
    const adds = lines.filter((l) => l.startsWith('Add:')).map((l) => Number(l.split(' ')[1]));
    expect(adds.length).toBeGreaterThan(3);
    for (const a of adds) expect(a).toBeLessThan(1999);
    // Every odd line repeats an odd sum or product printed before it.
    for (const [i, l] of lines.entries()) {
      if (!l.startsWith('Odd:')) continue;
      const n = Number(l.split(' ')[1]);
      expect(n % 2).toBe(1);
      expect(lines.slice(0, i)).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^(Add|Mult): ${n}$`))]),
      );
    }
  });

  it('stream_server prints lines of s until --count', async () => {
    const lines = await run(new StreamServer(), 100);
    expect(lines).toHaveLength(100);
    for (const l of lines) expect(l).toMatch(/^s{0,19}$/);
  });

  it('MVar holds one value: put waits while it is full, take while it is empty', async () => {
    const m = new MVar<number>();
    const order: string[] = [];
    await m.put(1);
    const second = m.put(2).then(() => order.push('put 2'));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(await m.take()).toBe(1);
    await second;
    expect(order).toEqual(['put 2']);
    expect(await m.take()).toBe(2);
    const waiting = m.take().then((v) => order.push(`took ${v}`));
    await m.put(3);
    await waiting;
    expect(order).toEqual(['put 2', 'took 3']);
  });
});
