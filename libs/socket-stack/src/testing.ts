/**
 * Helpers for the socket stack's specs and benchmarks: a console that keeps
 * what it is told, a free loopback port, and the host's own view of sockets.
 */
import { ok, type Console, type DeviceError, type Flow, type Result } from '@mirage-ts/types';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';

export class RecordingConsole implements Console {
  readonly lines: string[] = [];
  async log(line: string): Promise<void> {
    this.lines.push(line);
  }
  async write(data: Uint8Array | string): Promise<Result<void, DeviceError>> {
    this.lines.push(typeof data === 'string' ? data : Buffer.from(data).toString());
    return ok(undefined);
  }
  async read(): Promise<Result<Uint8Array | 'eof', DeviceError>> {
    return ok('eof');
  }
  async disconnect(): Promise<void> {}
}

/** A TCP port nothing listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Connections in a state other than TIME-WAIT that touch `port`, as the kernel sees them (ss). */
export function kernelConnections(port: number): string[] {
  const out = execFileSync('ss', ['-Htan', `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => !/^(TIME-WAIT|LISTEN)\b/.test(l.trim()));
}

/** File descriptors this process has open. */
export function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** The unikernel side of an echo service: everything read is written back, then the flow is closed. */
export async function echo(flow: Flow): Promise<void> {
  for (;;) {
    const r = await flow.read();
    if (!r.ok || r.value === 'eof') break;
    const w = await flow.write(r.value);
    if (!w.ok) break;
  }
  await flow.close();
}

/** Sends `payload` over a fresh connection, half-closes, and returns every byte that comes back. */
export function echoClient(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.end(payload));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (!hadError) resolve(Buffer.concat(chunks));
    });
  });
}
