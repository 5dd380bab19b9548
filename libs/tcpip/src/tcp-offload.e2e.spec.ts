import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import { DirectStackv4 } from './stack';
import { drain, pour, sha256, until } from './testing/flows';
import { RecordingConsole } from './testing/recording-console';
import { tapPeer, type TapPeer } from './testing/tap-peer';

/**
 * TCP over a tap opened with offloads (TapOptions.offloads): the stack sends
 * super-segments that Linux cuts or takes whole, and Linux sends it segments
 * longer than the MTU with partial checksums. Byte-exact both ways, in far
 * fewer frames than MTU-sized segments would take.
 */
const maybe = canManageNetwork() ? describe : describe.skip;
const MiB = 1 << 20;
/** MTU-sized segments of 10 MiB: 1448 payload bytes each beside timestamps. */
const PLAIN_SEGMENTS = Math.ceil((10 * MiB) / 1448);

maybe('the direct stack over a tap with segmentation offloads', () => {
  let peer: TapPeer;
  let stack: DirectStackv4;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-offload-'));
    peer = await tapPeer('10.0.0.1/24', { offloads: true });
    stack = await DirectStackv4.connect(new RecordingConsole(), peer.netif, false, '10.0.0.2/24', '10.0.0.1', {
      icmp: { logEcho: false },
    });
  });
  afterAll(async () => {
    await stack?.disconnect();
    await peer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sh = async (command: string, timeoutMs = 60_000) => {
    const r = await peer.inNs(['sh', '-c', command], timeoutMs);
    if (r.status !== 0) throw new Error(`${command} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  it('has the offloads on, and Linux sees the tap as able to take TSO', async () => {
    expect(peer.netif.segmentOffload).toBe(65535);
    expect(await sh(`ethtool -k ${peer.tap}`)).toMatch(/tcp-segmentation-offload: on/);
  });

  it('receives 10 MiB from nc in segments longer than the MTU, byte-exact', async () => {
    const data = randomBytes(10 * MiB);
    const file = path.join(dir, 'in.bin');
    fs.writeFileSync(file, data);
    const before = peer.netif.stats().rxFrames;
    let received: Promise<{ bytes: number; sha256: string }> | undefined;
    await stack.listenTcpv4(9000, (flow) => void (received = drain(flow).finally(() => flow.close())));
    await sh(`nc -N 10.0.0.2 9000 < ${file}`);
    await until('the upload', () => received !== undefined);
    expect(await received).toEqual({ bytes: data.length, sha256: sha256(data) });
    // Segments that Linux did not cut: at least twice as much per frame as an MTU carries.
    expect(peer.netif.stats().rxFrames - before).toBeLessThan(PLAIN_SEGMENTS / 2);
    expect(stack.drops()['tcp.bad-checksum'] ?? 0).toBe(0);
  }, 120_000);

  it('sends 10 MiB to nc as super-segments that Linux takes, byte-exact', async () => {
    const data = randomBytes(10 * MiB);
    const before = peer.netif.stats().txFrames;
    await stack.listenTcpv4(9001, (flow) => pour(flow, data));
    const out = await sh('nc -d 10.0.0.2 9001 | sha256sum');
    expect(out.split(' ')[0]).toBe(sha256(data));
    expect(peer.netif.stats().txFrames - before).toBeLessThan(PLAIN_SEGMENTS / 2);
    // Linux found every checksum it filled in right: no TCP segment was discarded as bad.
    expect(await sh('nstat -az TcpInCsumErrors')).toMatch(/TcpInCsumErrors\s+0\b/);
  }, 120_000);
});
