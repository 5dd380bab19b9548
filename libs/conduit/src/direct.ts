import {
  err,
  ok,
  type Conduit,
  type ConduitCallback,
  type ConduitClient,
  type ConduitError,
  type ConduitServer,
  type Flow,
  type Result,
  type Stackv4,
  type TlsCredentials,
} from '@mirage-ts/types';
import * as tls from 'node:tls';
import { DuplexFlow } from './duplex-flow';
import { FlowDuplex } from './flow-duplex';

export interface ConduitOptions {
  /** How long a TLS handshake may take before the connection is dropped (ms). */
  readonly handshakeTimeoutMs?: number;
}

const DEFAULT_HANDSHAKE_MS = 10_000;

const toBuffer = (v: string | Uint8Array) => (typeof v === 'string' ? v : Buffer.from(v));

/** Loads PEM credentials, or says what is wrong with them. */
export function secureContextOf(credentials: TlsCredentials, port: number): Result<tls.SecureContext, ConduitError> {
  try {
    return ok(
      tls.createSecureContext({
        cert: toBuffer(credentials.cert),
        key: toBuffer(credentials.key),
        minVersion: 'TLSv1.2',
      }),
    );
  } catch (e) {
    return err({
      kind: 'tls',
      message: `TLS on port ${port}: the certificate and key do not load (${(e as Error).message}): give a PEM certificate chain and its PEM private key`,
    });
  }
}

/**
 * Connections over any Stackv4, plain TCP or TLS (MirageOS
 * `conduit_direct ~tls stack`). TLS is Node's (OpenSSL, TLS 1.2 and 1.3)
 * over a Duplex made from the stack's flow, so it works on our own TCP/IP
 * as on the host's.
 */
export class ConduitDirect implements Conduit {
  private constructor(
    readonly stack: Stackv4,
    readonly tls: boolean,
    private readonly options: ConduitOptions,
  ) {}

  static async connect(stack: Stackv4, tls: boolean, options: ConduitOptions = {}): Promise<ConduitDirect> {
    return new ConduitDirect(stack, tls, options);
  }

  private noTls(port: number): Result<never, ConduitError> {
    return err({
      kind: 'tls',
      message: `TLS on port ${port}: this conduit was made without TLS: use conduitDirect(stack, { tls: true }) in config.ts`,
    });
  }

  /** Binds the port only; `listen` also serves until the stack stops. */
  async bind(server: ConduitServer, callback: ConduitCallback): Promise<Result<void, ConduitError>> {
    if (server.kind === 'tcp') return this.stack.listenTcpv4(server.port, callback);
    if (!this.tls) return this.noTls(server.port);
    const context = secureContextOf(server.credentials, server.port);
    if (!context.ok) return context;
    return this.stack.listenTcpv4(server.port, async (flow) => {
      const secured = await this.acceptTls(flow, context.value);
      if (secured) await callback(secured);
    });
  }

  async listen(server: ConduitServer, callback: ConduitCallback): Promise<Result<void, ConduitError>> {
    const bound = await this.bind(server, callback);
    if (!bound.ok) return bound;
    await this.stack.listen();
    return ok(undefined);
  }

  /** The TLS server side of `flow`, after a completed handshake; undefined (and the flow closed) when it fails. */
  private acceptTls(flow: Flow, secureContext: tls.SecureContext): Promise<DuplexFlow | undefined> {
    const socket = new tls.TLSSocket(new FlowDuplex(flow), {
      isServer: true,
      secureContext,
      // Never h2: the http server behind speaks HTTP/1.1 only.
      ALPNProtocols: ['http/1.1'],
    });
    return new Promise((resolve) => {
      const fail = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(undefined);
      };
      const timer = setTimeout(fail, this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_MS);
      socket.once('error', fail);
      socket.once('close', fail);
      socket.once('secure', () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        socket.removeListener('close', fail);
        resolve(new DuplexFlow(socket, flow.local, flow.remote));
      });
    });
  }

  async connect(client: ConduitClient): Promise<Result<Flow, ConduitError>> {
    const tcp = await this.stack.tcpv4().connect({ address: client.address, port: client.port });
    if (!tcp.ok || client.kind === 'tcp') return tcp;
    if (!this.tls) {
      await tcp.value.close();
      return this.noTls(client.port);
    }
    const flow = tcp.value;
    const socket = tls.connect({
      socket: new FlowDuplex(flow),
      servername: client.servername,
      ca: client.ca === undefined ? undefined : toBuffer(client.ca),
      rejectUnauthorized: !client.insecure,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
    });
    return new Promise((resolve) => {
      const name = `TLS to ${client.address}.${client.port}`;
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(
          err({
            kind: 'timeout',
            message: `${name}: no handshake within ${this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_MS} ms`,
          }),
        );
      }, this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_MS);
      socket.once('error', (e) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(err({ kind: 'tls', message: `${name}: ${e.message}` }));
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(ok(new DuplexFlow(socket, flow.local, flow.remote, name)));
      });
    });
  }
}
