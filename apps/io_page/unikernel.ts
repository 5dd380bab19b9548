import * as IoPage from '@mirage-ts/io-page';
import type { Console } from '@mirage-ts/types';

/**
 * Takes one page, looks at its first 100 bytes through a view (the 2015
 * example's Cstruct), writes "Hello world!" into the page and shows that the
 * view sees it: a view shares the page's memory, it is not a copy.
 */
export class Main {
  async start(c: Console): Promise<void> {
    const page = IoPage.get(1);
    const view = page.subarray(0, page.length);
    const first100 = view.subarray(0, 100);
    // The 2015 strings end in "\n" and log adds another: the blank lines are the example's.
    await c.log(`Page is ${page.length} bytes long.\n`);
    await c.log(`Cstruct is ${view.length} bytes long.\n`);
    await c.write(IoPage.hexdump(first100));
    IoPage.stringBlit('Hello world!', 0, page, 0, 12);
    await c.write(IoPage.hexdump(first100));
    await c.log(IoPage.toString(page).slice(0, 12));
  }
}
