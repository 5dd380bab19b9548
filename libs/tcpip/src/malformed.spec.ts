import { DirectStackv4 } from './stack';
import { echoRequest, ipFrame, udpDatagram } from './testing/frames';
import { MemorySwitch, type MemoryNetif } from '@mirage-ts/netif/memory';
import { RecordingNetif } from './testing/recording-netif';
import { RecordingConsole } from './testing/recording-console';
import { emitArp } from './wire/arp';
import { emitEthernet } from './wire/ethernet';
import { Icmpv4View, IcmpType } from './wire/icmpv4';
import { Ipv4Option, Ipv4View } from './wire/ipv4';
import { parseIpv4 } from './wire/address';
import { checksum, pseudoHeaderSum } from './wire/checksum';
import { emitTcp, TcpFlag, tcpHeaderLength, type TcpOptions } from './wire/tcp';

/**
 * Bad input of every kind is dropped and counted under its own reason; none
 * of it throws, and the stack keeps answering afterwards.
 */
const US = '02:00:00:00:00:0a';
const PEER = '02:00:00:00:00:0b';
const PEER_IP = '10.0.0.3';

describe('malformed input', () => {
  let stack: DirectStackv4;
  let hub: MemorySwitch;
  let port: RecordingNetif;
  let peer: MemoryNetif;
  const replies: Uint8Array[] = [];

  beforeEach(async () => {
    hub = new MemorySwitch({ seed: 5 });
    port = new RecordingNetif(hub.connect(US));
    peer = hub.connect(PEER);
    replies.length = 0;
    void peer.listen((f) => replies.push(Uint8Array.from(f)));
    stack = await DirectStackv4.connect(new RecordingConsole(), port, false, '10.0.0.2/24', '10.0.0.1', {
      arp: { probeIntervalMs: 20 },
    });
    // Teach the stack the peer's MAC so replies go out without ARP.
    const arp = new Uint8Array(42);
    emitEthernet(arp, 0, 0x02000000000a, 0x02000000000b, 0x0806);
    emitArp(arp, 14, 2, 0x02000000000b, 0x0a000003, 0x02000000000a, 0x0a000002);
    port.inject(arp);
  });
  afterEach(async () => {
    await stack.disconnect();
    await hub.close();
  });

  const feed = (frame: Uint8Array) => port.inject(frame);
  const good = (over: Partial<Parameters<typeof ipFrame>[0]> = {}) =>
    ipFrame({
      dstMac: US,
      srcMac: PEER,
      src: PEER_IP,
      dst: '10.0.0.2',
      protocol: 1,
      payload: echoRequest(1, 1),
      ...over,
    });
  const echoRepliesSeen = async (n: number) => {
    const deadline = Date.now() + 3000;
    const count = () =>
      replies.filter((f) => {
        const ip = new Ipv4View();
        const icmp = new Icmpv4View();
        return (
          !ip.wrap(f, 14, f.length - 14) &&
          ip.protocol === 1 &&
          !icmp.wrap(f, ip.payloadOffset, ip.payloadLength) &&
          icmp.type === IcmpType.echoReply
        );
      }).length;
    while (count() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return count();
  };

  it('counts each kind of damage under its own reason', async () => {
    const cases: Array<[string, Uint8Array]> = [];
    cases.push(['ethernet.truncated', good().slice(0, 10)]);
    const unknownType = good();
    unknownType[12] = 0x88;
    unknownType[13] = 0xb5;
    cases.push(['ethernet.unknown-ethertype', unknownType]);
    cases.push(['ethernet.not-for-us', good({ dstMac: '02:00:00:00:00:99' })]);
    cases.push(['ipv4.truncated', good().slice(0, 14 + 12)]);
    const badIpSum = good();
    badIpSum[14 + 10] ^= 0xff;
    cases.push(['ipv4.bad-checksum', badIpSum]);
    const longTotal = good();
    longTotal[14 + 3] += 40; // total length beyond the frame (checksum kept right below)
    fixIpChecksum(longTotal);
    cases.push(['ipv4.truncated', longTotal]);
    const shortTotal = good();
    shortTotal[14 + 2] = 0;
    shortTotal[14 + 3] = 12;
    fixIpChecksum(shortTotal);
    cases.push(['ipv4.bad-length', shortTotal]);
    const v6 = good();
    v6[14] = 0x65;
    fixIpChecksum(v6);
    cases.push(['ipv4.bad-version', v6]);
    const ihl = good();
    ihl[14] = 0x44;
    fixIpChecksum(ihl);
    cases.push(['ipv4.bad-header-length', ihl]);
    cases.push([
      'ipv4.source-route',
      good({ options: Uint8Array.of(Ipv4Option.looseSourceRoute, 7, 4, 10, 0, 0, 1, 0) }),
    ]);
    cases.push(['ipv4.bad-options', good({ options: Uint8Array.of(Ipv4Option.recordRoute, 40, 4, 0) })]);
    cases.push(['ipv4.not-for-us', good({ dst: '10.0.0.77' })]);
    cases.push(['ipv4.bad-source', good({ src: '255.255.255.255' })]);
    cases.push(['ipv4.unknown-protocol', good({ protocol: 132 })]);
    const badIcmp = echoRequest(1, 2);
    badIcmp[9] ^= 1;
    cases.push(['icmp.bad-checksum', good({ payload: badIcmp })]);
    cases.push(['icmp.truncated', good({ payload: echoRequest(1, 3).slice(0, 6) })]);
    const badUdp = udpDatagram(PEER_IP, '10.0.0.2', 1000, 53, Buffer.from('hello'));
    badUdp[9] ^= 1;
    cases.push(['udp.bad-checksum', good({ protocol: 17, payload: badUdp })]);
    const longUdp = udpDatagram(PEER_IP, '10.0.0.2', 1000, 53, Buffer.from('hello'));
    longUdp[5] = 200;
    cases.push(['udp.bad-length', good({ protocol: 17, payload: longUdp })]);
    cases.push(['udp.truncated', good({ protocol: 17, payload: Uint8Array.of(0, 1, 0) })]);
    const arpBad = new Uint8Array(42);
    emitEthernet(arpBad, 0, 0xffffffffffff, 0x02000000000b, 0x0806);
    emitArp(arpBad, 14, 9, 0x02000000000b, 0x0a000003, 0, 0x0a000002);
    cases.push(['arp.bad-operation', arpBad]);
    cases.push(['arp.truncated', arpBad.slice(0, 30)]);
    const tcp = new Uint8Array(20);
    tcp[12] = 0x50;
    cases.push(['tcp.bad-checksum', good({ protocol: 6, payload: tcp })]);
    // Segments whose checksum is right but whose header is not.
    const src = parseIpv4(PEER_IP) as number;
    const dst = parseIpv4('10.0.0.2') as number;
    const segment = (flags: number, options?: TcpOptions, damage?: (t: Uint8Array) => void, srcPort = 40000) => {
      const t = new Uint8Array(tcpHeaderLength(options));
      emitTcp(t, 0, { srcPort, dstPort: 8080, seq: 1, ack: 0, flags, window: 100, options }, 0, src, dst);
      if (damage) {
        damage(t);
        t[16] = t[17] = 0;
        const sum = checksum(t, 0, t.length, pseudoHeaderSum(src, dst, 6, t.length));
        t[16] = sum >>> 8;
        t[17] = sum & 0xff;
      }
      return good({ protocol: 6, payload: t });
    };
    cases.push(['tcp.bad-flags', segment(TcpFlag.syn | TcpFlag.fin)]);
    cases.push(['tcp.bad-flags', segment(TcpFlag.syn | TcpFlag.rst)]);
    cases.push(['tcp.bad-flags', segment(TcpFlag.psh | TcpFlag.urg)]); // no SYN, ACK or RST: nothing a TCP sends
    cases.push(['tcp.bad-header-length', segment(TcpFlag.syn, undefined, (t) => (t[12] = 0x40))]);
    cases.push(['tcp.truncated', segment(TcpFlag.syn, undefined, (t) => (t[12] = 0x80))]);
    cases.push(['tcp.bad-options', segment(TcpFlag.syn, { mss: 1460 }, (t) => (t[21] = 9))]);
    cases.push(['tcp.bad-port', segment(TcpFlag.syn, undefined, undefined, 0)]);

    for (const [, frame] of cases) expect(() => feed(frame)).not.toThrow();
    const expected: Record<string, number> = {};
    for (const [reason] of cases) expected[reason] = (expected[reason] ?? 0) + 1;
    expect(stack.drops()).toEqual(expected);
    // Nothing above answered any of it except the protocol-unreachable for protocol 132.
    await new Promise((r) => setTimeout(r, 50));
    expect(await echoRepliesSeen(0)).toBe(0);

    feed(good());
    expect(await echoRepliesSeen(1)).toBe(1);
  });

  it('accepts harmless IP options and trailing link padding', async () => {
    feed(good({ options: Uint8Array.of(Ipv4Option.recordRoute, 7, 4, 0, 0, 0, 0, Ipv4Option.nop) }));
    const padded = new Uint8Array(good().length + 30);
    padded.set(good());
    feed(padded);
    expect(await echoRepliesSeen(2)).toBe(2);
    expect(stack.drops()).toEqual({});
  });

  it('keeps the ARP cache bounded under a flood of forged replies', async () => {
    for (let i = 0; i < 3000; i++) {
      const f = new Uint8Array(42);
      emitEthernet(f, 0, 0x02000000000a, 0x020000100000 + i, 0x0806);
      emitArp(f, 14, 2, 0x020000100000 + i, 0x0a010000 + i, 0x02000000000a, 0x0a000002);
      feed(f);
    }
    expect(stack.arp.entries().length).toBeLessThanOrEqual(512);
    expect(stack.drops()['arp.cache-full']).toBeGreaterThanOrEqual(3000 - 512);
    // The newest survive; the peer's entry was pushed out, so it answers ARP afresh, and the stack still answers ping.
    expect(stack.arp.entries().map((e) => e.ip)).toContain('10.1.11.183');
    expect(stack.arp.entries().map((e) => e.ip)).not.toContain(PEER_IP);
    const again = new Uint8Array(42);
    emitEthernet(again, 0, 0x02000000000a, 0x02000000000b, 0x0806);
    emitArp(again, 14, 2, 0x02000000000b, 0x0a000003, 0x02000000000a, 0x0a000002);
    feed(again);
    feed(good());
    expect(await echoRepliesSeen(1)).toBe(1);
  });

  it('never lets a fragment attack grow memory past its bounds', async () => {
    const OTHER = '02:00:00:00:00:0d';
    const p = new RecordingNetif(hub.connect(OTHER));
    const s = await DirectStackv4.connect(new RecordingConsole(), p, false, '10.0.0.2/24', '', {
      ipv4: { reassembly: { maxBytes: 16 * 1024, maxDatagrams: 4, timeoutMs: 100 } },
    });
    try {
      const chunk = new Uint8Array(1024);
      for (let id = 0; id < 50; id++) {
        for (let k = 0; k < 8; k++) {
          p.inject(
            ipFrame({
              dstMac: OTHER,
              srcMac: PEER,
              src: PEER_IP,
              dst: '10.0.0.2',
              protocol: 17,
              payload: chunk,
              id,
              moreFragments: true,
              fragmentOffset: k * 1024,
            }),
          );
          const use = s.ip.reassemblyUse();
          expect(use.bytes).toBeLessThanOrEqual(16 * 1024);
          expect(use.datagrams).toBeLessThanOrEqual(4);
        }
      }
      expect(s.drops()['ipv4.reassembly-evicted']).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 400));
      expect(s.ip.reassemblyUse()).toEqual({ datagrams: 0, bytes: 0 });
      expect(s.drops()['ipv4.reassembly-timeout']).toBeGreaterThan(0);
      // Overlapping fragments drop the whole datagram.
      p.inject(
        ipFrame({
          dstMac: OTHER,
          srcMac: PEER,
          src: PEER_IP,
          dst: '10.0.0.2',
          protocol: 17,
          payload: chunk,
          id: 900,
          moreFragments: true,
          fragmentOffset: 0,
        }),
      );
      p.inject(
        ipFrame({
          dstMac: OTHER,
          srcMac: PEER,
          src: PEER_IP,
          dst: '10.0.0.2',
          protocol: 17,
          payload: chunk,
          id: 900,
          moreFragments: false,
          fragmentOffset: 512,
        }),
      );
      expect(s.drops()['ipv4.fragment-overlap']).toBe(1);
      expect(s.ip.reassemblyUse().datagrams).toBe(0);
    } finally {
      await s.disconnect();
    }
  });
});

function fixIpChecksum(frame: Uint8Array): void {
  const hl = (frame[14] & 0xf) * 4;
  frame[24] = 0;
  frame[25] = 0;
  let s = 0;
  for (let i = 0; i < Math.max(hl, 20); i += 2) s += (frame[14 + i] << 8) | frame[15 + i];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  s = ~s & 0xffff;
  frame[24] = s >>> 8;
  frame[25] = s & 0xff;
}
