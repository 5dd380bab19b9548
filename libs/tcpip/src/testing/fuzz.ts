import { BROADCAST_MAC, parseIpv4, parseMac } from '../wire/address';
import { emitArp } from '../wire/arp';
import { checksum, pseudoHeaderSum } from '../wire/checksum';
import { byteOption, DhcpMessageType, DhcpOp, DhcpOptionCode, emitDhcp, ipOption } from '../wire/dhcp';
import { emitEthernet } from '../wire/ethernet';
import { emitTcp, TcpFlag } from '../wire/tcp';
import { echoRequest, ipFrame, udpDatagram } from './frames';

/** A small seeded generator (mulberry32): the same seed gives the same frames. */
export class SeededRandom {
  constructor(private state: number) {}

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/**
 * Mutated frames for a stack at `target` (MAC and IP) from a peer: valid
 * frames of every protocol the stack speaks, then bit flips, overwritten
 * fields, truncations, extensions; most get their checksums recomputed so the
 * damage reaches the layers behind the checksum.
 */
export class FrameFuzzer {
  private readonly corpus: Uint8Array[];

  constructor(
    private readonly rng: SeededRandom,
    target: { mac: string; ip: string },
    peer: { mac: string; ip: string },
  ) {
    const base = { dstMac: target.mac, srcMac: peer.mac, src: peer.ip, dst: target.ip };
    const arp = (op: number) => {
      const f = new Uint8Array(42);
      emitEthernet(
        f,
        0,
        op === 1 ? BROADCAST_MAC : (parseMac(target.mac) as number),
        parseMac(peer.mac) as number,
        0x0806,
      );
      emitArp(
        f,
        14,
        op,
        parseMac(peer.mac) as number,
        parseIpv4(peer.ip) as number,
        op === 1 ? 0 : (parseMac(target.mac) as number),
        parseIpv4(target.ip) as number,
      );
      return f;
    };
    const syn = new Uint8Array(40);
    emitTcp(
      syn,
      0,
      {
        srcPort: 40000,
        dstPort: 8080,
        seq: 1,
        ack: 0,
        flags: TcpFlag.syn,
        window: 1000,
        options: { mss: 1460, sackPermitted: true, timestamp: { value: 1, echo: 0 }, windowScale: 7 },
      },
      0,
      parseIpv4(peer.ip) as number,
      parseIpv4(target.ip) as number,
    );
    // Segments for an established-looking connection on the listening port: data, FIN, RST.
    const segment = (flags: number, data: Uint8Array) => {
      const t = new Uint8Array(32 + data.length);
      t.set(data, 32);
      emitTcp(
        t,
        0,
        {
          srcPort: 40000,
          dstPort: 8080,
          seq: 2,
          ack: 12345,
          flags,
          window: 500,
          options: { timestamp: { value: 9, echo: 1 } },
        },
        data.length,
        parseIpv4(peer.ip) as number,
        parseIpv4(target.ip) as number,
      );
      return t;
    };
    const dhcp = emitDhcp({
      op: DhcpOp.reply,
      xid: 7,
      yiaddr: parseIpv4(target.ip) as number,
      chaddr: parseMac(target.mac) as number,
      options: [
        byteOption(DhcpOptionCode.messageType, DhcpMessageType.offer),
        ipOption(DhcpOptionCode.serverId, parseIpv4(peer.ip) as number),
      ],
    });
    const big = new Uint8Array(2000).fill(0x5a);
    const bigUdp = udpDatagram(peer.ip, target.ip, 1234, 53, big);
    this.corpus = [
      arp(1),
      arp(2),
      ipFrame({ ...base, protocol: 1, payload: echoRequest(0x1234, 1) }),
      ipFrame({
        ...base,
        protocol: 1,
        payload: echoRequest(0x1234, 2),
        options: Uint8Array.of(7, 7, 4, 0, 0, 0, 0, 1),
      }),
      ipFrame({
        ...base,
        protocol: 17,
        payload: udpDatagram(peer.ip, target.ip, 1234, 53, Buffer.from('hello udp world')),
      }),
      ipFrame({ ...base, protocol: 17, payload: udpDatagram(peer.ip, target.ip, 1234, 9999, Buffer.from('closed')) }),
      ipFrame({ ...base, protocol: 17, payload: bigUdp.subarray(0, 1480), id: 77, moreFragments: true }),
      ipFrame({ ...base, protocol: 17, payload: bigUdp.subarray(1480), id: 77, fragmentOffset: 1480 }),
      ipFrame({ ...base, protocol: 6, payload: syn }),
      ipFrame({ ...base, protocol: 6, payload: segment(TcpFlag.ack | TcpFlag.psh, Buffer.from('hello tcp world')) }),
      ipFrame({ ...base, protocol: 6, payload: segment(TcpFlag.ack | TcpFlag.fin, new Uint8Array(0)) }),
      ipFrame({ ...base, protocol: 6, payload: segment(TcpFlag.rst, new Uint8Array(0)) }),
      ipFrame({
        ...base,
        dst: '255.255.255.255',
        dstMac: 'ff:ff:ff:ff:ff:ff',
        protocol: 17,
        payload: udpDatagram(peer.ip, '255.255.255.255', 67, 68, dhcp),
      }),
    ];
  }

  next(): Uint8Array {
    const r = this.rng;
    const pick = this.corpus[r.int(this.corpus.length)];
    let f = Uint8Array.from(pick);
    switch (r.int(6)) {
      case 0: // bit flips
        for (let n = 1 + r.int(4); n > 0; n--) f[r.int(f.length)] ^= 1 << r.int(8);
        break;
      case 1: // random bytes in the headers
        for (let n = 1 + r.int(3); n > 0; n--) f[r.int(Math.min(f.length, 80))] = r.int(256);
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
        // an IPv4 field set to something extreme
        const fields = [14, 16, 17, 20, 21, 22, 23, 30, 31, 32, 33];
        if (f.length > 34) f[fields[r.int(fields.length)]] = [0, 0xff, 0x7f, 0x80, 0x45, 0x4f, r.int(256)][r.int(7)];
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
    if (r.next() < 0.7) fixChecksums(f);
    return f;
  }
}

/** Recomputes the IPv4 header checksum and, when the lengths allow, the ICMP/UDP/TCP one. */
export function fixChecksums(f: Uint8Array): void {
  if (f.length < 34 || f[12] !== 0x08 || f[13] !== 0) return;
  const hl = (f[14] & 0xf) * 4;
  if (hl < 20 || 14 + hl > f.length) return;
  f[24] = f[25] = 0;
  const hs = checksum(f, 14, hl);
  f[24] = hs >>> 8;
  f[25] = hs;
  const total = (f[16] << 8) | f[17];
  const fragmented = ((f[20] & 0x3f) | f[21]) !== 0;
  if (fragmented || total < hl || 14 + total > f.length) return;
  const off = 14 + hl;
  const len = total - hl;
  const proto = f[23];
  const src = ((f[26] << 24) | (f[27] << 16) | (f[28] << 8) | f[29]) >>> 0;
  const dst = ((f[30] << 24) | (f[31] << 16) | (f[32] << 8) | f[33]) >>> 0;
  const at = proto === 1 ? 2 : proto === 17 ? 6 : proto === 6 ? 16 : -1;
  if (at < 0 || len < at + 2) return;
  const l4len = proto === 17 && len >= 8 ? Math.min(len, (f[off + 4] << 8) | f[off + 5]) : len;
  f[off + at] = f[off + at + 1] = 0;
  const s = checksum(f, off, l4len, proto === 1 ? 0 : pseudoHeaderSum(src, dst, proto, l4len));
  f[off + at] = s >>> 8;
  f[off + at + 1] = s;
}
