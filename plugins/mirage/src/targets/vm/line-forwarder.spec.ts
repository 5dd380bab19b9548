import { PassThrough } from 'node:stream';
import { forwardLines } from './line-forwarder';

describe('forwarding the VM console by lines', () => {
  it('joins the pieces of a line before passing it on, and passes a trailing prompt after a pause', async () => {
    const from = new PassThrough();
    const writes: string[] = [];
    const out = new PassThrough();
    out.on('data', (b: Buffer) => writes.push(b.toString()));
    const done = forwardLines(from, out, 20);
    for (const piece of ['hel', 'lo\nwor', 'ld\n', 'writing 12 secto', 'rs at 0\n', 'prompt> ']) from.write(piece);
    await new Promise((r) => setTimeout(r, 80));
    expect(writes).toEqual(['hello\n', 'world\n', 'writing 12 sectors at 0\n', 'prompt> ']);
    from.end('bye');
    await done;
    expect(writes[writes.length - 1]).toBe('bye');
  });
});
