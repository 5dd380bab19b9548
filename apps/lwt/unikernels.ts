import type { Console } from '@mirage-ts/types';
import { randomFloat, randomInt, sleep } from './timing';

/** Two sleeps joined, written with explicit `then` chains (Lwt's `bind`). */
export class Heads1 {
  start(c: Console): Promise<void> {
    return Promise.all([sleep(1).then(() => c.log('Heads')), sleep(2).then(() => c.log('Tails'))]).then(() =>
      c.log('Finished'),
    );
  }
}

/** The same with `await` (Lwt's `>>=`). */
export class Heads2 {
  async start(c: Console): Promise<void> {
    await Promise.all([
      (async () => {
        await sleep(1);
        await c.log('Heads');
      })(),
      (async () => {
        await sleep(2);
        await c.log('Tails');
      })(),
    ]);
    await c.log('Finished');
  }
}

/** Two named threads, then joined (Lwt's `<&>`). */
export class Heads3 {
  async start(c: Console): Promise<void> {
    const heads = sleep(1).then(() => c.log('Heads'));
    const tails = sleep(2).then(() => c.log('Tails'));
    await Promise.all([heads, tails]);
    await c.log('Finished');
  }
}

/** A task of 0-3 s that is looked at after 2 s and cancelled if it has not finished. */
export class Timeout1 {
  async start(c: Console): Promise<void> {
    const cancel = new AbortController();
    let value: string | undefined;
    const t = sleep(randomFloat(3), cancel.signal).then(
      () => (value = 'Heads'),
      () => undefined, // cancelled
    );
    await sleep(2);
    if (value === undefined) cancel.abort();
    await t;
    await c.log(value ?? 'cancelled');
    await c.log('Finished');
  }
}

/** The same as a race of the task against a timer; the loser is cancelled (Lwt's `pick`). */
export class Timeout2 {
  async start(c: Console): Promise<void> {
    const cancel = new AbortController();
    async function timeout<T>(seconds: number, task: Promise<T>): Promise<T | undefined> {
      const r = await Promise.race([sleep(seconds, cancel.signal).then(() => undefined), task]);
      cancel.abort();
      return r;
    }
    const t = sleep(randomFloat(3), cancel.signal).then(
      () => 'Heads',
      () => undefined,
    );
    const v = await timeout(2, t);
    await c.log(v ?? 'Cancelled');
    await c.log('Finished');
  }
}

/** Ten lines of 0-19 'a's, each after 0-2.5 s. */
export class Echo_server1 {
  async start(c: Console): Promise<void> {
    const readLine = async () => {
      await sleep(randomFloat(2.5));
      return 'a'.repeat(randomInt(20));
    };
    for (let n = 10; n > 0; n--) await c.log(await readLine());
  }
}
