import { randomBytes } from 'node:crypto';
import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import { ethif, ipv6, tcp, udp, type Ethif, type Ipv6, type Tcp, type Udp } from './layers';
import { drain, echo, pour, sha256 } from './testing/flows';
import { tapPeer, type TapPeer } from './testing/tap-peer';

/**
 * UDP and TCP over IPv6 against the Linux kernel on a tap in a namespace
 * made here, in both roles, with Python sockets as the kernel's side: what
 * the memory switch cannot show (the kernel checks our pseudo-header
 * checksums, MSS and options over IPv6).
 */
const maybe = canManageNetwork() ? describe : describe.skip;
const MiB = 1 << 20;

maybe('UDP and TCP over IPv6 with Linux on a tap', () => {
  let peer: TapPeer;
  let e: Ethif;
  let i: Ipv6;
  let u: Udp;
  let t: Tcp;
  let listening: Promise<unknown>;

  beforeAll(async () => {
    peer = await tapPeer(null);
    peer.ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=0', `net.ipv6.conf.${peer.tap}.disable_ipv6=0`);
    peer.ns.ip('addr', 'add', 'fc00::1/64', 'dev', peer.tap, 'nodad');
    e = ethif(peer.netif);
    i = ipv6(e, { routerSolicitations: 0, dadRetransMs: 200 });
    u = udp(i);
    t = tcp(i);
    listening = e.listen();
    expect(await i.setIp('fc00::2')).toBe(true);
  });

  afterAll(async () => {
    t?.disconnect();
    await i?.disconnect();
    await e?.disconnect();
    await listening;
    await peer?.close();
  });

  const py = async (script: string, ...args: string[]) => {
    const r = await peer.inNs(['python3', '-c', script, ...args], 60_000);
    if (r.status !== 0) throw new Error(`python3 exited ${r.status}: ${r.stderr}`);
    return r.stdout.trim();
  };

  it('echoes 1 MiB a Linux client sends over TCP', async () => {
    t.listen(7, echo);
    // The client sends 0, 1, ... 255 over and over, 1 MiB in all, and prints what came back.
    const out = await py(
      `import socket,hashlib
d=bytes(range(256))*${MiB / 256}
s=socket.create_connection(('fc00::2',7)); s.sendall(d); s.shutdown(socket.SHUT_WR)
h=hashlib.sha256(); n=0
while True:
  b=s.recv(65536)
  if not b: break
  h.update(b); n+=len(b)
print(n, h.hexdigest())`,
    );
    expect(out).toBe(`${MiB} ${sha256(Buffer.alloc(MiB).map((_, k) => k & 0xff))}`);
  }, 60_000);

  it('sends 1 MiB to a Linux server over TCP', async () => {
    const server = py(
      `import socket,hashlib
l=socket.socket(socket.AF_INET6); l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); l.bind(('fc00::1',9000)); l.listen(1)
print('ready',flush=True)
c,_=l.accept(); h=hashlib.sha256(); n=0
while True:
  b=c.recv(65536)
  if not b: break
  h.update(b); n+=len(b)
print(n, h.hexdigest())`,
    );
    const data = randomBytes(MiB);
    let flow;
    for (let attempt = 0; attempt < 50; attempt++) {
      const c = await t.layer.connect({ address: 'fc00::1', port: 9000 });
      if (c.ok) {
        flow = c.value;
        break;
      }
      await new Promise((r) => setTimeout(r, 100)); // the server is still starting
    }
    if (!flow) throw new Error('could not connect to the Linux server');
    expect(flow.remote).toEqual({ address: 'fc00::1', port: 9000 });
    await pour(flow, data);
    expect((await server).split('\n').pop()).toBe(`${MiB} ${sha256(data)}`);
    expect(await drain(flow)).toMatchObject({ bytes: 0 });
  }, 60_000);

  it('answers a Linux UDP client', async () => {
    u.listen(
      5353,
      (d) => void u.layer.write(d.src, Buffer.from(`got ${Buffer.from(d.data).toString()}`), { srcPort: 5353 }),
    );
    const out = await py(
      `import socket
s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(5); s.sendto(b'hello v6', ('fc00::2',5353))
d,a=s.recvfrom(2000); print(d.decode(), a[0], a[1])`,
    );
    expect(out).toBe('got hello v6 fc00::2 5353');
  }, 30_000);
});
