import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseZoneFile, typeName } from '@mirage-ts/dns';
import { comparable, digBatch, type DigAnswer, type DigQuery } from '../testing/dig';
import { freeLoopbackPort } from '../testing/free-port';
import { nsdZones, startNsd, type Nsd } from '../testing/nsd';
import { nxEnv, WORKSPACE_ROOT } from '../testing/workspace';

/**
 * The dns example inside the qemu image (--net=socket: the guest kernel's
 * TCP/IP on the virtio NIC), asked by dig on the host through QEMU's port
 * forwards (UDP and TCP on one free loopback port), and compared with NSD
 * serving the same zone on loopback. The guest's resolver asks the guest's
 * own server, so nothing leaves the machine.
 */
const BOOT_MS = 600_000;
const ZONE_TEXT = fs.readFileSync(path.join(WORKSPACE_ROOT, 'apps/dns/data/test.zone'), 'utf8');
const tools = ['dig', 'nsd', 'qemu-system-x86_64'].every((t) => spawnSync('which', [t]).status === 0);
const maybe = tools ? describe : describe.skip;
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');

/** As in apps/dns/dns.e2e.spec.ts: NSD 4.6 misreads test.zone's 10-digit RRSIG times. */
const maskRrsigTimes = (rr: string) => rr.replace(/^(\S+ \d+ in rrsig \S+ \d+ \d+ \d+) \d{14} \d{14} /, '$1 T T ');
function normalised(a: DigAnswer) {
  const c = comparable(a);
  return { ...c, answer: c.answer.map(maskRrsigTimes), additional: c.additional.map(maskRrsigTimes) };
}

/** Every (name, type) of the zone, and a negative answer of each kind. */
function queries(): DigQuery[] {
  const seen = new Set<string>();
  const out: DigQuery[] = [];
  for (const r of parseZoneFile(ZONE_TEXT, { file: 'test.zone' })) {
    const key = `${r.name.key} ${typeName(r.type)}`;
    if (!seen.has(key)) out.push({ name: r.name.toString(), type: typeName(r.type) });
    seen.add(key);
  }
  out.push(
    { name: 'nope.d1.signpo.st', type: 'A' },
    { name: 'www.d1.signpo.st', type: 'AAAA' },
    { name: 'host.delegated.d1.signpo.st', type: 'A' },
    { name: 'alias.d1.signpo.st', type: 'A' },
    { name: 'example.com', type: 'A' },
  );
  return out;
}

maybe('the dns example in the qemu image', () => {
  let vm: ChildProcess | undefined;
  let nsd: Nsd | undefined;
  afterAll(async () => {
    if (vm?.pid) {
      try {
        process.kill(-vm.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await nsd?.stop();
  });

  it(
    'boots, resolves through itself, and answers dig over UDP and TCP as NSD does',
    async () => {
      const port = await freeLoopbackPort();
      // nx, the executor and QEMU in one process group, stopped together.
      vm = spawn(
        path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx'),
        [
          'run',
          'dns:run',
          '--target=qemu',
          '--net=socket',
          `--forward=udp:${port}:5354,tcp:${port}:5354`,
          '--resolver=127.0.0.1',
          '--resolver-port=5354',
          '--hostname=www.d1.signpo.st',
        ],
        { cwd: WORKSPACE_ROOT, env: nxEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let text = '';
      vm.stdout?.on('data', (b: Buffer) => (text += strip(b.toString('utf8'))));
      vm.stderr?.on('data', (b: Buffer) => (text += strip(b.toString('utf8'))));
      const until = Date.now() + BOOT_MS - 60_000;
      while (!/^www\.d1\.signpo\.st -> /m.test(text)) {
        if (Date.now() > until || vm.exitCode !== null) throw new Error(`the guest did not resolve; console:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(text).toMatch(/^DNS server on port 5354$/m);
      // The skeleton's gethostbyname, answered by the guest's own server.
      expect(text).toMatch(/^www\.d1\.signpo\.st -> 127\.0\.0\.94$/m);

      nsd = await startNsd(nsdZones(ZONE_TEXT), await freeLoopbackPort());
      const qs = queries();
      const ours = await digBatch('127.0.0.1', port, qs);
      const theirs = await digBatch('127.0.0.1', nsd.port, qs);
      expect(ours.map(normalised)).toEqual(theirs.map(normalised));
      expect(new Set(ours.map((a) => a.rcode))).toEqual(new Set(['NOERROR', 'NXDOMAIN', 'REFUSED']));

      const tcp = await digBatch('127.0.0.1', port, [{ name: 'd1.signpo.st', type: 'MX' }], ['+norec', '+tcp']);
      const tcpNsd = await digBatch('127.0.0.1', nsd.port, [{ name: 'd1.signpo.st', type: 'MX' }], ['+norec', '+tcp']);
      expect(tcp[0].transport).toBe('tcp');
      expect(normalised(tcp[0])).toEqual(normalised(tcpNsd[0]));
      expect(tcp[0].answer).toHaveLength(3);
      expect(text).toMatch(/^got tcp$/m);
    },
    BOOT_MS,
  );
});
