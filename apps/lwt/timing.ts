import { KeyGen } from '@mirage-ts/mirage/key-gen';
import { setTimeout as wait } from 'node:timers/promises';

/** Milliseconds in one of the examples' seconds (`--tick-ms`, 1000 by default; tests run faster). */
export const tick = (): number => KeyGen.int('tick-ms');

/** OS.Time.sleep: `seconds` of the examples' time, ended early (rejecting) when `signal` aborts. */
export function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return wait(seconds * tick(), undefined, { signal });
}

/** Random.float / Random.int. */
export const randomFloat = (bound: number): number => Math.random() * bound;
export const randomInt = (bound: number): number => Math.floor(Math.random() * bound);

/**
 * Lines left before an endless example stops (`--count`, 0: never): `spend`
 * says whether the caller may go on; `stopped` aborts when the budget is spent.
 */
export class Budget {
  private left: number;
  private readonly controller = new AbortController();

  constructor() {
    this.left = KeyGen.int('count');
  }

  get stopped(): AbortSignal {
    return this.controller.signal;
  }

  spend(): boolean {
    if (this.left === 0) return true;
    this.left--;
    if (this.left === 0) this.controller.abort();
    return this.left > 0;
  }

  /** Resolves when the budget is spent (never for --count=0). */
  done(): Promise<void> {
    return new Promise((resolve) => {
      if (this.controller.signal.aborted) resolve();
      else this.controller.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
