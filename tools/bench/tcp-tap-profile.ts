/**
 * The tap path alone for a CPU profile (see tools/bench/notes/tcp-profile.md):
 * Linux (nc in a namespace) sends `MiB` to the direct stack over a tap, then
 * the stack sends as much back. Needs root (a namespace and a tap).
 *   node -r @swc-node/register tools/bench/tcp-tap-profile.ts [MiB] [--profile=out.cpuprofile] [--offloads]
 *     [--from-linux | --to-linux] [--runs=N]
 *   node tools/bench/cpuprofile-top.js out.cpuprofile
 * `--release` hands each chunk read back to the stack (`Flow.release`).
 * `--from-linux` times (and profiles) only Linux -> the stack, `--to-linux` only the stack -> Linux;
 * `--runs=N` repeats that direction N times in one process (the first includes V8's warm-up). Each rate
 * comes with the minor page faults it took. `--trace` prints when each 8 MiB of the stack's writes went in.
 * `--send-buffer=KiB` and `--receive-buffer=KiB` set the stack's TCP buffers.
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

/** Reads to the end; with `handBack`, gives each chunk back (`Flow.release`) once counted. */
async function drainCount(flow: Flow, handBack: boolean): Promise<number> {
  let n = 0;
  for (let r = await flow.read(); r.ok && r.value !== 'eof'; r = await flow.read()) {
    n += r.value.length;
    if (handBack) flow.release?.(r.value);
  }
  return n;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const bytes = Number(args.find((a) => !a.startsWith('--')) ?? 64) << 20;
  const profileFile = args.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
  const kib = (flag: string) => {
    const v = args.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);
    return v === undefined ? undefined : Number(v) * 1024;
  };
  const { peer, stack } = await quietStackOnTap(args.includes('--offloads'), {
    sendBuffer: kib('send-buffer'),
    receiveBuffer: kib('receive-buffer'),
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-tap-profile-'));
  const session = profileFile ? new Session() : undefined;
  try {
    const toLinuxOnly = args.includes('--to-linux');
    const file = path.join(dir, 'bulk.bin');
    if (!toLinuxOnly) fs.writeFileSync(file, Buffer.alloc(bytes, 0x5a));
    if (session) {
      session.connect();
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.start');
    }
    // With --runs=N, Linux sends N times (port 6000 onwards) and each rate is printed: the first runs include V8's warm-up.
    const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 1);
    let got = 0;
    let inSeconds = 0;
    let start = 0n;
    // Minor page faults: each is a first touch of fresh memory, costly in a VM (see the notes).
    let faults = 0;
    for (let run = 0; run < (toLinuxOnly ? 0 : runs); run++) {
      const faultsBefore = process.resourceUsage().minorPageFault;
      let inbound: Promise<number> | undefined;
      await stack.listenTcpv4(6000 + run, (flow) => {
        start = process.hrtime.bigint();
        inbound = drainCount(flow, args.includes('--release')).then(async (n) => {
          await flow.close();
          return n;
        });
      });
      await peer.inNs(['sh', '-c', `nc -N 10.0.0.2 ${6000 + run} < ${file}`], 120_000);
      got = await (inbound as Promise<number>);
      inSeconds = Number(process.hrtime.bigint() - start) / 1e9;
      faults = process.resourceUsage().minorPageFault - faultsBefore;
      if (run < runs - 1)
        console.log(
          `run ${run + 1}: Linux -> stack ${((got * 8) / inSeconds / 1e6).toFixed(0)} Mbit/s, ${faults} page faults`,
        );
    }
    const fromLinuxOnly = args.includes('--from-linux');
    const rate = (n: number, s: number) => `${((n * 8) / s / 1e6).toFixed(0)} Mbit/s`;
    let outbound = '';
    const trace = args.includes('--trace');
    for (let run = 0; run < (fromLinuxOnly ? 0 : toLinuxOnly ? runs : 1); run++) {
      const faultsBefore = process.resourceUsage().minorPageFault;
      const port = 7000 + run;
      await stack.listenTcpv4(port, async (flow) => {
        start = process.hrtime.bigint();
        const chunk = Buffer.alloc(64 * 1024, 0x5a);
        const marks: number[] = [];
        for (let sent = 0; sent < bytes; sent += chunk.length) {
          if (trace && sent % (8 << 20) === 0) marks.push(Number(process.hrtime.bigint() - start) / 1e6);
          await flow.write(chunk);
        }
        marks.push(Number(process.hrtime.bigint() - start) / 1e6);
        await flow.close();
        marks.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (trace) console.log('ms at each 8 MiB, last write, close:', marks.map((m) => m.toFixed(1)).join(' '));
      });
      const r = await peer.inNs(['sh', '-c', `nc -d 10.0.0.2 ${port} | wc -c`], 120_000);
      if (trace) console.log('nc exited', (Number(process.hrtime.bigint() - start) / 1e6).toFixed(1));
      const outSeconds = Number(process.hrtime.bigint() - start) / 1e9;
      const outFaults = process.resourceUsage().minorPageFault - faultsBefore;
      outbound += `; stack -> Linux ${r.stdout.trim()} bytes: ${rate(bytes, outSeconds)}, ${outFaults} page faults`;
    }
    if (session && profileFile) {
      const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
      fs.writeFileSync(profileFile, JSON.stringify(profile));
      session.disconnect();
    }
    const frames = peer.netif.stats();
    const inboundText = toLinuxOnly
      ? ''
      : `Linux -> stack ${got} bytes: ${rate(got, inSeconds)}, ${faults} page faults`;
    console.log(
      `${inboundText}${toLinuxOnly ? outbound.slice(2) : outbound} ` +
        `(frames read ${frames.rxFrames}, written ${frames.txFrames}; load ${os.loadavg()[0].toFixed(1)})`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await stack.disconnect();
    await peer.close();
  }
}

void main();
