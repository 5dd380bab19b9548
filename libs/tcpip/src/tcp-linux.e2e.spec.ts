import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import type { Flow } from '@mirage-ts/types';
import type { DirectStackv4 } from './stack';
import { drain, echo, pour, sha256, until } from './testing/flows';
import { linuxOnTap, type LinuxOnTap } from './testing/linux-on-tap';
import type { RecordingConsole } from './testing/recording-console';
import type { TapPeer } from './testing/tap-peer';

/**
 * TCP against the Linux kernel on a tap in a namespace made here: nc, Python
 * sockets and the kernel's own TCP are the peers, in both roles.
 */
const maybe = canManageNetwork() ? describe : describe.skip;
const MiB = 1 << 20;

maybe('the direct stack talking TCP with Linux on a tap', () => {
  let linux: LinuxOnTap;
  let peer: TapPeer;
  let stack: DirectStackv4;
  let console: RecordingConsole;
  let dir: string;

  beforeAll(async () => {
    linux = await linuxOnTap('tcp-linux-');
    ({ peer, stack, console, dir } = linux);
  });
  afterAll(() => linux?.close());

  /** Runs a shell command in the namespace; fails the test with its output when it fails. */
  const sh = (command: string, timeoutMs?: number) => linux.sh(command, timeoutMs);
  const py = (script: string, ...args: string[]) => peer.inNs(['python3', '-c', script, ...args], 120_000);

  it("prints the seed's lines for `echo -n hello tcp world | nc -nw1 10.0.0.2 8080`", async () => {
    await stack.listenTcpv4(8080, async (flow) => {
      await console.log(`TCP ${flow.remote.address}.${flow.remote.port} > _.8080`);
      const r = await flow.read();
      if (r.ok && r.value !== 'eof') await console.log(`read: ${r.value.length} "${Buffer.from(r.value).toString()}"`);
      await flow.close();
    });
    const r = await peer.inNs(['sh', '-c', 'echo -n hello tcp world | nc -nw1 10.0.0.2 8080']);
    expect(r.status).toBe(0);
    await console.waitFor(/^TCP 10\.0\.0\.1\.\d+ > _\.8080$/);
    await console.waitFor('read: 15 "hello tcp world"');
    // The stack closed first: it holds TIME-WAIT, Linux holds nothing.
    await until('TIME-WAIT', () => stack.tcpStats().byState['TIME-WAIT'] === 1);
    expect((await sh("ss -Htan '( dport = :8080 )'")).trim()).toBe('');
  });

  it('negotiates window scaling, timestamps and SACK with Linux (tcpdump, ss -ti)', async () => {
    let flow: Flow | undefined;
    await stack.listenTcpv4(8081, (f) => void (flow = f));
    const capture = peer.inNs(
      ['tcpdump', '-c', '2', '-nvi', peer.tap, 'tcp port 8081 and tcp[tcpflags] & tcp-syn != 0'],
      30_000,
    );
    await new Promise((r) => setTimeout(r, 700)); // tcpdump needs a moment to open the tap
    const client = peer.inNs([
      'python3',
      '-c',
      "import socket,time; s=socket.create_connection(('10.0.0.2',8081)); time.sleep(2); s.close()",
    ]);
    try {
      await until('the connection', () => flow !== undefined, 20_000);
      const info = await sh("ss -Htin '( dport = :8081 )'");
      // Linux's view: our shift is 3 (a 256 KiB window); its MSS toward us is 1460 less the 12 bytes of timestamps.
      expect(info).toMatch(/wscale:3,\d+/);
      expect(info).toMatch(/\bmss:1448\b/);
      const wire = (await capture).stdout;
      const synAck = wire.split('\n').find((l) => l.includes('10.0.0.2.8081 > 10.0.0.1')) ?? wire;
      expect(synAck).toMatch(/Flags \[S\.\]/);
      // Linux offers SACK in its SYN; the stack answers with SACK-permitted.
      const syn = wire.split('\n').find((l) => l.includes('10.0.0.1.') && l.includes('> 10.0.0.2.8081')) ?? wire;
      expect(syn).toMatch(/Flags \[S\],.*sackOK/);
      expect(synAck).toMatch(/options \[mss 1460,sackOK,TS val \d+ ecr \d+,wscale 3,eol\]/);
    } finally {
      await client;
      await flow?.close();
    }
  }, 60_000);

  it('receives 16 MiB from nc and sends 16 MiB to nc, checksums equal', async () => {
    const data = randomBytes(16 * MiB);
    const file = path.join(dir, 'in.bin');
    fs.writeFileSync(file, data);
    let received: Promise<{ bytes: number; sha256: string }> | undefined;
    await stack.listenTcpv4(9000, (flow) => void (received = drain(flow).finally(() => flow.close())));
    await sh(`nc -N 10.0.0.2 9000 < ${file}`);
    await until('the upload', () => received !== undefined);
    expect(await received).toEqual({ bytes: data.length, sha256: sha256(data) });

    await stack.listenTcpv4(9001, (flow) => pour(flow, data));
    const out = await sh('nc -d 10.0.0.2 9001 | sha256sum');
    expect(out.split(' ')[0]).toBe(sha256(data));
  }, 120_000);

  it('moves 8 MiB both ways at once with a Python peer, checksums equal', async () => {
    const up = randomBytes(8 * MiB);
    const down = randomBytes(8 * MiB);
    fs.writeFileSync(path.join(dir, 'up.bin'), up);
    let got: Promise<{ bytes: number; sha256: string }> | undefined;
    await stack.listenTcpv4(9002, (flow) => {
      got = Promise.all([drain(flow), pour(flow, down, { close: false })]).then(async ([r]) => {
        await flow.close();
        return r;
      });
    });
    const script = `
import hashlib, socket, sys, threading
s = socket.create_connection(('10.0.0.2', 9002))
data = open(sys.argv[1], 'rb').read()
h = hashlib.sha256(); n = 0
def send():
    s.sendall(data); s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send); t.start()
while True:
    b = s.recv(1 << 20)
    if not b: break
    h.update(b); n += len(b)
t.join(); s.close()
print(n, h.hexdigest())`;
    const r = await py(script, path.join(dir, 'up.bin'));
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`${down.length} ${sha256(down)}`);
    expect(await got).toEqual({ bytes: up.length, sha256: sha256(up) });
  }, 120_000);

  it('connects out to a Linux listener, both ways (nc -l)', async () => {
    const data = randomBytes(4 * MiB);
    const sink = peer.inNs(['sh', '-c', 'nc -lN 10.0.0.1 7000 | sha256sum'], 60_000);
    const connect = async (port: number) => {
      for (;;) {
        const c = await stack.tcpv4().connect({ address: '10.0.0.1', port });
        if (c.ok) return c.value;
        if (c.error.kind !== 'refused') throw new Error(c.error.message);
        await new Promise((r) => setTimeout(r, 50)); // nc is not listening yet
      }
    };
    const flow = await connect(7000);
    expect(flow.remote).toEqual({ address: '10.0.0.1', port: 7000 });
    expect(flow.local.address).toBe('10.0.0.2');
    expect(flow.local.port).toBeGreaterThanOrEqual(49152);
    await pour(flow, data);
    expect((await sink).stdout.split(' ')[0]).toBe(sha256(data));

    const file = path.join(dir, 'out.bin');
    fs.writeFileSync(file, data);
    const source = peer.inNs(['sh', '-c', `nc -lN 10.0.0.1 7001 < ${file}`], 60_000);
    const back = await connect(7001);
    expect(await drain(back)).toEqual({ bytes: data.length, sha256: sha256(data) });
    await back.close();
    expect((await source).status).toBe(0);
  }, 120_000);

  it('is refused by a Linux port nobody listens on', async () => {
    expect(await stack.tcpv4().connect({ address: '10.0.0.1', port: 7999 })).toEqual({
      ok: false,
      error: { kind: 'refused', message: 'TCP 10.0.0.1.7999 refused the connection' },
    });
  });

  it('serves 200 concurrent Linux connections, each echoed intact', async () => {
    await stack.listenTcpv4(7, echo);
    const script = `
import os, socket, hashlib
from concurrent.futures import ThreadPoolExecutor
def one(i):
    data = os.urandom(20000 + i * 97)
    s = socket.create_connection(('10.0.0.2', 7))
    s.sendall(data); got = b''
    while len(got) < len(data):
        b = s.recv(65536)
        if not b: break
        got += b
    s.close()
    return got == data
with ThreadPoolExecutor(200) as ex:
    print(sum(ex.map(one, range(200))))`;
    const r = await py(script);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('200');
    await until(
      'the connections to end',
      () => !stack.tcpStats().byState.ESTABLISHED && !stack.tcpStats().byState['LAST-ACK'],
      20_000,
    );
  }, 120_000);

  it('sees Linux reset a connection in the middle of a transfer', async () => {
    let outcome: Promise<{ write: string; read: string }> | undefined;
    await stack.listenTcpv4(9003, (flow) => {
      outcome = (async () => {
        const chunk = randomBytes(64 * 1024);
        let write = 'ok';
        for (let i = 0; i < 1000; i++) {
          const w = await flow.write(chunk);
          if (!w.ok) {
            write = `${w.error.kind}: ${w.error.message}`;
            break;
          }
        }
        const r = await flow.read();
        return { write, read: r.ok ? String(r.value) : r.error.kind };
      })();
    });
    // Read a little, then close with SO_LINGER 0: the kernel sends a reset.
    const script = `
import socket, struct
s = socket.create_connection(('10.0.0.2', 9003))
n = 0
while n < 200000:
    n += len(s.recv(65536))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
print(n)`;
    const r = await py(script);
    expect(r.stderr).toBe('');
    await until('the transfer', () => outcome !== undefined);
    const o = await outcome;
    expect(o?.write).toMatch(/^disconnected: TCP 10\.0\.0\.1\.\d+: the peer reset the connection$/);
    expect(o?.read).toBe('disconnected');
    expect(stack.drops()['tcp.reset-received']).toBeGreaterThanOrEqual(1);
    await until('the connection to go', () => stack.tcpStats().bufferedBytes === 0);
  }, 60_000);

  it('closes first: Linux reads the bytes, then end-of-stream; the stack holds TIME-WAIT', async () => {
    const before = stack.tcpStats().byState['TIME-WAIT'] ?? 0;
    await stack.listenTcpv4(9005, async (flow) => {
      await flow.write(Buffer.from('bye\n'));
      await flow.close();
    });
    expect(await sh('nc -d 10.0.0.2 9005')).toBe('bye\n');
    await until(
      'TIME-WAIT',
      () => (stack.tcpStats().byState['TIME-WAIT'] ?? 0) === before + 1,
      10_000,
      () => stack.tcpStats(),
    );
    expect(await sh("ss -Htan state time-wait '( dport = :9005 )'")).toBe('');
  });

  it('lets Linux close first: the stack still answers, then closes (CLOSE-WAIT, LAST-ACK)', async () => {
    await stack.listenTcpv4(9004, async (flow) => {
      const got = await drain(flow); // up to Linux's FIN
      await flow.write(Buffer.from(`got ${got.bytes} bytes\n`));
      await flow.close();
    });
    const out = await sh('printf "one two three" | nc -N 10.0.0.2 9004');
    expect(out).toBe('got 13 bytes\n');
    // Linux closed first, so Linux holds TIME-WAIT and the stack holds nothing for this port.
    expect(await sh("ss -Htan state time-wait '( dport = :9004 )'")).not.toBe('');
    await until(
      'the stack to forget the connection',
      () => !stack.tcpStats().byState['LAST-ACK'] && !stack.tcpStats().byState['CLOSE-WAIT'],
      10_000,
      () => stack.tcpStats(),
    );
  });
});
