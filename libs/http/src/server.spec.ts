import { ConduitDirect } from '@mirage-ts/conduit';
import { selfSignedPair, type SelfSignedPair } from '@mirage-ts/conduit/builder/self-signed';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { SocketStackv4 } from '@mirage-ts/socket-stack/stack';
import { freePort, RecordingConsole } from '@mirage-ts/socket-stack/testing';
import { DirectStackv4 } from '@mirage-ts/tcpip/stack';
import type { Flow, HttpConnection, HttpServerSpec, Stackv4 } from '@mirage-ts/types';
import * as http from 'node:http';
import * as net from 'node:net';
import { HttpServer } from './server';

/** Everything the peer sends until it closes, as text. */
async function readAll(flow: Flow): Promise<string> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const r = await flow.read();
    if (!r.ok || r.value === 'eof') break;
    chunks.push(r.value);
  }
  return Buffer.concat(chunks).toString('latin1');
}

/** Sends raw request bytes and returns what came back before the server closed. */
async function exchange(conduit: ConduitDirect, dst: { address: string; port: number }, raw: string, tls = false) {
  const c = await conduit.connect(tls ? { kind: 'tls', ...dst, insecure: true } : { kind: 'tcp', ...dst });
  if (!c.ok) throw new Error(c.error.message);
  await c.value.write(Buffer.from(raw, 'latin1'));
  return readAll(c.value);
}

const statuses = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));

function site(closed: HttpConnection[]): HttpServerSpec {
  return {
    callback: async (_conn, req) => {
      if (req.path === '/hello')
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello mirage world!\n' };
      if (req.path === '/peer') return { status: 200, body: `${req.remote.address}` };
      if (req.path === '/echo') return { status: 200, body: await req.body() };
      if (req.path === '/chunks')
        return {
          status: 200,
          body: (async function* () {
            for (let i = 0; i < 3; i++) yield Buffer.from(`part${i};`);
          })(),
        };
      if (req.path === '/big') return { status: 200, body: Buffer.alloc(2 * 1024 * 1024, 0x61) };
      if (req.path === '/throws') throw new Error('boom');
      return { status: 404, body: 'Not found\n' };
    },
    connClosed: (conn) => void closed.push(conn),
  };
}

describe('HttpServer over the direct stack (memory switch)', () => {
  let hub: MemorySwitch;
  let server: DirectStackv4;
  let client: DirectStackv4;
  let clientConduit: ConduitDirect;
  let pair: SelfSignedPair;
  const closed: HttpConnection[] = [];
  const served: Promise<unknown>[] = [];
  const dst = { address: '10.0.0.2', port: 80 };

  beforeAll(async () => {
    hub = new MemorySwitch({ seed: 7 });
    server = await DirectStackv4.connect(new RecordingConsole(), hub.connect(), false, '10.0.0.2/24', '');
    client = await DirectStackv4.connect(new RecordingConsole(), hub.connect(), false, '10.0.0.3/24', '');
    pair = await selfSignedPair({ ipAddresses: ['10.0.0.2'] });
    const conduit = await ConduitDirect.connect(server, true);
    const httpd = await HttpServer.connect(conduit, {
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
      checkIntervalMs: 100,
    });
    const listening = [
      httpd.listen({ kind: 'tcp', port: 80 }, site(closed)),
      httpd.listen({ kind: 'tls', port: 443, credentials: pair }, site(closed)),
    ];
    served.push(...listening);
    clientConduit = await ConduitDirect.connect(client, true);
  });
  afterAll(async () => {
    await client.disconnect();
    await server.disconnect();
    const results = await Promise.all(served);
    expect(results.every((r) => (r as { ok: boolean }).ok)).toBe(true);
    await hub.close();
  });

  it('answers a request, with a content length, and closes on Connection: close', async () => {
    const text = await exchange(clientConduit, dst, 'GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toMatch(/\r\ncontent-type: text\/plain\r\n/i);
    expect(text).toMatch(/\r\ncontent-length: 20\r\n/i);
    expect(text.endsWith('\r\n\r\nhello mirage world!\n')).toBe(true);
  });

  it('serves several requests on one connection (keep-alive, pipelined) and reports its close once', async () => {
    const before = closed.length;
    const text = await exchange(
      clientConduit,
      dst,
      'GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\nHEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(statuses(text)).toEqual([200, 404, 200]);
    // HEAD: the same headers, no body after them.
    expect(text.endsWith('content-length: 20\r\n\r\n') || /content-length: 20\r\n[^]*\r\n\r\n$/i.test(text)).toBe(true);
    expect(text.split('hello mirage world!').length - 1).toBe(1);
    for (let i = 0; i < 50 && closed.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed.length).toBe(before + 1);
    expect(closed[before].remote.address).toBe('10.0.0.3');
  });

  it('gives the peer address to the callback', async () => {
    const text = await exchange(clientConduit, dst, 'GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(text.endsWith('\r\n\r\n10.0.0.3')).toBe(true);
  });

  it('streams produced bodies chunked and reads chunked request bodies', async () => {
    const text = await exchange(clientConduit, dst, 'GET /chunks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/transfer-encoding: chunked/i);
    expect(text.endsWith('\r\n\r\n6\r\npart0;\r\n6\r\npart1;\r\n6\r\npart2;\r\n0\r\n\r\n')).toBe(true);
    const echo = await exchange(
      clientConduit,
      dst,
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    );
    expect(echo.endsWith('\r\ncontent-length: 5\r\n\r\nabcde') || /\r\n\r\nabcde$/.test(echo)).toBe(true);
  });

  it('answers malformed requests with 400 and oversized heads with 431, and a failing callback with 500', async () => {
    expect(statuses(await exchange(clientConduit, dst, 'GARBAGE\r\n\r\n'))).toEqual([400]);
    const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`;
    expect(statuses(await exchange(clientConduit, dst, big))).toEqual([431]);
    expect(
      statuses(await exchange(clientConduit, dst, 'GET /throws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')),
    ).toEqual([500]);
  });

  it('drops a client that never finishes its headers (408 after the header time-out)', async () => {
    const started = Date.now();
    const text = await exchange(clientConduit, dst, 'GET / HTTP/1.1\r\nHost: x\r\n');
    expect(statuses(text)).toEqual([408]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('sends a 2 MiB body intact to a reader (back-pressure through the flow)', async () => {
    const text = await exchange(clientConduit, dst, 'GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(body.length).toBe(2 * 1024 * 1024);
    expect(/^a+$/.test(body)).toBe(true);
  });

  it('serves HTTPS with the given certificate, and hands the TCP peer address through TLS', async () => {
    const text = await exchange(
      clientConduit,
      { address: '10.0.0.2', port: 443 },
      'GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      true,
    );
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text.endsWith('\r\n\r\n10.0.0.3')).toBe(true);
    // A client that checks the certificate against its own CA accepts it; one without the CA refuses it.
    const checked = await clientConduit.connect({ kind: 'tls', address: '10.0.0.2', port: 443, ca: pair.cert });
    expect(checked.ok).toBe(true);
    if (checked.ok) await checked.value.close();
    const refused = await clientConduit.connect({ kind: 'tls', address: '10.0.0.2', port: 443 });
    expect(refused.ok).toBe(false);
  });

  it('refuses TLS on a conduit made without it, and credentials that do not load', async () => {
    const plain = await ConduitDirect.connect(server, false);
    const r = await plain.listen({ kind: 'tls', port: 444, credentials: pair }, () => undefined);
    expect(r.ok || r.error.message).toMatch(/without TLS: use conduitDirect\(stack, \{ tls: true \}\)/);
    const tlsConduit = await ConduitDirect.connect(server, true);
    const bad = await tlsConduit.listen(
      { kind: 'tls', port: 445, credentials: { cert: 'nope', key: pair.key } },
      () => undefined,
    );
    expect(bad.ok || bad.error.message).toMatch(/port 445: the certificate and key do not load/);
  });
});

describe('HttpServer over the socket stack (loopback)', () => {
  let stack: Stackv4;
  let port: number;
  let served: Promise<unknown>;

  beforeAll(async () => {
    stack = await SocketStackv4.connect(new RecordingConsole(), ['127.0.0.1']);
    port = await freePort();
    const httpd = await HttpServer.connect(await ConduitDirect.connect(stack, true), { keepAliveTimeoutMs: 1_000 });
    served = httpd.listen({ kind: 'tcp', port }, site([]));
    // Wait for the bind.
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) =>
        net
          .connect(port, '127.0.0.1')
          .once('connect', function (this: net.Socket) {
            this.destroy();
            resolve(true);
          })
          .once('error', () => resolve(false)),
      );
      if (up) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  afterAll(async () => {
    await stack.disconnect();
    await served;
  });

  it("serves Node's own http client: GET, 404 and HEAD", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string, method = 'GET') =>
      new Promise<{ status: number; body: string; local: number }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path, method, agent }, (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, local: req.socket?.localPort ?? 0 }));
        });
        req.on('error', reject);
        req.end();
      });
    const a = await get('/hello');
    const b = await get('/missing');
    const c = await get('/hello', 'HEAD');
    expect([a.status, b.status, c.status]).toEqual([200, 404, 200]);
    expect(a.body).toBe('hello mirage world!\n');
    expect(c.body).toBe('');
    agent.destroy();
  });

  it('closes an idle kept-alive connection after the keep-alive time-out', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
    const started = Date.now();
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(statuses(text)).toEqual([200]);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
