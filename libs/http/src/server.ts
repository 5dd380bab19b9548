import {
  ok,
  type Conduit,
  type ConduitError,
  type ConduitServer,
  type Flow,
  type Http,
  type HttpConnection,
  type HttpRequest,
  type HttpResponse,
  type HttpServerSpec,
  type Result,
} from '@mirage-ts/types';
import * as http from 'node:http';
import { once } from 'node:events';
import { duplexOf } from './duplex';

export interface HttpServerOptions {
  /** Time to receive a request's headers (ms); Node answers 408 and closes after it. */
  readonly headersTimeoutMs?: number;
  /** Time to receive a whole request (ms). */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open (ms). */
  readonly keepAliveTimeoutMs?: number;
  /** Largest request head (bytes); larger gets 431. */
  readonly maxHeaderBytes?: number;
  /** Largest request body that `request.body()` reads (bytes). */
  readonly maxBodyBytes?: number;
  /** How often time-outs are checked (ms). */
  readonly checkIntervalMs?: number;
}

const DEFAULTS = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 1024 * 1024,
  checkIntervalMs: 1_000,
} satisfies Required<HttpServerOptions>;

async function readBody(req: http.IncomingMessage, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error(`request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function isIterable(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}

/** Writes a response; a producer waits while the client is slow ('drain'), and stops if it goes away. */
async function send(req: http.IncomingMessage, res: http.ServerResponse, response: HttpResponse): Promise<void> {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(response.headers ?? {}))
    headers[k.toLowerCase()] = v as string | number | string[];
  const body = response.body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    headers['content-length'] ??= bytes.length;
    res.writeHead(response.status, headers);
    res.end(bytes);
    return;
  }
  res.writeHead(response.status, headers);
  if (body === undefined || req.method === 'HEAD' || !isIterable(body)) {
    res.end();
    return;
  }
  for await (const chunk of body) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      const [event] = await Promise.race([
        once(res, 'drain').then(() => ['drain']),
        once(res, 'close').then(() => ['close']),
      ]);
      if (event === 'close') return;
    }
  }
  res.end();
}

/**
 * An HTTP/1.1 server over a conduit (MirageOS `http_server conduit`). The
 * parser, keep-alive, chunked encoding, HEAD and the 400/408/431 answers to
 * bad clients are Node's own `http` server, fed the conduit's flows as
 * streams (no hand-written parser).
 */
export class HttpServer implements Http {
  private nextId = 0;

  private constructor(
    readonly conduit: Conduit,
    private readonly options: Required<HttpServerOptions>,
  ) {}

  static async connect(conduit: Conduit, options: HttpServerOptions = {}): Promise<HttpServer> {
    return new HttpServer(conduit, { ...DEFAULTS, ...options });
  }

  /** A Node http.Server that serves `spec`, fed by `serve(server, flow)`, not bound to anything. */
  nodeServer(spec: HttpServerSpec): { server: http.Server; serve: (flow: Flow) => void } {
    const o = this.options;
    const connections = new WeakMap<object, HttpConnection>();
    const server = http.createServer(
      {
        headersTimeout: o.headersTimeoutMs,
        requestTimeout: o.requestTimeoutMs,
        keepAliveTimeout: o.keepAliveTimeoutMs,
        maxHeaderSize: o.maxHeaderBytes,
        connectionsCheckingInterval: o.checkIntervalMs,
      },
      (req, res) => {
        const conn = connections.get(req.socket) ?? {
          id: String(++this.nextId),
          remote: { address: req.socket.remoteAddress ?? '0.0.0.0', port: req.socket.remotePort ?? 0 },
        };
        const url = req.url ?? '/';
        const request: HttpRequest = {
          method: req.method ?? 'GET',
          url,
          path: url.split('?', 1)[0],
          httpVersion: req.httpVersion,
          headers: req.headers,
          remote: conn.remote,
          body: () => readBody(req, o.maxBodyBytes),
        };
        void (async () => {
          let response: HttpResponse;
          try {
            response = await spec.callback(conn, request);
          } catch {
            response = { status: 500, headers: { 'content-type': 'text/plain' }, body: 'Internal Server Error\n' };
          }
          if (res.destroyed) return;
          try {
            await send(req, res, response);
          } catch {
            res.destroy();
          }
        })();
      },
    );
    // Time-outs are only tracked for a server that has emitted 'listening'; this one binds nothing itself.
    server.emit('listening');
    const serve = (flow: Flow) => {
      const duplex = duplexOf(flow);
      const conn: HttpConnection = { id: String(++this.nextId), remote: flow.remote };
      connections.set(duplex, conn);
      duplex.once('close', () => {
        if (spec.connClosed) void Promise.resolve(spec.connClosed(conn)).catch(() => undefined);
      });
      server.emit('connection', duplex);
    };
    return { server, serve };
  }

  async listen(endpoint: ConduitServer, spec: HttpServerSpec): Promise<Result<void, ConduitError>> {
    const { server, serve } = this.nodeServer(spec);
    try {
      const r = await this.conduit.listen(endpoint, serve);
      if (!r.ok) return r;
      return ok(undefined);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  }
}
