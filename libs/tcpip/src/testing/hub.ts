import { ok, type NetError, type Network, type NetworkStats, type Result } from '@mirage-ts/types';

/**
 * A minimal Ethernet hub for the stack's own specs: every frame goes to every
 * other port, a copy each, on a later turn of the event loop (like a real
 * link). The in-memory switch of @mirage-ts/netif is the full-featured one.
 */
export class Hub {
  private readonly ports: HubPort[] = [];

  connect(mac: string, mtu = 1500): HubPort {
    const port = new HubPort(this, mac, mtu);
    this.ports.push(port);
    return port;
  }

  deliver(from: HubPort, frame: Uint8Array): void {
    for (const p of this.ports) if (p !== from) p.receive(Uint8Array.from(frame));
  }

  remove(port: HubPort): void {
    this.ports.splice(this.ports.indexOf(port), 1);
  }
}

export class HubPort implements Network {
  private onFrame: ((frame: Uint8Array) => void) | undefined;
  private closed: (() => void) | undefined;
  private rx = 0;
  private tx = 0;
  /** Every frame this port sent, for specs that look at the wire. */
  readonly sent: Uint8Array[] = [];
  keepSent = false;

  constructor(
    private readonly hub: Hub,
    readonly mac: string,
    readonly mtu: number,
  ) {}

  async write(frame: Uint8Array): Promise<Result<void, NetError>> {
    if (frame.length > this.mtu + 14) return { ok: false, error: { kind: 'too-big', message: `frame of ${frame.length} bytes` } };
    this.tx++;
    if (this.keepSent) this.sent.push(Uint8Array.from(frame));
    const copy = Uint8Array.from(frame);
    setImmediate(() => this.hub.deliver(this, copy));
    return ok(undefined);
  }

  receive(frame: Uint8Array): void {
    this.rx++;
    this.onFrame?.(frame);
  }

  /** Puts a frame on this port's receive side, as if the link had carried it. */
  inject(frame: Uint8Array): void {
    this.receive(frame);
  }

  listen(onFrame: (frame: Uint8Array) => void): Promise<Result<void, NetError>> {
    this.onFrame = onFrame;
    return new Promise((resolve) => (this.closed = () => resolve(ok(undefined))));
  }

  stats(): NetworkStats {
    return { rxFrames: this.rx, rxBytes: 0, txFrames: this.tx, txBytes: 0, dropped: 0 };
  }

  async disconnect(): Promise<void> {
    this.hub.remove(this);
    this.onFrame = undefined;
    this.closed?.();
  }
}
