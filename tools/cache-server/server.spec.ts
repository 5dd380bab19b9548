import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCacheServer, type CacheServer } from './server';

/** Nx's self-hosted remote cache API over a folder, on loopback. */
describe('cache server', () => {
  let root: string;
  let dir: string;
  let server: CacheServer;
  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-cache-server-'));
    dir = path.join(root, 'records');
    server = await startCacheServer({ dir, token: 'secret' });
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const call = (method: string, hash: string, body?: Uint8Array, token = 'secret') =>
    fetch(`${server.url}/v1/cache/${hash}`, {
      method,
      body,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });

  it('stores a record under its hash and returns it byte for byte', async () => {
    const record = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
    expect((await call('PUT', '12345', record)).status).toBe(200);
    const got = await call('GET', '12345');
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(record);
    expect(fs.readdirSync(dir)).toEqual(['12345']);
  });

  it('answers 404 for a hash it does not hold', async () => {
    expect((await call('GET', '999')).status).toBe(404);
  });

  it('refuses to overwrite a record (409) and keeps the first', async () => {
    await call('PUT', 'abc', new Uint8Array([1]));
    expect((await call('PUT', 'abc', new Uint8Array([2]))).status).toBe(409);
    expect(new Uint8Array(await (await call('GET', 'abc')).arrayBuffer())).toEqual(new Uint8Array([1]));
  });

  it('refuses requests without the token (401), writing nothing', async () => {
    expect((await call('PUT', 'abc', new Uint8Array([1]), 'wrong')).status).toBe(401);
    expect((await call('GET', 'abc', undefined, '')).status).toBe(401);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('serves only hashes, never another path', async () => {
    fs.writeFileSync(path.join(root, 'outside'), 'x');
    expect((await call('GET', '..%2Foutside')).status).toBe(404);
    expect((await call('GET', 'a.b')).status).toBe(404);
    expect((await fetch(`${server.url}/v1/other/1`, { headers: { Authorization: 'Bearer secret' } })).status).toBe(404);
    expect((await call('DELETE', 'abc')).status).toBe(405);
  });
});
