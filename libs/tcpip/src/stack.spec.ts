import type { Datagram } from '@mirage-ts/types';
import { DirectStackv4, type DirectStackOptions } from './stack';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { RecordingNetif } from './testing/recording-netif';
import { RecordingConsole } from './testing/recording-console';
import { EthernetView } from './wire/ethernet';
import { Icmpv4View, IcmpType, UnreachableCode } from './wire/icmpv4';
import { IpProtocol, Ipv4View } from './wire/ipv4';
import { TcpFlag, TcpView } from './wire/tcp';
import { emitTcp } from './wire/tcp';
import { ipFrame, udpDatagram } from './testing/frames';
import { parseIpv4, readIpv4 } from './wire/address';

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const MAC_GW = '02:00:00:00:00:01';

interface Node {
  stack: DirectStackv4;
  console: RecordingConsole;
  port: RecordingNetif;
}

async function node(
  hub: MemorySwitch,
  mac: string,
  cidr: string,
  gateway = '10.0.0.1',
  options: DirectStackOptions = {},
): Promise<Node> {
  const console = new RecordingConsole();
  const port = new RecordingNetif(hub.connect(mac));
  const stack = await DirectStackv4.connect(console, port, false, cidr, gateway, options);
  return { stack, console, port };
}

/** Frames the observer port saw, decoded down to IPv4. */
function ipFramesSeen(port: RecordingNetif): Array<{ ip: Ipv4View; frame: Uint8Array }> {
  const out: Array<{ ip: Ipv4View; frame: Uint8Array }> = [];
  for (const frame of port.sent) {
    const eth = new EthernetView();
    if (eth.wrap(frame) || eth.etherType !== 0x0800) continue;
    const ip = new Ipv4View();
    if (!ip.wrap(frame, 14, frame.length - 14)) out.push({ ip, frame });
  }
  return out;
}

describe('DirectStackv4 over a link', () => {
  let hub: MemorySwitch;
  let nodes: Node[];

  beforeEach(() => {
    hub = new MemorySwitch({ seed: 3 });
    nodes = [];
  });
  afterEach(async () => {
    for (const n of nodes) await n.stack.disconnect();
    await hub.close();
  });
  const add = async (...args: Parameters<typeof node> extends [MemorySwitch, ...infer R] ? R : never) => {
    const n = await node(hub, ...args);
    nodes.push(n);
    return n;
  };

  it("configures statically with the seed's log lines", async () => {
    const a = await add(MAC_A, '10.0.0.2/24');
    expect(a.console.lines).toEqual([
      'Manager: connect',
      'Manager: configuring',
      'Manager: Interface to 10.0.0.2 nm 255.255.255.0 gw [10.0.0.1]',
      '',
      'ARP: sending gratuitous from 10.0.0.2',
      'Manager: configuration done',
    ]);
    expect(a.stack.ipv4Addresses()).toEqual(['10.0.0.2']);
  });

  it('refuses a malformed --ipv4 or gateway when connecting', async () => {
    const port = hub.connect(MAC_A);
    await expect(DirectStackv4.connect(new RecordingConsole(), port, false, '10.0.0.2', '10.0.0.1')).rejects.toThrow(
      /10\.0\.0\.2\/24/,
    );
    await expect(DirectStackv4.connect(new RecordingConsole(), port, false, '10.0.0.2/24', '10.0.0')).rejects.toThrow(
      /ipv4-gateway/,
    );
  });

  it('exchanges UDP both ways between two stacks, resolving each other with ARP', async () => {
    const a = await add(MAC_A, '10.0.0.2/24');
    const b = await add(MAC_B, '10.0.0.3/24');
    const atA: Datagram[] = [];
    const atB: Datagram[] = [];
    expect(
      (
        await a.stack.listenUdpv4(53, async (d) => {
          atA.push(d);
          const r = await a.stack
            .udpv4()
            .write(d.src, Buffer.from(`echo ${Buffer.from(d.data).toString()}`), { srcPort: 53 });
          expect(r.ok).toBe(true);
        })
      ).ok,
    ).toBe(true);
    expect((await b.stack.listenUdpv4(4000, (d) => void atB.push(d))).ok).toBe(true);

    const sent = await b.stack
      .udpv4()
      .write({ address: '10.0.0.2', port: 53 }, Buffer.from('hello udp world'), { srcPort: 4000 });
    expect(sent).toEqual({ ok: true, value: undefined });
    await a.console.waitFor('ARP responding to: who-has 10.0.0.2?');
    await b.console.waitFor(`ARP: updating 10.0.0.2 -> ${MAC_A}`);
    expect(b.console.lines).toContain('ARP: transmitting probe -> 10.0.0.2');
    await b.console.waitFor(/./, 10);
    const deadline = Date.now() + 5000;
    while (atB.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(atA.map((d) => [d.src, d.dst, Buffer.from(d.data).toString()])).toEqual([
      [{ address: '10.0.0.3', port: 4000 }, { address: '10.0.0.2', port: 53 }, 'hello udp world'],
    ]);
    expect(atB.map((d) => [d.src, Buffer.from(d.data).toString()])).toEqual([
      [{ address: '10.0.0.2', port: 53 }, 'echo hello udp world'],
    ]);
    // A learnt B's address from B's reply to its own probe, not from B's request: it had to ask.
    expect(a.console.lines).toContain('ARP: transmitting probe -> 10.0.0.3');
  });

  it('refuses a second listener on a port and ports out of range, as values', async () => {
    const a = await add(MAC_A, '10.0.0.2/24');
    expect((await a.stack.listenUdpv4(53, () => undefined)).ok).toBe(true);
    const again = await a.stack.listenUdpv4(53, () => undefined);
    expect(again.ok || again.error).toEqual({ kind: 'in-use', message: 'UDP port 53 already has a listener' });
    const zero = await a.stack.listenUdpv4(0, () => undefined);
    expect(zero.ok || zero.error.kind).toBe('io');
    const far = await a.stack.udpv4().write({ address: '10.0.0.3', port: 70000 }, Buffer.from('x'));
    expect(far.ok || far.error.message).toMatch(/70000 is not a port number/);
    const bad = await a.stack.udpv4().write({ address: '10.0.0', port: 53 }, Buffer.from('x'));
    expect(bad.ok || bad.error.kind).toBe('unreachable');
    const huge = await a.stack.udpv4().write({ address: '10.0.0.3', port: 53 }, new Uint8Array(70_000));
    expect(huge.ok || huge.error.kind).toBe('too-big');
  });

  it('sends from ephemeral ports of the dynamic range when no source port is given', async () => {
    const a = await add(MAC_A, '10.0.0.2/24');
    const b = await add(MAC_B, '10.0.0.3/24');
    const ports: number[] = [];
    await a.stack.listenUdpv4(53, (d) => void ports.push(d.src.port));
    await b.stack.listenUdpv4(50000, () => undefined);
    for (let i = 0; i < 20; i++)
      expect((await b.stack.udpv4().write({ address: '10.0.0.2', port: 53 }, Buffer.from('q'))).ok).toBe(true);
    const deadline = Date.now() + 5000;
    while (ports.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(ports).toHaveLength(20);
    for (const p of ports) expect(p >= 49152 && p <= 65535 && p !== 50000).toBe(true);
    expect(new Set(ports).size).toBe(20);
  });

  it('answers ping with the TTL MirageOS uses', async () => {
    const a = await add(MAC_A, '10.0.0.2/24');
    const b = await add(MAC_B, '10.0.0.3/24');
    for (let seq = 1; seq <= 5; seq++) {
      const r = await b.stack.icmp.echo('10.0.0.2', { sequence: seq, data: Buffer.from(`ping ${seq}`) });
      expect(r.ok && { from: r.value.from, sequence: r.value.sequence, ttl: r.value.ttl }).toEqual({
        from: '10.0.0.2',
        sequence: seq,
        ttl: 38,
      });
    }
    expect(a.console.lines.filter((l) => l.startsWith('ICMP: echo-request from 10.0.0.3'))).toHaveLength(5);
  });

  it('fragments a large datagram on send and reassembles it on receive', async () => {
    const a = await add(MAC_A, '10.0.0.2/24');
    const b = await add(MAC_B, '10.0.0.3/24');
    b.port.keepSent = true;
    const payload = Buffer.alloc(20_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const got = new Promise<Datagram>((resolve) => void a.stack.listenUdpv4(9, resolve));
    expect((await b.stack.udpv4().write({ address: '10.0.0.2', port: 9 }, payload)).ok).toBe(true);
    const d = await got;
    expect(Buffer.compare(Buffer.from(d.data), payload)).toBe(0);
    const fragments = ipFramesSeen(b.port).filter(({ ip }) => ip.protocol === IpProtocol.udp);
    expect(fragments.length).toBe(Math.ceil((20_000 + 8) / 1480));
    expect(fragments.every(({ frame }) => frame.length <= 1514)).toBe(true);
    expect(new Set(fragments.map(({ ip }) => ip.id)).size).toBe(1);
    expect(a.stack.ip.reassemblyUse()).toEqual({ datagrams: 0, bytes: 0 });
  });

  it('keeps what it delivers when the network reuses the frame buffer', async () => {
    const a = await add(MAC_A, '10.0.0.2/24');
    const got: Datagram[] = [];
    await a.stack.listenUdpv4(53, (d) => void got.push(d));
    const frame = Buffer.from(
      ipFrame({
        dstMac: MAC_A,
        srcMac: MAC_B,
        src: '10.0.0.3',
        dst: '10.0.0.2',
        protocol: 17,
        payload: udpDatagram('10.0.0.3', '10.0.0.2', 1000, 53, Buffer.from('first')),
      }),
    );
    a.port.inject(frame);
    frame.fill(0);
    expect(got.map((d) => Buffer.from(d.data).toString())).toEqual(['first']);
  });

  it('refuses to fragment when asked not to', async () => {
    await add(MAC_A, '10.0.0.2/24');
    const b = await add(MAC_B, '10.0.0.3/24');
    const r = await b.stack.ip.write('10.0.0.2', 17, new Uint8Array(3000), { dontFragment: true });
    expect(r.ok || r.error.kind).toBe('too-big');
  });

  it('answers a closed UDP port with ICMP port unreachable', async () => {
    const a = await add(MAC_A, '10.0.0.2/24');
    const b = await add(MAC_B, '10.0.0.3/24');
    a.port.keepSent = true;
    expect((await b.stack.udpv4().write({ address: '10.0.0.2', port: 7777 }, Buffer.from('anyone?'))).ok).toBe(true);
    const deadline = Date.now() + 5000;
    let unreachable: { icmp: Icmpv4View; ip: Ipv4View; frame: Uint8Array } | undefined;
    while (!unreachable && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      for (const { ip, frame } of ipFramesSeen(a.port)) {
        const icmp = new Icmpv4View();
        if (
          ip.protocol === 1 &&
          !icmp.wrap(frame, ip.payloadOffset, ip.payloadLength) &&
          icmp.type === IcmpType.unreachable
        )
          unreachable = { icmp, ip, frame };
      }
    }
    expect(unreachable?.icmp.code).toBe(UnreachableCode.port);
    // It quotes the offending datagram: B's IP header, then the UDP header with port 7777.
    const { frame, icmp } = unreachable!;
    expect(icmp.dataLength).toBe(20 + 8);
    expect(readIpv4(frame, icmp.dataOffset + 12)).toBe(parseIpv4('10.0.0.3'));
    expect((frame[icmp.dataOffset + 22] << 8) | frame[icmp.dataOffset + 23]).toBe(7777);
    expect(a.stack.drops()['udp.closed-port']).toBe(1);
    // B is told which of its datagrams it was about, as a transport layer would be (once one listens).
    while (!b.stack.drops()['icmp.unhandled-error'] && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    const reports: Array<{ code: number; dst: number | bigint; dstPort: number }> = [];
    b.stack.icmp.setErrorHandler(
      IpProtocol.udp,
      (r) =>
        void reports.push({ code: r.code, dst: r.dst, dstPort: (r.transportHeader[2] << 8) | r.transportHeader[3] }),
    );
    await b.stack.udpv4().write({ address: '10.0.0.2', port: 7778 }, Buffer.from('again?'));
    const until = Date.now() + 5000;
    while (reports.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(reports).toEqual([{ code: UnreachableCode.port, dst: parseIpv4('10.0.0.2'), dstPort: 7778 }]);
    expect(b.stack.drops()['icmp.unhandled-error']).toBe(1); // the first one, before anybody listened
  });

  it('routes off-link datagrams through the gateway', async () => {
    const gw = await add(MAC_GW, '10.0.0.1/24', '');
    const b = await add(MAC_B, '10.0.0.3/24', '10.0.0.1');
    expect((await b.stack.udpv4().write({ address: '192.0.2.7', port: 53 }, Buffer.from('via gw'))).ok).toBe(true);
    expect(b.console.lines).toContain('ARP: transmitting probe -> 10.0.0.1');
    const deadline = Date.now() + 5000;
    while (!gw.stack.drops()['ipv4.not-for-us'] && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(gw.stack.drops()['ipv4.not-for-us']).toBe(1); // it reached the gateway, which is no router
    const noGw = await add('02:00:00:00:00:0c', '10.0.0.4/24', '');
    const r = await noGw.stack.udpv4().write({ address: '192.0.2.7', port: 53 }, Buffer.from('x'));
    expect(r.ok || r.error).toEqual({ kind: 'unreachable', message: expect.stringMatching(/no gateway/) });
  });

  it('gives up on an address nobody answers for after its probes', async () => {
    const b = await add(MAC_B, '10.0.0.3/24', '10.0.0.1', { arp: { probes: 3, probeIntervalMs: 20 } });
    const r = await b.stack.udpv4().write({ address: '10.0.0.99', port: 53 }, Buffer.from('x'));
    expect(r.ok || r.error.kind).toBe('unreachable');
    expect(b.console.lines.filter((l) => l === 'ARP: transmitting probe -> 10.0.0.99')).toHaveLength(3);
  });

  it("forgets ARP entries after the timeout, with the seed's line", async () => {
    await add(MAC_A, '10.0.0.2/24');
    const b = await add(MAC_B, '10.0.0.3/24', '10.0.0.1', { arp: { cacheTimeoutMs: 200 } });
    expect(await b.stack.arp.query('10.0.0.2')).toEqual({ ok: true, value: MAC_A });
    await b.console.waitFor('ARP: timeout 10.0.0.2', 3000);
    expect(b.stack.arp.entries()).toEqual([]);
  });

  it('resets a SYN to a closed TCP port, and the peer stays silent about the reset', async () => {
    const a = await add(MAC_A, '10.0.0.2/24');
    a.port.keepSent = true;
    const syn = new Uint8Array(20 + 12);
    emitTcp(
      syn,
      0,
      {
        srcPort: 40000,
        dstPort: 8080,
        seq: 1000,
        ack: 0,
        flags: TcpFlag.syn,
        window: 65535,
        options: { mss: 1460, sackPermitted: true, windowScale: 7 },
      },
      0,
      parseIpv4('10.0.0.3')!,
      parseIpv4('10.0.0.2')!,
    );
    a.port.inject(
      ipFrame({ dstMac: MAC_A, srcMac: MAC_B, src: '10.0.0.3', dst: '10.0.0.2', protocol: 6, payload: syn }),
    );
    // The reset needs 10.0.0.3's MAC: a stack with that address answers A's ARP probe.
    const peer = await add(MAC_B, '10.0.0.3/24');
    const deadline = Date.now() + 5000;
    let rst: TcpView | undefined;
    while (!rst && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 5));
      for (const { ip, frame } of ipFramesSeen(a.port)) {
        const t = new TcpView();
        if (ip.protocol === 6 && !t.wrap(frame, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst)) rst = t;
      }
    }
    // The reset reached the peer, which has no such connection: it counts it and stays silent (no reset for a reset).
    while (!peer.stack.drops()['tcp.closed-port'] && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 5));
    expect(peer.stack.drops()['tcp.closed-port']).toBe(1);
    expect(rst && { flags: rst.flags, ack: rst.ack, src: rst.srcPort, dst: rst.dstPort }).toEqual({
      flags: TcpFlag.rst | TcpFlag.ack,
      ack: 1001,
      src: 8080,
      dst: 40000,
    });
  });
});
