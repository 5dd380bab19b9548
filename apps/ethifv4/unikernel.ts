import { arpv4, ethif, ipv4, tcp, udp } from '@mirage-ts/tcpip/layers';
import type { Clock, Console, Network } from '@mirage-ts/types';

// The seed's colours; the console drops them when it is not a terminal.
const red = (s: string) => `\x1b[31m${s}\x1b[m`;
const green = (s: string) => `\x1b[32m${s}\x1b[m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[m`;
const blue = (s: string) => `\x1b[36m${s}\x1b[m`;

/** Received bytes as text; control characters but newlines are escaped so a packet cannot drive the terminal. */
function printable(data: Uint8Array): string {
  return new TextDecoder()
    .decode(data)
    .replace(/[\x00-\x09\x0b-\x1f\x7f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The stack composed layer by layer (the 2015 ethifv4): TCP port 80 logs each
 * connection and what it reads, UDP logs the port of every datagram and
 * hands it to the UDP layer.
 */
export class Main {
  async start(c: Console, net: Network, _clock: Clock): Promise<void> {
    const e = ethif(net, { console: c });
    const a = arpv4(e);
    const i = ipv4(e, a);
    i.setIp('10.0.0.2', '255.255.255.0', '10.0.0.1');
    const u = udp(i);
    const t = tcp(i);

    const listening = t.listen(80, async (flow) => {
      await c.log(green(`new tcp from ${flow.remote.address} ${flow.remote.port}`));
      const r = await flow.read();
      if (!r.ok) await c.log(red('read: error'));
      else if (r.value === 'eof') await c.log(red('read: eof'));
      else await c.log(yellow(`read: ${r.value.length}\n${printable(r.value)}`));
      await flow.close();
    });
    if (!listening.ok) throw new Error(`TCP port 80: ${listening.error.message}`);

    i.input({
      tcp: t.input,
      udp: (p) => {
        // The destination port: bytes 2-3 of the UDP header.
        const port = p.data.length >= 4 ? (p.data[2] << 8) | p.data[3] : 0;
        void c.log(blue(`udp packet on port ${port}`));
        u.input(p);
      },
      default: () => undefined,
    });
    const r = await e.listen({ ipv6: () => c.log(yellow('ipv6')) });
    if (!r.ok) throw new Error(`listening on the network failed: ${r.error.message}`);
  }
}
