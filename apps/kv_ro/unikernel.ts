import { KeyGen } from '@mirage-ts/mirage/key-gen';
import { sleep } from '@mirage-ts/time';
import type { Console, KvRo } from '@mirage-ts/types';

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);

/**
 * Reads the key `a` from both stores and prints YES! when the values are
 * equal, NO! otherwise, once a second, `--count` times (10 by default).
 */
export class Main {
  async start(c: Console, x: KvRo, y: KvRo): Promise<void> {
    const count = KeyGen.int('count');
    for (let i = 0; i < count; i++) {
      if (i > 0) await sleep(1000);
      const [vx, vy] = await Promise.all([x.get('a'), y.get('a')]);
      if (!vx.ok || !vy.ok) await c.log(`NO! (${(vx.ok ? '' : vx.error.message) || (vy.ok ? '' : vy.error.message)})`);
      else await c.log(same(vx.value, vy.value) ? 'YES!' : 'NO!');
    }
  }
}
