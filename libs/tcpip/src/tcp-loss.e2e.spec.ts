import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import type { DirectStackv4 } from './stack';
import { drain, pour, sha256, until } from './testing/flows';
import { linuxOnTap, type LinuxOnTap } from './testing/linux-on-tap';
import { LossyReceive } from './testing/lossy-receive';
import type { TapPeer } from './testing/tap-peer';

/**
 * TCP between the stack and Linux over a tap that drops frames at random
 * both ways, where they arrive: nftables `numgen random` on the tap's
 * ingress in the namespace for what the stack sends, `LossyReceive` in front
 * of the stack for what Linux sends (a drop on Linux's egress is a local drop
 * it resends at once, so the stack never saw a hole and never sent a SACK
 * block). SACK is what keeps these transfers quick.
 */
const maybe = canManageNetwork() ? describe : describe.skip;
const MiB = 1 << 20;

maybe('TCP with Linux across a lossy tap', () => {
  let linux: LinuxOnTap;
  let peer: TapPeer;
  let stack: DirectStackv4;
  let lossy: LossyReceive;
  let dir: string;
  let port = 7000;

  const sh = (command: string, timeoutMs?: number) => linux.sh(command, timeoutMs);

  /**
   * Drops `percent` % of the TCP frames each way, where they arrive: on Linux's ingress for what the
   * stack sends, in `LossyReceive` for what Linux sends (a drop on Linux's egress would be resent at once).
   */
  const setLoss = async (percent: number) => {
    await sh('nft flush chain netdev loss in');
    await sh(`nft add rule netdev loss in meta l4proto tcp numgen random mod 100 '<' ${percent} drop`);
    lossy.percent = percent;
  };

  beforeAll(async () => {
    linux = await linuxOnTap('tcp-loss-', { network: (tap) => (lossy = new LossyReceive(tap)) });
    ({ peer, stack, dir } = linux);
    await sh(
      `nft add table netdev loss && ` +
        `nft add chain netdev loss in '{ type filter hook ingress device ${peer.tap} priority 0; }'`,
    );
  });
  afterAll(() => linux?.close());

  /** `bytes` from Linux (nc) to the stack, then from the stack to Linux; both compared by SHA-256. */
  async function bothWays(bytes: number): Promise<void> {
    const up = randomBytes(bytes);
    const down = randomBytes(bytes);
    const file = path.join(dir, 'up.bin');
    fs.writeFileSync(file, up);
    const inPort = port++;
    const outPort = port++;
    let received: Promise<{ bytes: number; sha256: string }> | undefined;
    await stack.listenTcpv4(inPort, (flow) => void (received = drain(flow).finally(() => flow.close())));
    await sh(`nc -N 10.0.0.2 ${inPort} < ${file}`, 110_000);
    await until('the upload', () => received !== undefined);
    expect(await received).toEqual({ bytes, sha256: sha256(up) });
    await stack.listenTcpv4(outPort, (flow) => pour(flow, down));
    const out = await sh(`nc -d 10.0.0.2 ${outPort} | sha256sum`, 110_000);
    expect(out.split(' ')[0]).toBe(sha256(down));
  }

  it.each([1, 5, 10])(
    'moves 10 MiB each way byte-exact with %i%% of the frames lost each way',
    async (percent) => {
      await setLoss(percent);
      const before = stack.tcpStats().events;
      await bothWays(10 * MiB);
      const after = stack.tcpStats().events;
      // Losses were seen and recovered by SACK, not by waiting for timeouts.
      expect(after.sackRecoveries).toBeGreaterThan(before.sackRecoveries);
    },
    // At 10 % each way Linux's own sender sometimes backs off its timer for seconds at a time.
    120_000,
  );

  it('produces a lossy capture that tshark decodes cleanly, SACK-permitted both ways and SACK blocks from both', async () => {
    await setLoss(5);
    const pcap = path.join(dir, 'lossy.pcap');
    const pidFile = path.join(dir, 'tcpdump.pid');
    // Its own tcpdump only, stopped by pid: other tests on this machine may be capturing too.
    const capture = peer.inNs(
      [
        'sh',
        '-c',
        `tcpdump -U -i ${peer.tap} -w ${pcap} 'tcp port 7100 or tcp port 7101' & echo $! > ${pidFile}; wait`,
      ],
      60_000,
    );
    await new Promise((r) => setTimeout(r, 700)); // tcpdump needs a moment to open the tap
    port = 7100;
    try {
      await bothWays(2 * MiB);
    } finally {
      await new Promise((r) => setTimeout(r, 300));
      await sh(`kill -INT $(cat ${pidFile}) || true`);
      await capture;
    }
    // The payload is random bytes: decoded as plain data, or tshark's heuristic dissectors (Thrift, ...)
    // now and then take it for their protocol and mark it malformed.
    const asData = '-d tcp.port==7100,data -d tcp.port==7101,data';
    const fields = async (filter: string, ...field: string[]) =>
      (await sh(`tshark -r ${pcap} ${asData} -Y '${filter}' -T fields -e ${field.join(' -e ')}`, 60_000))
        .split('\n')
        .filter(Boolean);
    // Each mark is listed with its sender and tshark's own words, so a failure says what was wrong.
    expect(
      await fields('_ws.malformed || _ws.expert.severity == error', 'frame.number', 'ip.src', '_ws.expert.message'),
    ).toEqual([]);
    const synSackOk = new Set(await fields('tcp.flags.syn == 1 && tcp.options.sack_perm', 'ip.src'));
    expect([...synSackOk].sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    const sackers = new Set(await fields('tcp.options.sack_le', 'ip.src'));
    expect([...sackers].sort()).toEqual(['10.0.0.1', '10.0.0.2']);
  }, 60_000);
});
