/**
 * The direct stack's TCP: bulk throughput between two direct stacks over the
 * in-memory switch, and between the direct stack and Linux over a tap (each
 * way), against the socket stack (the host kernel's TCP) over loopback;
 * connection setup rate on both.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import { SocketStackv4 } from '@mirage-ts/socket-stack/stack';
import type { DirectStackv4 } from '@mirage-ts/tcpip/stack';
import type { Flow, Stackv4 } from '@mirage-ts/types';
import { RecordingConsole } from '@mirage-ts/tcpip/testing/recording-console';
import { ratio, type BenchRow } from './table';
import { linuxPeerRates } from './tcp-linux-peer';
import { quietStack, quietStackOnTap } from './quiet-stack';
import type { TapPeer } from '@mirage-ts/tcpip/testing/tap-peer';

const BULK = 64 << 20;
/** Untimed first: V8 keeps optimizing the stack's hot paths for the first ~150 MiB (64 MiB runs went 2.2, 3.2, then 5.9 Gbit/s). */
const WARM_UP = 160 << 20;
/** Timed runs of the memory-switch rows, interleaved with the socket stack's; the median is shown. */
const RUNS = 3;
const LOSSY_BULK = 32 << 20;
const LOSS_PERCENT = 5;
const CHUNK = 64 * 1024;
const SETUPS = 2000;
const SETUP_LOOPS = 8;

const mbps = (bytes: number, seconds: number) => (bytes * 8) / seconds / 1e6;
const fmtMbps = (x: number) => `${x.toFixed(0)} Mbit/s`;
const fmtRate = (x: number) => `${Math.round(x).toLocaleString('en-US')} connections/s`;
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** Reads to the end; with `handBack`, gives each chunk back once counted (`Flow.release`), as a parser would. */
async function drainCount(flow: Flow, handBack = false): Promise<number> {
  let n = 0;
  for (let r = await flow.read(); r.ok && r.value !== 'eof'; r = await flow.read()) {
    n += r.value.length;
    if (handBack) flow.release?.(r.value);
  }
  return n;
}

async function pour(flow: Flow, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  for (let sent = 0; sent < bytes; sent += CHUNK) {
    const w = await flow.write(chunk);
    if (!w.ok) throw new Error(w.error.message);
  }
  await flow.close();
}

/** `bytes` from `client` to a listener of `server` on `port`; Mbit/s from connect to the last byte read. */
async function bulk(server: Stackv4, client: Stackv4, address: string, port: number, bytes: number): Promise<number> {
  let done: Promise<number> | undefined;
  const listening = await server.listenTcpv4(port, (flow) => {
    done = drainCount(flow).then(async (n) => {
      await flow.close();
      return n;
    });
  });
  if (!listening.ok) throw new Error(listening.error.message);
  const start = process.hrtime.bigint();
  const c = await client.tcpv4().connect({ address, port });
  if (!c.ok) throw new Error(c.error.message);
  await pour(c.value, bytes);
  while (!done) await new Promise((r) => setImmediate(r));
  const got = await done;
  if (got !== bytes) throw new Error(`received ${got} of ${bytes} bytes`);
  return mbps(bytes, seconds(start));
}

/** Connections opened and closed per second, `SETUP_LOOPS` at a time, to a listener that closes at once. */
async function setupRate(server: Stackv4, client: Stackv4, address: string, port: number): Promise<number> {
  const listening = await server.listenTcpv4(port, (flow) => flow.close());
  if (!listening.ok) throw new Error(listening.error.message);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: SETUP_LOOPS }, async () => {
      for (let i = 0; i < SETUPS / SETUP_LOOPS; i++) {
        const c = await client.tcpv4().connect({ address, port });
        if (!c.ok) throw new Error(c.error.message);
        await c.value.read(); // the server's FIN
        await c.value.close();
      }
    }),
  );
  return SETUPS / seconds(start);
}

/** The median of `values`, with their range. */
function median(values: number[]): { median: number; range: string } {
  const sorted = [...values].sort((x, y) => x - y);
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    range: `${sorted[0].toFixed(0)}-${sorted[sorted.length - 1].toFixed(0)}`,
  };
}

async function memoryPair(
  skipChecksums: boolean,
  mtu = 1500,
): Promise<{ a: DirectStackv4; b: DirectStackv4; close(): Promise<void> }> {
  const sw = new MemorySwitch({ seed: 1, skipChecksums, mtu });
  const a = await quietStack(sw.connect(), '10.0.0.2/24');
  const b = await quietStack(sw.connect(), '10.0.0.3/24');
  return {
    a,
    b,
    close: async () => {
      await a.disconnect();
      await b.disconnect();
      await sw.close();
    },
  };
}

async function socketPair(): Promise<{ a: SocketStackv4; b: SocketStackv4; close(): Promise<void> }> {
  const a = await SocketStackv4.connect(new RecordingConsole(), ['127.0.0.1']);
  const b = await SocketStackv4.connect(new RecordingConsole(), ['127.0.0.1']);
  return {
    a,
    b,
    close: async () => {
      await a.disconnect();
      await b.disconnect();
    },
  };
}

/** Bulk transfers both ways between Linux (nc in the peer's namespace) and `stack` on the peer's tap. */
function tapEnds(peer: TapPeer, stack: DirectStackv4) {
  let port = 6000;
  return {
    /** Linux -> the stack: nc sends `file`; timed in the stack from accept to end-of-stream. */
    fromLinux: async (file: string, bytes: number, handBack = false): Promise<number> => {
      const p = port++;
      let inbound: Promise<number> | undefined;
      await stack.listenTcpv4(p, (flow) => {
        const start = process.hrtime.bigint();
        inbound = drainCount(flow, handBack).then(async (n) => {
          await flow.close();
          if (n !== bytes) throw new Error(`received ${n} of ${bytes} bytes`);
          return mbps(n, seconds(start));
        });
      });
      await peer.inNs(['sh', '-c', `nc -N 10.0.0.2 ${p} < ${file}`], 120_000);
      return inbound as Promise<number>;
    },
    /** The stack -> Linux: nc reads to the end; timed from accept to nc's exit. */
    toLinux: async (bytes: number): Promise<number> => {
      let outStart = 0n;
      const p = port++;
      await stack.listenTcpv4(p, (flow) => {
        outStart = process.hrtime.bigint();
        void pour(flow, bytes);
      });
      const r = await peer.inNs(['sh', '-c', `nc -d 10.0.0.2 ${p} | wc -c`], 300_000);
      if (Number(r.stdout.trim()) !== bytes) throw new Error(`Linux received ${r.stdout.trim()} of ${bytes} bytes`);
      return mbps(bytes, seconds(outStart));
    },
  };
}

export async function rows(): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  // Checksums skipped as on Linux's loopback (the switch's frames never leave the process)...
  const mem = await memoryPair(true);
  const sock = await socketPair();
  try {
    // Untimed: the first transfer also compiles the stack's hot paths, which made whichever row came first look slower.
    await bulk(mem.a, mem.b, '10.0.0.2', 5000, WARM_UP);
    const summed = await memoryPair(false);
    const jumbo = await memoryPair(true, 65535);
    const [directRuns, socketRuns, summedRuns, jumboRuns]: number[][] = [[], [], [], []];
    try {
      for (let i = 0; i < RUNS; i++) {
        directRuns.push(await bulk(mem.a, mem.b, '10.0.0.2', 5010 + i, BULK));
        socketRuns.push(await bulk(sock.a, sock.b, '127.0.0.1', 0x7e70 + i, BULK));
        summedRuns.push(await bulk(summed.a, summed.b, '10.0.0.2', 5010 + i, BULK));
        jumboRuns.push(await bulk(jumbo.a, jumbo.b, '10.0.0.2', 5010 + i, BULK));
      }
    } finally {
      await summed.close();
      await jumbo.close();
    }
    const [direct, socket, withSums, withJumbo] = [directRuns, socketRuns, summedRuns, jumboRuns].map(median);
    const runs = `median of ${RUNS}`;
    out.push(
      {
        name: `tcp: bulk ${BULK >> 20} MiB, direct stack -> direct stack over the memory switch (checksums skipped, as on loopback)`,
        value: `${fmtMbps(direct.median)} (${runs}: ${direct.range})`,
        comparison: `socket stack -> socket stack on loopback ${fmtMbps(socket.median)} (${socket.range}), ratio ${ratio(direct.median, socket.median)} (goal 3 Gbit/s)`,
      },
      {
        // ...and computed and verified, as on every real link.
        name: `tcp: bulk ${BULK >> 20} MiB, direct stack -> direct stack over the memory switch (checksums computed and verified)`,
        value: `${fmtMbps(withSums.median)} (${runs}: ${withSums.range})`,
        comparison: `${ratio(withSums.median, direct.median)} of the rate without checksums`,
      },
      {
        // Loopback's own MTU is 64 KiB: the socket stack's rows above run at that size.
        name: `tcp: bulk ${BULK >> 20} MiB, direct stack -> direct stack over a memory switch with loopback's 64 KiB MTU (checksums skipped)`,
        value: `${fmtMbps(withJumbo.median)} (${runs}: ${withJumbo.range})`,
        comparison: `socket stack on loopback ${fmtMbps(socket.median)}, ratio ${ratio(withJumbo.median, socket.median)}`,
      },
    );
    const directSetup = await setupRate(mem.a, mem.b, '10.0.0.2', 5002);
    const socketSetup = await setupRate(sock.a, sock.b, '127.0.0.1', 0x7e62);
    out.push({
      name: `tcp: connection setup and teardown, ${SETUPS} connections, ${SETUP_LOOPS} at a time, memory switch`,
      value: fmtRate(directSetup),
      comparison: `socket stack on loopback ${fmtRate(socketSetup)}, ratio ${ratio(directSetup, socketSetup)}`,
    });

    if (!canManageNetwork()) {
      out.push({
        name: 'tcp: tap rows',
        value: 'not measured',
        comparison: 'needs root to make a namespace and a tap',
      });
      return out;
    }
    const { peer, stack } = await quietStackOnTap();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-bench-'));
    try {
      const file = path.join(dir, 'bulk.bin');
      fs.writeFileSync(file, Buffer.alloc(BULK, 0x5a));
      const plain = tapEnds(peer, stack);
      const fromLinux = await plain.fromLinux(file, BULK);
      const toLinux = await plain.toLinux(BULK);
      // The same over a second tap opened with offloads (TSO and partial checksums both ways). Its
      // transfers run later, each right after one of the socket stack's in the same direction (same load).
      const offloaded = await quietStackOnTap(true);
      const ends = tapEnds(offloaded.peer, offloaded.stack);
      let r: Awaited<ReturnType<typeof linuxPeerRates>>;
      const before = stack.tcpStats().events;
      try {
        r = await linuxPeerRates(
          peer,
          dir,
          plain.toLinux,
          LOSS_PERCENT,
          LOSSY_BULK,
          { file, bytes: BULK },
          {
            toLinux: () => ends.toLinux(BULK),
            // A reader that gives each chunk back lets the connection reuse its receive slabs (Flow.release).
            fromLinux: async () => [await ends.fromLinux(file, BULK), await ends.fromLinux(file, BULK, true)],
          },
          RUNS,
        );
      } finally {
        await offloaded.stack.disconnect();
        await offloaded.peer.close();
      }
      const toLinuxTsoRuns = median(r.interleavedToLinux);
      const toLinuxTso = toLinuxTsoRuns.median;
      const fromLinuxTsoRuns = median(r.interleavedFromLinux.map(([plainReader]) => plainReader));
      const fromLinuxTso = fromLinuxTsoRuns.median;
      const fromLinuxTsoHandBackRuns = median(r.interleavedFromLinux.map(([, handingBack]) => handingBack));
      const fromLinuxTsoHandBack = fromLinuxTsoHandBackRuns.median;
      const vsSocket = (x: number) =>
        `socket stack -> socket stack on loopback ${fmtMbps(socket.median)}, ratio ${ratio(x, socket.median)}`;
      out.push(
        {
          name: `tcp: bulk ${BULK >> 20} MiB, Linux (nc) -> direct stack over a tap`,
          value: fmtMbps(fromLinux),
          comparison: vsSocket(fromLinux),
        },
        {
          name: `tcp: bulk ${BULK >> 20} MiB, direct stack -> Linux (nc) over a tap`,
          value: fmtMbps(toLinux),
          comparison: vsSocket(toLinux),
        },
        {
          name: `tcp: bulk ${BULK >> 20} MiB, Linux (nc) -> direct stack over a tap with offloads (TSO/GSO)`,
          value: `${fmtMbps(fromLinuxTso)} (median of ${RUNS}: ${fromLinuxTsoRuns.range})`,
          comparison: vsSocket(fromLinuxTso),
        },
        {
          name: `tcp: bulk ${BULK >> 20} MiB, Linux (nc) -> direct stack over a tap with offloads, reader hands chunks back`,
          value: `${fmtMbps(fromLinuxTsoHandBack)} (median of ${RUNS}: ${fromLinuxTsoHandBackRuns.range})`,
          comparison: vsSocket(fromLinuxTsoHandBack),
        },
        {
          name: `tcp: bulk ${BULK >> 20} MiB, direct stack -> Linux (nc) over a tap with offloads (TSO/GSO)`,
          value: `${fmtMbps(toLinuxTso)} (median of ${RUNS}: ${toLinuxTsoRuns.range})`,
          comparison: vsSocket(toLinuxTso),
        },
      );
      const after = stack.tcpStats().events;
      const recovery = `SACK recoveries ${after.sackRecoveries - before.sackRecoveries}, RTOs ${after.rtoCount - before.rtoCount} (${after.spuriousRtos - before.spuriousRtos} undone), tail probes ${after.tlpProbes - before.tlpProbes}`;
      const keptStack = r.stackLossy / r.stackClean;
      const keptLinux = r.linuxLossy / r.linuxClean;
      out.push({
        name: `tcp: ${LOSSY_BULK >> 20} MiB, direct stack -> Linux over a tap, ${LOSS_PERCENT}% loss each way`,
        value: `${fmtMbps(r.stackLossy)} (${ratio(r.stackLossy, r.stackClean)} of its ${fmtMbps(r.stackClean)} loss-free)`,
        comparison:
          `Linux -> Linux over a veth (offloads off), same loss: ${fmtMbps(r.linuxLossy)} ` +
          `(${ratio(r.linuxLossy, r.linuxClean)} of ${fmtMbps(r.linuxClean)}); share kept vs Linux ${ratio(keptStack, keptLinux)} (goal >= 0.3); stack: ${recovery}`,
      });
      out.push({
        name: `tcp: ${BULK >> 20} MiB, direct stack <-> Linux over a tap vs the socket stack <-> the same Linux over a veth`,
        value:
          `with offloads: to Linux ${ratio(toLinuxTso, r.socketToLinux)}, from Linux ${ratio(fromLinuxTso, r.socketFromLinux)} ` +
          `(${ratio(fromLinuxTsoHandBack, r.socketFromLinux)} with a reader that hands chunks back); ` +
          `without: ${ratio(toLinux, r.socketToLinux)}, ${ratio(fromLinux, r.socketFromLinux)} (goal >= 0.8)`,
        comparison: `socket stack to Linux ${fmtMbps(r.socketToLinux)}, from Linux ${fmtMbps(r.socketFromLinux)} (medians of ${RUNS}, each run next to the tap's in the same direction; same nc commands)`,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await stack.disconnect();
      await peer.close();
    }
  } finally {
    await mem.close();
    await sock.close();
  }
  return out;
}
