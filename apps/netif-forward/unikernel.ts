import type { Console, Network } from '@mirage-ts/types';

/** Frames received but not yet written: beyond this the oldest waiting are kept and new ones dropped. */
const MAX_WAITING = 4096;

/**
 * Writes every frame that arrives on the first interface to the second, in
 * order, as the 2015 netif-forward does through its two Lwt streams: the
 * receive side only queues (a copy: the interface reuses its buffers), one
 * writer drains the queue, and every 16th frame the counters are printed.
 */
export class Main {
  async start(c: Console, n1: Network, n2: Network): Promise<void> {
    let packetsIn = 0;
    let packetsWaiting = 0;
    let dropped = 0;
    const queue: Uint8Array[] = [];
    let wake: (() => void) | undefined;

    const writer = async () => {
      for (;;) {
        const frame = queue.shift();
        if (frame === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        packetsWaiting--;
        const r = await n2.write(frame);
        if (!r.ok) await c.log(`write failed: ${r.error.message}`);
      }
    };

    await c.log(`listening on the interface with mac address '${n1.mac}' `);
    void writer();
    const listened = await n1.listen((frame) => {
      packetsIn++;
      if (packetsWaiting >= MAX_WAITING) {
        dropped++;
      } else {
        packetsWaiting++;
        queue.push(Uint8Array.from(frame));
        wake?.();
        wake = undefined;
      }
      if ((packetsIn & 0xf) === 0) void c.log(`packets (in = ${packetsIn}) (not forwarded = ${packetsWaiting})`);
    });
    if (!listened.ok) await c.log(`listen failed: ${listened.error.message}`);
    if (dropped > 0) await c.log(`dropped ${dropped} frames the second interface could not take in time`);
    await c.log('terminated.');
  }
}
