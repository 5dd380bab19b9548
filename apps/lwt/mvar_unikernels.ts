import type { Console } from '@mirage-ts/types';
import { Budget, randomInt, sleep } from './timing';

/**
 * Lwt_mvar: a box holding at most one value; `put` waits while it is full,
 * `take` while it is empty.
 */
export class MVar<T> {
  private value: { v: T } | null = null;
  private readonly takers: Array<(v: T) => void> = [];
  private readonly putters: Array<{ v: T; resolve: () => void }> = [];

  put(v: T): Promise<void> {
    const taker = this.takers.shift();
    if (taker) {
      taker(v);
      return Promise.resolve();
    }
    if (this.value === null) {
      this.value = { v };
      return Promise.resolve();
    }
    return new Promise((resolve) => this.putters.push({ v, resolve }));
  }

  take(): Promise<T> {
    if (this.value !== null) {
      const { v } = this.value;
      const next = this.putters.shift();
      this.value = next ? { v: next.v } : null;
      next?.resolve();
      return Promise.resolve(v);
    }
    return new Promise((resolve) => this.takers.push(resolve));
  }
}

/** A thread that takes from `input`, applies `f` and puts into a new MVar, until `stop` aborts. */
function map<A, B>(f: (a: A) => Promise<B>, input: MVar<A>, stop: AbortSignal): MVar<B> {
  const out = new MVar<B>();
  void (async () => {
    while (!stop.aborted) await out.put(await f(await input.take()));
  })();
  return out;
}

function split<A, B>(input: MVar<[A, B]>, stop: AbortSignal): [MVar<A>, MVar<B>] {
  const a = new MVar<A>();
  const b = new MVar<B>();
  void (async () => {
    while (!stop.aborted) {
      const [x, y] = await input.take();
      await Promise.all([a.put(x), b.put(y)]);
    }
  })();
  return [a, b];
}

function filter<A>(p: (a: A) => Promise<boolean>, input: MVar<A>, stop: AbortSignal): MVar<A> {
  const out = new MVar<A>();
  void (async () => {
    while (!stop.aborted) {
      const a = await input.take();
      if (await p(a)) await out.put(a);
    }
  })();
  return out;
}

const readLine = async () => 'a'.repeat(randomInt(20));
/** Waits as many seconds as the string is long. */
const waitStrlen = async (s: string) => {
  await sleep(s.length);
  return s;
};
const capStr = async (s: string) => s.toUpperCase();

/** Lines pass through a pipeline of MVars: delayed by their length, then capitalised. */
export class Echo_server2 {
  async start(c: Console): Promise<void> {
    const budget = new Budget();
    const stop = budget.stopped;
    const input = new MVar<string>();
    const output = map(capStr, map(waitStrlen, input, stop), stop);
    const read = async () => {
      while (!stop.aborted) await input.put(await readLine());
    };
    const write = async () => {
      while (!stop.aborted) {
        await c.log(await output.take());
        budget.spend();
      }
    };
    void read();
    void write();
    await budget.done();
  }
}

/** Pairs of random numbers, added and multiplied on two branches; the odd results printed again. */
export class Int_server {
  async start(c: Console): Promise<void> {
    const budget = new Budget();
    const stop = budget.stopped;
    const say = async (line: string) => {
      if (stop.aborted) return;
      budget.spend(); // before the await: the two branches print concurrently
      await c.log(line);
    };
    const addMult = async ([a, b]: [number, number]): Promise<[number, number]> => [a + b, a * b];
    const printAndGo = (label: string) => async (a: number) => {
      await say(`${label} ${a}`);
      return a;
    };
    const testOdd = async (a: number) => a % 2 === 1;
    const printOdd = async (m: MVar<number>) => {
      while (!stop.aborted) await say(`Odd: ${await m.take()}`);
    };
    const input = new MVar<[number, number]>();
    const [ma, mm] = split(map(addMult, input, stop), stop);
    void printOdd(filter(testOdd, map(printAndGo('Add:'), ma, stop), stop));
    void printOdd(filter(testOdd, map(printAndGo('Mult:'), mm, stop), stop));
    void (async () => {
      while (!stop.aborted) {
        await input.put([randomInt(1000), randomInt(1000)]);
        await sleep(1, stop).catch(() => undefined);
      }
    })();
    await budget.done();
  }
}
