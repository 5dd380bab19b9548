/**
 * NSD (Debian `nsd`) as the reference authoritative server: the
 * skeleton's test.zone split the way NSD accepts it, served in the
 * foreground on a loopback port, stopped by the test.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface NsdZones {
  /** test.zone for d1.signpo.st without the 2 lines NSD refuses. */
  readonly parent: string;
  /** The records at `types`, whose SOA makes it a zone of its own (as the 2015 server served it). */
  readonly types: string;
}

/**
 * NSD rejects 2 lines of test.zone: `uk.` (outside the zone) and the SOA at
 * `types` (an SOA below the apex). The `types` block becomes a second zone,
 * with its SOA, so both servers are authoritative for the same names.
 */
export function nsdZones(testZone: string): NsdZones {
  const lines = testZone.split('\n');
  const isUk = (l: string) => /^uk\.\s/.test(l);
  const isTypesSoa = (l: string) => /^\s+IN\s+SOA\s+master\s/.test(l);
  if (lines.filter(isUk).length !== 1 || lines.filter(isTypesSoa).length !== 1)
    throw new Error('test.zone changed: the lines NSD refuses (uk. NS, the SOA at types) are not found once each');
  const parent = lines.filter((l) => !isUk(l) && !isTypesSoa(l)).join('\n');
  const start = lines.findIndex((l) => /^types\s/.test(l));
  const types = ['$ORIGIN d1.signpo.st.', '$TTL 604800', ...lines.slice(start)].join('\n');
  return { parent, types };
}

export interface Nsd {
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * Starts `nsd -d` on 127.0.0.1:`port` serving the zones; resolves once it
 * answers on 127.0.0.1 (and any other of `addresses`). `prefix` runs it (and the readiness probe) elsewhere, e.g.
 * `['ip', 'netns', 'exec', NS]`.
 */
export async function startNsd(
  zones: NsdZones,
  port: number,
  prefix: readonly string[] = [],
  addresses: readonly string[] = ['127.0.0.1'],
): Promise<Nsd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsd-'));
  fs.writeFileSync(path.join(dir, 'parent.zone'), zones.parent);
  fs.writeFileSync(path.join(dir, 'types.zone'), zones.types);
  const conf = [
    'server:',
    ...addresses.map((a) => `  ip-address: ${a}`),
    `  port: ${port}`,
    `  zonesdir: "${dir}"`,
    `  pidfile: "${dir}/nsd.pid"`,
    '  database: ""',
    `  zonelistfile: "${dir}/zone.list"`,
    `  xfrdfile: "${dir}/xfrd.state"`,
    '  username: ""',
    '  chroot: ""',
    '  server-count: 1',
    // NSD's response rate limiting (on by default, 200/s) would throttle dnsperf and a fast test.
    '  rrl-ratelimit: 0',
    'remote-control:',
    '  control-enable: no',
    'zone:',
    '  name: d1.signpo.st',
    '  zonefile: parent.zone',
    'zone:',
    '  name: types.d1.signpo.st',
    '  zonefile: types.zone',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'nsd.conf'), conf + '\n');
  const argv = [...prefix, 'nsd', '-d', '-c', path.join(dir, 'nsd.conf')];
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await answers(port, prefix))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nsd did not start on port ${port}:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, dir, stop };
}

/** True once something answers a query for the SOA of d1.signpo.st on address:port. */
export function answers(port: number, prefix: readonly string[] = [], address = '127.0.0.1'): Promise<boolean> {
  const argv = [
    ...prefix,
    'dig',
    '+time=1',
    '+tries=1',
    '+norec',
    '+short',
    `@${address}`,
    '-p',
    String(port),
    'd1.signpo.st',
    'SOA',
  ];
  return new Promise((resolve) =>
    execFile(argv[0], argv.slice(1), { timeout: 5000 }, (e, stdout) => resolve(!e && stdout.trim() !== '')),
  );
}
