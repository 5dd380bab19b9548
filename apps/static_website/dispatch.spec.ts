import { DirectKvRo } from '@mirage-ts/kv/direct';
import type { HttpRequest, HttpResponse } from '@mirage-ts/types';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keyOfPath, serveStatic } from './dispatch';

/**
 * The request-path catalogue against the store that could reach outside if
 * anything let it (the host directory): every path that names something
 * beyond htdocs/ gets 400 or 404, and the secret beside htdocs/ never comes back.
 */
describe('static_website request paths', () => {
  let base: string;
  let kv: DirectKvRo;
  const SECRET = 'the secret beside htdocs';

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'www-paths-'));
    fs.mkdirSync(path.join(base, 'htdocs/docs'), { recursive: true });
    fs.writeFileSync(path.join(base, 'htdocs/index.html'), '<h1>home</h1>');
    fs.writeFileSync(path.join(base, 'htdocs/docs/index.html'), '<h1>docs</h1>');
    fs.writeFileSync(path.join(base, 'htdocs/a b.txt'), 'spaced');
    fs.writeFileSync(path.join(base, 'secret'), SECRET);
    fs.symlinkSync('../secret', path.join(base, 'htdocs/link'));
    kv = await DirectKvRo.connect(path.join(base, 'htdocs'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  const get = (p: string, method = 'GET'): Promise<HttpResponse> =>
    serveStatic(kv, { method, url: p, path: p.split('?', 1)[0], httpVersion: '1.1', headers: {} } as HttpRequest);
  const text = (r: HttpResponse) => Buffer.from((r.body as Uint8Array | string | undefined) ?? '').toString();

  it('serves files, index.html for folders, decoded names, and 404 for what is not there', async () => {
    expect(text(await get('/'))).toBe('<h1>home</h1>');
    expect(text(await get('/docs'))).toBe('<h1>docs</h1>');
    expect(text(await get('/docs/'))).toBe('<h1>docs</h1>');
    expect(text(await get('/a%20b.txt'))).toBe('spaced');
    expect(text(await get('/index.html?x=../../secret'))).toBe('<h1>home</h1>');
    expect((await get('/nothing')).status).toBe(404);
    expect((await get('/', 'POST')).status).toBe(405);
  });

  const catalogue: [string, 400 | 404][] = [
    ['/../secret', 400],
    ['/docs/../../secret', 400],
    ['/./index.html', 400],
    ['/%2e%2e/secret', 400],
    ['/%2E%2E/secret', 400],
    ['/.%2e/secret', 400],
    ['/%2e%2e%2fsecret', 400],
    ['/..%2fsecret', 400],
    ['/docs%2f..%2f..%2fsecret', 400],
    ['/%252e%252e/secret', 400],
    ['/%c0%ae%c0%ae/secret', 400],
    ['/%e0%80%ae%e0%80%ae/secret', 400],
    ['/..\\secret', 400],
    ['/..%5csecret', 400],
    ['/docs\\..\\..\\secret', 400],
    ['/index.html%00.png', 400],
    ['/index.html\0', 400],
    ['/%0d%0aSet-Cookie:x', 400],
    ['/%', 400],
    ['/%zz', 400],
    ['//etc/passwd', 404],
    ['/etc/passwd', 404],
    [`${os.tmpdir()}/secret`, 404],
    ['secret', 400],
    ['http://x/../secret', 400],
    ['*', 400],
    ['/link', 400],
    [`/${'x'.repeat(300)}`, 400],
    [`/${'a/'.repeat(600)}`, 400],
    [`/${'..%2f'.repeat(200)}secret`, 400],
  ];

  it.each(catalogue)('%j gets %i and never the secret', async (p, status) => {
    const r = await get(p);
    expect(r.status).toBe(status);
    expect(text(r)).not.toContain(SECRET);
  });

  it('keyOfPath turns only clean paths into keys', () => {
    expect(keyOfPath('/docs/index.html')).toBe('docs/index.html');
    expect(keyOfPath('/a%20b.txt')).toBe('a b.txt');
    expect(keyOfPath('/')).toBe('');
    for (const [p] of catalogue) expect(keyOfPath(p) ?? '').not.toMatch(/\.\.|^\/|\\|\0/);
  });
});
