/**
 * The direct stack's figures: ping round trips from the Linux kernel through
 * a tap (against the kernel answering for its own address), and UDP
 * throughput over the in-memory switch and over the tap, each against the
 * socket stack (the host kernel's UDP) doing the same on loopback.
 */
import { spawn } from 'node:child_process';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import { SocketStackv4 } from '@mirage-ts/socket-stack/stack';
import { RecordingConsole } from '@mirage-ts/tcpip/testing/recording-console';
import { ratio, type BenchRow } from './table';
import { quietStack, quietStackOnTap } from './quiet-stack';

const PAYLOAD = 1472; // the largest UDP payload of one 1500-byte frame
/** Sends in flight at once: every sender (ours and dgram) waits for a window of sends before the next one. */
const WINDOW = 32;

async function sendAll(count: number, send: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i += WINDOW) {
    const batch: Array<Promise<unknown>> = [];
    for (let j = 0; j < WINDOW && i + j < count; j++) batch.push(send());
    await Promise.all(batch);
    await new Promise((r) => setImmediate(r)); // lets the receiving side run, as a real link would
  }
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const rate = (datagrams: number, seconds: number) => ({
  dps: datagrams / seconds,
  mbps: (datagrams * PAYLOAD * 8) / seconds / 1e6,
});
const fmtRate = (r: { dps: number; mbps: number }) =>
  `${Math.round(r.dps).toLocaleString('en-US')} datagrams/s, ${r.mbps.toFixed(0)} Mbit/s`;

/** A UDP sink in its own process: counts datagrams, prints `count seconds` once they stop coming. */
const SINK = `
const s = require('dgram').createSocket('udp4');
let n = 0, first = 0n, last = 0n;
s.on('message', () => { const t = process.hrtime.bigint(); if (!n) first = t; last = t; n++; });
s.bind(Number(process.argv[2]), process.argv[1], () => { s.setRecvBufferSize(8 << 20); console.log('ready'); });
setInterval(() => { if (n && process.hrtime.bigint() - last > 500000000n) { console.log(n, Number(last - first) / 1e9); process.exit(0); } }, 100);
`;

function startSink(
  prefix: string[],
  address: string,
  port: number,
): Promise<{ done: Promise<{ count: number; seconds: number }> }> {
  return new Promise((ready, fail) => {
    const child = spawn(
      prefix[0] ?? process.execPath,
      [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), '-e', SINK, address, String(port)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    const done = new Promise<{ count: number; seconds: number }>((resolve) =>
      child.on('close', () => {
        const [count, seconds] = out.trim().split('\n').pop()!.split(' ').map(Number);
        resolve({ count, seconds });
      }),
    );
    child.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('ready')) ready({ done });
    });
    child.on('error', fail);
    setTimeout(() => child.kill(), 60_000).unref();
  });
}

async function pingTimes(
  inNs: (args: string[]) => Promise<{ stdout: string }>,
  address: string,
  count: number,
): Promise<number[]> {
  const r = await inNs(['ping', '-c', String(count), '-i', '0.01', '-W', '1', address]);
  return [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

async function memorySwitchUdp(count: number): Promise<{ dps: number; mbps: number; received: number }> {
  const sw = new MemorySwitch({ seed: 1 });
  const a = await quietStack(sw.connect(), '10.0.0.2/24');
  const b = await quietStack(sw.connect(), '10.0.0.3/24');
  let received = 0;
  let last = 0n;
  await a.listenUdpv4(9, () => {
    received++;
    last = process.hrtime.bigint();
  });
  const data = Buffer.alloc(PAYLOAD, 0x42);
  await b.udpv4().write({ address: '10.0.0.2', port: 9 }, data); // resolves ARP before the clock starts
  while (received === 0) await new Promise((r) => setTimeout(r, 5));
  received = 0;
  const start = process.hrtime.bigint();
  await sendAll(count, () => b.udpv4().write({ address: '10.0.0.2', port: 9 }, data, { srcPort: 4000 }));
  const settle = Date.now() + 2000;
  while (received < count && Date.now() < settle) await new Promise((r) => setTimeout(r, 10));
  const seconds = Number(last - start) / 1e9;
  await a.disconnect();
  await b.disconnect();
  await sw.close();
  return { ...rate(received, seconds), received };
}

/** The socket stack on loopback: to a listener of another socket stack in this process, or to the sink process. */
async function socketStackUdp(
  count: number,
  toSink: boolean,
): Promise<{ dps: number; mbps: number; received: number }> {
  const sender = await SocketStackv4.connect(new RecordingConsole(), ['127.0.0.1']);
  const data = Buffer.alloc(PAYLOAD, 0x42);
  const send = (port: number) =>
    sendAll(count, () => sender.udpv4().write({ address: '127.0.0.1', port }, data, { srcPort: 0x7e58 }));
  try {
    if (toSink) {
      const sink = await startSink([], '127.0.0.1', 0x7e57);
      await send(0x7e57);
      const { count: got, seconds } = await sink.done;
      return { ...rate(got, seconds), received: got };
    }
    const receiver = await SocketStackv4.connect(new RecordingConsole(), ['127.0.0.1']);
    let received = 0;
    let last = 0n;
    await receiver.listenUdpv4(0x7e59, () => {
      received++;
      last = process.hrtime.bigint();
    });
    const start = process.hrtime.bigint();
    await send(0x7e59);
    const settle = Date.now() + 2000;
    while (received < count && Date.now() < settle) await new Promise((r) => setTimeout(r, 10));
    await receiver.disconnect();
    return { ...rate(received, Number(last - start) / 1e9), received };
  } finally {
    await sender.disconnect();
  }
}

export async function rows(): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  const N = 50_000;
  const mem = await memorySwitchUdp(N);
  const pair = await socketStackUdp(N, false);
  out.push({
    name: `tcpip: UDP ${PAYLOAD} B direct stack -> direct stack over the memory switch (${mem.received}/${N} delivered)`,
    value: fmtRate(mem),
    comparison: `socket stack -> socket stack on loopback ${fmtRate(pair)} (${pair.received}/${N}), ratio ${ratio(mem.dps, pair.dps)}`,
  });

  if (!canManageNetwork()) {
    out.push({
      name: 'tcpip: tap rows',
      value: 'not measured',
      comparison: 'needs root to make a namespace and a tap',
    });
    return out;
  }
  const { peer, stack } = await quietStackOnTap();
  try {
    await pingTimes(peer.inNs, '10.0.0.2', 5); // ARP both ways first
    const direct = await pingTimes(peer.inNs, '10.0.0.2', 500);
    const kernel = await pingTimes(peer.inNs, '10.0.0.1', 500);
    const p = (xs: number[], q: number) => `${percentile(xs, q).toFixed(3)} ms`;
    out.push({
      name: `tcpip: ping RTT from a namespace to the direct stack on a tap, p50/p99 (${direct.length} echoes)`,
      value: `${p(direct, 50)} / ${p(direct, 99)}`,
      comparison: `kernel's own address on the tap ${p(kernel, 50)} / ${p(kernel, 99)}, p50 ratio ${ratio(percentile(direct, 50), percentile(kernel, 50))}`,
    });

    const sink = await startSink(['ip', 'netns', 'exec', peer.ns.name], '10.0.0.1', 9000);
    const data = Buffer.alloc(PAYLOAD, 0x42);
    await sendAll(N, () => stack.udpv4().write({ address: '10.0.0.1', port: 9000 }, data, { srcPort: 4000 }));
    const { count, seconds } = await sink.done;
    const tap = rate(count, seconds);
    const lo = await socketStackUdp(N, true);
    out.push({
      name: `tcpip: UDP ${PAYLOAD} B direct stack -> a Linux socket over a tap (${count}/${N} received)`,
      value: fmtRate(tap),
      comparison: `socket stack -> a Linux socket on loopback ${fmtRate(lo)} (${lo.received}/${N}), ratio ${ratio(tap.dps, lo.dps)}`,
    });
  } finally {
    await stack.disconnect();
    await peer.close();
  }
  return out;
}
