import { KeyGen } from '@mirage-ts/mirage/key-gen';
import type { Console, Stackv4 } from '@mirage-ts/types';

// The seed's colours; the console drops them when it is not a terminal.
const red = (s: string) => `\x1b[31m${s}\x1b[m`;
const green = (s: string) => `\x1b[32m${s}\x1b[m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[m`;

/** Received bytes as text; control characters are escaped so a packet cannot drive the terminal. */
function printable(data: Uint8Array): string {
  return new TextDecoder()
    .decode(data)
    .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Listens on UDP 53 and TCP 8080 and prints what arrives, whichever stack
 * config.ts plugged in.
 */
export class Main {
  async start(c: Console, s: Stackv4): Promise<void> {
    await c.log(`IP address: ${s.ipv4Addresses().join(', ')}`);

    const udpPort = KeyGen.int('udp-port');
    const udp = await s.listenUdpv4(udpPort, async ({ src, dst, data }) => {
      await c.log(red(`UDP ${src.address}.${src.port} > ${dst.address}.${dst.port}: "${printable(data)}"`));
    });
    if (!udp.ok) throw new Error(`${udp.error.message} (--udp-port=N)`);

    const tcpPort = KeyGen.int('tcp-port');
    const tcp = await s.listenTcpv4(tcpPort, async (flow) => {
      await c.log(green(`TCP ${flow.remote.address}.${flow.remote.port} > _.${tcpPort}`));
      const r = await flow.read();
      if (!r.ok) await c.log(red(`read error: ${r.error.message}`));
      else if (r.value === 'eof') await c.log(green('read: eof'));
      else await c.log(yellow(`read: ${r.value.length} "${printable(r.value)}"`));
      await flow.close();
    });
    // A port someone holds ends the unikernel; any other TCP failure is reported and UDP is still served.
    if (!tcp.ok && (tcp.error.kind === 'in-use' || tcp.error.kind === 'denied'))
      throw new Error(`${tcp.error.message} (--tcp-port=N)`);
    if (!tcp.ok) await c.log(red(`TCP: ${tcp.error.message}`));

    await s.listen();
  }
}
