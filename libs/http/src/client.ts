import {
  err,
  ok,
  type Conduit,
  type ConduitClient,
  type ConduitError,
  type Resolver,
  type ResolverError,
  type Result,
} from '@mirage-ts/types';
import * as http from 'node:http';
import { isIPv4 } from 'node:net';
import { duplexOf } from './duplex';

export type HttpClientError =
  | ResolverError
  | ConduitError
  /** A URI that is not http(s), or a peer that broke the protocol, went silent or sent too much. */
  | { readonly kind: 'http'; readonly message: string };

export interface HttpClientOptions {
  /** Time for the whole exchange once connected (ms). */
  readonly timeoutMs?: number;
  /** Largest response body kept (bytes). */
  readonly maxBodyBytes?: number;
}

export interface HttpClientResponse {
  readonly status: number;
  readonly statusMessage: string;
  readonly httpVersion: string;
  /** Header names and values as the server sent them, in its order. */
  readonly rawHeaders: readonly (readonly [string, string])[];
  /** How the body was framed (Cohttp's `encoding`): a content-length, chunks, or up to the close. */
  readonly encoding: { readonly kind: 'fixed'; readonly length: number } | { readonly kind: 'chunked' | 'unknown' };
  readonly body: Uint8Array;
}

const DEFAULTS = { timeoutMs: 10_000, maxBodyBytes: 16 * 1024 * 1024 } satisfies Required<HttpClientOptions>;

/**
 * Where a URI points (MirageOS `Resolver_lwt.resolve_uri`): its host through
 * the resolver unless it is an address already, its port or the scheme's.
 */
export async function resolveUri(resolver: Resolver, uri: string): Promise<Result<ConduitClient, HttpClientError>> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return err({ kind: 'http', message: `"${uri}" is not a URI: write it as http://host[:port]/path` });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return err({ kind: 'http', message: `${uri}: only http:// and https:// URIs are fetched` });
  const host = url.hostname;
  let address = host;
  if (!isIPv4(host)) {
    const r = await resolver.gethostbyname(host);
    if (!r.ok) return r;
    if (r.value.length === 0) return err({ kind: 'not-found', name: host, message: `${host} has no IPv4 address` });
    address = r.value[0];
  }
  const tls = url.protocol === 'https:';
  const port = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
  return ok(
    tls ? { kind: 'tls', address, port, servername: isIPv4(host) ? undefined : host } : { kind: 'tcp', address, port },
  );
}

/**
 * An HTTP/1.1 client over a resolver and a conduit (MirageOS
 * `Cohttp_mirage.Client` with `ctx resolver conduit`): Node's own http client
 * parses the response, over a flow of whichever stack the conduit runs on.
 * One connection per request, closed after it.
 */
export class HttpClient {
  private constructor(
    readonly resolver: Resolver,
    readonly conduit: Conduit,
    private readonly options: Required<HttpClientOptions>,
  ) {}

  static async connect(resolver: Resolver, conduit: Conduit, options: HttpClientOptions = {}): Promise<HttpClient> {
    return new HttpClient(resolver, conduit, { ...DEFAULTS, ...options });
  }

  get(
    uri: string,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<Result<HttpClientResponse, HttpClientError>> {
    return this.request('GET', uri, headers);
  }

  async request(
    method: string,
    uri: string,
    headers: Readonly<Record<string, string>> = {},
    body?: Uint8Array,
  ): Promise<Result<HttpClientResponse, HttpClientError>> {
    const endpoint = await resolveUri(this.resolver, uri);
    if (!endpoint.ok) return endpoint;
    const flow = await this.conduit.connect(endpoint.value);
    if (!flow.ok) return flow;
    const url = new URL(uri);
    const socket = duplexOf(flow.value);
    const { timeoutMs, maxBodyBytes } = this.options;
    return new Promise((resolve) => {
      const fail = (message: string) => {
        socket.destroy();
        resolve(err({ kind: 'http', message: `${method} ${uri}: ${message}` }));
      };
      const req = http.request({
        method,
        host: url.hostname,
        port: endpoint.value.port,
        // Without an agent Node knows no default port and would send `Host: name:80`.
        defaultPort: endpoint.value.kind === 'tls' ? 443 : 80,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers },
        // No agent (agent: false would make one, which ignores createConnection): the connection
        // is already made over the conduit and Node's client only speaks HTTP on it.
        createConnection: () => socket as never,
      });
      const timer = setTimeout(() => {
        req.destroy();
        fail(`no complete response within ${timeoutMs} ms`);
      }, timeoutMs);
      req.once('error', (e) => {
        clearTimeout(timer);
        fail(e.message);
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBodyBytes) {
            clearTimeout(timer);
            req.destroy();
            fail(`the body is larger than ${maxBodyBytes} bytes`);
          } else chunks.push(c);
        });
        res.once('error', (e) => {
          clearTimeout(timer);
          fail(e.message);
        });
        res.once('end', () => {
          clearTimeout(timer);
          socket.destroy();
          const rawHeaders: [string, string][] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
            rawHeaders.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
          const length = res.headers['content-length'];
          const chunked = /\bchunked\b/i.test(String(res.headers['transfer-encoding'] ?? ''));
          resolve(
            ok({
              status: res.statusCode ?? 0,
              statusMessage: res.statusMessage ?? '',
              httpVersion: res.httpVersion,
              rawHeaders,
              encoding: chunked
                ? { kind: 'chunked' }
                : length !== undefined
                  ? { kind: 'fixed', length: Number(length) }
                  : { kind: 'unknown' },
              body: Buffer.concat(chunks),
            }),
          );
        });
      });
      req.end(body);
    });
  }
}
