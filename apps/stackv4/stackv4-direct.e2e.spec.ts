/**
 * The seed's "Unix / MirageOS Stack" steps, end to end: build stackv4 with
 * --net=direct, run mir-stackv4 on the seed's tap0 (made inside a network
 * namespace of this test, so the name collides with nothing), and talk to it
 * from the Linux kernel with ping and netcat (UDP and TCP), first with the
 * static 10.0.0.2/24 and then with a lease from dnsmasq (--dhcp=true).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, nx } from '../../tools/testing/workspace';

const root = process.getuid?.() === 0;
const maybe = root ? describe : describe.skip;
const NS = `mts-direct-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const UDP_LINE = (addr: string) =>
  new RegExp(`^UDP 10\\.0\\.0\\.1\\.\\d+ > ${addr.replace(/\./g, '\\.')}\\.53: "hello udp world"$`);
// The seed's `TCP 10.0.0.1.47329 > _.8080`: the source port is nc's ephemeral one.
const TCP_LINE = /^TCP 10\.0\.0\.1\.(\d+) > _\.8080$/;
const READ_LINE = 'read: 15 "hello tcp world"';

let ws: { root: string; dispose(): void } | undefined;
const started: ChildProcess[] = [];

function inNs(command: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', command], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Not blocking the event loop matters less here (the unikernel is another process), but ping takes seconds. */
function inNsAsync(command: string): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', NS, 'sh', '-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

function startInNs(file: string, args: readonly string[] = []) {
  const child = spawn('ip', ['netns', 'exec', NS, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    lines: () => out.split('\n'),
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitFor(what: string, test: () => boolean, timeoutMs = 30_000, detail = () => ''): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function build(dhcp: boolean): string {
  const r = nx(['build', 'stackv4', '--net=direct', `--dhcp=${dhcp}`], { cwd: ws!.root });
  if (r.status !== 0) throw new Error(`nx build stackv4 --net=direct --dhcp=${dhcp} failed:\n${r.output}`);
  // Each build replaces the last one in dist/: keep this one aside (the bundle finds its files from its own place).
  const out = path.join(ws!.root, 'dist/apps/stackv4');
  const kept = path.join(out, `unix-dhcp-${dhcp}`);
  fs.cpSync(path.join(out, 'unix'), kept, { recursive: true });
  return path.join(kept, 'mir-stackv4');
}

maybe('mir-stackv4 with --net=direct on tap0 in a namespace', () => {
  let staticBin: string;
  let dhcpBin: string;

  beforeAll(() => {
    ws = copyWorkspace('mirage-stackv4-direct-');
    staticBin = build(false);
    dhcpBin = build(true);
    execFileSync('ip', ['netns', 'add', NS]);
    for (const cmd of [
      'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1',
      'ip link set lo up',
      // The seed: `tunctl -t tap0` and `ifconfig tap0 10.0.0.1 up`.
      'ip tuntap add tap0 mode tap',
      'ip addr add 10.0.0.1/24 dev tap0',
      'ip link set tap0 up',
    ]) {
      const r = inNs(cmd);
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    }
  }, 600_000);

  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];
    for (const pid of pids) spawnSync('kill', ['-9', pid]);
    spawnSync('ip', ['netns', 'del', NS]);
    ws?.dispose();
  });

  /** Sends the seed's TCP line with nc and checks the two lines the unikernel prints, one after the other. */
  async function seedTcp(run: ReturnType<typeof startInNs>, address: string): Promise<void> {
    const nc = inNs(`echo -n hello tcp world | nc -nw1 ${address} 8080`);
    expect(nc).toEqual({ status: 0, stdout: '', stderr: '' });
    await waitFor('the TCP lines', () => run.lines().includes(READ_LINE), 10_000, run.output);
    const lines = run.lines();
    const at = lines.findIndex((l) => TCP_LINE.test(l));
    expect(at).toBeGreaterThan(0);
    expect(Number(TCP_LINE.exec(lines[at])?.[1])).toBeGreaterThanOrEqual(1024);
    expect(lines[at + 1]).toBe(READ_LINE);
    expect(lines.some((l) => l.startsWith('TCP: ') || l.startsWith('read error'))).toBe(false);
    // The unikernel closed the flow after its read: Linux holds no established connection to 8080.
    await waitFor(
      'the connection to close',
      () => inNs("ss -Htan state established '( dport = :8080 )'").stdout.trim() === '',
      10_000,
    );
  }

  it("prints the seed's lines, answers ping -c 20 and prints the UDP and TCP lines for nc (--dhcp=false)", async () => {
    const run = startInNs(staticBin);
    try {
      await waitFor('the address line', () => run.lines().includes('IP address: 10.0.0.2'), 30_000, run.output);
      const lines = run.lines();
      expect(lines.slice(0, 9)).toEqual([
        expect.stringMatching(/^Netif: plugging into tap0 with mac ([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
        'Netif: connect tap0',
        'Manager: connect',
        'Manager: configuring',
        'Manager: Interface to 10.0.0.2 nm 255.255.255.0 gw [10.0.0.1]',
        '',
        'ARP: sending gratuitous from 10.0.0.2',
        'Manager: configuration done',
        'IP address: 10.0.0.2',
      ]);
      const ping = await inNsAsync('ping -c 20 -i 0.2 10.0.0.2');
      expect(ping.stdout).toMatch(/20 packets transmitted, 20 received, 0% packet loss/);
      expect(ping.stdout).toMatch(/ttl=38/);
      const kernelMac = /link\/ether ([0-9a-f:]{17})/.exec(inNs('ip link show tap0').stdout)![1];
      expect(run.lines()).toEqual(
        expect.arrayContaining([
          'ARP responding to: who-has 10.0.0.2?',
          'ARP: transmitting probe -> 10.0.0.1',
          `ARP: updating 10.0.0.1 -> ${kernelMac}`,
        ]),
      );

      expect(inNs('echo -n hello udp world | nc -unw1 10.0.0.2 53').status).toBe(0);
      await waitFor('the UDP line', () => run.lines().some((l) => UDP_LINE('10.0.0.2').test(l)), 10_000, run.output);
      await seedTcp(run, '10.0.0.2');
    } finally {
      await run.stop();
    }
  }, 120_000);

  it("gets its address from dnsmasq with the seed's DHCP lines, then prints the UDP and TCP lines (--dhcp=true)", async () => {
    const dnsmasq = startInNs('dnsmasq', [
      '--no-daemon',
      '--conf-file=/dev/null',
      '--port=0',
      '--no-resolv',
      '--interface=tap0',
      '--bind-interfaces',
      '--dhcp-leasefile=/dev/null',
      '--dhcp-range=10.0.0.50,10.0.0.60,255.255.255.0,2m',
      '--dhcp-option=option:router,10.0.0.1',
    ]);
    const run = startInNs(dhcpBin);
    try {
      await waitFor(
        'an address from DHCP',
        () => run.lines().some((l) => /^IP address: 10\.0\.0\.(5\d|60)$/.test(l)),
        60_000,
        run.output,
      );
      const address = run
        .lines()
        .find((l) => l.startsWith('IP address: '))!
        .slice('IP address: '.length);
      const lines = run.lines();
      for (const l of [
        'DHCP: start discovery',
        'Sending DHCP broadcast (length 552)',
        'DHCP response:',
        `DHCP: offer received: ${address}`,
        'DHCP: offer received',
        `IPv4: ${address}`,
        'Netmask: 255.255.255.0',
        'Gateways: [10.0.0.1]',
        `ARP: sending gratuitous from ${address}`,
        `DHCP offer received and bound to ${address} nm 255.255.255.0 gw [10.0.0.1]`,
        'Manager: configuration done',
      ]) {
        expect(lines).toContain(l);
      }
      expect(lines.some((l) => l.startsWith('DHCP options: Offer : '))).toBe(true);
      expect(inNs(`echo -n hello udp world | nc -unw1 ${address} 53`).status).toBe(0);
      await waitFor('the UDP line', () => run.lines().some((l) => UDP_LINE(address).test(l)), 10_000, run.output);
      await seedTcp(run, address);
    } finally {
      await run.stop();
      await dnsmasq.stop();
    }
  }, 180_000);
});
