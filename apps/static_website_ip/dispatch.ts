import { KeyGen } from '@mirage-ts/mirage/key-gen';
import type { Console, Http, HttpRequest, HttpResponse, KvRo } from '@mirage-ts/types';
import { contentType } from 'mime-types';

/** Longest request path looked up; longer ones are refused before decoding. */
const MAX_PATH = 1024;

const notFound: HttpResponse = { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not found\n' };
const badRequest: HttpResponse = { status: 400, headers: { 'content-type': 'text/plain' }, body: 'Bad request\n' };

/**
 * The store key a request path names, or null when the path could leave the
 * store: `..`/`.` segments (also percent-encoded), encoded slashes,
 * backslashes, NUL and other control bytes, or malformed escapes.
 */
export function keyOfPath(path: string): string | null {
  if (path.length > MAX_PATH || !path.startsWith('/')) return null;
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg === '.' || seg === '..' || /[/\\\x00-\x1f\x7f]/.test(seg)) return null;
    segments.push(seg);
  }
  return segments.join('/');
}

/** Serves htdocs/ from a key/value store: index.html for folders, 404 for anything else. */
export async function serveStatic(fs: KvRo, req: HttpRequest): Promise<HttpResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, headers: { allow: 'GET, HEAD' } };
  let key = keyOfPath(req.path);
  if (key === null) return badRequest;
  const kind = await fs.exists(key);
  if (!kind.ok) return kind.error.kind === 'invalid-key' ? badRequest : notFound;
  if (kind.value === 'dictionary') key = key === '' ? 'index.html' : `${key}/index.html`;
  else if (kind.value === null) return notFound;
  const body = await fs.get(key);
  if (!body.ok) return notFound;
  return {
    status: 200,
    headers: { 'content-type': contentType(key.split('/').pop() ?? '') || 'application/octet-stream' },
    body: body.value,
  };
}

export class Main {
  async start(c: Console, fs: KvRo, http: Http): Promise<void> {
    // The seed logs the address it took from the kernel command line.
    await c.log(`ip=${KeyGen.string('ip')} netmask=${KeyGen.string('netmask')} gateway=${KeyGen.string('gateway')}`);
    const port = KeyGen.int('port');
    const r = await http.listen(
      { kind: 'tcp', port },
      {
        callback: async (_conn, req) => {
          await c.log(`Got request for ${req.path}`);
          return serveStatic(fs, req);
        },
        connClosed: (conn) => c.log(`conn ${conn.id} closed`),
      },
    );
    if (!r.ok) throw new Error(`${r.error.message} (--port=N)`);
  }
}
