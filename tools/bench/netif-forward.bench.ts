/**
 * netif-forward: frames per second from one tap to another through the
 * unikernel, and through a Linux bridge between the same two taps, in a
 * namespace made here (root only, as in CI).
 *
 * Through the unikernel, Linux floods the first tap from a raw socket on its
 * side (netif-flood.c), the unikernel reads each frame and writes it to the
 * second tap, and the kernel's receive counter of the second tap says how
 * many came through. Through the bridge, frames are written into the first
 * tap (tap-inject.c) and the bridge forwards them to the second, whose
 * transmit counters (sent plus dropped for want of a reader) say how many it
 * forwarded. Both are offered the same 60-byte frames as fast as one core
 * writes them. The machine is shared, so each row also gives frames per
 * CPU-second of the forwarding process, which other load moves less.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Netns, canManageNetwork, run, uniqueName } from '../../libs/netif/src/testing/netns';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';
import type { BenchRow } from './table';

const COUNT = 300_000;
const SIZE = 60;
const DST = '020000000002';
const BINARY = path.join(WORKSPACE_ROOT, 'dist/apps/netif-forward/unix/mir-netif-forward');

/** CPU seconds a process has used so far (user + system, from /proc). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks of 1/100 s
}

const rate = (frames: number, ms: number) => `${Math.round((frames / ms) * 1000).toLocaleString('en-US')} frames/s`;

const perCpu = (frames: number, seconds: number) =>
  `${Math.round(frames / seconds).toLocaleString('en-US')} frames per CPU-second`;

function compile(dir: string, source: string): string {
  const binary = path.join(dir, source.replace(/\.c$/, ''));
  run('cc', ['-O2', '-o', binary, path.join(__dirname, source)]);
  return binary;
}

/** Reads one counter of an interface of the namespace (sysfs is per namespace). */
function counter(ns: Netns, dev: string, name: string): number {
  return Number(ns.exec('cat', `/sys/class/net/${dev}/statistics/${name}`).trim());
}

/** Polls `read` until it stops moving; the count it reached and when it last moved, in ms since `start`. */
async function settle(read: () => number, start: number): Promise<{ count: number; ms: number }> {
  let count = read();
  let movedAt = performance.now();
  while (performance.now() - movedAt < 600) {
    await new Promise((r) => setTimeout(r, 50));
    const now = read();
    if (now !== count) {
      count = now;
      movedAt = performance.now();
    }
  }
  return { count, ms: movedAt - start };
}

async function throughUnikernel(ns: Netns, tapIn: string, tapOut: string, flood: string): Promise<BenchRow> {
  const child = spawn('ip', ['netns', 'exec', ns.name, BINARY, `--interface-1=${tapIn}`, `--interface-2=${tapOut}`], {
    // Its counter lines go to /dev/null, as to a console nobody reads; a pipe read here would cost this process CPU.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    // Both taps have a carrier once the unikernel holds them, and it listens right after.
    const until = Date.now() + 20_000;
    while (/NO-CARRIER/.test(ns.ip('link', 'show', tapIn) + ns.ip('link', 'show', tapOut))) {
      if (Date.now() > until || child.exitCode !== null) throw new Error('netif-forward did not attach to its taps');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    const before = counter(ns, tapOut, 'rx_packets');
    const cpuBefore = cpuSeconds(child.pid ?? 0);
    const start = performance.now();
    const flooded = ns.execAsync([flood, tapIn, String(COUNT), String(SIZE), DST], { timeoutMs: 120_000 });
    const { count, ms } = await settle(() => counter(ns, tapOut, 'rx_packets') - before, start);
    const cpu = cpuSeconds(child.pid ?? 0) - cpuBefore;
    const [sent, seconds] = (await flooded).stdout.trim().split(' ').map(Number);
    return {
      name: `netif-forward: ${SIZE}-byte frames tap -> unikernel -> tap`,
      value: rate(count, ms),
      comparison: `${perCpu(count, cpu)}; ${count.toLocaleString('en-US')} of ${sent.toLocaleString('en-US')} offered at ${rate(sent, seconds * 1000)} came through`,
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function throughBridge(ns: Netns, tapIn: string, tapOut: string, inject: string): Promise<BenchRow> {
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  for (const tap of [tapIn, tapOut]) ns.ip('link', 'set', tap, 'master', 'br0');
  ns.ip('link', 'set', 'br0', 'up');
  const forwarded = () => counter(ns, tapOut, 'tx_packets') + counter(ns, tapOut, 'tx_dropped');
  const before = forwarded();
  const start = performance.now();
  const injected = ns.execAsync([inject, tapIn, tapOut, String(COUNT), String(SIZE), DST], { timeoutMs: 120_000 });
  const { count, ms } = await settle(() => forwarded() - before, start);
  const r = await injected;
  const [sent, seconds, cpu] = r.stdout.trim().split(' ').map(Number);
  if (!(sent > 0)) throw new Error(`tap-inject failed: ${r.stderr}`);
  return {
    name: `netif-forward: ${SIZE}-byte frames tap -> Linux bridge -> tap`,
    value: rate(count, ms),
    comparison: `${perCpu(count, cpu)} (the writer's, forwarding included); ${count.toLocaleString('en-US')} of ${sent.toLocaleString('en-US')} offered at ${rate(sent, seconds * 1000)}`,
  };
}

export async function rows(): Promise<BenchRow[]> {
  if (!canManageNetwork())
    return [{ name: 'netif-forward', value: 'not measured', comparison: 'needs root for taps and a namespace' }];
  const built = nx(['build', 'netif-forward']);
  if (built.status !== 0) throw new Error(`nx build netif-forward failed: ${built.output}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forward-bench-'));
  const ns = Netns.create('mtfw');
  try {
    const [flood, inject] = [compile(dir, 'netif-flood.c'), compile(dir, 'tap-inject.c')];
    const [tapIn, tapOut] = [uniqueName('mtfa'), uniqueName('mtfb')];
    for (const tap of [tapIn, tapOut]) {
      ns.ip('tuntap', 'add', tap, 'mode', 'tap');
      ns.ip('link', 'set', tap, 'up');
    }
    const unikernel = await throughUnikernel(ns, tapIn, tapOut, flood);
    const bridge = await throughBridge(ns, tapIn, tapOut, inject);
    const figure = (s: string) => parseInt(s.replace(/,/g, ''), 10);
    const ratio = figure(unikernel.value) / figure(bridge.value);
    return [{ ...unikernel, comparison: `${ratio.toFixed(2)}x the bridge; ${unikernel.comparison}` }, bridge];
  } finally {
    ns.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
