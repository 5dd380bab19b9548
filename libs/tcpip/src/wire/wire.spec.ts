import * as path from 'node:path';
import { DropCounters } from '../drops';
import { Reassembler } from '../reassembly';
import { readPcap } from '../testing/pcap';
import { formatIpv4, formatMac, parseIpv4, parseIpv4Prefix, parseMac, readMac, writeMac } from './address';
import { ArpOp, ArpView, emitArp } from './arp';
import { checksum } from './checksum';
import { DhcpMessageType, DhcpOptionCode, emitDhcp, optionData, parseDhcp, u32Of, addressesOf } from './dhcp';
import { EthernetView } from './ethernet';
import { Icmpv4View, IcmpType } from './icmpv4';
import { emitIpv4, Ipv4Option, Ipv4View } from './ipv4';
import { TcpFlag, TcpView, emitTcp, tcpHeaderLength } from './tcp';
import { emitUdp, UdpView } from './udp';

/**
 * The views against bytes the Linux kernel, ping, nc, busybox udhcpc and
 * dnsmasq put on a veth link (fixtures/capture-linux.sh made linux.pcap).
 */
const frames = readPcap(path.join(__dirname, 'fixtures', 'linux.pcap'));

function decode(frame: Uint8Array) {
  const eth = new EthernetView();
  expect(eth.wrap(frame)).toBeUndefined();
  const ip = new Ipv4View();
  const ipBad = eth.etherType === 0x0800 ? ip.wrap(frame, 14, frame.length - 14) : 'not-ip';
  return { eth, ip, ipBad };
}

describe('wire formats against Linux', () => {
  it('has the capture it needs', () => {
    expect(frames.length).toBeGreaterThan(25);
  });

  it('parses every IPv4 header, with valid checksums, and emits the same bytes back', () => {
    let n = 0;
    for (const frame of frames) {
      const { eth, ip, ipBad } = decode(frame);
      if (eth.etherType !== 0x0800) continue;
      expect(ipBad).toBeUndefined();
      const options = ip.headerLength > 20 ? frame.slice(14 + 20, 14 + ip.headerLength) : undefined;
      const out = new Uint8Array(ip.headerLength);
      emitIpv4(out, 0, {
        src: ip.src,
        dst: ip.dst,
        protocol: ip.protocol,
        ttl: ip.ttl,
        id: ip.id,
        tos: ip.tos,
        payloadLength: ip.payloadLength,
        dontFragment: ip.dontFragment,
        moreFragments: ip.moreFragments,
        fragmentOffset: ip.fragmentOffset,
        options,
      });
      expect(Buffer.from(out).toString('hex')).toBe(
        Buffer.from(frame.subarray(14, 14 + ip.headerLength)).toString('hex'),
      );
      n++;
    }
    expect(n).toBeGreaterThan(20);
  });

  it('reads ARP requests and replies, and writes them identically', () => {
    const arps = frames.filter((f) => decode(f).eth.etherType === 0x0806);
    const replies = arps
      .map((f) => {
        const v = new ArpView();
        expect(v.wrap(f, 14, f.length - 14)).toBeUndefined();
        const again = new Uint8Array(28);
        emitArp(again, 0, v.op, v.senderMac, v.senderIp, v.targetMac, v.targetIp);
        expect(Buffer.compare(Buffer.from(again), Buffer.from(f.subarray(14, 42)))).toBe(0);
        return v;
      })
      .filter((v) => v.op === ArpOp.reply);
    expect(replies.map((v) => [formatIpv4(v.senderIp), formatMac(v.senderMac), formatIpv4(v.targetIp)])).toContainEqual(
      ['10.9.0.1', '02:00:00:00:00:01', '10.9.0.2'],
    );
  });

  it('verifies ICMP, UDP and TCP checksums the kernel computed, and computes the same ones', () => {
    const seen = { icmp: 0, udp: 0, tcp: 0 };
    for (const frame of frames) {
      const { eth, ip } = decode(frame);
      if (eth.etherType !== 0x0800 || ip.isFragment) continue;
      const off = ip.payloadOffset;
      const len = ip.payloadLength;
      if (ip.protocol === 1) {
        expect(new Icmpv4View().wrap(frame, off, len)).toBeUndefined();
        seen.icmp++;
      } else if (ip.protocol === 17) {
        const u = new UdpView();
        expect(u.wrap(frame, off, len, ip.src, ip.dst)).toBeUndefined();
        const copy = Uint8Array.from(frame.subarray(off, off + u.length));
        emitUdp(copy, 0, u.srcPort, u.dstPort, u.payloadLength, ip.src, ip.dst);
        expect(Buffer.from(copy.subarray(0, 8)).toString('hex')).toBe(
          Buffer.from(frame.subarray(off, off + 8)).toString('hex'),
        );
        seen.udp++;
      } else if (ip.protocol === 6) {
        const t = new TcpView();
        expect(t.wrap(frame, off, len, ip.src, ip.dst)).toBeUndefined();
        seen.tcp++;
      }
    }
    expect(seen.icmp).toBeGreaterThanOrEqual(5);
    expect(seen.udp).toBeGreaterThanOrEqual(6);
    expect(seen.tcp).toBeGreaterThanOrEqual(5);
  });

  it("decodes the options of Linux's SYN and writes a SYN Linux-style options parse back the same", () => {
    const syn = frames.map(decode).find(({ ip, eth }) => eth.etherType === 0x0800 && ip.protocol === 6);
    const { ip } = syn!;
    const t = new TcpView();
    expect(t.wrap(ip.buf, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst)).toBeUndefined();
    expect(t.flags).toBe(TcpFlag.syn);
    expect(t.dstPort).toBe(8080);
    expect(t.options).toEqual({
      mss: 1460,
      sackPermitted: true,
      timestamp: { value: expect.any(Number), echo: 0 },
      windowScale: 10,
    }); // as tcpdump reads it
    const out = new Uint8Array(tcpHeaderLength(t.options));
    emitTcp(
      out,
      0,
      {
        srcPort: t.srcPort,
        dstPort: t.dstPort,
        seq: t.seq,
        ack: t.ack,
        flags: t.flags,
        window: t.window,
        options: t.options,
      },
      0,
      ip.src,
      ip.dst,
    );
    const back = new TcpView();
    expect(back.wrap(out, 0, out.length, ip.src, ip.dst)).toBeUndefined();
    expect(back.options).toEqual(t.options);
    expect([back.seq, back.window, back.headerLength]).toEqual([t.seq, t.window, 40]);
  });

  it('reads the record-route option ping -R sends', () => {
    const rr = frames.map(decode).find(({ ip, eth }) => eth.etherType === 0x0800 && ip.headerLength > 20);
    expect(rr!.ip.hasSourceRoute).toBe(false);
    expect(rr!.ip.options().map((o) => o.type)).toContain(Ipv4Option.recordRoute);
  });

  it("reassembles Linux's fragmented echo request into a valid ICMP message", () => {
    const drops = new DropCounters();
    const r = new Reassembler(drops);
    const wholes: Uint8Array[] = [];
    for (const frame of frames) {
      const { eth, ip } = decode(frame);
      if (eth.etherType === 0x0800 && ip.isFragment) {
        const w = r.put(ip, 0);
        if (w) wholes.push(w);
      }
    }
    expect(wholes.map((w) => w.length)).toEqual([3008, 3008]);
    const icmp = new Icmpv4View();
    expect(icmp.wrap(wholes[0], 0, 3008)).toBeUndefined();
    expect(icmp.type).toBe(IcmpType.echoRequest);
    expect(drops.snapshot()).toEqual({});
  });

  it("parses udhcpc's requests and dnsmasq's offers and acks", () => {
    const dhcp = frames
      .map(decode)
      .filter(
        ({ eth, ip }) =>
          eth.etherType === 0x0800 &&
          ip.protocol === 17 &&
          [67, 68].includes((ip.buf[ip.payloadOffset + 2] << 8) | ip.buf[ip.payloadOffset + 3]),
      )
      .map(({ ip }) => parseDhcp(ip.buf, ip.payloadOffset + 8, ip.payloadLength - 8));
    for (const m of dhcp) expect(typeof m).toBe('object');
    const msgs = dhcp.filter((m): m is Exclude<typeof m, string> => typeof m !== 'string');
    const types = msgs.map((m) => optionData(m, DhcpOptionCode.messageType)?.[0]);
    expect(types).toEqual(
      expect.arrayContaining([
        DhcpMessageType.discover,
        DhcpMessageType.offer,
        DhcpMessageType.request,
        DhcpMessageType.ack,
      ]),
    );
    const ack = msgs.find((m) => optionData(m, DhcpOptionCode.messageType)?.[0] === DhcpMessageType.ack)!;
    expect(formatIpv4(ack.yiaddr)).toMatch(/^10\.9\.0\.(5\d|60)$/);
    expect(formatMac(ack.chaddr)).toBe('02:00:00:00:00:02');
    expect(formatIpv4(u32Of(optionData(ack, DhcpOptionCode.subnetMask))!)).toBe('255.255.255.0');
    expect(addressesOf(optionData(ack, DhcpOptionCode.router)).map(formatIpv4)).toEqual(['10.9.0.1']);
    expect(addressesOf(optionData(ack, DhcpOptionCode.dnsServer)).map(formatIpv4)).toEqual(['10.9.0.1']);
    expect(u32Of(optionData(ack, DhcpOptionCode.leaseTime))).toBe(120);
    // Our encoder round-trips through our parser with the same options.
    const again = parseDhcp(
      emitDhcp({
        op: ack.op,
        xid: ack.xid,
        yiaddr: ack.yiaddr,
        siaddr: ack.siaddr,
        chaddr: ack.chaddr,
        options: ack.options,
      }),
      0,
      300,
    );
    expect(typeof again !== 'string' && again.options).toEqual(ack.options);
  });
});

describe('wire details', () => {
  it('computes the RFC 1071 example checksum, at any alignment and odd length', () => {
    const bytes = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(checksum(bytes, 0, 8)).toBe(~0xddf2 & 0xffff);
    const shifted = new Uint8Array(11);
    shifted.set(bytes, 3);
    expect(checksum(shifted, 3, 8)).toBe(~0xddf2 & 0xffff);
    expect(checksum(Uint8Array.of(0x12, 0x34, 0x56), 0, 3)).toBe(~(0x1234 + 0x5600) & 0xffff);
    const big = new Uint8Array(1500).fill(0xff);
    expect(checksum(big, 0, 1500)).toBe(0);
  });

  it('sums long buffers as 16-bit big-endian words, whatever their offset in the ArrayBuffer', () => {
    const reference = (b: Uint8Array, off: number, len: number) => {
      let s = 0;
      for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0);
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      return ~s & 0xffff;
    };
    const backing = new Uint8Array(4200);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 7919 + (i >> 8)) & 0xff;
    for (const base of [0, 1, 2, 3, 4])
      for (const off of [0, 1, 2, 3, 34, 66])
        for (const len of [15, 16, 17, 20, 32, 1447, 1480, 4000]) {
          const view = backing.subarray(base, base + off + len);
          expect([base, off, len, checksum(view, off, len)]).toEqual([base, off, len, reference(view, off, len)]);
        }
    // Words that sum past 2^32 many times over, and an all-ones buffer that must fold to 0xffff (checksum 0).
    expect(checksum(new Uint8Array(65532).fill(0xff), 0, 65532)).toBe(0);
  });

  it('formats and parses addresses', () => {
    expect(parseIpv4('10.0.0.2')).toBe(0x0a000002);
    expect(parseIpv4('256.0.0.1')).toBeNull();
    expect(parseIpv4('10.0.0')).toBeNull();
    expect(formatIpv4(0xc0a84005)).toBe('192.168.64.5');
    expect(parseIpv4Prefix('10.0.0.2/24')).toEqual({ address: 0x0a000002, netmask: 0xffffff00 });
    expect(parseIpv4Prefix('10.0.0.2/33')).toBeNull();
    expect(parseMac('F2:ED:D2:41:CF:32')).toBe(0xf2edd241cf32);
    expect(formatMac(0x0000d241cf32)).toBe('00:00:d2:41:cf:32');
    const b = new Uint8Array(6);
    writeMac(b, 0, 0xfeedd241cf32);
    expect(readMac(b, 0)).toBe(0xfeedd241cf32);
  });

  it('refuses short and inconsistent buffers with a reason, never an exception', () => {
    const views = [new EthernetView(), new ArpView(), new Ipv4View(), new Icmpv4View(), new UdpView(), new TcpView()];
    for (let len = 0; len < 64; len++) {
      const junk = new Uint8Array(len).fill(0x45);
      for (const v of views)
        expect(() => (v as unknown as { wrap: (...a: unknown[]) => unknown }).wrap(junk, 0, len, 0, 0)).not.toThrow();
      expect(() => parseDhcp(junk, 0, len)).not.toThrow();
    }
  });
});
