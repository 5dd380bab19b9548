import { PassThrough } from 'node:stream';
import { StdioConsole } from './stdio';

async function logged(isTTY: boolean, line: string): Promise<string> {
  const out = Object.assign(new PassThrough(), { isTTY });
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const c = await StdioConsole.connect(out, new PassThrough());
  await c.log(line);
  return Buffer.concat(chunks).toString();
}

describe('StdioConsole colours', () => {
  const red = '\x1b[31mUDP 127.0.0.1.59406 > 0.0.0.0.53: "hello udp world"\x1b[m';
  const noColor = process.env.NO_COLOR;
  afterEach(() => {
    if (noColor === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = noColor;
  });

  it('keeps colours for a terminal', async () => {
    delete process.env.NO_COLOR;
    expect(await logged(true, red)).toBe(`${red}\n`);
  });

  it('prints plain text to a pipe or file, and to a terminal when NO_COLOR is set', async () => {
    expect(await logged(false, red)).toBe('UDP 127.0.0.1.59406 > 0.0.0.0.53: "hello udp world"\n');
    process.env.NO_COLOR = '1';
    expect(await logged(true, `\x1b[1;33mread\x1b[0m: 15`)).toBe('read: 15\n');
  });
});
