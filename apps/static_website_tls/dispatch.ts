import { KeyGen } from '@mirage-ts/mirage/key-gen';
import type { Console, Http, HttpRequest, HttpResponse, KvRo } from '@mirage-ts/types';
import { contentType } from 'mime-types';

const notFound: HttpResponse = { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not found\n' };

/** The store key a request path names, or null when the path could leave the store. */
function keyOfPath(path: string): string | null {
  if (path.length > 1024) return null;
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

async function serve(fs: KvRo, req: HttpRequest): Promise<HttpResponse> {
  let key = keyOfPath(req.path);
  if (key === null) return { status: 400, body: 'Bad request\n' };
  const kind = await fs.exists(key);
  if (!kind.ok || kind.value === null) return notFound;
  if (kind.value === 'dictionary') key = key === '' ? 'index.html' : `${key}/index.html`;
  const body = await fs.get(key);
  if (!body.ok) return notFound;
  // A browser never guesses SVG (nor CSS in strict mode) from the bytes: the type must be sent.
  const type = contentType(key.split('/').pop() ?? '') || 'application/octet-stream';
  return { status: 200, headers: { 'content-type': type }, body: body.value };
}

async function text(store: KvRo, key: string): Promise<string> {
  const r = await store.get(key);
  if (!r.ok) throw new Error(`cannot read ${key} from the secrets store: ${r.error.message}`);
  return Buffer.from(r.value).toString('utf8');
}

/** The site over HTTPS; the certificate and key come from a key/value store, as MirageOS's tls/server.pem. */
export class Main {
  async start(c: Console, fs: KvRo, secrets: KvRo, http: Http): Promise<void> {
    const credentials = { cert: await text(secrets, 'tls/server.pem'), key: await text(secrets, 'tls/server.key') };
    const port = KeyGen.int('port');
    const r = await http.listen(
      { kind: 'tls', port, credentials },
      { callback: (_conn, req) => serve(fs, req), connClosed: (conn) => c.log(`conn ${conn.id} closed`) },
    );
    if (!r.ok) throw new Error(`${r.error.message} (--port=N)`);
  }
}
