import { ConduitDirect } from '@mirage-ts/conduit';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { RecordingConsole } from '@mirage-ts/socket-stack/testing';
import { DirectStackv4 } from '@mirage-ts/tcpip/stack';
import type { TcpFlow } from '@mirage-ts/tcpip/tcp/flow';
import type { Flow, HttpConnection, HttpServerSpec } from '@mirage-ts/types';
import { HttpServer } from './server';

/**
 * Clients that try to hurt the server, over our own stack on the memory
 * switch: many idle connections, slowloris, malformed requests, huge heads,
 * resets in the middle of a response. After each, the server still answers
 * others, and what it holds (connections, buffered bytes) returns to where it was.
 */
const CHUNK = 64 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const statuses = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));

/** Everything the server sends until it closes; then this side closes too. */
async function readAll(flow: Flow): Promise<string> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const r = await flow.read();
    if (!r.ok || r.value === 'eof') break;
    chunks.push(r.value);
  }
  await flow.close();
  return Buffer.concat(chunks).toString('latin1');
}

async function until(what: string, cond: () => boolean, ms: number, detail = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${detail()}`);
    await sleep(20);
  }
}

describe('HttpServer under abuse (direct stack, memory switch)', () => {
  let hub: MemorySwitch;
  let server: DirectStackv4;
  let client: DirectStackv4;
  let conduit: ConduitDirect;
  let served: Promise<unknown>;
  const closed: HttpConnection[] = [];
  /** Bytes the /stream producer has handed to the server so far. */
  let produced = 0;
  const dst = { kind: 'tcp' as const, address: '10.0.0.2', port: 80 };

  const spec: HttpServerSpec = {
    callback: async (_conn, req) => {
      if (req.path === '/hello') return { status: 200, body: 'hello\n' };
      if (req.path === '/stream')
        return {
          status: 200,
          body: (async function* () {
            for (let i = 0; i < 1600; i++) {
              produced += CHUNK; // 100 MiB if nobody stops it
              yield Buffer.alloc(CHUNK, 0x62);
            }
          })(),
        };
      return { status: 404, body: 'Not found\n' };
    },
    connClosed: (conn) => void closed.push(conn),
  };

  const connect = async () => {
    const c = await conduit.connect(dst);
    if (!c.ok) throw new Error(c.error.message);
    return c.value;
  };
  const exchange = async (raw: string) => {
    const flow = await connect();
    await flow.write(Buffer.from(raw, 'latin1'));
    return readAll(flow);
  };
  const hello = async () => statuses(await exchange('GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  const serverStats = () => JSON.stringify(server.tcpStats().byState);
  /** Connections the server still serves; TIME-WAIT is the closer's bookkeeping (RFC 9293), not a client's hold. */
  const serverConnections = () => {
    const stats = server.tcpStats();
    return stats.connections - (stats.byState['TIME-WAIT'] ?? 0);
  };

  beforeAll(async () => {
    hub = new MemorySwitch({ seed: 11 });
    server = await DirectStackv4.connect(new RecordingConsole(), hub.connect(), false, '10.0.0.2/24', '');
    client = await DirectStackv4.connect(new RecordingConsole(), hub.connect(), false, '10.0.0.3/24', '');
    const httpd = await HttpServer.connect(await ConduitDirect.connect(server, false), {
      headersTimeoutMs: 600,
      requestTimeoutMs: 1_200,
      keepAliveTimeoutMs: 500,
      checkIntervalMs: 100,
    });
    served = httpd.listen({ kind: 'tcp', port: 80 }, spec);
    conduit = await ConduitDirect.connect(client, false);
    expect(await hello()).toEqual([200]);
  });
  afterAll(async () => {
    await client.disconnect();
    await server.disconnect();
    expect(await served).toMatchObject({ ok: true });
    await hub.close();
  });

  it('holds 1000 idle connections, answers others meanwhile, and drops them all after the header time-out', async () => {
    await until('earlier connections to close', () => serverConnections() === 0, 5_000, serverStats);
    const closedBefore = closed.length;
    const heapBefore = process.memoryUsage().heapUsed;
    const idle: Flow[] = [];
    for (let batch = 0; batch < 10; batch++) idle.push(...(await Promise.all(Array.from({ length: 100 }, connect))));
    expect(serverConnections()).toBeGreaterThanOrEqual(1000);
    expect(await hello()).toEqual([200]);
    // What 1000 idle connections cost the whole process, stacks and HTTP parsers together.
    const perConnection = (process.memoryUsage().heapUsed - heapBefore) / 1000;
    expect(perConnection).toBeLessThan(64 * 1024);
    // They never sent a byte: each gets 408 and is closed; the server keeps nothing of them.
    const answers = await Promise.all(idle.map(readAll));
    expect(new Set(answers.map((a) => statuses(a).join()))).toEqual(new Set(['408']));
    await until('the server to forget them', () => serverConnections() === 0, 10_000, serverStats);
    expect(closed.length - closedBefore).toBeGreaterThanOrEqual(1000);
    expect(server.tcpStats().bufferedBytes).toBe(0);
  }, 30_000);

  it('drops a slowloris client that drips its headers, while serving another', async () => {
    const flow = await connect();
    const started = Date.now();
    await flow.write(Buffer.from('GET /hello HTTP/1.1\r\nHost: x\r\n'));
    let dripping = true;
    const drip = (async () => {
      for (let i = 0; dripping; i++) {
        const w = await flow.write(Buffer.from(`X-Drip-${i}: ${'z'.repeat(10)}\r\n`));
        if (!w.ok) return;
        await sleep(100);
      }
    })();
    const answer = readAll(flow);
    await sleep(200);
    expect(await hello()).toEqual([200]);
    expect(statuses(await answer)).toEqual([408]);
    // The header time-out counts from the first byte: dripping does not extend it.
    expect(Date.now() - started).toBeLessThan(2_500);
    dripping = false;
    await drip;
  }, 15_000);

  it('drops a client that drips its body, after the request time-out', async () => {
    const flow = await connect();
    const started = Date.now();
    await flow.write(Buffer.from('POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n'));
    let dripping = true;
    void (async () => {
      while (dripping && (await flow.write(Buffer.from('a'))).ok) await sleep(100);
    })();
    await readAll(flow);
    dripping = false;
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await hello()).toEqual([200]);
  }, 15_000);

  // What Node's parser (llhttp) answers, pinned so a change of parser or options shows.
  const malformed: [string, string, number][] = [
    ['no target', 'GET\r\n\r\n', 400],
    ['space in the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['binary junk', '\x00\x01\x02\x03\x04\r\n\r\n', 400],
    ['NUL in the target', 'GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['unknown version', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n', 400],
    ['lower-case method', 'get / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['header without a colon', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400],
    ['negative length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400],
    ['two lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400],
    [
      'chunked and a length (smuggling)',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
      400,
    ],
    ['bad chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
    ['20 KB header', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431],
    ['20 KB target', `GET /${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    // Node counts names and values: 10000 tiny headers are past the 16 KB limit.
    ['10000 headers', `GET / HTTP/1.1\r\nHost: x\r\n${'A: b\r\n'.repeat(10_000)}\r\n`, 431],
  ];

  it.each(malformed)('answers %s with its error status and closes, and keeps serving', async (_what, raw, status) => {
    expect(statuses(await exchange(raw))).toEqual([status]);
    expect(await hello()).toEqual([200]);
  });

  it('stops producing when a client stops reading, and drops everything when it resets mid-response', async () => {
    await until('earlier connections to close', () => serverConnections() === 0, 5_000, serverStats);
    const closedBefore = closed.length;
    produced = 0;
    const flow = await connect();
    await flow.write(Buffer.from('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n'));
    const first = await flow.read();
    expect(first.ok && first.value !== 'eof' && Buffer.from(first.value).toString('latin1')).toMatch(/^HTTP\/1\.1 200/);
    // The client reads nothing more: back-pressure holds the producer to a few windows' worth.
    await sleep(500);
    const stalled = produced;
    await sleep(500);
    expect(produced).toBe(stalled);
    expect(produced).toBeLessThan(8 * 1024 * 1024);
    expect(server.tcpStats().bufferedBytes).toBeLessThan(8 * 1024 * 1024);
    // Reset (RST) with the response half sent.
    (flow as TcpFlow).shut({ kind: 'closed', message: 'the test resets' });
    await until('the server to drop the connection', () => serverConnections() === 0, 5_000, serverStats);
    await until('connClosed', () => closed.length > closedBefore, 5_000);
    await sleep(300);
    expect(produced).toBeLessThan(8 * 1024 * 1024);
    expect(server.tcpStats().bufferedBytes).toBe(0);
    expect(await hello()).toEqual([200]);
  }, 15_000);
});
