/**
 * A program as a unikernel would be: connects a tap or a NIC by name,
 * answers pings (ARP included), reports UDP datagrams to port 53, then
 * disconnects and must end on its own (nothing left on the event loop).
 *
 *   node -r @swc-node/register responder-child.ts tap|packet <name> <ip> <pings> <datagrams>
 */
import type { Network } from '@mirage-ts/types';
import { PacketNetif } from '../packet';
import { TapNetif } from '../tap';
import { interfaceFds } from './fds';
import { parseIcmpEcho, parseUdp, pingResponder } from './frames';

async function main(): Promise<void> {
  const [kind, name, ip, pings, datagrams] = process.argv.slice(2);
  const netif: Network = kind === 'tap' ? await TapNetif.connect(name) : await PacketNetif.connect(name);
  const log = pingResponder(netif, ip);
  process.stdout.write('listening\n');
  const answered = () => log.frames.filter((f) => parseIcmpEcho(f)?.type === 8).length;
  const udp = () => log.frames.map(parseUdp).filter((u) => u?.dstIp === ip && u.dstPort === 53);
  await log.waitUntil(
    () => answered() >= Number(pings) && udp().length >= Number(datagrams),
    'pings and datagrams',
    20_000,
  );
  await new Promise((r) => setTimeout(r, 100)); // the last reply is on its way
  const whileConnected = interfaceFds();
  await netif.disconnect();
  await log.done;
  process.stdout.write(`answered ${answered()} pings\n`);
  for (const d of udp())
    process.stdout.write(
      `UDP to 53: ${JSON.stringify(Buffer.from(d!.data).toString())}, checksum ${d!.checksumOk ? 'ok' : 'BAD'}\n`,
    );
  process.stdout.write(`interface fds: ${whileConnected} while connected, ${interfaceFds()} after disconnect\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
