import { DnsServer, parseZoneFile, ZoneFileError, ZoneSet } from '@mirage-ts/dns';
import { KeyGen } from '@mirage-ts/mirage/key-gen';
import { sleep } from '@mirage-ts/time';
import type { Console, KvRo, Resolver, Stackv4 } from '@mirage-ts/types';

// The skeleton's colours; the console drops them when it is not a terminal.
const red = (s: string) => `\x1b[31m${s}\x1b[m`;
const green = (s: string) => `\x1b[32m${s}\x1b[m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[m`;

/**
 * An authoritative DNS server for test.zone on --port (5354) over UDP and
 * TCP, and, 3 seconds after it starts, a lookup of --hostname through
 * the resolver (--resolver, --resolver-port).
 */
export class Main {
  async start(c: Console, k: KvRo, s: Stackv4, r: Resolver): Promise<void> {
    const zonebuf = await k.get('test.zone');
    if (!zonebuf.ok) throw new Error(`test.zone not found: ${zonebuf.error.message}`);
    let zones: ZoneSet;
    try {
      const loaded = ZoneSet.load(parseZoneFile(new TextDecoder().decode(zonebuf.value), { file: 'test.zone' }));
      for (const w of loaded.warnings) await c.log(yellow(`test.zone: ${w}`));
      zones = loaded.zones;
    } catch (e) {
      if (e instanceof ZoneFileError)
        throw new Error(`${e.message}: fix test.zone in data/ and build again`, { cause: e });
      throw e;
    }
    await c.log(green(`zones: ${zones.zones.map((z) => z.apex.toString()).join(', ')}`));

    const port = KeyGen.int('port');
    const verbose = KeyGen.bool('log-queries');
    const server = new DnsServer(s, zones, {
      onQuery: verbose ? (_from, transport) => c.log(transport === 'udp' ? 'got udp' : 'got tcp') : undefined,
      onDrop: verbose ? () => c.log('No response') : undefined,
    });
    const listening = await server.listen(port);
    if (!listening.ok) throw new Error(`${listening.error.message} (--port=N)`);
    await c.log(`DNS server on port ${port}`);

    void (async () => {
      await sleep(3000);
      await c.log('Starting client resolver');
      const hostname = KeyGen.string('hostname');
      const ips = await r.gethostbyname(hostname);
      if (!ips.ok) await c.log(red(`${hostname}: ${ips.error.message}`));
      else for (const ip of ips.value) await c.log(`${hostname} -> ${ip}`);
    })();

    await s.listen();
  }
}
