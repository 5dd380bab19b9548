import type { Console, Stackv4 } from '@mirage-ts/types';

// The seed's colours; the console drops them when it is not a terminal.
const red = (s: string) => `\x1b[31m${s}\x1b[m`;
const green = (s: string) => `\x1b[32m${s}\x1b[m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[m`;

/** Received bytes as text; control characters but newlines are escaped so a packet cannot drive the terminal. */
function printable(data: Uint8Array): string {
  return new TextDecoder()
    .decode(data)
    .replace(/[\x00-\x09\x0b-\x1f\x7f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Listens on TCP port 80: logs each connection and the first bytes it reads, then closes it. */
export class Main {
  async start(c: Console, s: Stackv4): Promise<void> {
    const r = await s.listenTcpv4(80, async (flow) => {
      await c.log(green(`new tcp connection from ${flow.remote.address} ${flow.remote.port}`));
      const b = await flow.read();
      if (!b.ok) await c.log(red('read: error'));
      else if (b.value === 'eof') await c.log(red('read: eof'));
      else {
        await c.log(yellow(`read: ${b.value.length}\n${printable(b.value)}`));
        await flow.close();
      }
    });
    if (!r.ok) throw new Error(`TCP port 80: ${r.error.message}`);
    await s.listen();
  }
}
