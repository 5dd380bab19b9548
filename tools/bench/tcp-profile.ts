/**
 * A bulk transfer between two direct stacks over the memory switch, alone, so
 * that a CPU profile sees only TCP (see tools/bench/notes/tcp-profile.md):
 *   node -r @swc-node/register tools/bench/tcp-profile.ts [MiB] [--profile=out.cpuprofile] [--skip-checksums] [--mtu=N]
 *   node tools/bench/cpuprofile-top.js out.cpuprofile
 * `--profile` records only the transfer (not module loading), through the inspector.
 */
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as os from 'node:os';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { DirectStackv4 } from '@mirage-ts/tcpip/stack';
import { RecordingConsole } from '@mirage-ts/tcpip/testing/recording-console';

const quiet = { log: () => undefined, icmp: { logEcho: false } };

function post<T>(session: Session, method: string): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, (e, r) => (e ? reject(e) : resolve(r as T))));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const bytes = Number(args.find((a) => !a.startsWith('--')) ?? 64) << 20;
  const profileFile = args.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
  const mtu = Number(args.find((a) => a.startsWith('--mtu='))?.slice('--mtu='.length) ?? 1500);
  const sw = new MemorySwitch({ seed: 1, mtu, skipChecksums: args.includes('--skip-checksums') });
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
  const session = profileFile ? new Session() : undefined;
  if (session) {
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.start');
  }
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (session && profileFile) {
    const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
    fs.writeFileSync(profileFile, JSON.stringify(profile));
    session.disconnect();
  }
  // On a shared machine the wall-clock rate swings with the load; the rate per CPU second of the transfer is steadier.
  console.log(
    `${n} bytes in ${s.toFixed(2)} s: ${((n * 8) / s / 1e6).toFixed(0)} Mbit/s; ` +
      `${cpuSeconds.toFixed(2)} CPU s: ${((n * 8) / cpuSeconds / 1e6).toFixed(0)} Mbit/s per CPU (load ${os.loadavg()[0].toFixed(1)})`,
  );
  await a.disconnect();
  await b.disconnect();
  await sw.close();
}

void main();
