/**
 * The dns example end to end: build it once for unix (--net=socket), run
 * mir-dns on its port 5354 inside a network namespace this test makes, load
 * the same test.zone into NSD there, and ask both with dig for every
 * (name, type) of the zone and negative cases: rcode, flags and every
 * section must agree. The resolver is pointed at NSD. The TC-then-TCP retry
 * is checked with dig against the server library on loopback, since no
 * answer from test.zone exceeds 512 bytes.
 */
import { DnsServer, parseZoneFile, typeName, ZoneSet } from '@mirage-ts/dns';
import { SocketStackv4 } from '@mirage-ts/socket-stack/stack';
import { RecordingConsole } from '@mirage-ts/socket-stack/testing';
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { comparable, digBatch, type DigAnswer, type DigQuery } from '../../tools/testing/dig';
import { freeLoopbackPort } from '../../tools/testing/free-port';
import { nsdZones, startNsd, type Nsd } from '../../tools/testing/nsd';
import { copyWorkspace, nx } from '../../tools/testing/workspace';

const root = process.getuid?.() === 0;
const maybe = root ? describe : describe.skip;
const NS = `mts-dns-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const IN_NS = ['ip', 'netns', 'exec', NS];
const ZONE_TEXT = fs.readFileSync(path.join(__dirname, 'data/test.zone'), 'utf8');
const NSD_PORT = 5355;

let ws: { root: string; dispose(): void } | undefined;
let nsd: Nsd | undefined;

async function waitFor(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * NSD 4.6 reads the 10-digit RRSIG times of test.zone (seconds since 1970,
 * which RFC 4034 §3.2 allows) as something else; the rest of each RRSIG must agree.
 */
const maskRrsigTimes = (rr: string) => rr.replace(/^(\S+ \d+ in rrsig \S+ \d+ \d+ \d+) \d{14} \d{14} /, '$1 T T ');
function normalised(a: DigAnswer) {
  const c = comparable(a);
  return { ...c, answer: c.answer.map(maskRrsigTimes), additional: c.additional.map(maskRrsigTimes) };
}

function queries(): DigQuery[] {
  const seen = new Set<string>();
  const out: DigQuery[] = [];
  for (const r of parseZoneFile(ZONE_TEXT, { file: 'test.zone' })) {
    const q = { name: r.name.toString(), type: typeName(r.type) };
    if (!seen.has(`${r.name.key} ${q.type}`)) out.push(q);
    seen.add(`${r.name.key} ${q.type}`);
  }
  // Negative and special cases: NXDOMAIN, NODATA at names and empty non-terminals, referrals,
  // CNAME chains and loops, out of zone, ANY, unknown types, no EDNS, other EDNS versions, classes.
  const more: [string, string, ...string[]][] = [
    ['nope.d1.signpo.st', 'A'],
    ['NoPe.D1.SignPo.St', 'MX'],
    ['two.one.d1.signpo.st', 'A'],
    ['one.d1.signpo.st', 'TXT'],
    ['www.d1.signpo.st', 'AAAA'],
    ['host.delegated.d1.signpo.st', 'A'],
    ['delegated.d1.signpo.st', 'A'],
    ['delegated.d1.signpo.st', 'DS'],
    ['alias.d1.signpo.st', 'A'],
    ['alias.d1.signpo.st', 'TXT'],
    ['alias.d1.signpo.st', 'CNAME'],
    ['three.loop.d1.signpo.st', 'A'],
    ['example.com', 'A'],
    ['signpo.st', 'SOA'],
    ['d1.signpo.st', 'ANY'],
    ['types.d1.signpo.st', 'ANY'],
    ['x.types.d1.signpo.st', 'A'],
    ['d1.signpo.st', 'TYPE65280'],
    ['www.d1.signpo.st', 'A', '+noedns'],
    ['d1.signpo.st', 'NS', '+noedns'],
    ['d1.signpo.st', 'SOA', '+edns=1'],
    ['d1.signpo.st', 'SOA', '-c', 'CH'],
    ['mail.d1.signpo.st', 'A', '+bufsize=100'],
  ];
  return [
    ...out,
    ...more.map(([name, type, ...options]) => ({ name, type, options: options.length ? options : undefined })),
  ];
}

type App = { child: ChildProcess; output: () => string; exited: Promise<void> };
const apps: App[] = [];
const bins: Record<string, string> = {};

function startApp(bin: string, resolver: string): App {
  // The resolver asks NSD, inside the namespace, for a name of the zone.
  const args = [`--resolver=${resolver}`, `--resolver-port=${NSD_PORT}`, '--hostname=www.d1.signpo.st'];
  const child = spawn('ip', ['netns', 'exec', NS, bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const app = { child, output: () => out, exited };
  apps.push(app);
  return app;
}

async function stopApp(app: App): Promise<void> {
  if (app.child.exitCode === null && app.child.signalCode === null) {
    app.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([app.exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
  }
}

function inNs(command: string): void {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', command], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${command}: ${r.stderr}`);
}

maybe('mir-dns against NSD', () => {
  beforeAll(async () => {
    ws = copyWorkspace('mirage-dns-');
    // One build per stack; both land in dist/apps/dns/unix, so each is kept aside.
    for (const net of ['socket', 'direct']) {
      const built = nx(['build', 'dns', '--target=unix', `--net=${net}`], { cwd: ws.root });
      if (built.status !== 0) throw new Error(`nx build dns --net=${net} failed:\n${built.output}`);
      const dir = path.join(ws.root, `dist/dns-${net}`);
      fs.cpSync(path.join(ws.root, 'dist/apps/dns/unix'), dir, { recursive: true });
      bins[net] = path.join(dir, 'mir-dns');
    }
    execFileSync('ip', ['netns', 'add', NS]);
    // The skeleton's tap0 with Linux at 10.0.0.1; the direct stack takes its default 10.0.0.2/24.
    for (const cmd of [
      'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1',
      'ip link set lo up',
      'ip tuntap add tap0 mode tap',
      'ip addr add 10.0.0.1/24 dev tap0',
      'ip link set tap0 up',
    ])
      inNs(cmd);
    nsd = await startNsd(nsdZones(ZONE_TEXT), NSD_PORT, IN_NS, ['127.0.0.1', '10.0.0.1']);
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) await stopApp(app);
    await nsd?.stop();
    const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];
    for (const pid of pids) spawnSync('kill', ['-9', pid]);
    spawnSync('ip', ['netns', 'del', NS]);
    ws?.dispose();
  });

  describe.each([
    ['socket', '127.0.0.1', '127.0.0.1'],
    ['direct', '10.0.0.2', '10.0.0.1'],
  ])('--net=%s, answering on %s', (net, address, resolver) => {
    let app: App;
    beforeAll(async () => {
      app = startApp(bins[net], resolver);
      await waitFor(
        'mir-dns to listen',
        () => app.child.exitCode !== null || app.output().includes('DNS server on port 5354'),
      );
      if (app.child.exitCode !== null) throw new Error(`mir-dns exited:\n${app.output()}`);
    });
    afterAll(() => stopApp(app));

    it('answers every (name, type) of the zone and the negative cases as NSD does', async () => {
      const qs = queries();
      expect(qs.length).toBeGreaterThan(60);
      const ours = await digBatch(address, 5354, qs, undefined, IN_NS);
      const theirs = await digBatch('127.0.0.1', NSD_PORT, qs, undefined, IN_NS);
      expect(ours.map(normalised)).toEqual(theirs.map(normalised));
      // The comparison covers every kind of answer.
      const rcodes = new Set(ours.map((a) => a.rcode));
      for (const r of ['NOERROR', 'NXDOMAIN', 'REFUSED']) expect(rcodes).toContain(r);
      expect(ours.some((a) => !a.flags.includes('aa') && a.authority.length === 3)).toBe(true); // the referral
    });

    it("keeps the query's case in the question and the answer", async () => {
      const [a] = await digBatch(address, 5354, [{ name: 'MaIl.D1.SiGnPo.St', type: 'A' }], undefined, IN_NS);
      expect(a.question).toBe('MaIl.D1.SiGnPo.St. IN A');
      const raw = execFileSync(
        'ip',
        [
          ...IN_NS.slice(1),
          'dig',
          '+norec',
          '@' + address,
          '-p',
          '5354',
          'MaIl.D1.SiGnPo.St',
          'A',
          '+noall',
          '+answer',
        ],
        { encoding: 'utf8' },
      );
      expect(raw).toMatch(/^MaIl\.D1\.SiGnPo\.St\.\s+172800\s+IN\s+A\s+127\.0\.0\.94$/m);
    });

    it('answers over TCP too, prints the skeleton lines, and resolves through NSD', async () => {
      const [tcp] = await digBatch(address, 5354, [{ name: 'www.d1.signpo.st', type: 'A' }], ['+norec', '+tcp'], IN_NS);
      expect([tcp.transport, tcp.rcode, tcp.answer]).toEqual([
        'tcp',
        'NOERROR',
        ['www.d1.signpo.st. 172800 in a 127.0.0.94'],
      ]);
      await waitFor('the resolver result', () => app.output().includes('www.d1.signpo.st -> 127.0.0.94'), 10_000);
      const lines = app.output().split('\n');
      expect(lines).toContain('got udp');
      expect(lines).toContain('got tcp');
      expect(lines).toContain('Starting client resolver');
      expect(lines).toContain('www.d1.signpo.st -> 127.0.0.94');
    });
  });
});

describe('a reply too big for UDP', () => {
  it('sets TC, and dig retries over TCP and gets it whole', async () => {
    const zone =
      '$ORIGIN big.test.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 127.0.0.1\n' +
      Array.from({ length: 30 }, (_, i) => `t TXT "${String(i).padStart(90, '-')}"\n`).join('');
    const stack = await SocketStackv4.connect(new RecordingConsole(), ['127.0.0.1']);
    try {
      const server = new DnsServer(stack, ZoneSet.load(parseZoneFile(zone)).zones);
      const port = await freeLoopbackPort();
      const l = await server.listen(port);
      if (!l.ok) throw new Error(l.error.message);
      const out = await new Promise<string>((resolve, reject) =>
        execFile('dig', ['+norec', '+time=2', '@127.0.0.1', '-p', String(port), 't.big.test', 'TXT'], (e, stdout) =>
          e ? reject(e) : resolve(stdout),
        ),
      );
      expect(out).toContain(';; Truncated, retrying in TCP mode.');
      expect(out).toMatch(/;; flags: qr aa; QUERY: 1, ANSWER: 30,/);
      expect(out).toMatch(/\(TCP\)/);
      expect(server.stats.udp).toBe(1);
      expect(server.stats.tcp).toBe(1);
    } finally {
      await stack.disconnect();
    }
  });
});
