import { arpv4, ethif, ipv4, type Ipv4Handler } from '@mirage-ts/tcpip/layers';
import type { Clock, Console, Network } from '@mirage-ts/types';

// The seed's colours; the console drops them when it is not a terminal.
const red = (s: string) => `\x1b[31m${s}\x1b[m`;
const green = (s: string) => `\x1b[32m${s}\x1b[m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[m`;

const IPADDR = '10.0.0.2';
const NETMASK = '255.255.255.0';
const GATEWAY = '10.0.0.1';

/**
 * Builds Ethernet, ARP and IPv4 by hand over the network (as the 2015 ping
 * does with Ethif.Make, Arpv4.Make and Ipv4.Make): the IPv4 layer answers
 * echo requests, and every TCP, UDP or other datagram is logged, not served.
 */
export class Main {
  async start(c: Console, n: Network, _clock: Clock): Promise<void> {
    await c.log(green('starting...'));
    const e = ethif(n, { console: c });
    const a = arpv4(e);
    const i = ipv4(e, a);
    i.setIp(IPADDR, NETMASK, GATEWAY);

    const handler =
      (kind: string): Ipv4Handler =>
      ({ src, dst }) =>
        c.log(yellow(`${src} > ${dst} ${kind}`));
    i.input({
      tcp: handler('TCP'),
      udp: handler('UDP'),
      default: ({ protocol }) => c.log(red(`${protocol} DEFAULT`)),
    });
    const r = await e.listen({ ipv6: () => c.log(red('IP6')) });
    if (!r.ok) throw new Error(`listening on the network failed: ${r.error.message}`);
    await c.log(green('done!'));
  }
}
