/**
 * Leases per second (DISCOVER-OFFER-REQUEST-ACK exchanges) from perfdhcp
 * (Debian kea-admin) against the dhcp example on tap0, and against dnsmasq
 * serving the same range with the same options. Both servers sit in one
 * namespace (tap0 and a veth on a bridge), perfdhcp in another at the far end
 * of the veth, acting as a relay on 192.168.1.3 as it always does. The range
 * is the example's 31 addresses, so perfdhcp simulates 31 clients that keep
 * coming back: each exchange binds (or re-binds) a real lease. Both servers
 * log every packet, to /dev/null. dnsmasq runs with --no-ping: by default it
 * pings each address before offering it and answers a few clients a second,
 * which measures its probe, not its server. Its lease file is on /tmp.
 * Needs root.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';
import { ratio, type BenchRow } from './table';

const SECONDS = 3;
const CLIENTS = 31;
/**
 * Exchanges perfdhcp starts per second, one run each; the best completed rate counts.
 * Far above capacity a server spends its time on requests perfdhcp already gave up on,
 * so a single high rate would measure the collapse, not the capacity.
 */
const OFFERED_RATES = [250, 500, 1000, 2000, 4000];

interface Netns {
  readonly name: string;
  exec(cmd: string): void;
  prefix(): string[];
}

function netns(name: string): Netns {
  execFileSync('ip', ['netns', 'add', name]);
  const ns: Netns = {
    name,
    exec: (cmd) => void execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', cmd], { stdio: 'pipe' }),
    prefix: () => ['ip', 'netns', 'exec', name],
  };
  ns.exec('sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; ip link set lo up');
  return ns;
}

function removeNetns(name: string): void {
  spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' })
    .stdout?.split('\n')
    .filter(Boolean)
    .forEach((pid) => spawnSync('kill', ['-9', pid]));
  spawnSync('ip', ['netns', 'del', name]);
}

/** Completed 4-way exchanges per second at `rate` offered, from perfdhcp's final report. */
function perfdhcp(client: Netns, rate: number): Promise<number> {
  const args = [
    ...client.prefix(),
    'perfdhcp',
    '-4',
    '-l',
    'perf',
    '-R',
    String(CLIENTS),
    '-r',
    String(rate),
    '-p',
    String(SECONDS),
  ];
  return new Promise((resolve, reject) =>
    execFile(args[0], args.slice(1), { timeout: (SECONDS + 30) * 1000 }, (e, stdout) => {
      // perfdhcp exits 3 when some exchanges were dropped, which is expected at a rate above capacity.
      const m = /Rate:\s+([0-9.]+)\s+4-way exchanges\/second/.exec(stdout);
      if (!m) reject(new Error(`perfdhcp ${args.join(' ')}: ${e?.message ?? ''}\n${stdout}`));
      else resolve(Number(m[1]));
    }),
  );
}

/** Waits until one client gets a lease (an avalanche of one ends when it is answered; a plain run never ends). */
async function ready(client: Netns, what: string): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const [cmd, ...args] = client.prefix();
    const r = spawnSync(
      cmd,
      [...args, 'timeout', '3', 'perfdhcp', '-4', '-l', 'perf', '--scenario', 'avalanche', '-R', '1'],
      {
        encoding: 'utf8',
      },
    );
    if (r.status === 0) return;
    if (Date.now() > until) throw new Error(`${what} did not answer perfdhcp: ${r.stdout}${r.stderr}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

interface Best {
  readonly leasesPerSecond: number;
  readonly offered: number;
}

async function measure(client: Netns, what: string, server: ChildProcess): Promise<Best> {
  try {
    await ready(client, what);
    let best: Best = { leasesPerSecond: 0, offered: 0 };
    for (const offered of OFFERED_RATES) {
      const leasesPerSecond = await perfdhcp(client, offered);
      if (leasesPerSecond > best.leasesPerSecond) best = { leasesPerSecond, offered };
    }
    return best;
  } finally {
    server.kill();
  }
}

export async function rows(): Promise<BenchRow[]> {
  if (process.getuid?.() !== 0)
    return [{ name: 'dhcp: leases/s (perfdhcp)', value: 'not measured (needs root for namespaces)' }];
  const built = nx(['build', 'dhcp', '--target=unix']);
  if (built.status !== 0) throw new Error(`nx build dhcp failed:\n${built.output}`);
  const bin = path.join(WORKSPACE_ROOT, 'dist/apps/dhcp/unix/mir-dhcp');
  const id = `${process.pid}`;
  const servers = netns(`mts-dhcpb-s-${id}`);
  const clients = netns(`mts-dhcpb-c-${id}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhcp-bench-'));
  try {
    servers.exec(
      'ip link add br0 type bridge && ip link set br0 up && ip tuntap add tap0 mode tap && ip link set tap0 master br0 && ip link set tap0 up',
    );
    servers.exec(`ip link add perfp type veth peer name perf netns ${clients.name}`);
    servers.exec('ip link set perfp master br0 && ip link set perfp up');
    clients.exec('ip addr add 192.168.1.3/24 dev perf && ip link set perf up');

    const ours = await measure(
      clients,
      'mir-dhcp',
      spawn('ip', ['netns', 'exec', servers.name, bin], { stdio: ['ignore', 'ignore', 'inherit'] }),
    );
    // dnsmasq takes the example's address on the bridge, with dhcpd.conf's range and options.
    servers.exec('ip addr add 192.168.1.5/24 dev br0');
    const dnsmasq = spawn(
      'ip',
      [
        'netns',
        'exec',
        servers.name,
        'dnsmasq',
        '--no-daemon',
        '--conf-file=/dev/null',
        '--port=0',
        '--no-resolv',
        '--interface=br0',
        '--bind-interfaces',
        '--no-ping',
        `--dhcp-leasefile=${path.join(dir, 'dnsmasq.leases')}`,
        '--dhcp-range=192.168.1.70,192.168.1.100,255.255.255.0,12h',
        '--dhcp-option=option:router,192.168.1.1',
        '--dhcp-option=option:dns-server,192.168.1.1',
        '--domain=charrua',
        '--log-facility=-',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    const theirs = await measure(clients, 'dnsmasq', dnsmasq);
    return [
      {
        name: `dhcp: leases/s, mir-dhcp on tap0 (perfdhcp 4-way exchanges, ${CLIENTS} clients, best of ${OFFERED_RATES.join('/')} offered/s, ${SECONDS} s each)`,
        value: `${Math.round(ours.leasesPerSecond)} leases/s (at ${ours.offered}/s)`,
        comparison: `dnsmasq 2.90 --no-ping, same range and options, ${Math.round(theirs.leasesPerSecond)} leases/s (at ${theirs.offered}/s), ${ratio(ours.leasesPerSecond, theirs.leasesPerSecond)}`,
      },
    ];
  } finally {
    removeNetns(clients.name);
    removeNetns(servers.name);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
