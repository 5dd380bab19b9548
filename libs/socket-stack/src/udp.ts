import { err, ok, type Endpoint, type NetError, type Result, type UdpCallback, type Udpv4 } from '@mirage-ts/types';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { badPort, isPort, netErrorOf } from './errors';
import type { Resources } from './resources';

/** A bound UDP socket of the stack: a listener, or one opened to send from a chosen port. */
interface BoundUdp {
  readonly socket: dgram.Socket;
  readonly address: string;
}

/** Binds a dgram socket; every error after the bind is reported, never thrown. */
async function bindUdp(resources: Resources, address: string, port: number): Promise<Result<dgram.Socket, NetError>> {
  const what = port === 0 ? `UDP on ${address}` : `UDP port ${port} on ${address}`;
  const socket = dgram.createSocket({ type: 'udp4' });
  const bound = await new Promise<Result<void, NetError>>((resolve) => {
    socket.once('error', (e) => resolve(err(netErrorOf(e, { op: 'bind', what }))));
    socket.bind({ port, address, exclusive: true }, () => resolve(ok(undefined)));
  });
  if (!bound.ok) {
    socket.close();
    return bound;
  }
  socket.on('error', (e) => resources.report(`${what}: ${netErrorOf(e, { op: 'receive on', what }).message}`));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  resources.track({ closed, shut: () => (socket.close(), closed) });
  return ok(socket);
}

/**
 * UDP for one stack: listeners by port, and sending (MirageOS UDPV4.write).
 * A datagram sent from a port the stack listens on leaves through that
 * listener's socket, so a server's replies come from its own port.
 */
export class SocketUdpv4 implements Udpv4 {
  private readonly byPort = new Map<number, BoundUdp[]>();
  private ephemeral: Promise<Result<dgram.Socket, NetError>> | undefined;

  constructor(
    private readonly resources: Resources,
    private readonly addresses: readonly string[],
  ) {}

  async listen(port: number, callback: UdpCallback): Promise<Result<void, NetError>> {
    if (!isPort(port)) return err(badPort(port));
    if (this.byPort.has(port))
      return err({ kind: 'in-use', message: `UDP port ${port} is already in use by this stack` });
    const bound: BoundUdp[] = [];
    for (const address of this.addresses) {
      const r = await bindUdp(this.resources, address, port);
      if (!r.ok) {
        bound.forEach((b) => b.socket.close());
        return r;
      }
      const dst: Endpoint = { address, port };
      r.value.on('message', (data, from) => {
        const src: Endpoint = { address: from.address, port: from.port };
        this.resources.run(() => callback({ src, dst, data }), `UDP callback on port ${port}`);
      });
      bound.push({ socket: r.value, address });
    }
    this.byPort.set(port, bound);
    return ok(undefined);
  }

  async write(dst: Endpoint, data: Uint8Array, options: { srcPort?: number } = {}): Promise<Result<void, NetError>> {
    if (this.resources.disconnected) return err({ kind: 'disconnected', message: 'the stack is disconnected' });
    if (!isPort(dst.port)) return err(badPort(dst.port));
    if (!net.isIPv4(dst.address))
      return err({ kind: 'unreachable', message: `'${dst.address}' is not an IPv4 address` });
    const from = await this.socketFor(options.srcPort);
    if (!from.ok) return from;
    const what = `UDP ${dst.address}.${dst.port}`;
    return new Promise((resolve) => {
      try {
        from.value.send(data, dst.port, dst.address, (e) =>
          resolve(e ? err(netErrorOf(e, { op: 'send to', what })) : ok(undefined)),
        );
      } catch (e) {
        // dgram throws synchronously on a socket closed meanwhile.
        resolve(err(netErrorOf(e, { op: 'send to', what })));
      }
    });
  }

  private async socketFor(srcPort: number | undefined): Promise<Result<dgram.Socket, NetError>> {
    if (srcPort === undefined) {
      // One socket on an ephemeral port serves every send without a source port.
      this.ephemeral ??= bindUdp(this.resources, '0.0.0.0', 0);
      return this.ephemeral;
    }
    if (!isPort(srcPort)) return err(badPort(srcPort));
    const listeners = this.byPort.get(srcPort);
    if (listeners) return ok((listeners.find((l) => l.address === '0.0.0.0') ?? listeners[0]).socket);
    // A source port nobody listens on: bind it once and keep it for later sends.
    const r = await bindUdp(this.resources, '0.0.0.0', srcPort);
    if (r.ok) this.byPort.set(srcPort, [{ socket: r.value, address: '0.0.0.0' }]);
    return r;
  }
}
