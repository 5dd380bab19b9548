import type { Flow } from '@mirage-ts/types';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { ethif, ipv6, tcp, udp } from './layers';
import { SeededRandom } from './testing/fuzz';
import { Ipv6FrameFuzzer } from './testing/fuzz6';

const FRAMES = Number(process.env.TCPIP_FUZZ6_FRAMES ?? 1_000_000);
const SEED = Number(process.env.TCPIP_FUZZ6_SEED ?? 20261205);
const US = { mac: '02:00:00:00:00:0a', ip: 'fc00::2' };
const PEER = { mac: '02:00:00:00:00:0b', ip: 'fc00::3', linkLocal: 'fe80::ff:fe00:b' };
const FAST = { dadRetransMs: 20, routerSolicitations: 0 };

/** Layers composed as ping6 composes them, plus UDP and TCP listeners so fuzzed datagrams reach them. */
async function host(sw: MemorySwitch, mac: string, address: string, slaac: boolean) {
  const e = ethif(sw.connect(mac));
  const i = ipv6(e, { ...FAST, slaac });
  const u = udp(i);
  const t = tcp(i);
  const listening = e.listen();
  const ready = await i.setIp(address);
  return {
    e,
    i,
    u,
    t,
    ready,
    close: async () => {
      t.disconnect();
      await i.disconnect();
      await e.disconnect();
      await listening;
    },
  };
}

describe(`fuzz: ${FRAMES} mutated IPv6 frames (seed ${SEED})`, () => {
  it('drops and counts what it cannot use, never throws, stays within its bounds and still answers ping -6', async () => {
    const sw = new MemorySwitch({ seed: SEED });
    const target = await host(sw, US.mac, US.ip, true);
    expect(target.ready).toBe(true);
    const received: number[] = [];
    target.u.listen(53, (d) => void received.push(d.data.length));
    target.t.listen(8080, async (flow: Flow) => {
      for (let r = await flow.read(); r.ok && r.value !== 'eof'; r = await flow.read()) await flow.write(r.value);
      await flow.close();
    });
    const attacker = sw.connect(PEER.mac);
    void attacker.listen(() => undefined);
    const fuzzer = new Ipv6FrameFuzzer(new SeededRandom(SEED), US, PEER);
    const started = Date.now();
    let peakConnections = 0;
    try {
      for (let i = 0; i < FRAMES; i += 1000) {
        for (let j = 0; j < 1000; j++) void attacker.write(fuzzer.next());
        await new Promise((r) => setImmediate(r));
        peakConnections = Math.max(peakConnections, target.t.layer.stats().connections);
      }
      await new Promise((r) => setTimeout(r, 50));
      const drops = target.e.drops.snapshot();
      const total = Object.values(drops).reduce((a, b) => a + b, 0);
      const status = target.i.layer.status();
      process.stdout.write(
        `fuzz6: ${FRAMES} frames in ${Date.now() - started} ms; ${total} dropped; ${received.length} UDP delivered; ` +
          `at most ${peakConnections} TCP connections; ${target.i.layer.neighborCache().length} neighbors; ` +
          `${JSON.stringify(status)}\n${JSON.stringify(drops, null, 1)}\n`,
      );
      expect(drops['layers.handler-error']).toBeUndefined();
      expect(total).toBeGreaterThan(FRAMES / 4);
      expect(Object.keys(drops).filter((k) => /^(ipv6|icmpv6|ndp)\./.test(k)).length).toBeGreaterThan(15);
      expect(received.length).toBeGreaterThan(0);
      // Every table the input can grow stays within its bound.
      expect(target.i.layer.reassemblyUse().bytes).toBeLessThanOrEqual(256 * 1024);
      expect(target.i.layer.neighborCache().length).toBeLessThanOrEqual(256);
      expect(status.addresses.length).toBeLessThanOrEqual(2 + 4);
      expect(status.routers.length).toBeLessThanOrEqual(16);
      expect(status.onLink.length).toBeLessThanOrEqual(16);
      expect(status.mtu).toBeGreaterThanOrEqual(1280);
      expect(peakConnections).toBeLessThanOrEqual(128 + 16);
      await attacker.disconnect();

      const pinger = await host(sw, '02:00:00:00:00:0c', 'fc00::4', false);
      try {
        expect(pinger.ready).toBe(true);
        for (let seq = 0; seq < 3; seq++) {
          const r = await pinger.i.icmp.echo(US.ip, { sequence: seq, timeoutMs: 3000 });
          expect(r.ok && r.value.from).toBe(US.ip);
        }
        const c = await pinger.t.layer.connect({ address: US.ip, port: 8080 });
        if (!c.ok) throw new Error(c.error.message);
        expect((await c.value.write(Buffer.from('still here'))).ok).toBe(true);
        const back = await c.value.read();
        expect(back.ok && back.value !== 'eof' && Buffer.from(back.value).toString()).toBe('still here');
        await c.value.close();
      } finally {
        await pinger.close();
      }
    } finally {
      await target.close();
      await sw.close();
    }
  }, 600_000);
});
