/**
 * Network interfaces: how many frames per second reach JS and leave it,
 * through the in-memory switch and through a tap whose other end is the
 * Linux kernel in a namespace made here (root only, as in CI).
 *
 * The machine is shared, so besides the wall-clock rate each tap row gives
 * frames per CPU-second of this process, which other load moves less.
 */
import { MemorySwitch, type LinkFaults } from '@mirage-ts/netif';
import { TapNetif } from '@mirage-ts/netif/tap';
import type { Network } from '@mirage-ts/types';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ethernet } from '../../libs/netif/src/testing/frames';
import { Netns, canManageNetwork, run, uniqueName } from '../../libs/netif/src/testing/netns';
import type { BenchRow } from './table';

const perSecond = (frames: number, ms: number) => Math.round((frames / ms) * 1000);
const rate = (frames: number, ms: number) => `${perSecond(frames, ms).toLocaleString('en-US')} frames/s`;
const gbits = (frames: number, bytes: number, ms: number) =>
  `${((frames * bytes * 8) / (ms / 1000) / 1e9).toFixed(2)} Gbit/s`;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** Writes `count` frames from a to b; milliseconds until b has them all. */
async function throughSwitch(faults: LinkFaults | undefined, count: number, size: number): Promise<number> {
  const sw = new MemorySwitch({ faults });
  const [a, b] = [sw.connect(), sw.connect()];
  let received = 0;
  let allIn: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allIn = resolve));
  void b.listen(() => {
    if (++received === count - sw.stats().lost + sw.stats().duplicated) allIn();
  });
  const frame = ethernet(b.mac, a.mac, 0x88b5, new Uint8Array(size - 14));
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    await a.write(frame);
    // Let the switch forward now and then, as a stack's event loop would.
    if (i % 256 === 255) await new Promise((r) => setImmediate(r));
  }
  const timeout = setTimeout(allIn, 10_000);
  await done;
  clearTimeout(timeout);
  const ms = performance.now() - start;
  await sw.close();
  return ms;
}

async function medianRate(faults: LinkFaults | undefined, count: number, size: number): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) rates.push(perSecond(count, await throughSwitch(faults, count, size)));
  return rates.sort((x, y) => x - y)[1];
}

async function memoryRows(): Promise<BenchRow[]> {
  const n = 200_000;
  await throughSwitch(undefined, n, 1514); // warm-up: let the JIT settle first
  const faults = { loss: 0.01, duplicate: 0.01, reorder: 0.01, corrupt: 0.01, trailingBytes: 0.01 };
  const big = await medianRate(undefined, n, 1514);
  const small = await medianRate(undefined, n, 60);
  const faulty = await medianRate(faults, n, 1514);
  const show = (r: number) => `${r.toLocaleString('en-US')} frames/s`;
  return [
    {
      name: 'netif: memory switch, 1514-byte frames a -> b',
      value: show(big),
      comparison: `${((big * 1514 * 8) / 1e9).toFixed(2)} Gbit/s; median of 3`,
    },
    { name: 'netif: memory switch, 60-byte frames a -> b', value: show(small), comparison: 'median of 3' },
    {
      name: 'netif: memory switch, 1514-byte frames, 1% of each fault',
      value: show(faulty),
      comparison: `fault-free ratio ${(faulty / big).toFixed(2)}`,
    },
  ];
}

/** The load generator (netif-flood.c), compiled with the C compiler node-gyp needs anyway. */
function compileFlooder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netif-bench-'));
  const binary = path.join(dir, 'netif-flood');
  run('cc', ['-O2', '-o', binary, path.join(__dirname, 'netif-flood.c')]);
  return binary;
}

/** Linux floods the tap from a raw socket on its side; counts what reaches JS. */
async function tapReceiveRow(netif: Network, ns: Netns, name: string, count: number, size: number): Promise<BenchRow> {
  let received = 0;
  let first = 0;
  let last = 0;
  let cpuAtFirst = process.cpuUsage();
  let cpuUntilLast = 0;
  void netif.listen((frame) => {
    if (frame[12] !== 0x88 || frame[13] !== 0xb5) return;
    if (received++ === 0) {
      first = performance.now();
      cpuAtFirst = process.cpuUsage();
    }
    last = performance.now();
    if ((received & 1023) === 0) cpuUntilLast = cpuMs(cpuAtFirst);
  });
  const binary = compileFlooder();
  try {
    const flood = await ns.execAsync([binary, name, String(count), String(size), netif.mac.replace(/:/g, '')], {
      timeoutMs: 120_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    const [sent, seconds] = flood.stdout.trim().split(' ').map(Number);
    if (!(sent > 0)) throw new Error(`the load generator failed: ${flood.stderr}`);
    return {
      name: `netif: tap, ${size}-byte frames from Linux into JS`,
      value: rate(received, last - first),
      comparison: `${rate(received, cpuUntilLast).replace('frames/s', 'frames per CPU-second')}; Linux offered ${rate(sent, seconds * 1000)}, the tap queue dropped ${(100 * (1 - received / sent)).toFixed(0)}%`,
    };
  } finally {
    fs.rmSync(path.dirname(binary), { recursive: true, force: true });
  }
}

async function tapWriteRow(netif: Network, count: number, size: number): Promise<BenchRow> {
  // Nothing on the Linux side has that MAC, so the kernel drops the frames: this is the write path alone.
  const frame = ethernet('02:00:00:00:00:01', netif.mac, 0x88b5, new Uint8Array(size - 14));
  let failed = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < count; i++) if (!(await netif.write(frame)).ok) failed++;
  const ms = performance.now() - start;
  const sent = count - failed;
  return {
    name: `netif: tap, ${size}-byte frames written from JS`,
    value: rate(sent, ms),
    comparison: `${rate(sent, cpuMs(cpu)).replace('frames/s', 'frames per CPU-second')}; ${gbits(sent, size, ms)}; ${failed} refused`,
  };
}

async function tapRows(): Promise<BenchRow[]> {
  if (!canManageNetwork())
    return [{ name: 'netif: tap', value: 'not measured', comparison: 'needs root for a tap and a namespace' }];
  const ns = Netns.create('mtbn');
  const name = uniqueName('mtb');
  const netif = await TapNetif.connect(name, { log: () => undefined });
  try {
    run('ip', ['link', 'set', name, 'netns', ns.name]);
    ns.ip('link', 'set', name, 'up');
    return [
      await tapReceiveRow(netif, ns, name, 300_000, 60),
      await tapWriteRow(netif, 300_000, 60),
      await tapWriteRow(netif, 200_000, 1514),
    ];
  } finally {
    await netif.disconnect();
    ns.destroy();
  }
}

export async function rows(): Promise<BenchRow[]> {
  return [...(await memoryRows()), ...(await tapRows())];
}
