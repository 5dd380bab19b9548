/**
 * A self-hosted Nx remote cache: the HTTP API that Nx (>= 20.8) speaks when
 * NX_SELF_HOSTED_REMOTE_CACHE_SERVER is set (PUT and GET /v1/cache/{hash},
 * tar archives as octet streams), over a plain folder. A shared folder or a
 * small machine then serves a whole team and its CI. Written here because
 * @nx/shared-fs-cache needs an activation key and nothing this small is
 * published; Node's http is all it needs.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface CacheServerOptions {
  /** Folder holding one file per task hash (created if missing). */
  readonly dir: string;
  readonly port?: number;
  readonly host?: string;
  /** When set, requests must carry `Authorization: Bearer <token>` (NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN). */
  readonly token?: string;
  /** One line per request, for the server's log. */
  readonly log?: (line: string) => void;
}

export interface CacheServer {
  readonly url: string;
  close(): Promise<void>;
}

// Nx's hashes are decimal or hex digits; anything else could name a path outside the folder.
const ROUTE = /^\/v1\/cache\/([A-Za-z0-9]{1,128})$/;

export async function startCacheServer(options: CacheServerOptions): Promise<CacheServer> {
  fs.mkdirSync(options.dir, { recursive: true });
  const log = options.log ?? (() => undefined);
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      log(`${req.method} ${req.url} failed: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const reply = (status: number, text?: string) => {
      log(`${req.method} ${req.url} ${status}`);
      res.writeHead(status, text ? { 'Content-Type': 'text/plain' } : {});
      res.end(text);
      // Whatever the client still sends is of no use.
      req.resume();
    };
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return reply(401, 'Unauthorized');
    const m = ROUTE.exec(req.url ?? '');
    if (!m) return reply(404, 'Not found');
    const file = path.join(options.dir, m[1]);

    if (req.method === 'GET') {
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (!stat) return reply(404, 'The record was not found');
      log(`GET ${req.url} 200`);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': stat.size });
      await pipeline(fs.createReadStream(file), res);
      return;
    }
    if (req.method === 'PUT') {
      // A record is immutable: the same hash means the same outputs.
      if (fs.existsSync(file)) return reply(409, 'Cannot override an existing record');
      // Written aside, then renamed: a reader never sees half a record, and two writers do not mix.
      const partial = `${file}.${process.pid}.${Date.now()}.partial`;
      try {
        await pipeline(req, fs.createWriteStream(partial));
        fs.renameSync(partial, file);
      } finally {
        fs.rmSync(partial, { force: true });
      }
      return reply(200);
    }
    return reply(405, 'Method not allowed');
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
