/**
 * An echo server for tools/bench/socket.bench.ts, run in its own process so
 * that server and client do not share one event loop:
 * `socket-echo-server.ts stack|node tcp|udp` prints the port, then serves
 * until stdin closes.
 */
import { SocketStackv4 } from '@mirage-ts/socket-stack/stack';
import { echo, freePort, RecordingConsole } from '@mirage-ts/socket-stack/testing';
import * as dgram from 'node:dgram';
import * as net from 'node:net';

async function main(): Promise<void> {
  const [kind, proto] = process.argv.slice(2);
  const port = await freePort();
  if (kind === 'stack') {
    const stack = await SocketStackv4.connect(new RecordingConsole(), ['127.0.0.1']);
    const r =
      proto === 'tcp'
        ? await stack.listenTcpv4(port, echo)
        : await stack.listenUdpv4(
            port,
            async (d) => void (await stack.udpv4().write(d.src, d.data, { srcPort: port })),
          );
    if (!r.ok) throw new Error(r.error.message);
  } else if (proto === 'tcp') {
    // The plain Node way: every chunk written straight back, paused while the peer is slow.
    net.createServer({ noDelay: true }, (s) => s.pipe(s)).listen(port, '127.0.0.1');
  } else {
    const s = dgram.createSocket('udp4');
    s.on('message', (m, from) => s.send(m, from.port, from.address));
    s.bind(port, '127.0.0.1');
  }
  process.stdout.write(`${port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

void main();
