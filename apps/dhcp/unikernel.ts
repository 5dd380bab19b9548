import { DhcpConfError, DhcpService, parseDhcpdConf } from '@mirage-ts/dhcp-server';
import { KeyGen } from '@mirage-ts/mirage/key-gen';
import type { Clock, Console, KvRo, Network } from '@mirage-ts/types';

function ipv4(text: string): number {
  const parts = text.split('.').map(Number);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/**
 * The skeleton's DHCP server: reads dhcpd.conf from the crunched store,
 * prints it, then serves DHCP (and ARP for its own address) straight on the
 * network device, below any IP stack.
 */
export class Main {
  async start(c: Console, kv: KvRo, net: Network, clock: Clock): Promise<void> {
    const file = await kv.get('dhcpd.conf');
    if (!file.ok) throw new Error(`Error starting Kv.read: dhcpd.conf: ${file.error.message}`);
    const text = new TextDecoder().decode(file.value);
    let conf;
    try {
      conf = parseDhcpdConf(text, 'files/dhcpd.conf');
    } catch (e) {
      if (e instanceof DhcpConfError) throw new Error(`Error reading the configuration: ${e.message}`, { cause: e });
      throw e;
    }
    const service = new DhcpService(c, net, {
      conf,
      ipaddr: ipv4(KeyGen.string('ipaddr')),
      now: () => clock.nowMs() / 1000,
    });
    await c.log(service.green('Using configuration:'));
    for (const line of text.replace(/\n$/, '').split('\n')) await c.log(service.green(line));
    await service.listen();
  }
}
