import {
  formatIpv6,
  interfaceIdFromMac,
  multicastMacIpv6,
  parseIpv6,
  parseIpv6Prefix,
  parseMac,
  solicitedNode,
  formatMac,
} from './address';
import { ipPseudoHeaderSum } from './checksum';
import { fillIcmpv6Checksum, Icmpv6Type, Icmpv6View, parseNdpOptions } from './icmpv6';
import { emitFragmentHeader, emitIpv6, Ipv6View, NextHeader, walkExtensions } from './ipv6';
import { emitUdp, UdpView } from './udp';

/** The Internet checksum computed the slow, obvious way over an explicit pseudo-header (RFC 8200 8.1). */
function naiveChecksum6(src: bigint, dst: bigint, nextHeader: number, body: Uint8Array): number {
  const pseudo = new Uint8Array(40 + body.length + (body.length % 2));
  for (let i = 0; i < 16; i++) {
    pseudo[i] = Number((src >> BigInt(8 * (15 - i))) & 0xffn);
    pseudo[16 + i] = Number((dst >> BigInt(8 * (15 - i))) & 0xffn);
  }
  pseudo[34] = body.length >>> 8;
  pseudo[35] = body.length & 0xff;
  pseudo[39] = nextHeader;
  pseudo.set(body, 40);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += (pseudo[i] << 8) | pseudo[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

describe('IPv6 addresses', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['fc00::2', 'fc00::2'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::5054:ff:fe12:3456%tap0', 'fe80::5054:ff:fe12:3456'],
    // RFC 5952 4.2.2: a single zero word is not shortened; 4.2.3: the first of equal runs.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
  ])('%s reads and prints as %s', (text, canonical) => {
    const ip = parseIpv6(text);
    expect(ip).not.toBeNull();
    expect(formatIpv6(ip as bigint)).toBe(canonical);
    expect(parseIpv6(canonical)).toBe(ip);
  });

  it.each(['', ':::', '1::2::3', '12345::', 'fc00:1:2:3:4:5:6:7:8', 'g::1', '1:2:3:4:5:6:7', '::1.2.3.256'])(
    'refuses %j',
    (text) => expect(parseIpv6(text)).toBeNull(),
  );

  it('derives the groups and identifiers Neighbor Discovery needs', () => {
    const ip = parseIpv6('fc00::2') as bigint;
    expect(formatIpv6(solicitedNode(ip))).toBe('ff02::1:ff00:2');
    expect(formatMac(multicastMacIpv6(solicitedNode(ip)))).toBe('33:33:ff:00:00:02');
    // RFC 4291 appendix A: the universal/local bit is inverted and ff:fe goes in the middle.
    const id = interfaceIdFromMac(parseMac('52:54:00:12:34:56') as number);
    expect(formatIpv6((0xfe80n << 112n) | id)).toBe('fe80::5054:ff:fe12:3456');
    expect(parseIpv6Prefix('fc00::2')).toEqual({ address: ip, prefixLength: 64 });
    expect(parseIpv6Prefix('fc00::2/129')).toBeNull();
  });
});

describe('IPv6 wire formats', () => {
  const src = parseIpv6('fc00::1') as bigint;
  const dst = parseIpv6('fc00::2') as bigint;

  it('computes pseudo-header checksums as the obvious byte-by-byte sum does', () => {
    for (const size of [0, 1, 7, 8, 55, 1000]) {
      const msg = new Uint8Array(8 + size).map((_, i) => (i * 37 + size) & 0xff);
      msg[0] = Icmpv6Type.echoRequest;
      fillIcmpv6Checksum(msg, 0, msg.length, src, dst);
      const zeroed = Uint8Array.from(msg);
      zeroed[2] = zeroed[3] = 0;
      expect((msg[2] << 8) | msg[3]).toBe(naiveChecksum6(src, dst, 58, zeroed));
      expect(new Icmpv6View().wrap(msg, 0, msg.length, src, dst)).toBeUndefined();
      // The same bytes between other addresses fail: the pseudo-header is covered.
      expect(new Icmpv6View().wrap(msg, 0, msg.length, src, dst + 1n)).toBe('bad-checksum');
    }
    expect(ipPseudoHeaderSum(src, dst, 17, 8)).toBe(0xfc00 + 1 + 0xfc00 + 2 + 8 + 17);
  });

  it('refuses a UDP datagram without checksum over IPv6 but not over IPv4', () => {
    const d = new Uint8Array(12);
    emitUdp(d, 0, 1000, 2000, 4, src, dst);
    expect(new UdpView().wrap(d, 0, d.length, src, dst)).toBeUndefined();
    d[6] = d[7] = 0;
    expect(new UdpView().wrap(d, 0, d.length, src, dst)).toBe('bad-checksum');
    expect(new UdpView().wrap(d, 0, d.length, 0x0a000001, 0x0a000002)).toBeUndefined();
  });

  const packet = (nextHeader: number, after: Uint8Array) => {
    const buf = new Uint8Array(40 + after.length + 3); // link padding after the packet
    emitIpv6(buf, 0, { src, dst, nextHeader, hopLimit: 64, payloadLength: after.length, flowLabel: 0xabcde });
    buf.set(after, 40);
    const v = new Ipv6View();
    expect(v.wrap(buf, 0, buf.length)).toBeUndefined();
    return v;
  };

  it('reads the fixed header back and refuses a short or misversioned one', () => {
    const v = packet(NextHeader.udp, new Uint8Array(8));
    expect([v.src, v.dst, v.nextHeader, v.hopLimit, v.payloadLength, v.flowLabel]).toEqual([
      src,
      dst,
      17,
      64,
      8,
      0xabcde,
    ]);
    expect(new Ipv6View().wrap(v.buf, 0, 47)).toBe('truncated');
    const b = Uint8Array.from(v.buf);
    b[0] = 0x45;
    expect(new Ipv6View().wrap(b, 0, b.length)).toBe('bad-version');
  });

  it('walks hop-by-hop and destination options to the upper layer', () => {
    // Hop-by-hop (router alert + PadN) -> destination options (Pad1s and an unknown skippable option) -> UDP.
    const hbh = [NextHeader.destination, 0, 5, 2, 0, 0, 1, 0];
    const dest = [NextHeader.udp, 0, 0x1e, 1, 0xaa, 0, 0, 0];
    const v = packet(NextHeader.hopByHop, Uint8Array.from([...hbh, ...dest, ...new Array(8).fill(0)]));
    expect(walkExtensions(v)).toEqual({ protocol: 17, offset: 56, nextHeaderPointer: 48 });
  });

  it('says what to do with options it does not know, by their top bits', () => {
    const opt = (type: number) => packet(NextHeader.destination, Uint8Array.from([17, 0, type, 2, 0, 0, 1, 0]));
    expect(walkExtensions(opt(0x3e))).toMatchObject({ protocol: 17 });
    expect(walkExtensions(opt(0x7e))).toBe('unsupported');
    expect(walkExtensions(opt(0xbe))).toEqual({ code: 2, pointer: 42 });
    expect(walkExtensions(opt(0xfe))).toEqual({ code: 2, pointer: 42 });
    // A hop-by-hop header anywhere but first, a routing header with segments left, broken lengths.
    expect(walkExtensions(packet(NextHeader.destination, Uint8Array.from([0, 0, 1, 4, 0, 0, 0, 0])))).toEqual({
      code: 1,
      pointer: 40,
    });
    expect(walkExtensions(packet(NextHeader.routing, Uint8Array.from([17, 0, 0, 1, 0, 0, 0, 0])))).toEqual({
      code: 0,
      pointer: 43,
    });
    expect(walkExtensions(packet(NextHeader.destination, Uint8Array.from([17, 1, 1, 4, 0, 0, 0, 0])))).toBe(
      'truncated',
    );
    expect(walkExtensions(packet(NextHeader.destination, Uint8Array.from([17, 0, 1, 9, 0, 0, 0, 0])))).toBe(
      'bad-options',
    );
  });

  it('stops at a fragment header and reads it', () => {
    const f = new Uint8Array(16);
    emitFragmentHeader(f, 0, NextHeader.udp, 1448, true, 0xdeadbeef);
    expect(walkExtensions(packet(NextHeader.fragment, f))).toEqual({
      protocol: 17,
      offset: 40,
      fragment: { offset: 1448, more: true, id: 0xdeadbeef, nextHeader: 17 },
      nextHeaderPointer: 40,
    });
  });

  it('parses NDP options and refuses zero-length or overrunning ones', () => {
    const opts = Uint8Array.from([
      ...[1, 1, 0x02, 0, 0, 0, 0, 0x0b],
      ...[5, 1, 0, 0, 0, 0, 0x05, 0x78],
      ...[3, 4, 64, 0xc0, 0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08, 0, 0, 0, 0],
      ...[0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      ...[99, 1, 0, 0, 0, 0, 0, 0],
    ]);
    expect(parseNdpOptions(opts, 0, opts.length)).toEqual({
      sourceLinkLayer: 0x02000000000b,
      mtu: 1400,
      prefixes: [
        {
          prefixLength: 64,
          onLink: true,
          autonomous: true,
          validLifetime: 3600,
          preferredLifetime: 1800,
          prefix: parseIpv6('2001:db8:1::'),
        },
      ],
    });
    expect(parseNdpOptions(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]), 0, 8)).toBe('bad-options');
    expect(parseNdpOptions(Uint8Array.from([1, 2, 0, 0, 0, 0, 0, 0]), 0, 8)).toBe('bad-options');
  });
});
