import type { Datagram, Flow } from '@mirage-ts/types';
import { createHash, randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { SocketStackv4 } from './stack';
import { echo, echoClient, freePort, kernelConnections, openFds, RecordingConsole } from './testing';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const waitFor = async (what: string, test: () => boolean, timeoutMs = 10_000) => {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SocketStackv4', () => {
  let console: RecordingConsole;
  let stack: SocketStackv4;
  beforeEach(async () => {
    console = new RecordingConsole();
    stack = await SocketStackv4.connect(console, ['127.0.0.1']);
  });
  afterEach(() => stack.disconnect());

  it('says what the seed says when it connects, and reports its addresses', async () => {
    expect(console.lines).toEqual(['Manager: connect', 'Manager: configuring']);
    expect(stack.ipv4Addresses()).toEqual(['127.0.0.1']);
    const any = await SocketStackv4.connect(console);
    expect(any.ipv4Addresses()).toEqual(['0.0.0.0']);
    await any.disconnect();
  });

  it('refuses to connect with an address that is not IPv4', async () => {
    await expect(SocketStackv4.connect(console, ['10.0.0.300'])).rejects.toThrow("'10.0.0.300' is not one");
  });

  it('delivers UDP datagrams with their source and the listening address, and replies from the listening port', async () => {
    const port = await freePort();
    const got: Datagram[] = [];
    const listening = await stack.listenUdpv4(port, async (d) => {
      got.push(d);
      await stack.udpv4().write(d.src, Buffer.from(`re: ${Buffer.from(d.data).toString()}`), { srcPort: port });
    });
    expect(listening).toEqual({ ok: true, value: undefined });

    const client = dgram.createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    const clientPort = client.address().port;
    const reply = new Promise<[Buffer, dgram.RemoteInfo]>((r) => client.once('message', (m, info) => r([m, info])));
    client.send('hello udp world', port, '127.0.0.1');
    const [message, from] = await reply;
    client.close();

    expect(got).toHaveLength(1);
    expect(got[0].src).toEqual({ address: '127.0.0.1', port: clientPort });
    expect(got[0].dst).toEqual({ address: '127.0.0.1', port });
    expect(Buffer.from(got[0].data).toString()).toBe('hello udp world');
    expect(message.toString()).toBe('re: hello udp world');
    expect(from.port).toBe(port);
  });

  it('sends UDP from an ephemeral port, and refuses a datagram too big for IPv4', async () => {
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const arrived = new Promise<[Buffer, dgram.RemoteInfo]>((r) => peer.once('message', (m, info) => r([m, info])));
    const sent = await stack.udpv4().write({ address: '127.0.0.1', port: peer.address().port }, Buffer.from('ping'));
    expect(sent.ok).toBe(true);
    const [m, info] = await arrived;
    expect(m.toString()).toBe('ping');
    expect(info.port).toBeGreaterThan(0);

    const tooBig = await stack.udpv4().write({ address: '127.0.0.1', port: peer.address().port }, Buffer.alloc(70_000));
    expect(tooBig.ok ? undefined : tooBig.error.kind).toBe('too-big');
    peer.close();
  });

  it(`echoes for ${200} concurrent TCP clients without losing a byte, and leaves no socket open`, async () => {
    const port = await freePort();
    const fdsBefore = openFds();
    expect((await stack.listenTcpv4(port, echo)).ok).toBe(true);

    const payloads = Array.from({ length: 200 }, (_, i) => randomBytes(16_384 + i * 997));
    const echoed = await Promise.all(payloads.map((p) => echoClient(port, p)));
    echoed.forEach((e, i) => {
      expect(e.length).toBe(payloads[i].length);
      expect(sha(e)).toBe(sha(payloads[i]));
    });

    // Every flow is closed on both sides: the kernel holds nothing but the listener.
    await waitFor('flows to close', () => kernelConnections(port).length === 0);
    expect(stack.openSockets).toBe(1);
    await stack.disconnect();
    expect(stack.openSockets).toBe(0);
    expect(openFds()).toBeLessThanOrEqual(fdsBefore);
    // The port is free again.
    const again = net.createServer();
    await new Promise<void>((resolve, reject) =>
      again.once('error', reject).listen(port, '127.0.0.1', () => resolve()),
    );
    await new Promise((r) => again.close(r));
  });

  it('gives a clear in-use error for a TCP or UDP port another program holds, and keeps working', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const tcpPort = (holder.address() as net.AddressInfo).port;
    const tcp = await stack.listenTcpv4(tcpPort, echo);
    expect(tcp).toEqual({
      ok: false,
      error: {
        kind: 'in-use',
        message: `TCP port ${tcpPort} on 127.0.0.1 is already in use: stop the program that holds it, or choose another port`,
      },
    });
    holder.close();

    const udpHolder = dgram.createSocket('udp4');
    await new Promise<void>((r) => udpHolder.bind(0, '127.0.0.1', () => r()));
    const udpPort = udpHolder.address().port;
    const udp = await stack.listenUdpv4(udpPort, () => undefined);
    expect(udp.ok ? undefined : udp.error).toEqual({
      kind: 'in-use',
      message: `UDP port ${udpPort} on 127.0.0.1 is already in use: stop the program that holds it, or choose another port`,
    });
    udpHolder.close();

    // Nothing was left half-open, and the stack still listens elsewhere.
    expect(stack.openSockets).toBe(0);
    const port = await freePort();
    expect((await stack.listenTcpv4(port, echo)).ok).toBe(true);
    expect((await echoClient(port, Buffer.from('still here'))).toString()).toBe('still here');
  });

  it('refuses a port outside 1..65535 and a second listener on the same port', async () => {
    const bad = await stack.listenTcpv4(70_000, echo);
    expect(bad.ok ? undefined : bad.error.message).toBe('70000 is not a port number: use 1 to 65535');
    const port = await freePort();
    expect((await stack.listenUdpv4(port, () => undefined)).ok).toBe(true);
    const twice = await stack.listenUdpv4(port, () => undefined);
    expect(twice.ok ? undefined : twice.error.kind).toBe('in-use');
  });

  it('survives a client that resets the connection while the unikernel writes to it', async () => {
    const port = await freePort();
    const outcome: { written: number; result?: string } = { written: 0 };
    await stack.listenTcpv4(port, async (flow) => {
      const chunk = Buffer.alloc(256 * 1024, 0x61);
      for (;;) {
        const w = await flow.write(chunk);
        if (!w.ok) {
          outcome.result = w.error.kind;
          break;
        }
        outcome.written += chunk.length;
      }
      // Reads and a second close after the failure are values too, never throws.
      const r = await flow.read();
      expect(r.ok ? r.value : r.error.kind).toMatch(/eof|disconnected/);
      await flow.close();
      await flow.close();
    });

    const client = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((r) => client.once('data', () => r()));
    client.resetAndDestroy();
    await waitFor('the write to fail', () => outcome.result !== undefined);
    expect(outcome.result).toMatch(/^(disconnected|closed)$/);
    expect(outcome.written).toBeGreaterThan(0);

    // The stack is unharmed: another listener serves as before.
    const port2 = await freePort();
    await stack.listenTcpv4(port2, echo);
    expect((await echoClient(port2, Buffer.from('after the reset'))).toString()).toBe('after the reset');
    await waitFor('the reset flow to be released', () => kernelConnections(port).length === 0);
  });

  it('survives a client that resets while sending, and reports the read failure as a value', async () => {
    const port = await freePort();
    const reads: string[] = [];
    await stack.listenTcpv4(port, async (flow) => {
      for (;;) {
        const r = await flow.read();
        if (!r.ok) {
          reads.push(r.error.kind);
          break;
        }
        if (r.value === 'eof') {
          reads.push('eof');
          break;
        }
      }
      await flow.close();
    });
    const client = net.connect({ port, host: '127.0.0.1' }, () => {
      client.write(Buffer.alloc(1 << 20));
      client.resetAndDestroy();
    });
    client.on('error', () => undefined);
    await waitFor('the read to end', () => reads.length === 1);
    expect(reads[0]).toMatch(/^(disconnected|eof)$/);
    expect((await stack.tcpv4().connect({ address: '127.0.0.1', port })).ok).toBe(true);
  });

  it('makes a writer wait for a peer that does not read (back-pressure), then delivers everything', async () => {
    const port = await freePort();
    const chunk = randomBytes(64 * 1024);
    const total = 2000; // 128 MB if nothing held the writer back
    let written = 0;
    let finished = false;
    await stack.listenTcpv4(port, async (flow) => {
      for (let i = 0; i < total; i++) {
        if (!(await flow.write(chunk)).ok) return;
        written++;
      }
      finished = true;
      await flow.close();
    });
    const client = net.connect({ port, host: '127.0.0.1' });
    client.pause();
    await new Promise((r) => client.once('connect', r));
    // The writer stops once the kernel's buffers are full, well short of the whole stream.
    let seen = -1;
    await waitFor('the writer to stall', () => {
      const stalled = written === seen && written > 0;
      seen = written;
      return stalled;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(written).toBe(seen);
    expect(written).toBeLessThan(total / 4);
    expect(finished).toBe(false);

    let received = 0;
    let intact = true;
    client.on('data', (c: Buffer) => {
      for (let off = 0; off < c.length;) {
        const at = received % chunk.length;
        const n = Math.min(c.length - off, chunk.length - at);
        if (!c.subarray(off, off + n).equals(chunk.subarray(at, at + n))) intact = false;
        off += n;
        received += n;
      }
    });
    const ended = new Promise((r) => client.once('end', r));
    client.resume();
    await ended;
    expect(finished).toBe(true);
    expect(received).toBe(total * chunk.length);
    expect(intact).toBe(true);
    client.destroy();
  });

  it('reports a callback that throws on the console, closes its flow, and goes on serving', async () => {
    const port = await freePort();
    let calls = 0;
    await stack.listenTcpv4(port, async (flow: Flow) => {
      calls++;
      if (calls === 1) throw new Error('unikernel bug');
      await echo(flow);
    });
    const first = await echoClient(port, Buffer.from('lost'));
    expect(first.length).toBe(0);
    expect(console.lines).toContain(`TCP callback on port ${port} failed: unikernel bug`);
    expect((await echoClient(port, Buffer.from('kept'))).toString()).toBe('kept');

    const udpPort = await freePort();
    await stack.listenUdpv4(udpPort, () => {
      throw new Error('bad datagram handler');
    });
    const c = dgram.createSocket('udp4');
    c.send('x', udpPort, '127.0.0.1', () => c.close());
    await waitFor('the UDP failure report', () =>
      console.lines.includes(`UDP callback on port ${udpPort} failed: bad datagram handler`),
    );
  });

  it('connects out, reads end-of-stream, refuses writes after close, and reports a refused connection', async () => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('data', (d: Buffer) => s.end(Buffer.concat([Buffer.from('got '), d])));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;

    const c = await stack.tcpv4().connect({ address: '127.0.0.1', port });
    if (!c.ok) throw new Error(c.error.message);
    const flow = c.value;
    expect(flow.remote).toEqual({ address: '127.0.0.1', port });
    expect((await flow.writev([Buffer.from('a'), Buffer.from('b')])).ok).toBe(true);
    const r = await flow.read();
    expect(r.ok && r.value !== 'eof' ? Buffer.from(r.value).toString() : r).toBe('got ab');
    expect(await flow.read()).toEqual({ ok: true, value: 'eof' });
    await flow.close();
    const after = await flow.write(Buffer.from('late'));
    expect(after.ok ? undefined : after.error.kind).toBe('closed');
    server.close();

    const closedPort = await freePort();
    const refused = await stack.tcpv4().connect({ address: '127.0.0.1', port: closedPort });
    expect(refused.ok ? undefined : refused.error).toEqual({
      kind: 'refused',
      message: `TCP 127.0.0.1.${closedPort} refused the connection`,
    });
  });

  it('disconnect ends listen(), frees every port, and turns later calls into errors', async () => {
    const port = await freePort();
    await stack.listenTcpv4(port, echo);
    await stack.listenUdpv4(port, () => undefined);
    const open = await stack.tcpv4().connect({ address: '127.0.0.1', port });
    expect(open.ok).toBe(true);
    let listening = true;
    const served = stack.listen().then(() => (listening = false));
    await stack.disconnect();
    await served;
    expect(listening).toBe(false);
    expect(stack.openSockets).toBe(0);
    expect(kernelConnections(port)).toEqual([]);
    const late = await stack.listenTcpv4(port, echo);
    expect(late.ok ? undefined : late.error.kind).toBe('disconnected');
    const send = await stack.udpv4().write({ address: '127.0.0.1', port }, Buffer.from('x'));
    expect(send.ok ? undefined : send.error.kind).toBe('disconnected');
  });
});
