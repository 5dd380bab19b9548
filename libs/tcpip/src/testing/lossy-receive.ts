import type { Network, NetworkStats } from '@mirage-ts/types';

/**
 * A Network that loses a share of the TCP frames it receives, for tests
 * against Linux over a tap. Frames Linux sends cannot be dropped on its side
 * of the tap: a drop on its own egress hook is a local drop that Linux
 * resends at once (FACTS.md), so the stack would never see a hole. Dropping
 * them here, where they arrive, is what a lossy link does. Decisions come
 * from a seeded xorshift, so a run's pattern is the same for the same frames.
 */
export class LossyReceive implements Network {
  /** Share of received TCP frames lost, in percent (0 to 100). */
  percent = 0;
  private state: number;
  private lost = 0;

  constructor(
    private readonly inner: Network,
    seed = 0x9e3779b9,
  ) {
    this.state = seed >>> 0 || 1;
  }

  get mac(): Network['mac'] {
    return this.inner.mac;
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  /** Frames this wrapper lost. */
  get lostFrames(): number {
    return this.lost;
  }

  write(frame: Uint8Array): ReturnType<Network['write']> {
    return this.inner.write(frame);
  }

  listen(onFrame: Parameters<Network['listen']>[0]): ReturnType<Network['listen']> {
    return this.inner.listen((frame, checksumVerified) => {
      if (this.percent > 0 && isIpv4Tcp(frame) && this.next() * 100 < this.percent) {
        this.lost++;
        return;
      }
      onFrame(frame, checksumVerified);
    });
  }

  stats(): NetworkStats {
    return this.inner.stats();
  }

  disconnect(): Promise<void> {
    return this.inner.disconnect();
  }

  private next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x1_0000_0000;
  }
}

function isIpv4Tcp(frame: Uint8Array): boolean {
  return frame.length >= 34 && frame[12] === 0x08 && frame[13] === 0x00 && frame[23] === 6;
}
