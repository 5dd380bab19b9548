/**
 * A bulk transfer between two direct stacks over the memory switch, alone, so
 * that `node --cpu-prof` sees only TCP (see tools/bench/notes/tcp-profile.md):
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof -r @swc-node/register tools/bench/tcp-profile.ts [MiB]
 *   node tools/bench/cpuprofile-top.js /tmp/prof/*.cpuprofile
 */
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { DirectStackv4 } from '@mirage-ts/tcpip/stack';
import { RecordingConsole } from '@mirage-ts/tcpip/testing/recording-console';

const quiet = { log: () => undefined, icmp: { logEcho: false } };

async function main(): Promise<void> {
  const bytes = Number(process.argv[2] ?? 64) << 20;
  const sw = new MemorySwitch({ seed: 1 });
  const a = await DirectStackv4.connect(new RecordingConsole(), sw.connect(), false, '10.0.0.2/24', '', quiet);
  const b = await DirectStackv4.connect(new RecordingConsole(), sw.connect(), false, '10.0.0.3/24', '', quiet);
  let got: Promise<number> | undefined;
  await a.listenTcpv4(5001, (flow) => {
    got = (async () => {
      let n = 0;
      for (let r = await flow.read(); r.ok && r.value !== 'eof'; r = await flow.read()) n += r.value.length;
      await flow.close();
      return n;
    })();
  });
  const start = process.hrtime.bigint();
  const c = await b.tcpv4().connect({ address: '10.0.0.2', port: 5001 });
  if (!c.ok) throw new Error(c.error.message);
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    const w = await c.value.write(chunk);
    if (!w.ok) throw new Error(w.error.message);
  }
  await c.value.close();
  while (!got) await new Promise((r) => setImmediate(r));
  const n = await got;
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${n} bytes in ${s.toFixed(2)} s: ${((n * 8) / s / 1e6).toFixed(0)} Mbit/s`);
  await a.disconnect();
  await b.disconnect();
  await sw.close();
}

void main();
