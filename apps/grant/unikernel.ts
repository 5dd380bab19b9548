import { KeyGen } from '@mirage-ts/mirage/key-gen';
import { sleep } from '@mirage-ts/time';
import type { Console, GrantTables, Xenstore } from '@mirage-ts/types';

const PATTERN = (i: number) => (i === 0 ? 0xff : (i * 7 + 3) & 0xff);
const hex = (n: number) => n.toString(16).padStart(2, '0');

/**
 * Reads its domid from xenstore, grants one of its pages to itself, maps
 * that grant back in, and checks that what is written through one mapping
 * is read through the other (the 2015 example wrote 0xff at byte 0; here
 * the whole page, then the other way round). It then writes the result to
 * data/grant in xenstore for the toolstack, lists data/, and until --linger
 * seconds are over shows each change under data/ that its watch sees.
 */
export class Main {
  async start(c: Console, xs: Xenstore, gnt: GrantTables): Promise<void> {
    const read = await xs.read('domid');
    if (!read.ok) throw new Error(`cannot read domid from xenstore: ${read.error.message}`);
    await c.log(`I have domid ${read.value}`);
    if (!/^\d+$/.test(read.value)) throw new Error(`xenstore's domid is not a number: ${JSON.stringify(read.value)}`);
    const domid = Number(read.value);

    const share = await gnt.share(domid, 1, { writable: true });
    if (!share.ok) throw new Error(`cannot grant a page: ${share.error.message}`);
    const grant = share.value.refs[0];
    await c.log(`Granted page to myself with reference ${grant}`);

    const map = await gnt.map(domid, [grant], { writable: true });
    if (!map.ok) throw new Error(`cannot map grant reference ${grant}: ${map.error.message}`);
    await c.log('Mapped grant reference in');

    const result = check(share.value.pages, map.value.pages) ?? check(map.value.pages, share.value.pages, 0x5a);
    await c.log(result ?? 'Everything looks ok');

    // Both stay in place while the unikernel lingers, as in the 2015 example (`xl debug-keys g` shows them).
    await this.linger(c, xs, result ?? 'Everything looks ok');
    await map.value.release();
    await share.value.release();
  }

  private async linger(c: Console, xs: Xenstore, result: string): Promise<void> {
    const home = /^\/local\/domain\/\d+\//;
    const watch = await xs.watch('data', (changed) => {
      const key = changed.replace(home, '');
      if (key === 'data') return; // the watch's first firing, for the directory itself
      void xs.read(key).then((v) => (v.ok ? c.log(`xenstore: ${key} = ${v.value}`) : undefined));
    });
    if (!watch.ok) throw new Error(`cannot watch data/ in xenstore: ${watch.error.message}`);
    const wrote = await xs.write('data/grant', result);
    if (!wrote.ok) throw new Error(`cannot write data/grant to xenstore: ${wrote.error.message}`);
    const names = await xs.directory('data');
    if (!names.ok) throw new Error(`cannot list data/ in xenstore: ${names.error.message}`);
    await c.log(`xenstore: data holds ${[...names.value].sort().join(' ')}`);
    await sleep(KeyGen.int('linger') * 1000);
    await watch.value.cancel();
  }
}

/** Writes a pattern through `from` and reads it through `to`: the first mismatch, as the 2015 example put it. */
function check(from: Uint8Array, to: Uint8Array, xor = 0): string | undefined {
  for (let i = 0; i < from.length; i++) from[i] = PATTERN(i) ^ xor;
  for (let i = 0; i < from.length; i++) {
    const wrote = PATTERN(i) ^ xor;
    if (to[i] !== wrote) {
      return i === 0
        ? `I wrote ${hex(wrote)} but read ${hex(to[i])}`
        : `I wrote ${hex(wrote)} at byte ${i} but read ${hex(to[i])}`;
    }
  }
  return undefined;
}
