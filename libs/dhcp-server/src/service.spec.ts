import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FrameFuzzer, SeededRandom } from '@mirage-ts/tcpip/testing/fuzz';
import { ipFrame, udpDatagram } from '@mirage-ts/tcpip/testing/frames';
import { RecordingConsole } from '@mirage-ts/tcpip/testing/recording-console';
import { formatIpv4, parseIpv4, parseMac } from '@mirage-ts/tcpip/wire/address';
import { ArpOp, ArpView, emitArp } from '@mirage-ts/tcpip/wire/arp';
import { byteOption, DhcpMessageType as T, DhcpOptionCode as O, emitDhcp, parseDhcp } from '@mirage-ts/tcpip/wire/dhcp';
import { emitEthernet, EtherType } from '@mirage-ts/tcpip/wire/ethernet';
import { IpProtocol, Ipv4View } from '@mirage-ts/tcpip/wire/ipv4';
import { ok, type Network } from '@mirage-ts/types';
import { parseDhcpdConf } from './conf';
import { DhcpService } from './service';

const SERVER_MAC = '02:00:00:00:00:05';
const CLIENT_MAC = '02:00:00:00:00:42';
const conf = parseDhcpdConf(readFileSync(join(__dirname, 'fixtures/dhcpd.conf'), 'utf8'));

function setup(now?: () => number) {
  const sent: Uint8Array[] = [];
  const net: Network = {
    mac: SERVER_MAC,
    mtu: 1500,
    write: async (f) => {
      sent.push(Uint8Array.from(f));
      return ok(undefined);
    },
    listen: async () => ok(undefined),
    stats: () => ({ rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, dropped: 0 }),
    disconnect: async () => undefined,
  };
  const console = new RecordingConsole();
  const service = new DhcpService(console, net, {
    conf,
    ipaddr: parseIpv4('192.168.1.5') as number,
    color: false,
    now,
  });
  return { sent, console, service };
}

function discoverPayload(): Uint8Array {
  return emitDhcp({
    op: 1,
    xid: 7,
    chaddr: parseMac(CLIENT_MAC) as number,
    options: [byteOption(O.messageType, T.discover)],
  });
}

function dhcpFrame(payload: Uint8Array): Uint8Array {
  return ipFrame({
    dstMac: 'ff:ff:ff:ff:ff:ff',
    srcMac: CLIENT_MAC,
    src: '0.0.0.0',
    dst: '255.255.255.255',
    protocol: IpProtocol.udp,
    payload: udpDatagram('0.0.0.0', '255.255.255.255', 68, 67, payload),
  });
}

describe('DHCP service on a network device', () => {
  it('answers a DISCOVER frame with an OFFER frame and logs both', async () => {
    const { sent, console, service } = setup();
    await service.input(dhcpFrame(discoverPayload()));
    expect(sent).toHaveLength(1);
    const ip = new Ipv4View();
    expect(ip.wrap(sent[0], 14, sent[0].length - 14)).toBeUndefined();
    expect(formatIpv4(ip.src)).toBe('192.168.1.5');
    const m = parseDhcp(sent[0], ip.payloadOffset + 8, ip.payloadLength - 8);
    if (typeof m === 'string') throw new Error(m);
    expect(formatIpv4(m.yiaddr)).toBe('192.168.1.70');
    expect(console.lines[0]).toMatch(/^Received packet DISCOVER xid 0x00000007 chaddr 02:00:00:00:00:42/);
    expect(console.lines[1]).toMatch(/^Sent reply packet OFFER .* yiaddr 192\.168\.1\.70/);
  });

  it('answers ARP for its own address only', async () => {
    const { sent, service } = setup();
    const arp = (target: string) => {
      const f = new Uint8Array(42);
      emitEthernet(f, 0, 0xffff_ffff_ffff, parseMac(CLIENT_MAC) as number, EtherType.arp);
      emitArp(
        f,
        14,
        ArpOp.request,
        parseMac(CLIENT_MAC) as number,
        parseIpv4('192.168.1.70') as number,
        0,
        parseIpv4(target) as number,
      );
      return f;
    };
    await service.input(arp('192.168.1.9'));
    expect(sent).toHaveLength(0);
    await service.input(arp('192.168.1.5'));
    expect(sent).toHaveLength(1);
    const view = new ArpView();
    expect(view.wrap(sent[0], 14, sent[0].length - 14)).toBeUndefined();
    expect([view.op, formatIpv4(view.senderIp), formatIpv4(view.targetIp)]).toEqual([
      ArpOp.reply,
      '192.168.1.5',
      '192.168.1.70',
    ]);
  });

  it('drops, counts and logs malformed and truncated DHCP packets, then still serves', async () => {
    const { sent, console, service } = setup();
    const good = discoverPayload();
    const badMagic = Uint8Array.from(good);
    badMagic[236] = 0;
    const badOptions = Uint8Array.from(good);
    badOptions.set([53, 200], 240); // a length running past the end
    await service.input(dhcpFrame(good.subarray(0, 100)));
    await service.input(dhcpFrame(badMagic));
    await service.input(dhcpFrame(badOptions.subarray(0, 250)));
    const truncatedUdp = dhcpFrame(good).subarray(0, 14 + 20 + 4);
    await service.input(truncatedUdp);
    expect(sent).toHaveLength(0);
    expect(service.drops.get('dhcp.truncated')).toBe(1);
    expect(service.drops.get('dhcp.bad-magic')).toBe(1);
    expect(service.drops.get('dhcp.bad-options')).toBe(1);
    expect(service.drops.total()).toBe(4);
    // Each drop is logged with the counts so far.
    expect(console.lines[0]).toBe('Dropped a malformed packet (dhcp.truncated); dropped so far: 1 (dhcp.truncated 1)');
    // The frame cut inside the UDP header is shorter than its IPv4 header says.
    expect(console.lines[3]).toBe(
      'Dropped a malformed packet (ipv4.truncated); dropped so far: 4 (dhcp.bad-magic 1, dhcp.bad-options 1, dhcp.truncated 1, ipv4.truncated 1)',
    );
    // And the next well-formed DISCOVER is answered.
    await service.input(dhcpFrame(good));
    expect(sent).toHaveLength(1);
  });

  it('logs at most ten drops a second, counting all of them', async () => {
    let now = 100;
    const { console, service } = setup(() => now);
    const garbage = dhcpFrame(discoverPayload().subarray(0, 50));
    for (let i = 0; i < 25; i++) await service.input(garbage);
    expect(console.lines).toHaveLength(10);
    now = 101;
    await service.input(garbage);
    expect(console.lines).toHaveLength(11);
    expect(console.lines[10]).toContain('dropped so far: 26 (dhcp.truncated 26)');
  });

  it('sends a relayed reply to the relay: its MAC, its address, port 67', async () => {
    const { sent, service } = setup();
    const relayMac = '02:00:00:00:00:99';
    const payload = emitDhcp({
      op: 1,
      xid: 9,
      giaddr: parseIpv4('192.168.1.2') as number,
      chaddr: parseMac(CLIENT_MAC) as number,
      options: [byteOption(O.messageType, T.discover)],
    });
    await service.input(
      ipFrame({
        dstMac: 'ff:ff:ff:ff:ff:ff',
        srcMac: relayMac,
        src: '192.168.1.2',
        dst: '255.255.255.255',
        protocol: IpProtocol.udp,
        payload: udpDatagram('192.168.1.2', '255.255.255.255', 67, 67, payload),
      }),
    );
    expect(sent).toHaveLength(1);
    const frame = sent[0];
    expect(Buffer.from(frame.subarray(0, 6)).toString('hex')).toBe('020000000099');
    const ip = new Ipv4View();
    expect(ip.wrap(frame, 14, frame.length - 14)).toBeUndefined();
    expect(formatIpv4(ip.dst)).toBe('192.168.1.2');
    expect((frame[ip.payloadOffset + 2] << 8) | frame[ip.payloadOffset + 3]).toBe(67);
  });

  it('survives thousands of fuzzed frames', async () => {
    const { service } = setup();
    const fuzzer = new FrameFuzzer(
      new SeededRandom(13),
      { mac: SERVER_MAC, ip: '192.168.1.5' },
      { mac: CLIENT_MAC, ip: '192.168.1.70' },
    );
    for (let i = 0; i < 3000; i++) await service.input(fuzzer.next());
    expect(service.drops.get('dhcp.internal-error')).toBe(0);
    expect(service.drops.total()).toBeGreaterThan(0);
  });
});
