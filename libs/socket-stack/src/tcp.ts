import {
  err,
  ok,
  type Endpoint,
  type Flow,
  type NetError,
  type Result,
  type TcpCallback,
  type Tcpv4,
} from '@mirage-ts/types';
import * as net from 'node:net';
import { badPort, isPort, netErrorOf } from './errors';
import { SocketFlow } from './flow';
import type { Resources } from './resources';

/**
 * Accepts connections on one port of one address and hands each to the
 * unikernel's callback as a Flow.
 */
export async function listenTcp(
  resources: Resources,
  address: string,
  port: number,
  callback: TcpCallback,
): Promise<Result<{ shut(): Promise<void> }, NetError>> {
  if (!isPort(port)) return err(badPort(port));
  const what = `TCP port ${port} on ${address}`;
  // allowHalfOpen: a peer that shuts down its sending side (nc -N) can still
  // be answered; the flow is closed when the unikernel closes it.
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const flow = new SocketFlow(socket);
    resources.track(flow);
    if (resources.disconnected) return;
    resources.run(
      () => callback(flow),
      `TCP callback on port ${port}`,
      () => flow.close(),
    );
  });
  const bound = await new Promise<Result<void, NetError>>((resolve) => {
    server.once('error', (e) => resolve(err(netErrorOf(e, { op: 'bind', what }))));
    server.listen({ port, host: address, backlog: 511 }, () => resolve(ok(undefined)));
  });
  if (!bound.ok) return bound;
  // After the bind, errors come from accept (e.g. too many open files): the
  // listener keeps going, and the unikernel hears about it on the console.
  server.on('error', (e) => resources.report(`${what}: ${netErrorOf(e, { op: 'accept on', what }).message}`));
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const listener = {
    closed,
    shut: () => {
      server.close();
      return closed;
    },
  };
  resources.track(listener);
  return ok(listener);
}

/** Outgoing connections (MirageOS `TCPV4.create_connection`). */
export class SocketTcpv4 implements Tcpv4 {
  constructor(private readonly resources: Resources) {}

  connect(dst: Endpoint): Promise<Result<Flow, NetError>> {
    const what = `TCP ${dst.address}.${dst.port}`;
    if (this.resources.disconnected)
      return Promise.resolve(err({ kind: 'disconnected', message: 'the stack is disconnected' }));
    if (!isPort(dst.port)) return Promise.resolve(err(badPort(dst.port)));
    if (!net.isIPv4(dst.address))
      return Promise.resolve(err({ kind: 'unreachable', message: `'${dst.address}' is not an IPv4 address` }));
    return new Promise((resolve) => {
      const socket = net.connect({ host: dst.address, port: dst.port, allowHalfOpen: true, noDelay: true });
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      const untrack = this.resources.track({ closed, shut: () => (socket.destroy(), closed) });
      const failed = (e: Error) => resolve(err(netErrorOf(e, { op: 'connect to', what })));
      socket.once('error', failed);
      socket.once('close', () => resolve(err({ kind: 'disconnected', message: 'the stack is disconnected' })));
      socket.once('connect', () => {
        socket.off('error', failed);
        untrack();
        const flow = new SocketFlow(socket, what);
        this.resources.track(flow);
        resolve(ok(flow));
      });
    });
  }
}
