/**
 * Queries per second from dnsperf (Debian) against the dns example on the
 * socket stack (loopback) and on the direct stack (tap0 in a namespace, as
 * root), and against NSD serving the same test.zone on loopback.
 * The example runs with --log-queries=false (the skeleton prints a line per
 * query) and its resolver pointed at itself, so nothing leaves the machine.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseZoneFile, typeName } from '@mirage-ts/dns';
import { freeLoopbackPort } from '../testing/free-port';
import { answers, nsdZones, startNsd } from '../testing/nsd';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';
import { ratio, type BenchRow } from './table';

const SECONDS = 5;
const CLIENTS = 4;

function dnsperf(
  port: number,
  datafile: string,
  server = '127.0.0.1',
  prefix: readonly string[] = [],
): Promise<number> {
  const args = [
    ...prefix,
    'dnsperf',
    '-s',
    server,
    '-p',
    String(port),
    '-d',
    datafile,
    '-l',
    String(SECONDS),
    '-c',
    String(CLIENTS),
    '-q',
    '100',
  ];
  return new Promise((resolve, reject) =>
    execFile(args[0], args.slice(1), { timeout: (SECONDS + 30) * 1000 }, (e, stdout) => {
      const m = /Queries per second:\s+([0-9.]+)/.exec(stdout);
      if (e || !m) reject(new Error(`dnsperf ${args.join(' ')}: ${e?.message ?? stdout}`));
      else resolve(Number(m[1]));
    }),
  );
}

export async function rows(): Promise<BenchRow[]> {
  const zone = fs.readFileSync(path.join(WORKSPACE_ROOT, 'apps/dns/data/test.zone'), 'utf8');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dns-bench-'));
  const datafile = path.join(dir, 'queries.txt');
  const lines = new Set(parseZoneFile(zone).map((r) => `${r.name.toString()} ${typeName(r.type)}`));
  fs.writeFileSync(datafile, [...lines, 'nope.d1.signpo.st. A', 'alias.d1.signpo.st. A'].join('\n') + '\n');

  const built = nx(['build', 'dns', '--target=unix', '--net=socket']);
  if (built.status !== 0) throw new Error(`nx build dns failed:\n${built.output}`);
  const port = await freeLoopbackPort();
  const bin = path.join(WORKSPACE_ROOT, 'dist/apps/dns/unix/mir-dns');
  const args = [`--port=${port}`, '--log-queries=false', '--resolver=127.0.0.1', `--resolver-port=${port}`];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let ours: number;
  try {
    const until = Date.now() + 15_000;
    while (!(await answers(port))) if (Date.now() > until) throw new Error('mir-dns did not answer');
    ours = await dnsperf(port, datafile);
  } finally {
    child.kill();
  }
  const direct = process.getuid?.() === 0 ? await directQps(datafile) : undefined;
  const nsd = await startNsd(nsdZones(zone), await freeLoopbackPort());
  let theirs: number;
  try {
    theirs = await dnsperf(nsd.port, datafile);
  } finally {
    await nsd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return [
    {
      name: `dns: queries/s, mir-dns --net=socket (dnsperf -c ${CLIENTS}, ${SECONDS} s, loopback)`,
      value: `${Math.round(ours)} q/s`,
      comparison: `NSD 4.6 (1 server process) ${Math.round(theirs)} q/s, ${ratio(ours, theirs)}`,
    },
    {
      name: `dns: queries/s, mir-dns --net=direct over tap0 in a namespace (dnsperf -c ${CLIENTS}, ${SECONDS} s)`,
      value: direct === undefined ? 'not measured (needs root)' : `${Math.round(direct)} q/s`,
      comparison: direct === undefined ? '' : `NSD 4.6 on loopback ${Math.round(theirs)} q/s, ${ratio(direct, theirs)}`,
    },
  ];
}

/** The direct build on the skeleton's tap0 (10.0.0.2, Linux at 10.0.0.1) in a namespace of its own. */
async function directQps(datafile: string): Promise<number> {
  const built = nx(['build', 'dns', '--target=unix', '--net=direct']);
  if (built.status !== 0) throw new Error(`nx build dns --net=direct failed:\n${built.output}`);
  const ns = `mts-dns-bench-${process.pid}`;
  const inNs = (cmd: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd]);
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    inNs('sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1');
    inNs('ip link set lo up && ip tuntap add tap0 mode tap && ip addr add 10.0.0.1/24 dev tap0 && ip link set tap0 up');
    const bin = path.join(WORKSPACE_ROOT, 'dist/apps/dns/unix/mir-dns');
    const args = ['--log-queries=false', '--resolver=10.0.0.2'];
    const child = spawn('ip', ['netns', 'exec', ns, bin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      const prefix = ['ip', 'netns', 'exec', ns];
      const until = Date.now() + 15_000;
      while (!(await answers(5354, prefix, '10.0.0.2')))
        if (Date.now() > until) throw new Error('mir-dns did not answer');
      return await dnsperf(5354, datafile, '10.0.0.2', prefix);
    } finally {
      child.kill();
    }
  } finally {
    spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout?.split('\n')
      .filter(Boolean)
      .forEach((pid) => spawnSync('kill', ['-9', pid]));
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
