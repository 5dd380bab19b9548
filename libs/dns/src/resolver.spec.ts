import { SocketStackv4 } from '@mirage-ts/socket-stack/stack';
import { RecordingConsole } from '@mirage-ts/socket-stack/testing';
import * as dgram from 'node:dgram';
import { DnsResolver } from './resolver';
import { DnsServer } from './server';
import { ZoneSet } from './zone';
import { parseZoneFile } from './zonefile';

const ZONE =
  '$ORIGIN example.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 10.0.0.1\nwww CNAME web\nweb A 10.0.0.7\nweb A 10.0.0.8\n';

describe('DnsResolver over the socket stack', () => {
  let stack: SocketStackv4;
  let port: number;
  beforeAll(async () => {
    stack = await SocketStackv4.connect(new RecordingConsole(), ['127.0.0.1']);
    const server = new DnsServer(stack, ZoneSet.load(parseZoneFile(ZONE)).zones);
    for (port = 20000 + (process.pid % 20000); ; port++) if ((await server.listen(port)).ok) break;
  });
  afterAll(() => stack.disconnect());

  it('resolves through a CNAME and reports NXDOMAIN', async () => {
    const r = await DnsResolver.connect(stack, '127.0.0.1', port);
    expect(await r.gethostbyname('WWW.example')).toEqual({ ok: true, value: ['10.0.0.7', '10.0.0.8'] });
    expect(await r.gethostbyname('ns.example.')).toEqual({ ok: true, value: ['10.0.0.1'] });
    const nx = await r.gethostbyname('nope.example');
    expect(!nx.ok && nx.error.kind).toBe('not-found');
    const refused = await r.gethostbyname('elsewhere.org');
    expect(!refused.ok && refused.error.kind).toBe('server-failure');
  });

  it('retries, then times out when the server is silent', async () => {
    const silent = dgram.createSocket('udp4');
    let seen = 0;
    silent.on('message', () => seen++);
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const r = await DnsResolver.connect(stack, '127.0.0.1', silent.address().port, { timeoutMs: 100, tries: 3 });
    const out = await r.gethostbyname('www.example');
    silent.close();
    expect(!out.ok && out.error.kind).toBe('timeout');
    expect(seen).toBe(3);
  });
});
