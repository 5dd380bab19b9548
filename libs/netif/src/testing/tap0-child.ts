/**
 * A program as a unikernel would be: connects a tap by name, answers two
 * pings, disconnects, and must then end on its own (nothing left on the
 * event loop). `node -r @swc-node/register tap0-child.ts <tap> <ip>`.
 */
import * as fs from 'node:fs';
import { TapNetif } from '../tap';
import { parseIcmpEcho, pingResponder } from './frames';

async function main(): Promise<void> {
  const [name, ip] = process.argv.slice(2);
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  const before = fds();
  const netif = await TapNetif.connect(name);
  const log = pingResponder(netif, ip);
  process.stdout.write('listening\n');
  const answered = () => log.frames.filter((f) => parseIcmpEcho(f)?.type === 8).length;
  await log.waitUntil(() => answered() >= 2, 'two pings', 20_000);
  await new Promise((r) => setTimeout(r, 100)); // the second reply is on its way
  await netif.disconnect();
  await log.done;
  process.stdout.write(`answered ${answered()} pings\n`);
  process.stdout.write(`fds after disconnect: ${fds() === before ? 'as before' : `${before} -> ${fds()}`}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
