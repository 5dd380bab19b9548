import type { ConduitError, ConduitServer } from './conduit';
import type { Endpoint } from './stack';
import type { Result } from './result';

/** One HTTP connection (Cohttp's `conn`): `id` is unique within the server. */
export interface HttpConnection {
  readonly id: string;
  readonly remote: Endpoint;
}

export interface HttpRequest {
  readonly method: string;
  /** The request target as sent, e.g. `/a%20b/index.html?x=1`. */
  readonly url: string;
  /** The target's path, still percent-encoded: `/a%20b/index.html`. */
  readonly path: string;
  readonly httpVersion: string;
  /** Header names in lower case; repeated headers (other than set-cookie) joined with `, `. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The peer's address (the TCP peer also over TLS). */
  readonly remote: Endpoint;
  /** The whole request body; fails when it exceeds the server's body limit. */
  body(): Promise<Uint8Array>;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number | readonly string[]>>;
  /**
   * A string or bytes (sent with a content-length), or chunks produced one by
   * one (sent chunked unless a content-length header is given); a slow client
   * slows the producer down. Not sent for HEAD requests.
   */
  readonly body?: string | Uint8Array | AsyncIterable<Uint8Array>;
}

export type HttpCallback = (conn: HttpConnection, request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/** What Cohttp's `S.make ~callback ~conn_closed ()` holds. */
export interface HttpServerSpec {
  readonly callback: HttpCallback;
  readonly connClosed?: (conn: HttpConnection) => void | Promise<void>;
}

/**
 * An HTTP/1.1 server over a conduit (MirageOS `http`: `http (`TCP 8080) spec`).
 * Keep-alive, chunked bodies, HEAD, malformed requests (400/431) and request
 * and header timeouts are handled by the server; the callback sees only
 * well-formed requests.
 */
export interface Http {
  /** Serves `spec` on `server` until the stack is disconnected; fails at once when it cannot listen. */
  listen(server: ConduitServer, spec: HttpServerSpec): Promise<Result<void, ConduitError>>;
}
