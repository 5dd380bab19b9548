import { parseIpv6, parseMac, readIpv6 } from '../wire/address';
import { checksum, ipPseudoHeaderSum } from '../wire/checksum';
import { emitLinkLayerOption, Icmpv6Type, NdpOption } from '../wire/icmpv6';
import { emitFragmentHeader, NextHeader } from '../wire/ipv6';
import { emitTcp, TcpFlag } from '../wire/tcp';
import { icmpv6Message, ipv6Frame, udp6Datagram } from './frames';
import type { SeededRandom } from './fuzz';

/**
 * Mutated IPv6 frames for a stack at `target` from a peer: valid frames of
 * everything the IPv6 side speaks (echo, Neighbor Discovery, router
 * advertisements, extension headers, fragments, ICMPv6 errors, UDP, TCP),
 * then bit flips, overwritten header fields, truncations and junk; most get
 * their upper-layer checksum recomputed so the damage gets past it.
 */
export class Ipv6FrameFuzzer {
  private readonly corpus: Uint8Array[];

  constructor(
    private readonly rng: SeededRandom,
    target: { mac: string; ip: string },
    peer: { mac: string; ip: string; linkLocal: string },
  ) {
    const base = { dstMac: target.mac, srcMac: peer.mac, src: peer.ip, dst: target.ip };
    const nd = { ...base, nextHeader: NextHeader.icmpv6, hopLimit: 255 };
    const peerMac = parseMac(peer.mac) as number;
    const t = parseIpv6(target.ip) as bigint;
    const sn = `ff02::1:ff${((t >> 16n) & 0xffn).toString(16).padStart(2, '0')}:${(t & 0xffffn).toString(16)}`;
    const snMac = `33:33:ff:${((t >> 16n) & 0xffn).toString(16).padStart(2, '0')}:${((t >> 8n) & 0xffn).toString(16).padStart(2, '0')}:${(t & 0xffn).toString(16).padStart(2, '0')}`;
    const addr = (s: string) => {
      const ip = parseIpv6(s) as bigint;
      return Uint8Array.from({ length: 16 }, (_, i) => Number((ip >> BigInt(8 * (15 - i))) & 0xffn));
    };
    const withLinkLayer = (target16: Uint8Array, type: number) => {
      const b = new Uint8Array(24);
      b.set(target16);
      emitLinkLayerOption(b, 16, type, peerMac);
      return b;
    };
    const ra = new Uint8Array(8 + 8 + 8 + 32);
    emitLinkLayerOption(ra, 8, NdpOption.sourceLinkLayer, peerMac);
    ra.set([NdpOption.mtu, 1, 0, 0, 0, 0, 0x05, 0xdc], 16);
    ra.set([NdpOption.prefixInformation, 4, 64, 0xc0, 0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08], 24);
    ra.set([0x20, 0x01, 0x0d, 0xb8, 0, 9], 40);
    const tcp = (flags: number, seq: number, data: Uint8Array) => {
      const s = new Uint8Array(32 + data.length);
      s.set(data, 32);
      emitTcp(
        s,
        0,
        {
          srcPort: 40000,
          dstPort: 8080,
          seq,
          ack: flags & TcpFlag.ack ? 12345 : 0,
          flags,
          window: 1000,
          options: flags & TcpFlag.syn ? { mss: 1440, sackPermitted: true } : { timestamp: { value: 9, echo: 1 } },
        },
        data.length,
        parseIpv6(peer.ip) as bigint,
        t,
      );
      return flags & TcpFlag.syn ? s.subarray(0, 28 + data.length) : s;
    };
    const bigUdp = udp6Datagram(peer.ip, target.ip, 1234, 53, new Uint8Array(2000).fill(0x5a));
    const frag = (offset: number, more: boolean, data: Uint8Array) => {
      const p = new Uint8Array(8 + data.length);
      emitFragmentHeader(p, 0, NextHeader.udp, offset, more, 99);
      p.set(data, 8);
      return ipv6Frame({ ...base, nextHeader: NextHeader.fragment, payload: p });
    };
    const quoted = new Uint8Array(48);
    quoted.set(
      ipv6Frame({ ...base, src: target.ip, dst: peer.ip, nextHeader: 17, payload: new Uint8Array(8) }).subarray(14),
    );
    this.corpus = [
      ipv6Frame({
        ...base,
        nextHeader: 58,
        payload: icmpv6Message(128, 0, 0x12340001, new Uint8Array(56), peer.ip, target.ip),
      }),
      ipv6Frame({
        ...base,
        dst: 'ff02::1',
        dstMac: '33:33:00:00:00:01',
        nextHeader: 58,
        payload: icmpv6Message(128, 0, 0x12340002, new Uint8Array(8), peer.ip, 'ff02::1'),
      }),
      ipv6Frame({
        ...nd,
        dst: sn,
        dstMac: snMac,
        payload: icmpv6Message(
          Icmpv6Type.neighborSolicitation,
          0,
          0,
          withLinkLayer(addr(target.ip), NdpOption.sourceLinkLayer),
          peer.ip,
          sn,
        ),
      }),
      ipv6Frame({
        ...nd,
        src: '::',
        dst: sn,
        dstMac: snMac,
        payload: icmpv6Message(Icmpv6Type.neighborSolicitation, 0, 0, addr(target.ip), '::', sn),
      }),
      ipv6Frame({
        ...nd,
        payload: icmpv6Message(
          Icmpv6Type.neighborAdvertisement,
          0,
          0x6000_0000,
          withLinkLayer(addr(peer.ip), NdpOption.targetLinkLayer),
          peer.ip,
          target.ip,
        ),
      }),
      ipv6Frame({
        ...nd,
        src: peer.linkLocal,
        dst: 'ff02::1',
        dstMac: '33:33:00:00:00:01',
        payload: icmpv6Message(Icmpv6Type.routerAdvertisement, 0, (64 << 24) | 600, ra, peer.linkLocal, 'ff02::1'),
      }),
      ipv6Frame({
        ...nd,
        src: peer.linkLocal,
        dst: 'ff02::2',
        dstMac: '33:33:00:00:00:02',
        payload: icmpv6Message(Icmpv6Type.routerSolicitation, 0, 0, new Uint8Array(0), peer.linkLocal, 'ff02::2'),
      }),
      ipv6Frame({ ...base, nextHeader: 17, payload: udp6Datagram(peer.ip, target.ip, 1234, 53, Buffer.from('hello')) }),
      ipv6Frame({ ...base, nextHeader: 17, payload: udp6Datagram(peer.ip, target.ip, 1234, 9, Buffer.from('closed')) }),
      // Hop-by-hop (router alert) and destination options before UDP.
      ipv6Frame({
        ...base,
        nextHeader: NextHeader.hopByHop,
        payload: Uint8Array.from([
          ...[NextHeader.destination, 0, 5, 2, 0, 0, 1, 0],
          ...[17, 0, 0x1e, 1, 0, 1, 0, 0],
          ...udp6Datagram(peer.ip, target.ip, 1234, 53, Buffer.from('options')),
        ]),
      }),
      ipv6Frame({ ...base, nextHeader: NextHeader.routing, payload: Uint8Array.from([17, 0, 0, 0, 0, 0, 0, 0]) }),
      frag(0, true, bigUdp.subarray(0, 1232)),
      frag(1232, false, bigUdp.subarray(1232)),
      ipv6Frame({ ...base, nextHeader: 6, payload: tcp(TcpFlag.syn, 1, new Uint8Array(0)) }),
      ipv6Frame({ ...base, nextHeader: 6, payload: tcp(TcpFlag.ack | TcpFlag.psh, 2, Buffer.from('hello tcp')) }),
      ipv6Frame({ ...base, nextHeader: 6, payload: tcp(TcpFlag.rst, 2, new Uint8Array(0)) }),
      ipv6Frame({ ...base, nextHeader: 253, payload: new Uint8Array(16) }),
      ipv6Frame({ ...base, nextHeader: 58, payload: icmpv6Message(1, 4, 0, quoted, peer.ip, target.ip) }),
      ipv6Frame({ ...base, nextHeader: 58, payload: icmpv6Message(2, 0, 1280, quoted, peer.ip, target.ip) }),
    ];
  }

  next(): Uint8Array {
    const r = this.rng;
    let f = Uint8Array.from(this.corpus[r.int(this.corpus.length)]);
    switch (r.int(6)) {
      case 0: // bit flips
        for (let n = 1 + r.int(4); n > 0; n--) f[r.int(f.length)] ^= 1 << r.int(8);
        break;
      case 1: // random bytes in the headers (fixed, extension and upper-layer)
        for (let n = 1 + r.int(3); n > 0; n--) f[r.int(Math.min(f.length, 110))] = r.int(256);
        break;
      case 2: // truncated
        f = f.slice(0, r.int(f.length));
        break;
      case 3: {
        // extended with junk
        const g = new Uint8Array(f.length + 1 + r.int(64));
        g.set(f);
        for (let i = f.length; i < g.length; i++) g[i] = r.int(256);
        f = g;
        break;
      }
      case 4: {
        // a field of the fixed header, the first extension or the ICMPv6 header set to something extreme
        const fields = [14, 15, 18, 19, 20, 21, 37, 53, 54, 55, 56, 57, 58, 59, 62, 63, 64, 65];
        if (f.length > 54)
          f[fields[r.int(fields.length)]] = [0, 0xff, 0x7f, 0x80, 0x3a, 0x2c, 0x11, r.int(256)][r.int(8)];
        break;
      }
      default: {
        // noise behind a plausible Ethernet header
        const g = new Uint8Array(r.int(8) === 0 ? r.int(1514) : r.int(120));
        for (let i = 0; i < g.length; i += 4) {
          const w = r.int(0x1_0000_0000);
          for (let k = 0; k < 4 && i + k < g.length; k++) g[i + k] = w >>> (8 * k);
        }
        g.set(f.subarray(0, Math.min(14, g.length)));
        f = g;
      }
    }
    if (r.next() < 0.7) fixChecksums6(f);
    return f;
  }
}

/** Recomputes the ICMPv6, UDP or TCP checksum after the fixed header and any options headers, when the lengths allow. */
export function fixChecksums6(f: Uint8Array): void {
  if (f.length < 54 || f[12] !== 0x86 || f[13] !== 0xdd) return;
  const end = 54 + ((f[18] << 8) | f[19]);
  if (end > f.length) return;
  let next = f[20];
  let at = 54;
  while ((next === 0 || next === 60 || next === 43) && at + 2 <= end) {
    const n = f[at];
    at += (f[at + 1] + 1) * 8;
    next = n;
  }
  const field = next === 58 ? 2 : next === 17 ? 6 : next === 6 ? 16 : -1;
  if (field < 0 || at + field + 2 > end) return;
  const len = end - at;
  f[at + field] = f[at + field + 1] = 0;
  const s = checksum(f, at, len, ipPseudoHeaderSum(readIpv6(f, 22), readIpv6(f, 38), next, len));
  f[at + field] = s >>> 8;
  f[at + field + 1] = s;
}
