/**
 * The skeleton's dhcp example against real DHCP clients: mir-dhcp runs on
 * tap0 inside a namespace of this test; tap0 and one veth per client are on a
 * bridge there, and ISC dhclient and busybox udhcpc each ask for a
 * lease on their own veth (their own MAC). Clients run with scripts that only
 * record what they were given, so nothing in the namespace is reconfigured.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyWorkspace, nx } from '../../tools/testing/workspace';

const root = process.getuid?.() === 0;
const tools = ['dhclient', 'busybox'].every((t) => spawnSync('which', [t]).status === 0);
const maybe = root && tools ? describe : describe.skip;
const NS = `mts-dhcp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

let ws: { root: string; dispose(): void } | undefined;
let tmp = '';
const started: ChildProcess[] = [];

function inNs(command: string, timeout = 30_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', command], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function inNsAsync(command: string): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', NS, 'sh', '-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

async function waitFor(what: string, test: () => boolean, timeoutMs: number, detail = () => ''): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A veth on the bridge for one client, its far end with `mac`. */
function clientLink(name: string, mac: string): void {
  for (const cmd of [
    `ip link add ${name} type veth peer name ${name}p`,
    `ip link set ${name} address ${mac}`,
    `ip link set ${name}p master br0`,
    `ip link set ${name}p up`,
    `ip link set ${name} up`,
  ]) {
    const r = inNs(cmd);
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  }
}

/** The records a client script appended to `file`, one per call. */
function records(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

maybe('mir-dhcp on tap0 with real DHCP clients', () => {
  let server: { output: () => string; stop: () => Promise<void> };

  beforeAll(async () => {
    ws = copyWorkspace('mirage-dhcp-');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-dhcp-'));
    const r = nx(['build', 'dhcp'], { cwd: ws.root });
    if (r.status !== 0) throw new Error(`nx build dhcp failed:\n${r.output}`);
    execFileSync('ip', ['netns', 'add', NS]);
    for (const cmd of [
      'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1',
      'ip link set lo up',
      'ip link add br0 type bridge',
      'ip link set br0 up',
      'ip tuntap add tap0 mode tap',
      'ip link set tap0 master br0',
      'ip link set tap0 up',
    ]) {
      const res = inNs(cmd);
      if (res.status !== 0) throw new Error(`${cmd}: ${res.stderr}`);
    }
    const child = spawn('ip', ['netns', 'exec', NS, path.join(ws.root, 'dist/apps/dhcp/unix/mir-dhcp')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    server = {
      output: () => out,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
    await waitFor(
      'the server to start',
      () => out.includes('DHCP server on 192.168.1.5'),
      15_000,
      () => out,
    );
  }, 300_000);

  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];
    for (const pid of pids) spawnSync('kill', ['-9', pid]);
    spawnSync('ip', ['netns', 'del', NS]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    ws?.dispose();
  });

  it('prints the configuration as the skeleton does and answers ARP for 192.168.1.5', () => {
    expect(server.output()).toContain('Using configuration:');
    expect(server.output()).toContain('subnet 192.168.1.0 netmask 255.255.255.0 {');
    // Not a terminal: no colour codes.
    expect(server.output()).not.toContain('\x1b[');
    // The server speaks no ICMP, but the ping makes Linux ask ARP for 192.168.1.5 first.
    const r = inNs('ip addr add 192.168.1.2/24 dev br0; ping -c1 -W1 192.168.1.5; ip neigh show 192.168.1.5 dev br0');
    inNs('ip addr flush dev br0');
    const mac = /lladdr ([0-9a-f:]+)/.exec(r.stdout)?.[1];
    expect(mac).toBeDefined();
    expect(server.output()).toContain(`DHCP server on 192.168.1.5 (${mac})`);
  });

  it('gives dhclient a lease from the range with router, DNS and domain; renews it; releases it', async () => {
    clientLink('cld', '02:00:00:00:01:01');
    const out = path.join(tmp, 'dhclient.out');
    const script = path.join(tmp, 'dhclient.sh');
    fs.writeFileSync(
      script,
      // The address goes on the veth: a renewal is a unicast from it to 192.168.1.5.
      `#!/bin/sh\necho "$reason $new_ip_address $new_routers $new_domain_name_servers $new_domain_name $new_dhcp_lease_time" >> ${out}\n` +
        'case $reason in BOUND|RENEW|REBIND|REBOOT) ip addr replace $new_ip_address/24 dev $interface;; RELEASE|EXPIRE|STOP) ip addr flush dev $interface;; esac\n',
      { mode: 0o755 },
    );
    // A 4 s lease (the server grants what the client asks, up to max-lease-time): T1 = 2 s, so a renewal comes quickly.
    fs.writeFileSync(path.join(tmp, 'dhclient.conf'), 'timeout 10;\nretry 1;\nsend dhcp-lease-time 4;\n');
    const files = `-sf ${script} -cf ${tmp}/dhclient.conf -lf ${tmp}/dhclient.leases -pf ${tmp}/dhclient.pid`;
    const running = inNsAsync(`exec dhclient -4 -d ${files} cld`);
    await waitFor('a BOUND record', () => records(out).some((l) => l.startsWith('BOUND ')), 20_000, server.output);
    expect(records(out).find((l) => l.startsWith('BOUND '))).toBe(
      'BOUND 192.168.1.70 192.168.1.1 192.168.1.1 charrua 4',
    );
    await waitFor('a RENEW record', () => records(out).some((l) => l.startsWith('RENEW ')), 10_000, server.output);
    expect(records(out).find((l) => l.startsWith('RENEW '))).toBe(
      'RENEW 192.168.1.70 192.168.1.1 192.168.1.1 charrua 4',
    );
    expect(server.output()).toMatch(/Received packet REQUEST .*chaddr 02:00:00:00:01:01 ciaddr 192\.168\.1\.70/);
    // Release: dhclient -r stops the running one and sends a RELEASE.
    const released = inNs(`dhclient -4 -r ${files} cld`);
    expect(released.status).toBe(0);
    await running;
  }, 45_000);

  it('gives busybox udhcpc the released address, with router and DNS', async () => {
    clientLink('clu', '02:00:00:00:01:02');
    const out = path.join(tmp, 'udhcpc.out');
    const script = path.join(tmp, 'udhcpc.sh');
    fs.writeFileSync(script, `#!/bin/sh\necho "$1 $ip $router $dns $domain" >> ${out}\n`, { mode: 0o755 });
    const r = await inNsAsync(`busybox udhcpc -i clu -f -q -n -t 3 -T 2 -s ${script}`);
    expect(r.status).toBe(0);
    // .70 again: dhclient released it.
    expect(records(out)).toContain('bound 192.168.1.70 192.168.1.1 192.168.1.1 charrua');
  }, 30_000);

  it("gives a MAC of a host block its fixed address (montevideo's 192.168.1.10)", async () => {
    clientLink('clf', '00:1d:72:80:e9:10');
    const out = path.join(tmp, 'fixed.out');
    const script = path.join(tmp, 'fixed.sh');
    fs.writeFileSync(script, `#!/bin/sh\necho "$1 $ip" >> ${out}\n`, { mode: 0o755 });
    const r = await inNsAsync(`busybox udhcpc -i clf -f -q -n -t 3 -T 2 -s ${script}`);
    expect(r.status).toBe(0);
    expect(records(out)).toContain('bound 192.168.1.10');
  }, 30_000);
});
