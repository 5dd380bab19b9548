/**
 * The tap path alone for a CPU profile (see tools/bench/notes/tcp-profile.md):
 * Linux (nc in a namespace) sends `MiB` to the direct stack over a tap, then
 * the stack sends as much back. Needs root (a namespace and a tap).
 *   node -r @swc-node/register tools/bench/tcp-tap-profile.ts [MiB] [--profile=out.cpuprofile] [--offloads]
 *   node tools/bench/cpuprofile-top.js out.cpuprofile
 */
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Flow } from '@mirage-ts/types';
import { quietStackOnTap } from './quiet-stack';

function post<T>(session: Session, method: string): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, (e, r) => (e ? reject(e) : resolve(r as T))));
}

async function drainCount(flow: Flow): Promise<number> {
  let n = 0;
  for (let r = await flow.read(); r.ok && r.value !== 'eof'; r = await flow.read()) n += r.value.length;
  return n;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const bytes = Number(args.find((a) => !a.startsWith('--')) ?? 64) << 20;
  const profileFile = args.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
  const { peer, stack } = await quietStackOnTap(args.includes('--offloads'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-tap-profile-'));
  const session = profileFile ? new Session() : undefined;
  try {
    const file = path.join(dir, 'bulk.bin');
    fs.writeFileSync(file, Buffer.alloc(bytes, 0x5a));
    if (session) {
      session.connect();
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.start');
    }
    let inbound: Promise<number> | undefined;
    let start = 0n;
    await stack.listenTcpv4(6000, (flow) => {
      start = process.hrtime.bigint();
      inbound = drainCount(flow).then(async (n) => {
        await flow.close();
        return n;
      });
    });
    await peer.inNs(['sh', '-c', `nc -N 10.0.0.2 6000 < ${file}`], 120_000);
    const got = await (inbound as Promise<number>);
    const inSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    await stack.listenTcpv4(6001, async (flow) => {
      start = process.hrtime.bigint();
      const chunk = Buffer.alloc(64 * 1024, 0x5a);
      for (let sent = 0; sent < bytes; sent += chunk.length) await flow.write(chunk);
      await flow.close();
    });
    const r = await peer.inNs(['sh', '-c', `nc -d 10.0.0.2 6001 | wc -c`], 120_000);
    const outSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (session && profileFile) {
      const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
      fs.writeFileSync(profileFile, JSON.stringify(profile));
      session.disconnect();
    }
    const rate = (n: number, s: number) => `${((n * 8) / s / 1e6).toFixed(0)} Mbit/s`;
    const frames = peer.netif.stats();
    console.log(
      `Linux -> stack ${got} bytes: ${rate(got, inSeconds)}; stack -> Linux ${r.stdout.trim()} bytes: ${rate(bytes, outSeconds)} ` +
        `(frames read ${frames.rxFrames}, written ${frames.txFrames}; load ${os.loadavg()[0].toFixed(1)})`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await stack.disconnect();
    await peer.close();
  }
}

void main();
