import type { Flow } from './stack';
import type { NetError } from './network';
import type { Result } from './result';

/** A certificate chain and its private key, PEM text (as read from a kv_ro store: `tls/server.pem`, `tls/server.key`). */
export interface TlsCredentials {
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
}

/**
 * Where a conduit listens (MirageOS `` `TCP 80 `` and `` `TLS (config, `TCP 443) ``):
 * plain TCP, or TLS (1.2 and 1.3) on top of TCP with the server's certificate.
 */
export type ConduitServer =
  | { readonly kind: 'tcp'; readonly port: number }
  | { readonly kind: 'tls'; readonly port: number; readonly credentials: TlsCredentials };

/**
 * Where a conduit connects. For TLS the peer's certificate is checked against
 * `ca` (PEM) or, when absent, the host's trusted roots, and against `servername`.
 */
export type ConduitClient =
  | { readonly kind: 'tcp'; readonly address: string; readonly port: number }
  | {
      readonly kind: 'tls';
      readonly address: string;
      readonly port: number;
      readonly servername?: string;
      readonly ca?: string | Uint8Array;
      /** Accept any certificate (as `curl -k`); for tests against self-signed servers. */
      readonly insecure?: boolean;
    };

export type ConduitError =
  | NetError
  /** A TLS endpoint on a conduit made without `{ tls: true }`, or credentials that do not load. */
  | { readonly kind: 'tls'; readonly message: string };

/** Called with every accepted connection; TLS flows arrive after the handshake. */
export type ConduitCallback = (flow: Flow) => void | Promise<void>;

/**
 * Connections over a stack, plain or TLS (MirageOS Conduit_mirage.S). Flows
 * are the stack's own `Flow` type whatever the transport, so a protocol
 * written over a Flow runs over TLS unchanged.
 */
export interface Conduit {
  /**
   * Binds `server` and serves it until the stack is disconnected; resolves
   * then. Fails at once (with the port named) when it cannot bind.
   */
  listen(server: ConduitServer, callback: ConduitCallback): Promise<Result<void, ConduitError>>;
  connect(client: ConduitClient): Promise<Result<Flow, ConduitError>>;
}
