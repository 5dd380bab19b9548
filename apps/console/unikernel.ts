import { sleep } from '@mirage-ts/time';
import type { Console } from '@mirage-ts/types';

/** Prints hello and world four times, a second apart, then ends. */
export class Main {
  async start(c: Console): Promise<void> {
    for (let n = 4; n > 0; n--) {
      await c.log('hello');
      await sleep(1000);
      await c.log('world');
    }
  }
}
