import { ConduitDirect } from '@mirage-ts/conduit';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { SocketStackv4 } from '@mirage-ts/socket-stack/stack';
import { RecordingConsole } from '@mirage-ts/socket-stack/testing';
import { DirectStackv4 } from '@mirage-ts/tcpip/stack';
import { err, ok, type Resolver } from '@mirage-ts/types';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient, resolveUri } from './client';
import { HttpServer } from './server';

/** A resolver that knows a fixed table and counts its questions. */
function tableResolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async gethostbyname(name) {
      asked.push(name);
      const a = table[name];
      return a ? ok(a) : err({ kind: 'not-found', name, message: `${name}: no such name` });
    },
    async disconnect() {},
  };
}

describe('resolveUri', () => {
  const resolver = tableResolver({ 'www.test': ['10.1.2.3'], 'empty.test': [] });
  it.each([
    ['http://www.test/x', { kind: 'tcp', address: '10.1.2.3', port: 80 }],
    ['http://www.test:8080/', { kind: 'tcp', address: '10.1.2.3', port: 8080 }],
    ['https://www.test/', { kind: 'tls', address: '10.1.2.3', port: 443, servername: 'www.test' }],
    ['http://192.0.2.7:81/', { kind: 'tcp', address: '192.0.2.7', port: 81 }],
  ])('%s', async (uri, endpoint) => {
    expect(await resolveUri(resolver, uri)).toEqual(ok(endpoint));
  });
  it('asks the resolver only for names, and says what is wrong with a URI', async () => {
    resolver.asked.length = 0;
    await resolveUri(resolver, 'http://192.0.2.7/');
    expect(resolver.asked).toEqual([]);
    expect(await resolveUri(resolver, 'ftp://www.test/')).toMatchObject({
      ok: false,
      error: { kind: 'http', message: 'ftp://www.test/: only http:// and https:// URIs are fetched' },
    });
    expect(await resolveUri(resolver, 'www.test')).toMatchObject({ ok: false, error: { kind: 'http' } });
    expect(await resolveUri(resolver, 'http://nowhere.test/')).toMatchObject({
      ok: false,
      error: { kind: 'not-found' },
    });
    expect(await resolveUri(resolver, 'http://empty.test/')).toMatchObject({ ok: false, error: { kind: 'not-found' } });
  });
});

describe('HttpClient over the direct stack (memory switch) against HttpServer', () => {
  let hub: MemorySwitch;
  let server: DirectStackv4;
  let client: DirectStackv4;
  let served: Promise<unknown>;
  let fetcher: HttpClient;

  beforeAll(async () => {
    hub = new MemorySwitch({ seed: 3 });
    server = await DirectStackv4.connect(new RecordingConsole(), hub.connect(), false, '10.0.0.2/24', '');
    client = await DirectStackv4.connect(new RecordingConsole(), hub.connect(), false, '10.0.0.3/24', '');
    const httpd = await HttpServer.connect(await ConduitDirect.connect(server, false));
    served = httpd.listen(
      { kind: 'tcp', port: 80 },
      {
        callback: async (_c, req) => {
          if (req.path === '/hello')
            return { status: 200, headers: { 'X-Seen-Host': String(req.headers.host) }, body: 'hello\n' };
          if (req.path === '/chunks')
            return {
              status: 200,
              body: (async function* () {
                for (let i = 0; i < 3; i++) yield Buffer.from(`part${i};`);
              })(),
            };
          if (req.path === '/big') return { status: 200, body: Buffer.alloc(300_000, 0x62) };
          return { status: 404, body: 'Not found\n' };
        },
      },
    );
    fetcher = await HttpClient.connect(
      tableResolver({ 'www.test': ['10.0.0.2'] }),
      await ConduitDirect.connect(client, false),
      { maxBodyBytes: 200_000 },
    );
  });
  afterAll(async () => {
    await client.disconnect();
    await server.disconnect();
    expect(await served).toEqual(ok(undefined));
    await hub.close();
  });

  it('fetches a page by name, with its headers in order, a content length and the Host header sent', async () => {
    const r = await fetcher.get('http://www.test/hello');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.status).toBe(200);
    expect(r.value.statusMessage).toBe('OK');
    expect(r.value.httpVersion).toBe('1.1');
    expect(Buffer.from(r.value.body).toString()).toBe('hello\n');
    expect(r.value.encoding).toEqual({ kind: 'fixed', length: 6 });
    expect(r.value.rawHeaders).toContainEqual(['x-seen-host', 'www.test']);
  });

  it('reads chunked bodies and 404s', async () => {
    const c = await fetcher.get('http://www.test/chunks');
    expect(c.ok && [c.value.encoding, Buffer.from(c.value.body).toString()]).toEqual([
      { kind: 'chunked' },
      'part0;part1;part2;',
    ]);
    const n = await fetcher.get('http://10.0.0.2/nothing');
    expect(n.ok && [n.value.status, n.value.statusMessage]).toEqual([404, 'Not Found']);
  });

  it('refuses a body over its limit, and names an unreachable server', async () => {
    expect(await fetcher.get('http://www.test/big')).toMatchObject({
      ok: false,
      error: { kind: 'http', message: 'GET http://www.test/big: the body is larger than 200000 bytes' },
    });
    expect(await fetcher.get('http://10.0.0.2:81/')).toMatchObject({ ok: false });
  });
});

describe('HttpClient over the socket stack against a Node http server on loopback', () => {
  it('fetches with the host stack the same way', async () => {
    const node = http.createServer((req, res) => res.end(`${req.method} ${req.url}`));
    await new Promise<void>((r) => node.listen(0, '127.0.0.1', r));
    const stack = await SocketStackv4.connect(new RecordingConsole(), ['127.0.0.1']);
    try {
      const fetcher = await HttpClient.connect(tableResolver({}), await ConduitDirect.connect(stack, false));
      const r = await fetcher.get(`http://127.0.0.1:${(node.address() as AddressInfo).port}/a?b=c`);
      expect(r.ok && Buffer.from(r.value.body).toString()).toBe('GET /a?b=c');
    } finally {
      await stack.disconnect();
      node.close();
    }
  });
});
