import type { Console } from '@mirage-ts/types';
import { Main } from './unikernel';

/** A console that keeps everything written to it, as one text. */
function recording(): Console & { text: () => string } {
  let text = '';
  return {
    text: () => text,
    log: async (s: string) => void (text += `${s}\n`),
    write: async (d: Uint8Array | string) => {
      text += typeof d === 'string' ? d : Buffer.from(d).toString('latin1');
      return { ok: true, value: undefined };
    },
  } as unknown as Console & { text: () => string };
}

const zeros = (n: number) => '00 '.repeat(n);

describe('io_page', () => {
  it('prints the page and view sizes, then the first 100 bytes before and after writing Hello world!', async () => {
    const c = recording();
    await new Main().start(c);
    const hello = '48 65 6c 6c 6f 20 77 6f 72 6c 64 21 ';
    const dump = (first: string) => ['', first, ...Array(5).fill(zeros(16)), zeros(4)].join('\n') + '\n';
    expect(c.text()).toBe(
      [
        'Page is 4096 bytes long.\n',
        'Cstruct is 4096 bytes long.\n',
        dump(zeros(16)) + dump(hello + zeros(4)) + 'Hello world!',
        '',
      ].join('\n'),
    );
  });
});
