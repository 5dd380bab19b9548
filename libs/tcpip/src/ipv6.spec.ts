import type { Flow, Network } from '@mirage-ts/types';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { ethif, ipv6, tcp, udp, type Ipv6LayerOptions } from './layers';
import { icmpv6Message, ipv6Frame, udp6Datagram } from './testing/frames';
import { formatIpv6, parseIpv6, readIpv6 } from './wire/address';
import { emitLinkLayerOption, Icmpv6Type, NdpOption } from './wire/icmpv6';
import { emitFragmentHeader, NextHeader } from './wire/ipv6';

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

const FAST: Ipv6LayerOptions = { dadRetransMs: 30, routerSolicitations: 0, neighbors: { retransMs: 100 } };

/** A host composed of the layers (Ethernet, IPv6 with ICMPv6 and NDP, UDP, TCP) on a switch port. */
async function host(sw: MemorySwitch, mac: string, address: string | null, options: Ipv6LayerOptions = {}) {
  const lines: string[] = [];
  const e = ethif(sw.connect(mac), { log: (l) => lines.push(l) });
  const i = ipv6(e, { ...FAST, ...options });
  const u = udp(i);
  const t = tcp(i);
  const listening = e.listen();
  const ready = address === null ? Promise.resolve(true) : i.setIp(address);
  return {
    e,
    i,
    u,
    t,
    lines,
    ready,
    drops: () => e.drops.snapshot(),
    close: async () => {
      t.disconnect();
      await i.disconnect();
      await e.disconnect();
      await listening;
    },
  };
}

/** A bare switch port that records what arrives and injects hand-made frames. */
function rawPort(sw: MemorySwitch, mac: string) {
  const net: Network = sw.connect(mac);
  const frames: Uint8Array[] = [];
  void net.listen((f) => void frames.push(Uint8Array.from(f)));
  const icmpv6 = (type: number) =>
    frames.filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[20] === NextHeader.icmpv6 && f[54] === type);
  return { net, frames, icmpv6, send: (f: Uint8Array) => net.write(f) };
}

const A = { mac: '02:00:00:00:00:0a', ip: 'fc00::2' };
const B = { mac: '02:00:00:00:00:0b', ip: 'fc00::3' };
const R = { mac: '02:00:00:00:00:01', ip: 'fe80::1' };

describe('IPv6 over the memory switch', () => {
  let sw: MemorySwitch;
  let a: Awaited<ReturnType<typeof host>>;
  let b: Awaited<ReturnType<typeof host>>;

  beforeEach(async () => {
    sw = new MemorySwitch({ seed: 6 });
    a = await host(sw, A.mac, A.ip);
    b = await host(sw, B.mac, B.ip);
    expect(await Promise.all([a.ready, b.ready])).toEqual([true, true]);
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    await sw.close();
  });

  it('checks its addresses for duplicates, then resolves neighbors and answers echo requests', async () => {
    expect(a.i.layer.status().addresses).toEqual([
      { address: 'fe80::ff:fe00:a', prefixLength: 64, state: 'preferred' },
      { address: 'fc00::2', prefixLength: 64, state: 'preferred' },
    ]);
    const r = await a.i.icmp.echo(B.ip, { data: Buffer.from('ping6!') });
    expect(r.ok && [r.value.from, r.value.ttl]).toEqual([B.ip, 64]);
    expect(a.i.layer.neighborCache()).toContainEqual({ ip: B.ip, mac: B.mac, state: 'REACHABLE' });
    // B learnt A from the solicitation's link-layer option, without asking.
    expect(b.i.layer.neighborCache()).toContainEqual({ ip: A.ip, mac: A.mac, state: 'STALE' });
    const ll = await a.i.icmp.echo('fe80::ff:fe00:b');
    expect(ll.ok && ll.value.from).toBe('fe80::ff:fe00:b');
    // Echo to all nodes is answered from a unicast address.
    const unknown = await a.i.icmp.echo('fc00::99', { timeoutMs: 500 });
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.error.message).toMatch(/did not answer neighbor solicitations/);
  });

  it('carries UDP both ways and answers a closed port with ICMPv6 port unreachable', async () => {
    const got: Array<{ src: string; data: string }> = [];
    b.u.listen(
      7,
      (d) => void got.push({ src: `${d.src.address}.${d.src.port}`, data: Buffer.from(d.data).toString() }),
    );
    expect((await a.u.layer.write({ address: B.ip, port: 7 }, Buffer.from('hello v6'), { srcPort: 5555 })).ok).toBe(
      true,
    );
    await until(() => got.length > 0);
    expect(got).toEqual([{ src: 'fc00::2.5555', data: 'hello v6' }]);
    await a.u.layer.write({ address: B.ip, port: 9 }, Buffer.from('nobody'));
    await until(() => a.drops()['icmpv6.unhandled-error'] === 1);
    expect(b.drops()['udp.closed-port']).toBe(1);
    expect(a.drops()['icmpv6.unhandled-error']).toBe(1);
    const bad = await a.u.layer.write({ address: '10.0.0.1', port: 7 }, Buffer.from('x'));
    expect(!bad.ok && bad.error.message).toBe('"10.0.0.1" is not an IPv6 address');
  });

  it('carries a TCP connection and reports a refused one', async () => {
    b.t.listen(80, async (flow: Flow) => {
      for (let r = await flow.read(); r.ok && r.value !== 'eof'; r = await flow.read()) await flow.write(r.value);
      await flow.close();
    });
    const c = await a.t.layer.connect({ address: B.ip, port: 80 });
    if (!c.ok) throw new Error(c.error.message);
    expect([c.value.remote, c.value.local.address]).toEqual([{ address: B.ip, port: 80 }, A.ip]);
    const big = Buffer.alloc(200_000, 'v6');
    void c.value.write(big);
    const chunks: Uint8Array[] = [];
    let n = 0;
    while (n < big.length) {
      const r = await c.value.read();
      if (!r.ok || r.value === 'eof') break;
      chunks.push(r.value);
      n += r.value.length;
    }
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    await c.value.close();
    const refused = await a.t.layer.connect({ address: B.ip, port: 81 });
    expect(!refused.ok && refused.error.kind).toBe('refused');
  });

  it('fragments what does not fit the link and reassembles it', async () => {
    const data = Buffer.alloc(4000).map((_, i) => i & 0xff);
    const r = await a.i.icmp.echo(B.ip, { data, timeoutMs: 2000 });
    expect(r.ok).toBe(true);
    expect(b.i.layer.reassemblyUse()).toEqual({ datagrams: 0, bytes: 0 });
    expect(b.drops()['ipv6.fragment-overlap']).toBeUndefined();
  });

  it('refuses an address another node holds (duplicate address detection)', async () => {
    // The RFC's 1 s for the answer to come back, not FAST's 30 ms: a loaded machine can take longer than
    // that to pass the solicitation to the holder and its advertisement back, and DAD would then pass.
    const c = await host(sw, '02:00:00:00:00:0c', B.ip, { dadRetransMs: 1000 });
    try {
      expect(await c.ready).toBe(false);
      await until(() => c.i.addresses().length === 1);
      expect(c.lines.join('\n')).toMatch(/duplicate address fc00::3/);
      expect(c.i.addresses()).toEqual(['fe80::ff:fe00:c']);
      const r = await a.i.icmp.echo(B.ip);
      expect(r.ok).toBe(true);
    } finally {
      await c.close();
    }
  });
});

describe('IPv6 routers, SLAAC and malformed input', () => {
  let sw: MemorySwitch;
  beforeEach(() => (sw = new MemorySwitch({ seed: 7 })));
  afterEach(() => sw.close());

  /** A router advertisement from R: lifetime 1800 s, MTU 1400, prefix 2001:db8:1::/64 on-link and autonomous. */
  const advertisement = (dst: string) => {
    const body = new Uint8Array(8 + 8 + 8 + 32);
    emitLinkLayerOption(body, 8, NdpOption.sourceLinkLayer, 0x020000000001);
    body.set([NdpOption.mtu, 1, 0, 0, 0, 0, 0x05, 0x78], 16);
    body.set([NdpOption.prefixInformation, 4, 64, 0xc0, 0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08], 24);
    body.set([0x20, 0x01, 0x0d, 0xb8, 0, 1], 40);
    const msg = icmpv6Message(Icmpv6Type.routerAdvertisement, 0, (64 << 24) | 1800, body, R.ip, dst);
    return ipv6Frame({
      dstMac: '33:33:00:00:00:01',
      srcMac: R.mac,
      src: R.ip,
      dst,
      nextHeader: NextHeader.icmpv6,
      payload: msg,
      hopLimit: 255,
    });
  };

  it('solicits routers, then learns the router, the MTU and (with SLAAC) an address from an advertisement', async () => {
    const router = rawPort(sw, R.mac);
    const h = await host(sw, A.mac, null, { slaac: true, routerSolicitations: 2, routerSolicitationIntervalMs: 50 });
    const plain = await host(sw, B.mac, null, { routerSolicitations: 0 });
    try {
      await until(() => router.icmpv6(Icmpv6Type.routerSolicitation).length >= 1);
      const rs = router.icmpv6(Icmpv6Type.routerSolicitation)[0];
      expect(formatIpv6(readIpv6(rs, 38))).toBe('ff02::2');
      expect(rs[21]).toBe(255);
      await router.send(advertisement('ff02::1'));
      await until(() => h.i.addresses().length === 2);
      expect(h.i.addresses()).toEqual(['fe80::ff:fe00:a', '2001:db8:1::ff:fe00:a']);
      expect(h.i.layer.status()).toMatchObject({ routers: [R.ip], onLink: ['2001:db8:1::/64'], mtu: 1400 });
      expect(h.lines.join('\n')).toMatch(/SLAAC address 2001:db8:1::ff:fe00:a\/64 from fe80::1/);
      // Without SLAAC: the router and the prefix, no address.
      await until(() => plain.i.layer.status().routers.length === 1);
      expect(plain.i.addresses()).toEqual(['fe80::ff:fe00:b']);
      // No more solicitations once a router has answered.
      const n = router.icmpv6(Icmpv6Type.routerSolicitation).length;
      await new Promise((r) => setTimeout(r, 150));
      expect(router.icmpv6(Icmpv6Type.routerSolicitation).length).toBe(n);
    } finally {
      await h.close();
      await plain.close();
    }
  });

  it('drops and counts malformed packets, answering with parameter problems where RFC 8200 asks', async () => {
    const peer = rawPort(sw, B.mac);
    const h = await host(sw, A.mac, A.ip, { reassembly: { timeoutMs: 100 } });
    expect(await h.ready).toBe(true);
    const base = { dstMac: A.mac, srcMac: B.mac, src: B.ip, dst: A.ip };
    // A neighbor solicitation with B's link-layer address teaches A where B is, so its errors go straight back.
    const ns = new Uint8Array(24);
    ns.set(parseIpv6Bytes(A.ip), 0);
    emitLinkLayerOption(ns, 16, NdpOption.sourceLinkLayer, 0x02000000000b);
    await peer.send(
      ipv6Frame({
        ...base,
        dst: 'ff02::1:ff00:2',
        dstMac: '33:33:ff:00:00:02',
        nextHeader: 58,
        hopLimit: 255,
        payload: icmpv6Message(Icmpv6Type.neighborSolicitation, 0, 0, ns, B.ip, 'ff02::1:ff00:2'),
      }),
    );
    await until(() => peer.icmpv6(Icmpv6Type.neighborAdvertisement).length === 1);
    expect(peer.icmpv6(Icmpv6Type.neighborAdvertisement)).toHaveLength(1);
    const frames = [
      // An upper layer nobody speaks: parameter problem code 1.
      ipv6Frame({ ...base, nextHeader: 253, payload: new Uint8Array(8) }),
      // An unknown option whose type says "discard and report": code 2.
      ipv6Frame({ ...base, nextHeader: 0, payload: Uint8Array.from([17, 0, 0xbe, 2, 0, 0, 1, 0]) }),
      // A routing header with segments left: code 0.
      ipv6Frame({ ...base, nextHeader: 43, payload: Uint8Array.from([17, 0, 0, 1, 0, 0, 0, 0]) }),
      // A payload length past the frame.
      ipv6Frame({ ...base, nextHeader: 17, payload: new Uint8Array(8) }).subarray(0, 58),
      // UDP without its mandatory checksum.
      ipv6Frame({ ...base, nextHeader: 17, payload: zeroChecksum(udp6Datagram(B.ip, A.ip, 1, 2, new Uint8Array(4))) }),
      // An ICMPv6 echo request with a damaged checksum.
      ipv6Frame({ ...base, nextHeader: 58, payload: damaged(icmpv6Message(128, 0, 1, new Uint8Array(8), B.ip, A.ip)) }),
      // A neighbor solicitation from off the link (hop limit 64).
      ipv6Frame({ ...base, nextHeader: 58, payload: icmpv6Message(135, 0, 0, parseIpv6Bytes(A.ip), B.ip, A.ip) }),
      // Two overlapping fragments, then one that never completes.
      fragment(base, 0, true, 1, new Uint8Array(64)),
      fragment(base, 32, true, 1, new Uint8Array(64)),
      fragment(base, 0, true, 2, new Uint8Array(64)),
      // A multicast source.
      ipv6Frame({ ...base, src: 'ff02::1', nextHeader: 17, payload: new Uint8Array(8) }),
    ];
    for (const f of frames) await peer.send(f);
    await until(() => peer.icmpv6(Icmpv6Type.parameterProblem).length >= 3 && !!h.drops()['ipv6.reassembly-timeout']);
    const problems = peer.icmpv6(Icmpv6Type.parameterProblem).map((f) => [f[55], (f[60] << 8) | f[61]]);
    expect(problems).toEqual([
      [1, 6],
      [2, 42],
      [0, 43],
    ]);
    expect(h.drops()).toMatchObject({
      'ipv6.unknown-protocol': 1,
      'ipv6.parameter-problem': 2,
      'ipv6.truncated': 1,
      'udp.bad-checksum': 1,
      'icmpv6.bad-checksum': 1,
      'ndp.bad-hop-limit': 1,
      'ipv6.fragment-overlap': 1,
      'ipv6.reassembly-timeout': 1,
      'ipv6.bad-source': 1,
    });
    expect(h.i.layer.reassemblyUse()).toEqual({ datagrams: 0, bytes: 0 });
    // And it still answers.
    await peer.send(
      ipv6Frame({ ...base, nextHeader: 58, payload: icmpv6Message(128, 0, 7, new Uint8Array(8), B.ip, A.ip) }),
    );
    await until(() => peer.icmpv6(Icmpv6Type.echoReply).length === 1);
    expect(peer.icmpv6(Icmpv6Type.echoReply)).toHaveLength(1);
    await h.close();
  });
});

function parseIpv6Bytes(text: string): Uint8Array {
  const ip = parseIpv6(text) as bigint;
  return Uint8Array.from({ length: 16 }, (_, i) => Number((ip >> BigInt(8 * (15 - i))) & 0xffn));
}

function zeroChecksum(d: Uint8Array): Uint8Array {
  d[6] = d[7] = 0;
  return d;
}

function damaged(m: Uint8Array): Uint8Array {
  m[m.length - 1] ^= 0xff;
  return m;
}

function fragment(
  base: { dstMac: string; srcMac: string; src: string; dst: string },
  offset: number,
  more: boolean,
  id: number,
  data: Uint8Array,
): Uint8Array {
  const p = new Uint8Array(8 + data.length);
  emitFragmentHeader(p, 0, NextHeader.udp, offset, more, id);
  p.set(data, 8);
  return ipv6Frame({ ...base, nextHeader: NextHeader.fragment, payload: p });
}
