import type { Flow } from '@mirage-ts/types';
import { DirectStackv4 } from './stack';
import { FrameFuzzer, SeededRandom } from './testing/fuzz';
import { MemorySwitch } from '@mirage-ts/netif/memory';
import { RecordingConsole } from './testing/recording-console';

const FRAMES = Number(process.env.TCPIP_FUZZ_FRAMES ?? 1_000_000);
const SEED = Number(process.env.TCPIP_FUZZ_SEED ?? 20240611);
const US = { mac: '02:00:00:00:00:0a', ip: '10.0.0.2' };
const PEER = { mac: '02:00:00:00:00:0b', ip: '10.0.0.3' };

describe(`fuzz: ${FRAMES} mutated frames (seed ${SEED})`, () => {
  it('drops and counts what it cannot use, never throws, and still answers ping', async () => {
    const hub = new MemorySwitch({ seed: SEED });
    const quiet = { log: () => undefined };
    const target = await DirectStackv4.connect(
      new RecordingConsole(),
      hub.connect(US.mac),
      false,
      `${US.ip}/24`,
      '10.0.0.1',
      quiet,
    );
    const attacker = hub.connect(PEER.mac);
    void attacker.listen(() => undefined);
    const fuzzer = new FrameFuzzer(new SeededRandom(SEED), US, PEER);
    const received: number[] = [];
    void target.listenUdpv4(53, (d) => void received.push(d.data.length));
    // An echo server on the port the fuzzed segments go to, so they reach the connection layer.
    const echo = async (flow: Flow) => {
      for (let r = await flow.read(); r.ok && r.value !== 'eof'; r = await flow.read()) await flow.write(r.value);
      await flow.close();
    };
    void target.listenTcpv4(8080, echo);
    let peakConnections = 0;
    const started = Date.now();
    try {
      for (let i = 0; i < FRAMES; i += 1000) {
        for (let j = 0; j < 1000; j++) void attacker.write(fuzzer.next());
        await new Promise((r) => setImmediate(r));
        peakConnections = Math.max(peakConnections, target.tcpStats().connections);
      }
      await new Promise((r) => setTimeout(r, 50));
      const drops = target.drops();
      const total = Object.values(drops).reduce((a, b) => a + b, 0);
      const tcp = target.tcpStats();
      process.stdout.write(
        `fuzz: ${FRAMES} frames in ${Date.now() - started} ms; ${total} dropped; ${received.length} UDP delivered; ` +
          `TCP: at most ${peakConnections} connections, now ${JSON.stringify(tcp)}\n${JSON.stringify(drops, null, 1)}\n`,
      );
      expect(drops['stack.internal-error']).toBeUndefined();
      expect(total).toBeGreaterThan(FRAMES / 4);
      expect(Object.keys(drops).length).toBeGreaterThan(15);
      expect(target.ip.reassemblyUse().bytes).toBeLessThanOrEqual(256 * 1024);
      // Half-open connections stay within the listener's backlog (SYN cookies beyond it), buffers within the budget.
      expect(peakConnections).toBeLessThanOrEqual(128 + 16);
      expect(tcp.bufferedBytes).toBeLessThanOrEqual(64 * 1024 * 1024);
      await attacker.disconnect();

      const pinger = await DirectStackv4.connect(
        new RecordingConsole(),
        hub.connect('02:00:00:00:00:0c'),
        false,
        '10.0.0.4/24',
        '10.0.0.1',
        quiet,
      );
      try {
        for (let seq = 0; seq < 3; seq++) {
          const r = await pinger.icmp.echo(US.ip, { sequence: seq, timeoutMs: 3000 });
          expect(r.ok && r.value.from).toBe(US.ip);
        }
        // And a real connection still gets through, its bytes echoed intact.
        const c = await pinger.tcpv4().connect({ address: US.ip, port: 8080 });
        if (!c.ok) throw new Error(c.error.message);
        expect((await c.value.write(Buffer.from('still here'))).ok).toBe(true);
        const back = await c.value.read();
        expect(back.ok && back.value !== 'eof' && Buffer.from(back.value).toString()).toBe('still here');
        await c.value.close();
      } finally {
        await pinger.disconnect();
      }
    } finally {
      await target.disconnect();
      await hub.close();
    }
  }, 600_000);
});
