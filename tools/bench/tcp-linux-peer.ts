/**
 * The tcp bench's rows against a Linux peer that need more than the tap:
 * loss (nftables `numgen random` on the Linux side, both ways), a
 * Linux -> Linux anchor over a veth with the same loss (segmentation
 * offloads off, so single frames are dropped as on the tap), and the socket
 * stack (Node's net, the host kernel's TCP) talking to the same Linux peer
 * over a veth into its namespace. Every namespace and link is made and
 * removed here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Netns, run, uniqueName } from '@mirage-ts/netif/testing/netns';
import type { TapPeer } from '@mirage-ts/tcpip/testing/tap-peer';

const mbps = (bytes: number, seconds: number) => (bytes * 8) / seconds / 1e6;
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function sh(ns: Netns, command: string, timeoutMs = 300_000): Promise<string> {
  const r = await ns.execAsync(['sh', '-c', command], { timeoutMs });
  if (r.status !== 0) throw new Error(`${command} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A netdev table `loss` with an ingress chain on each device, where frames arrive (FACTS.md). */
async function addLossTable(ns: Netns, devs: readonly string[], egress = false): Promise<void> {
  await sh(ns, 'nft add table netdev loss');
  for (const dev of devs) {
    await sh(ns, `nft add chain netdev loss in-${dev} '{ type filter hook ingress device ${dev} priority 0; }'`);
    if (egress)
      await sh(ns, `nft add chain netdev loss out-${dev} '{ type filter hook egress device ${dev} priority 0; }'`);
  }
}

async function setLoss(ns: Netns, percent: number): Promise<void> {
  await sh(ns, 'nft flush table netdev loss');
  if (percent === 0) return;
  const chains = (await sh(ns, 'nft list chains netdev')).match(/chain (\S+)/g) ?? [];
  for (const c of chains)
    await sh(ns, `nft add rule netdev loss ${c.slice(6)} meta l4proto tcp numgen random mod 100 '<' ${percent} drop`);
}

/** Linux sends `bytes` with nc across a veth to a Linux listener; Mbit/s from the sender's start to its exit. */
async function linuxToLinux(a: Netns, b: Netns, port: number, bytes: number): Promise<number> {
  const listener = sh(b, `nc -l -p ${port} > /dev/null`);
  await new Promise((r) => setTimeout(r, 300));
  const start = process.hrtime.bigint();
  await sh(a, `head -c ${bytes} /dev/zero | nc -N 10.9.0.2 ${port}`);
  const rate = mbps(bytes, seconds(start));
  await listener;
  return rate;
}

const SOCKET_SCRIPT = `
const net = require('node:net');
const [mode, host, port, bytes] = process.argv.slice(2);
const n = Number(bytes);
const t0 = () => process.hrtime.bigint();
const report = (start, got) => process.stdout.write(JSON.stringify({ got, seconds: Number(t0() - start) / 1e9 }) + '\\n');
if (mode === 'send') {
  const s = net.connect(Number(port), host, () => {
    const start = t0();
    const chunk = Buffer.alloc(65536, 0x5a);
    let sent = 0;
    const go = () => {
      while (sent < n) { sent += chunk.length; if (!s.write(chunk)) return s.once('drain', go); }
      s.end();
    };
    go();
    s.on('close', () => report(start, sent));
  });
  s.resume();
} else {
  const server = net.createServer((s) => {
    const start = t0();
    let got = 0;
    s.on('data', (d) => (got += d.length));
    s.on('end', () => { report(start, got); s.end(); server.close(); });
  });
  server.listen(Number(port), host, () => process.stdout.write('listening\\n'));
}
`;

export interface LinuxPeerRates {
  /** The stack -> Linux over the tap, without and with `lossPercent` % loss each way. */
  stackClean: number;
  stackLossy: number;
  /** Linux -> Linux over a veth, offloads off, without and with the same loss. */
  linuxClean: number;
  linuxLossy: number;
  /**
   * The socket stack (Node net) -> the same Linux peer, and back, over a veth
   * (no loss): `socketBulk.bytes` read by `nc | wc -c` and sent by `nc < file`,
   * the same commands as the tap rows use against the direct stack.
   */
  socketToLinux: number;
  socketFromLinux: number;
  /** What `interleaved.toLinux` returned (see linuxPeerRates), one per socket stack -> Linux run. */
  interleavedToLinux: number[];
  /** What `interleaved.fromLinux` returned, one per Linux -> socket stack run. */
  interleavedFromLinux: number[][];
}

/**
 * The direct stack's own transfers, each run right after one of the socket
 * stack's in the same direction, so that both see the same load on a shared
 * machine; the medians are compared.
 */
export interface InterleavedTransfers {
  /** The stack -> Linux; returns Mbit/s. */
  toLinux?: () => Promise<number>;
  /** Linux -> the stack; returns Mbit/s, one per kind of reader. */
  fromLinux?: () => Promise<number[]>;
}

/** The median of `values`. */
function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A loss table on the peer's tap, both ways; `setLoss(0)` turns it off. */
export async function lossyLinuxPeer(peer: TapPeer): Promise<{ setLoss(percent: number): Promise<void> }> {
  await addLossTable(peer.ns, [peer.tap], true);
  return { setLoss: (percent) => setLoss(peer.ns, percent) };
}

/**
 * `stackToLinux(bytes)` makes the stack send `bytes` to Linux over the tap
 * and returns Mbit/s. The peer's namespace gets a loss table on the tap and,
 * for the socket rows, a veth to a client namespace of its own.
 */
export async function linuxPeerRates(
  peer: TapPeer,
  dir: string,
  stackToLinux: (bytes: number) => Promise<number>,
  lossPercent: number,
  bytes: number,
  socketBulk: { file: string; bytes: number },
  interleaved: InterleavedTransfers = {},
  /** Transfers of the socket stack each way (the median is reported). */
  runs = 1,
): Promise<LinuxPeerRates> {
  await addLossTable(peer.ns, [peer.tap], true);
  const stackClean = await stackToLinux(bytes);
  await setLoss(peer.ns, lossPercent);
  let stackLossy: number;
  try {
    stackLossy = await stackToLinux(bytes);
  } finally {
    await setLoss(peer.ns, 0);
  }

  const a = Netns.create('tla');
  const b = Netns.create('tlb');
  try {
    const [va, vb] = [uniqueName('tva'), uniqueName('tvb')];
    run('ip', ['link', 'add', va, 'netns', a.name, 'type', 'veth', 'peer', 'name', vb, 'netns', b.name]);
    for (const [ns, dev, addr] of [
      [a, va, '10.9.0.1/24'],
      [b, vb, '10.9.0.2/24'],
    ] as const) {
      ns.ip('addr', 'add', addr, 'dev', dev);
      ns.ip('link', 'set', dev, 'up');
      ns.exec('ethtool', '-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off');
    }
    await addLossTable(a, [va]);
    await addLossTable(b, [vb]);
    const linuxClean = await linuxToLinux(a, b, 7100, bytes);
    await setLoss(a, lossPercent);
    await setLoss(b, lossPercent);
    const linuxLossy = await linuxToLinux(a, b, 7101, bytes);

    // The socket stack to the same Linux peer: Node's net in namespace a, over a veth into the peer's namespace.
    const [vc, vd] = [uniqueName('tvc'), uniqueName('tvd')];
    run('ip', ['link', 'add', vc, 'netns', a.name, 'type', 'veth', 'peer', 'name', vd, 'netns', peer.ns.name]);
    a.ip('addr', 'add', '10.0.1.2/24', 'dev', vc);
    a.ip('link', 'set', vc, 'up');
    peer.ns.ip('addr', 'add', '10.0.1.1/24', 'dev', vd);
    peer.ns.ip('link', 'set', vd, 'up');
    const script = path.join(dir, 'socket-peer.js');
    fs.writeFileSync(script, SOCKET_SCRIPT);
    const socketToLinux: number[] = [];
    const interleavedToLinux: number[] = [];
    for (let run = 0; run < runs; run++) {
      const port = 7210 + run;
      const sink = sh(peer.ns, `nc -l -p ${port} | wc -c`);
      await new Promise((r) => setTimeout(r, 200));
      const sent = JSON.parse(
        await sh(a, `${process.execPath} ${script} send 10.0.1.1 ${port} ${socketBulk.bytes}`),
      ) as { seconds: number };
      const sunk = Number((await sink).trim());
      if (sunk !== socketBulk.bytes)
        throw new Error(`Linux received ${sunk} of ${socketBulk.bytes} bytes from the socket stack`);
      socketToLinux.push(mbps(socketBulk.bytes, sent.seconds));
      if (interleaved.toLinux) interleavedToLinux.push(await interleaved.toLinux());
    }
    const socketFromLinux: number[] = [];
    const interleavedFromLinux: number[][] = [];
    for (let run = 0; run < runs; run++) {
      const port = String(7201 + run * 20);
      let listening: () => void = () => undefined;
      const ready = new Promise<void>((r) => (listening = r));
      const receiving = a.execAsync([process.execPath, script, 'recv', '10.0.1.2', port, String(socketBulk.bytes)], {
        timeoutMs: 300_000,
        onStdout: (text) => text.startsWith('listening') && listening(),
      });
      await Promise.race([ready, receiving]);
      await sh(peer.ns, `nc -N 10.0.1.2 ${port} < ${socketBulk.file}`);
      const got = JSON.parse((await receiving).stdout.split('\n')[1]) as { got: number; seconds: number };
      if (got.got !== socketBulk.bytes)
        throw new Error(`the socket stack received ${got.got} of ${socketBulk.bytes} bytes`);
      socketFromLinux.push(mbps(socketBulk.bytes, got.seconds));
      if (interleaved.fromLinux) interleavedFromLinux.push(await interleaved.fromLinux());
    }
    return {
      stackClean,
      stackLossy,
      linuxClean,
      linuxLossy,
      socketToLinux: median(socketToLinux),
      socketFromLinux: median(socketFromLinux),
      interleavedToLinux,
      interleavedFromLinux,
    };
  } finally {
    a.destroy();
    b.destroy();
  }
}
