import type {
  Console,
  Ipv4Address,
  NetError,
  Result,
  Stackv4,
  TcpCallback,
  Tcpv4,
  UdpCallback,
  Udpv4,
} from '@mirage-ts/types';
import { err, ok } from '@mirage-ts/types';
import * as net from 'node:net';
import { Resources } from './resources';
import { listenTcp, SocketTcpv4 } from './tcp';
import { SocketUdpv4 } from './udp';

const DISCONNECTED: NetError = { kind: 'disconnected', message: 'the stack is disconnected' };

/**
 * Stackv4 over the host kernel's TCP/IP, through Node's `net` and `dgram`
 * (MirageOS's socket stack, `--net=socket`). Listeners bind every address
 * given at connect (0.0.0.0 by default: all of the host's).
 */
export class SocketStackv4 implements Stackv4 {
  private readonly resources: Resources;
  private readonly udp: SocketUdpv4;
  private readonly tcp: SocketTcpv4;
  private readonly stopped: Promise<void>;
  private stop!: () => void;
  private disconnecting: Promise<void> | undefined;

  private constructor(
    console: Console,
    private readonly addresses: readonly Ipv4Address[],
  ) {
    this.resources = new Resources(console);
    this.udp = new SocketUdpv4(this.resources, addresses);
    this.tcp = new SocketTcpv4(this.resources);
    this.stopped = new Promise((resolve) => (this.stop = resolve));
  }

  static async connect(console: Console, addresses: readonly Ipv4Address[] = ['0.0.0.0']): Promise<SocketStackv4> {
    const wrong = addresses.find((a) => !net.isIPv4(a));
    if (addresses.length === 0 || wrong !== undefined) {
      throw new Error(
        `the socket stack needs IPv4 addresses to listen on, such as 0.0.0.0${wrong === undefined ? '' : `; '${wrong}' is not one`}`,
      );
    }
    // The seed's socket stack says the same when it starts.
    await console.log('Manager: connect');
    await console.log('Manager: configuring');
    return new SocketStackv4(console, [...new Set(addresses)]);
  }

  async listenUdpv4(port: number, callback: UdpCallback): Promise<Result<void, NetError>> {
    if (this.resources.disconnected) return err(DISCONNECTED);
    return this.udp.listen(port, callback);
  }

  async listenTcpv4(port: number, callback: TcpCallback): Promise<Result<void, NetError>> {
    if (this.resources.disconnected) return err(DISCONNECTED);
    const listening: { shut(): Promise<void> }[] = [];
    for (const address of this.addresses) {
      const r = await listenTcp(this.resources, address, port, callback);
      if (!r.ok) {
        // All addresses or none: a half-listening port would be a surprise.
        await Promise.all(listening.map((l) => l.shut()));
        return r;
      }
      listening.push(r.value);
    }
    return ok(undefined);
  }

  udpv4(): Udpv4 {
    return this.udp;
  }

  tcpv4(): Tcpv4 {
    return this.tcp;
  }

  ipv4Addresses(): Ipv4Address[] {
    return [...this.addresses];
  }

  listen(): Promise<void> {
    return this.stopped;
  }

  /** Sockets, listeners and flows still open; 0 after `disconnect`. */
  get openSockets(): number {
    return this.resources.openCount;
  }

  disconnect(): Promise<void> {
    this.disconnecting ??= this.resources.closeAll().then(() => this.stop());
    return this.disconnecting;
  }
}
