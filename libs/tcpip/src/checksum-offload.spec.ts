import { MemorySwitch, type MemoryNetif } from '@mirage-ts/netif/memory';
import type { Flow } from '@mirage-ts/types';
import { DirectStackv4 } from './stack';
import { ipFrame } from './testing/frames';
import { until } from './testing/flows';
import { RecordingConsole } from './testing/recording-console';
import { RecordingNetif } from './testing/recording-netif';
import { parseIpv4 } from './wire/address';
import { emitEthernet } from './wire/ethernet';
import { emitArp } from './wire/arp';
import { emitTcp, TcpFlag, tcpHeaderLength, type TcpOptions } from './wire/tcp';

/**
 * What a tap with offloads hands the stack: frames whose TCP checksum the
 * kernel vouches for (`Network.listen`'s `checksumVerified`), and segments
 * longer than the MTU. A stack on an interface without offloads may still be
 * handed the latter (a misconfigured or hostile peer): it takes them like any
 * other segment, and nothing throws.
 */
const US = '02:00:00:00:00:0a';
const PEER = '02:00:00:00:00:0b';
const PEER_IP = '10.0.0.3';
const SRC = parseIpv4(PEER_IP) as number;
const DST = parseIpv4('10.0.0.2') as number;

interface Segment {
  readonly seq: number;
  readonly ack?: number;
  readonly flags: number;
  readonly payload?: Uint8Array;
  readonly options?: TcpOptions;
  /** Leave the checksum field zero (wrong for any segment). */
  readonly badChecksum?: boolean;
}

/** A TCP segment from the peer's port 40000 to the stack's 8080, as IPv4 payload. */
function tcpSegment(s: Segment): Uint8Array {
  const payload = s.payload ?? new Uint8Array(0);
  const hl = tcpHeaderLength(s.options);
  const t = new Uint8Array(hl + payload.length);
  t.set(payload, hl);
  const fields = { srcPort: 40000, dstPort: 8080, seq: s.seq, ack: s.ack ?? 0, flags: s.flags, window: 65535 };
  emitTcp(t, 0, { ...fields, options: s.options }, payload.length, SRC, DST, !s.badChecksum);
  return t;
}

const frame = (payload: Uint8Array, more: Partial<Parameters<typeof ipFrame>[0]> = {}) =>
  ipFrame({ dstMac: US, srcMac: PEER, src: PEER_IP, dst: '10.0.0.2', protocol: 6, payload, ...more });

describe('frames from an interface that vouches for checksums, and super-segments', () => {
  let stack: DirectStackv4;
  let hub: MemorySwitch;
  let port: RecordingNetif;
  let peer: MemoryNetif;
  /** TCP headers the stack sent to the peer: [seq, ack, flags]. */
  const replies: Array<{ seq: number; ack: number; flags: number }> = [];

  beforeEach(async () => {
    hub = new MemorySwitch({ seed: 7 });
    port = new RecordingNetif(hub.connect(US));
    peer = hub.connect(PEER);
    replies.length = 0;
    void peer.listen((f) => {
      if (f.length < 54 || f[12] !== 0x08 || f[13] !== 0 || f[23] !== 6) return;
      const t = 14 + (f[14] & 0x0f) * 4;
      const word = (i: number) => ((f[i] << 24) | (f[i + 1] << 16) | (f[i + 2] << 8) | f[i + 3]) >>> 0;
      replies.push({ seq: word(t + 4), ack: word(t + 8), flags: f[t + 13] });
    });
    stack = await DirectStackv4.connect(new RecordingConsole(), port, false, '10.0.0.2/24', '10.0.0.1', {});
    // Teach the stack the peer's MAC so replies go out without ARP.
    const arp = new Uint8Array(42);
    emitEthernet(arp, 0, 0x02000000000a, 0x02000000000b, 0x0806);
    emitArp(arp, 14, 2, 0x02000000000b, SRC, 0x02000000000a, DST);
    port.inject(arp);
  });
  afterEach(async () => {
    await stack.disconnect();
    await hub.close();
  });

  const synAcks = () => replies.filter((r) => r.flags === (TcpFlag.syn | TcpFlag.ack));

  it('skips the checksum check only for a frame the interface vouched for', async () => {
    await stack.listenTcpv4(8080, () => undefined);
    const syn = frame(tcpSegment({ seq: 1000, flags: TcpFlag.syn, options: { mss: 1460 }, badChecksum: true }));
    port.inject(syn);
    expect(stack.drops()['tcp.bad-checksum']).toBe(1);
    port.inject(syn, true);
    await until('the SYN-ACK', () => synAcks().length === 1);
    expect(stack.drops()['tcp.bad-checksum']).toBe(1);
  });

  it('checks a datagram reassembled from fragments even when each fragment was vouched for', async () => {
    await stack.listenTcpv4(8080, () => undefined);
    const syn = tcpSegment({ seq: 1000, flags: TcpFlag.syn, badChecksum: true });
    port.inject(frame(syn.subarray(0, 16), { id: 9, moreFragments: true }), true);
    port.inject(frame(syn.subarray(16), { id: 9, fragmentOffset: 16 }), true);
    expect(stack.drops()['tcp.bad-checksum']).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(synAcks()).toHaveLength(0);
  });

  it('takes a 20000-byte segment on a 1500-byte link without offloads, intact', async () => {
    expect(port.mtu).toBe(1500);
    let flow: Flow | undefined;
    const received: Uint8Array[] = [];
    await stack.listenTcpv4(8080, async (f) => {
      flow = f;
      for (let r = await f.read(); r.ok && r.value !== 'eof'; r = await f.read())
        received.push(Uint8Array.from(r.value));
    });
    port.inject(frame(tcpSegment({ seq: 1000, flags: TcpFlag.syn, options: { mss: 1460 } })));
    await until('the SYN-ACK', () => synAcks().length === 1);
    const isn = synAcks()[0].seq;
    port.inject(frame(tcpSegment({ seq: 1001, ack: isn + 1, flags: TcpFlag.ack })));
    await until('the connection', () => flow !== undefined);
    const data = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) & 0xff);
    const big = frame(tcpSegment({ seq: 1001, ack: isn + 1, flags: TcpFlag.ack | TcpFlag.psh, payload: data }));
    expect(big.length).toBeGreaterThan(14 + 1500);
    expect(() => port.inject(big)).not.toThrow();
    await until('the data', () => received.reduce((n, c) => n + c.length, 0) === data.length);
    expect(Buffer.concat(received).equals(Buffer.from(data))).toBe(true);
    await until('its acknowledgement', () => replies.some((r) => r.ack === 1001 + data.length));
    expect(stack.drops()['stack.internal-error']).toBeUndefined();
  });
});
