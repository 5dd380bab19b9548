/**
 * IPv6 figures of the direct stack: ping -6 round trips from the Linux
 * kernel through a tap to the layers ping6 composes (against the kernel
 * answering for its own address), and UDP over IPv6 against UDP over IPv4
 * between two stacks on the in-memory switch, with the same payload.
 */
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import { ethif, ipv6, udp } from '@mirage-ts/tcpip/layers';
import { DirectStackv4 } from '@mirage-ts/tcpip/stack';
import { RecordingConsole } from '@mirage-ts/tcpip/testing/recording-console';
import { tapPeer } from '@mirage-ts/tcpip/testing/tap-peer';
import type { Network } from '@mirage-ts/types';
import { ratio, type BenchRow } from './table';

const PAYLOAD = 1452; // the largest UDP payload of one 1500-byte frame over IPv6 (IPv4 could carry 20 more)
const WINDOW = 32;
const N = 30_000;
/** Rounds of each family, alternated so load from other programs falls on both alike; the median is shown. */
const ROUNDS = 3;

async function sendAll(count: number, send: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i += WINDOW) {
    const batch: Array<Promise<unknown>> = [];
    for (let j = 0; j < WINDOW && i + j < count; j++) batch.push(send());
    await Promise.all(batch);
    await new Promise((r) => setImmediate(r));
  }
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmtRate = (dps: number) =>
  `${Math.round(dps).toLocaleString('en-US')} datagrams/s, ${((dps * PAYLOAD * 8) / 1e6).toFixed(0)} Mbit/s`;

/** Counts datagrams on port 9 until `count` arrived or they stop; returns datagrams per second. */
async function measure(
  listen: (onDatagram: () => void) => void,
  send: () => Promise<unknown>,
): Promise<{ dps: number; received: number }> {
  let received = 0;
  let last = 0n;
  listen(() => {
    received++;
    last = process.hrtime.bigint();
  });
  await send(); // neighbor or ARP resolution before the clock starts
  while (received === 0) await new Promise((r) => setTimeout(r, 5));
  received = 0;
  const start = process.hrtime.bigint();
  await sendAll(N, send);
  const settle = Date.now() + 2000;
  while (received < N && Date.now() < settle) await new Promise((r) => setTimeout(r, 10));
  return { dps: received / (Number(last - start) / 1e9), received };
}

function ipv6Host(net: Network, address: string) {
  const e = ethif(net);
  const i = ipv6(e, { dadRetransMs: 10, routerSolicitations: 0 });
  const u = udp(i);
  const listening = e.listen();
  return {
    i,
    u,
    ready: i.setIp(address),
    close: async () => {
      await i.disconnect();
      await e.disconnect();
      await listening;
    },
  };
}

async function udpOverIpv6(): Promise<{ dps: number; received: number }> {
  const sw = new MemorySwitch({ seed: 1 });
  const a = ipv6Host(sw.connect(), 'fc00::2');
  const b = ipv6Host(sw.connect(), 'fc00::3');
  await Promise.all([a.ready, b.ready]);
  const data = Buffer.alloc(PAYLOAD, 0x42);
  try {
    return await measure(
      (on) => a.u.listen(9, on),
      () => b.u.layer.write({ address: 'fc00::2', port: 9 }, data, { srcPort: 4000 }),
    );
  } finally {
    await a.close();
    await b.close();
    await sw.close();
  }
}

async function udpOverIpv4(): Promise<{ dps: number; received: number }> {
  const sw = new MemorySwitch({ seed: 1 });
  const quiet = { log: () => undefined };
  const a = await DirectStackv4.connect(new RecordingConsole(), sw.connect(), false, '10.0.0.2/24', '', quiet);
  const b = await DirectStackv4.connect(new RecordingConsole(), sw.connect(), false, '10.0.0.3/24', '', quiet);
  const data = Buffer.alloc(PAYLOAD, 0x42);
  try {
    return await measure(
      (on) => void a.listenUdpv4(9, on),
      () => b.udpv4().write({ address: '10.0.0.2', port: 9 }, data, { srcPort: 4000 }),
    );
  } finally {
    await a.disconnect();
    await b.disconnect();
    await sw.close();
  }
}

export async function rows(): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  const v6s: Array<{ dps: number; received: number }> = [];
  const v4s: Array<{ dps: number; received: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    v6s.push(await udpOverIpv6());
    v4s.push(await udpOverIpv4());
  }
  const median = (xs: Array<{ dps: number; received: number }>) =>
    [...xs].sort((a, b) => a.dps - b.dps)[xs.length >> 1];
  const v6 = median(v6s);
  const v4 = median(v4s);
  out.push({
    name: `ipv6: UDP ${PAYLOAD} B over IPv6, two direct stacks on the memory switch, median of ${ROUNDS} (${v6.received}/${N} delivered)`,
    value: fmtRate(v6.dps),
    comparison: `over IPv4 ${fmtRate(v4.dps)} (${v4.received}/${N}), ratio ${ratio(v6.dps, v4.dps)}`,
  });

  if (!canManageNetwork()) {
    out.push({ name: 'ipv6: ping -6 row', value: 'not measured', comparison: 'needs root for a namespace and a tap' });
    return out;
  }
  const peer = await tapPeer(null);
  const host = ipv6Host(peer.netif, 'fc00::2');
  try {
    peer.ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=0', `net.ipv6.conf.${peer.tap}.disable_ipv6=0`);
    peer.ns.ip('addr', 'add', 'fc00::1/64', 'dev', peer.tap, 'nodad');
    await host.ready;
    const ping = async (address: string, count: number) => {
      const r = await peer.inNs(['ping', '-6', '-c', String(count), '-i', '0.01', '-W', '1', address]);
      return [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
    };
    await ping('fc00::2', 5); // neighbor discovery both ways first
    const direct = await ping('fc00::2', 500);
    const kernel = await ping('fc00::1', 500);
    const p = (xs: number[], q: number) => `${percentile(xs, q).toFixed(3)} ms`;
    out.push({
      name: `ipv6: ping -6 RTT from a namespace to the IPv6 layers on a tap, p50/p99 (${direct.length} echoes)`,
      value: `${p(direct, 50)} / ${p(direct, 99)}`,
      comparison: `kernel's own address on the tap ${p(kernel, 50)} / ${p(kernel, 99)}, p50 ratio ${ratio(percentile(direct, 50), percentile(kernel, 50))}`,
    });
  } finally {
    await host.close();
    await peer.close();
  }
  return out;
}
