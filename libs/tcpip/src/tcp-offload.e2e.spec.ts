import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import type { TapNetif } from '@mirage-ts/netif/tap';
import type { Network } from '@mirage-ts/types';
import type { DirectStackv4 } from './stack';
import { drain, pour, sha256, until } from './testing/flows';
import { linuxOnTap, type LinuxOnTap } from './testing/linux-on-tap';
import type { TapPeer } from './testing/tap-peer';
import { checksum, pseudoHeaderSum } from './wire/checksum';

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

/** True unless `frame` is an IPv4 TCP segment whose checksum does not add up. */
function ipv4TcpChecksumOk(frame: Uint8Array): boolean {
  if (frame.length < 34 || frame[12] !== 0x08 || frame[13] !== 0 || frame[23] !== 6) return true;
  const ip = 14;
  const headerLength = (frame[ip] & 0x0f) * 4;
  const total = (frame[ip + 2] << 8) | frame[ip + 3];
  const word = (i: number) => ((frame[i] << 24) | (frame[i + 1] << 16) | (frame[i + 2] << 8) | frame[i + 3]) >>> 0;
  const length = total - headerLength;
  return checksum(frame, ip + headerLength, length, pseudoHeaderSum(word(ip + 12), word(ip + 16), 6, length)) === 0;
}

maybe('the direct stack over a tap with segmentation offloads', () => {
  let linux: LinuxOnTap;
  let peer: TapPeer;
  let stack: DirectStackv4;
  let dir: string;
  /** Frames the tap delivered with the kernel's word that their checksum is good (DATA_VALID or NEEDS_CSUM). */
  let vouched = 0;
  /** Of those, IPv4 TCP frames whose checksum is nevertheless wrong (the addon completes NEEDS_CSUM ones). */
  let vouchedButWrong = 0;

  beforeAll(async () => {
    linux = await linuxOnTap('tcp-offload-', { offloads: true, network: countVouched });
    ({ peer, stack, dir } = linux);
  });
  afterAll(() => linux?.close());

  const sh = (command: string, timeoutMs?: number) => linux.sh(command, timeoutMs);

  /** The tap, with its listener counting the frames it marks as checksum-verified. */
  function countVouched(tap: TapNetif): Network {
    return new Proxy(tap, {
      get(target, key) {
        if (key === 'listen')
          return (onFrame: Parameters<Network['listen']>[0]) =>
            target.listen((frame, checksumVerified) => {
              if (checksumVerified) {
                vouched++;
                if (!ipv4TcpChecksumOk(frame)) vouchedButWrong++;
              }
              onFrame(frame, checksumVerified);
            });
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it('has the offloads on, and Linux sees the tap as able to take TSO', async () => {
    expect(peer.netif.segmentOffload).toBe(65535);
    expect(await sh(`ethtool -k ${peer.tap}`)).toMatch(/tcp-segmentation-offload: on/);
  });

  it('receives 10 MiB from nc in segments longer than the MTU, byte-exact', async () => {
    const data = randomBytes(10 * MiB);
    const file = path.join(dir, 'in.bin');
    fs.writeFileSync(file, data);
    const before = peer.netif.stats().rxFrames;
    const vouchedBefore = vouched;
    let received: Promise<{ bytes: number; sha256: string }> | undefined;
    await stack.listenTcpv4(9000, (flow) => void (received = drain(flow).finally(() => flow.close())));
    await sh(`nc -N 10.0.0.2 9000 < ${file}`);
    await until('the upload', () => received !== undefined);
    expect(await received).toEqual({ bytes: data.length, sha256: sha256(data) });
    // Segments that Linux did not cut: at least twice as much per frame as an MTU carries.
    expect(peer.netif.stats().rxFrames - before).toBeLessThan(PLAIN_SEGMENTS / 2);
    expect(stack.drops()['tcp.bad-checksum'] ?? 0).toBe(0);
    // Linux made these frames itself and says so (NEEDS_CSUM): the stack did not sum them again,
    // and the checksums the addon completed for it are right all the same.
    expect(vouched - vouchedBefore).toBeGreaterThan((peer.netif.stats().rxFrames - before) / 2);
    expect(vouchedButWrong).toBe(0);
  }, 120_000);

  it('sends 10 MiB to nc as super-segments that Linux takes, byte-exact', async () => {
    const data = randomBytes(10 * MiB);
    const before = peer.netif.stats().txFrames;
    await stack.listenTcpv4(9001, (flow) => pour(flow, data));
    const out = await sh('nc -d 10.0.0.2 9001 | sha256sum');
    expect(out.split(' ')[0]).toBe(sha256(data));
    const frames = peer.netif.stats().txFrames - before;
    expect(frames).toBeLessThan(PLAIN_SEGMENTS / 2);
    // Mostly whole super-segments (45 segments of 1448 bytes): the tail each 64 KiB write leaves past
    // them, and the bits single ACKs let go, wait for more data instead of costing a write each.
    expect(frames).toBeLessThan(1.3 * Math.ceil((10 * MiB) / (45 * 1448)));
    // Linux found every checksum it filled in right: no TCP segment was discarded as bad.
    expect(await sh('nstat -az TcpInCsumErrors')).toMatch(/TcpInCsumErrors\s+0\b/);
  }, 120_000);
});

maybe('the direct stack over a tap opened as a unikernel opens it (no offloads option)', () => {
  let linux: LinuxOnTap;
  beforeAll(async () => {
    linux = await linuxOnTap('tcp-offload-default-', { offloads: 'default' });
  });
  afterAll(() => linux?.close());

  it('takes the offloads itself, and receives and sends 10 MiB byte-exact in super-segments', async () => {
    const { peer, stack, dir } = linux;
    expect(peer.netif.segmentOffload).toBe(65535);
    expect(await linux.sh(`ethtool -k ${peer.tap}`)).toMatch(/tcp-segmentation-offload: on/);

    const data = randomBytes(10 * MiB);
    const file = path.join(dir, 'in.bin');
    fs.writeFileSync(file, data);
    const rxBefore = peer.netif.stats().rxFrames;
    let received: Promise<{ bytes: number; sha256: string }> | undefined;
    await stack.listenTcpv4(9000, (flow) => void (received = drain(flow).finally(() => flow.close())));
    await linux.sh(`nc -N 10.0.0.2 9000 < ${file}`);
    await until('the upload', () => received !== undefined);
    expect(await received).toEqual({ bytes: data.length, sha256: sha256(data) });
    expect(peer.netif.stats().rxFrames - rxBefore).toBeLessThan(PLAIN_SEGMENTS / 2);

    const txBefore = peer.netif.stats().txFrames;
    await stack.listenTcpv4(9001, (flow) => pour(flow, data));
    expect((await linux.sh('nc -d 10.0.0.2 9001 | sha256sum')).split(' ')[0]).toBe(sha256(data));
    expect(peer.netif.stats().txFrames - txBefore).toBeLessThan(PLAIN_SEGMENTS / 2);
  }, 120_000);
});
