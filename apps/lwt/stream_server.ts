import type { Console } from '@mirage-ts/types';
import { Budget, randomInt } from './timing';

/** Lwt_stream as an async generator: lines of 0-19 's's, read as they are asked for. */
async function* lines(stop: AbortSignal): AsyncGenerator<string> {
  while (!stop.aborted) {
    // Yield to the event loop between lines, as Lwt's scheduler does between threads.
    await new Promise((r) => setImmediate(r));
    yield 's'.repeat(randomInt(20));
  }
}

/** Reads lines from one stream and prints each, passing it on to an output stream. */
export class Unikernel {
  async start(c: Console): Promise<void> {
    const budget = new Budget();
    const passedOn: string[] = [];
    for await (const line of lines(budget.stopped)) {
      await c.log(line);
      passedOn.push(line);
      if (passedOn.length > 64) passedOn.shift(); // the output stream nobody reads: keep it bounded
      budget.spend();
    }
  }
}
