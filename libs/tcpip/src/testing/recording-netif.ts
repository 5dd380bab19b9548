import type { NetError, Network, NetworkStats, Result } from '@mirage-ts/types';

type FrameListener = Parameters<Network['listen']>[0];

/**
 * Wraps a Network (a port of the in-memory switch) so a spec can see the
 * frames the stack sent and hand the stack frames as if the link had
 * delivered them.
 */
export class RecordingNetif implements Network {
  /** Copies of the frames written while `keepSent` is on. */
  readonly sent: Uint8Array[] = [];
  keepSent = false;
  private onFrame: FrameListener | undefined;

  constructor(private readonly inner: Network) {}

  get mac(): string {
    return this.inner.mac;
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  write(frame: Uint8Array): Promise<Result<void, NetError>> {
    if (this.keepSent) this.sent.push(Uint8Array.from(frame));
    return this.inner.write(frame);
  }

  listen(onFrame: FrameListener): Promise<Result<void, NetError>> {
    this.onFrame = onFrame;
    return this.inner.listen(onFrame);
  }

  /** Delivers `frame` to the listener now, as the link would (`checksumVerified`: as an interface that vouches for it). */
  inject(frame: Uint8Array, checksumVerified = false): void {
    this.onFrame?.(frame, checksumVerified);
  }

  stats(): NetworkStats {
    return this.inner.stats();
  }

  disconnect(): Promise<void> {
    return this.inner.disconnect();
  }
}
