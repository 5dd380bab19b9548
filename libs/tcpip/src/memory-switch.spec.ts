import * as path from 'node:path';
import { MemorySwitch, type LinkFaults } from '@mirage-ts/netif/memory';
import type { Datagram } from '@mirage-ts/types';
import { DirectStackv4 } from './stack';
import { RecordingConsole } from './testing/recording-console';

/**
 * Two direct stacks on the in-memory switch, on a clean link and on a faulty
 * one. TCPIP_PCAP_DIR=/some/dir keeps a capture of each for Wireshark.
 */
let captures = 0;
async function pair(faults?: LinkFaults, seed = 7) {
  const dir = process.env.TCPIP_PCAP_DIR;
  const sw = new MemorySwitch({
    seed,
    faults,
    pcapFile: dir ? path.join(dir, `tcpip-pair-${++captures}.pcap`) : undefined,
  });
  const ca = new RecordingConsole();
  const cb = new RecordingConsole();
  const a = await DirectStackv4.connect(ca, sw.connect('02:00:00:00:00:0a'), false, '10.0.0.2/24', '10.0.0.1');
  const b = await DirectStackv4.connect(cb, sw.connect('02:00:00:00:00:0b'), false, '10.0.0.3/24', '10.0.0.1');
  return {
    sw,
    a,
    b,
    ca,
    cb,
    close: async () => {
      await a.disconnect();
      await b.disconnect();
      await sw.close();
    },
  };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

describe('two direct stacks on the memory switch', () => {
  it('exchange UDP both ways', async () => {
    const { a, b, ca, cb, close } = await pair();
    try {
      const atA: Datagram[] = [];
      const atB: Datagram[] = [];
      await a.listenUdpv4(53, (d) => void atA.push(d));
      await b.listenUdpv4(5353, (d) => void atB.push(d));
      for (let i = 0; i < 100; i++) {
        expect(
          (await b.udpv4().write({ address: '10.0.0.2', port: 53 }, Buffer.from(`b->a ${i}`), { srcPort: 5353 })).ok,
        ).toBe(true);
        expect(
          (await a.udpv4().write({ address: '10.0.0.3', port: 5353 }, Buffer.from(`a->b ${i}`), { srcPort: 53 })).ok,
        ).toBe(true);
      }
      await until(() => atA.length === 100 && atB.length === 100);
      expect(atA.map((d) => Buffer.from(d.data).toString())).toEqual(
        Array.from({ length: 100 }, (_, i) => `b->a ${i}`),
      );
      expect(atB.map((d) => Buffer.from(d.data).toString())).toEqual(
        Array.from({ length: 100 }, (_, i) => `a->b ${i}`),
      );
      expect(atA[0].src).toEqual({ address: '10.0.0.3', port: 5353 });
      expect(atB[0].src).toEqual({ address: '10.0.0.2', port: 53 });
      expect(ca.lines).toContain('ARP responding to: who-has 10.0.0.2?');
      expect(cb.lines).toContain('ARP: updating 10.0.0.2 -> 02:00:00:00:00:0a');
      expect(a.drops()).toEqual({});
      expect(b.drops()).toEqual({});
    } finally {
      await close();
    }
  });

  it('deliver only intact data over a link that corrupts, duplicates, reorders, pads and loses', async () => {
    const { a, b, sw, close } = await pair(
      { loss: 0.05, duplicate: 0.1, reorder: 0.1, corrupt: 0.2, trailingBytes: 0.3 },
      99,
    );
    try {
      const got = new Map<number, string>();
      await a.listenUdpv4(53, (d) => {
        const text = Buffer.from(d.data).toString();
        got.set(Number(text.split(' ')[0]), text);
      });
      // Large datagrams too, so fragments meet the faults as well.
      const body = (i: number) => `${i} ${'x'.repeat(i % 3 === 0 ? 3000 : 20)}`;
      for (let i = 0; i < 300; i++)
        await b.udpv4().write({ address: '10.0.0.2', port: 53 }, Buffer.from(body(i)), { srcPort: 5353 });
      await until(() => false, 500);
      expect(got.size).toBeGreaterThan(150);
      for (const [i, text] of got) expect(text).toBe(body(i));
      const s = sw.stats();
      expect(s.corrupted + s.duplicated + s.reordered + s.padded + s.lost).toBeGreaterThan(100);
      const drops = a.drops();
      expect(drops['stack.internal-error']).toBeUndefined();
      // Corruption was caught by checksums, not delivered.
      expect((drops['ipv4.bad-checksum'] ?? 0) + (drops['udp.bad-checksum'] ?? 0)).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });
});
