/**
 * The socket stack against plain Node on loopback: TCP echo throughput and
 * UDP echo datagrams per second, each server in its own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as path from 'node:path';
import { ratio, type BenchRow } from './table';

const TCP_FLOWS = 8;
const TCP_BYTES_PER_FLOW = 16 << 20;
const UDP_DATAGRAMS = 50_000;
const UDP_WINDOW = 64;
const RUNS = 3;

async function withServer<T>(
  kind: 'stack' | 'node',
  proto: 'tcp' | 'udp',
  use: (port: number) => Promise<T>,
): Promise<T> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', '@swc-node/register', path.join(__dirname, 'socket-echo-server.ts'), kind, proto],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`echo server (${kind} ${proto}) exited with ${code}`)));
    });
    return await use(port);
  } finally {
    child.stdin?.end();
    child.kill();
  }
}

/** Bytes per second echoed back through `TCP_FLOWS` connections at once. */
async function tcpEcho(port: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from(
      { length: TCP_FLOWS },
      () =>
        new Promise<void>((resolve, reject) => {
          let received = 0;
          let sent = 0;
          const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
          const pump = () => {
            while (sent < TCP_BYTES_PER_FLOW) {
              sent += chunk.length;
              if (!s.write(chunk)) return void s.once('drain', pump);
            }
            s.end();
          };
          s.once('connect', pump);
          s.on('data', (d: Buffer) => (received += d.length));
          s.on('error', reject);
          s.on('close', () =>
            received === TCP_BYTES_PER_FLOW
              ? resolve()
              : reject(new Error(`echoed ${received} of ${TCP_BYTES_PER_FLOW} bytes`)),
          );
        }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (TCP_FLOWS * TCP_BYTES_PER_FLOW) / seconds;
}

/** Datagrams per second echoed, `UDP_WINDOW` in flight at a time. */
async function udpEcho(port: number): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const payload = Buffer.alloc(64, 0x5a);
  let sent = 0;
  let received = 0;
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const send = () => {
      if (sent < UDP_DATAGRAMS) {
        sent++;
        s.send(payload, port, '127.0.0.1');
      }
    };
    const timeout = setTimeout(
      () => reject(new Error(`only ${received} of ${UDP_DATAGRAMS} datagrams came back`)),
      60_000,
    );
    s.on('message', () => {
      received++;
      if (received === UDP_DATAGRAMS) {
        clearTimeout(timeout);
        resolve();
      } else send();
    });
    for (let i = 0; i < UDP_WINDOW; i++) send();
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  s.close();
  return received / seconds;
}

async function median(measure: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await measure());
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

const mbps = (bytesPerSecond: number) => `${((bytesPerSecond * 8) / 1e6).toFixed(0)} Mbit/s`;
const perSecond = (x: number) => `${Math.round(x).toLocaleString('en')} datagrams/s`;

export async function rows(): Promise<BenchRow[]> {
  const tcpStack = await withServer('stack', 'tcp', (port) => median(() => tcpEcho(port)));
  const tcpNode = await withServer('node', 'tcp', (port) => median(() => tcpEcho(port)));
  const udpStack = await withServer('stack', 'udp', (port) => median(() => udpEcho(port)));
  const udpNode = await withServer('node', 'udp', (port) => median(() => udpEcho(port)));
  return [
    {
      name: `socket: TCP echo, ${TCP_FLOWS} flows x ${TCP_BYTES_PER_FLOW >> 20} MB, loopback`,
      value: mbps(tcpStack),
      comparison: `Node net echo (pipe) ${mbps(tcpNode)}, ratio ${ratio(tcpStack, tcpNode)}`,
    },
    {
      name: `socket: UDP echo, 64 B, ${UDP_WINDOW} in flight, loopback`,
      value: perSecond(udpStack),
      comparison: `Node dgram echo ${perSecond(udpNode)}, ratio ${ratio(udpStack, udpNode)}`,
    },
  ];
}
