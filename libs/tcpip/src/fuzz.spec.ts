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
    const target = await DirectStackv4.connect(new RecordingConsole(), hub.connect(US.mac), false, `${US.ip}/24`, '10.0.0.1', quiet);
    const attacker = hub.connect(PEER.mac);
    void attacker.listen(() => undefined);
    const fuzzer = new FrameFuzzer(new SeededRandom(SEED), US, PEER);
    const received: number[] = [];
    void target.listenUdpv4(53, (d) => void received.push(d.data.length));
    const started = Date.now();
    try {
      for (let i = 0; i < FRAMES; i += 1000) {
        for (let j = 0; j < 1000; j++) void attacker.write(fuzzer.next());
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 50));
      const drops = target.drops();
      const total = Object.values(drops).reduce((a, b) => a + b, 0);
      process.stdout.write(`fuzz: ${FRAMES} frames in ${Date.now() - started} ms; ${total} dropped; ${received.length} UDP delivered\n${JSON.stringify(drops, null, 1)}\n`);
      expect(drops['stack.internal-error']).toBeUndefined();
      expect(total).toBeGreaterThan(FRAMES / 4);
      expect(Object.keys(drops).length).toBeGreaterThan(15);
      expect(target.ip.reassemblyUse().bytes).toBeLessThanOrEqual(256 * 1024);
      await attacker.disconnect();

      const pinger = await DirectStackv4.connect(new RecordingConsole(), hub.connect('02:00:00:00:00:0c'), false, '10.0.0.4/24', '10.0.0.1', quiet);
      try {
        for (let seq = 0; seq < 3; seq++) {
          const r = await pinger.icmp.echo(US.ip, { sequence: seq, timeoutMs: 3000 });
          expect(r.ok && r.value.from).toBe(US.ip);
        }
      } finally {
        await pinger.disconnect();
      }
    } finally {
      await target.disconnect();
      await hub.close();
    }
  }, 600_000);
});
