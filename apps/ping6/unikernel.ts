import { KeyGen } from '@mirage-ts/mirage/key-gen';
import { ethif, ipv6, type Ipv6Handler } from '@mirage-ts/tcpip/layers';
import type { Clock, Console, Network } from '@mirage-ts/types';

// The seed's colours; the console drops them when it is not a terminal.
const red = (s: string) => `\x1b[31m${s}\x1b[m`;
const green = (s: string) => `\x1b[32m${s}\x1b[m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[m`;

/**
 * Builds Ethernet and IPv6 by hand over the network (as the 2015 ping6
 * does with Ethif.Make and Ipv6.Make): the IPv6 layer runs Neighbor
 * Discovery and answers echo requests, and every TCP, UDP or other packet
 * is logged, not served; ARP and IPv4 frames are only named.
 */
export class Main {
  async start(c: Console, n: Network, _clock: Clock): Promise<void> {
    await c.log(green('starting...'));
    const e = ethif(n, { console: c });
    const i = ipv6(e, { slaac: KeyGen.bool('slaac') });

    const handler =
      (kind: string): Ipv6Handler =>
      ({ src, dst }) =>
        c.log(yellow(`${src} > ${dst} ${kind}`));
    i.input({
      tcp: handler('TCP'),
      udp: handler('UDP'),
      default: ({ protocol }) => c.log(red(`${protocol} DEFAULT`)),
    });
    const listening = e.listen({
      arpv4: () => c.log(red('ARP4')),
      ipv4: () => c.log(red('IP4')),
    });
    // Duplicate address detection needs the network to be listening while it waits for answers.
    const address = KeyGen.string('ipv6');
    i.setGateways(KeyGen.string('ipv6-gateways').split(',').filter(Boolean));
    if (!(await i.setIp(address))) await c.log(red(`${address} is in use by another node on the link`));
    const r = await listening;
    if (!r.ok) throw new Error(`listening on the network failed: ${r.error.message}`);
    await c.log(green('done!'));
  }
}
