/**
 * The stack -> Linux over a tap with `percent` % loss each way (nftables on
 * the Linux side), alone, to study loss recovery (see notes/tcp-profile.md):
 *   node -r @swc-node/register tools/bench/tcp-loss-probe.ts [MiB] [percent] [runs]
 * Prints each run's rate and the stack's recovery counters. Needs root.
 */
import * as os from 'node:os';
import { quietStackOnTap } from './quiet-stack';
import { lossyLinuxPeer } from './tcp-linux-peer';

async function main(): Promise<void> {
  const [mib = '32', percent = '5', runs = '3'] = process.argv.slice(2);
  const bytes = Number(mib) << 20;
  const { peer, stack } = await quietStackOnTap();
  try {
    const lossy = await lossyLinuxPeer(peer);
    let port = 6100;
    for (let i = 0; i < Number(runs); i++) {
      const p = port++;
      let start = 0n;
      await stack.listenTcpv4(p, async (flow) => {
        start = process.hrtime.bigint();
        const chunk = Buffer.alloc(64 * 1024, 0x5a);
        for (let sent = 0; sent < bytes; sent += chunk.length) await flow.write(chunk);
        await flow.close();
      });
      const before = stack.tcpStats().events;
      await lossy.setLoss(Number(percent));
      const r = await peer.inNs(['sh', '-c', `nc -d 10.0.0.2 ${p} | wc -c`], 300_000);
      await lossy.setLoss(0);
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      const e = stack.tcpStats().events;
      console.log(
        `${r.stdout.trim()} bytes at ${percent}% loss: ${((bytes * 8) / s / 1e6).toFixed(1)} Mbit/s; ` +
          `SACK recoveries ${e.sackRecoveries - before.sackRecoveries}, tail probes ${e.tlpProbes - before.tlpProbes}, ` +
          `RACK retransmits ${e.rackRetransmits - before.rackRetransmits}, SACK retransmits ${e.sackRetransmits - before.sackRetransmits}, ` +
          `RTOs ${e.rtoCount - before.rtoCount} (load ${os.loadavg()[0].toFixed(1)})`,
      );
    }
  } finally {
    await stack.disconnect();
    await peer.close();
  }
}

void main();
