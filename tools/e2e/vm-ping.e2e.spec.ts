import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { nx, nxEnv, WORKSPACE_ROOT } from '../testing/workspace';

/**
 * The ping example (Ethernet, ARP and IPv4 composed by hand) booted in the
 * qemu image, its virtio NIC on a tap of a network namespace made here:
 * Linux in the namespace pings the guest, and the guest logs the UDP it
 * does not serve. One boot.
 */
const root = process.getuid?.() === 0;
const maybe = root ? describe : describe.skip;
const NS = `mts-vmping-${process.pid}`;
const TAP = `mtsq${process.pid.toString(36)}`.slice(0, 15);
const BOOT_MS = 300_000;
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');

function inNs(command: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', command], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function waitFor(what: string, test: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

maybe('ping on qemu, on a tap in a namespace', () => {
  let vm: ChildProcess | undefined;

  beforeAll(() => {
    const built = nx(['build', 'ping', '--target=qemu'], { timeoutMs: BOOT_MS });
    if (built.status !== 0) throw new Error(`nx build ping --target=qemu failed:\n${built.output}`);
    execFileSync('ip', ['netns', 'add', NS]);
    for (const cmd of [
      'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1',
      'ip link set lo up',
      `ip tuntap add ${TAP} mode tap`,
      `ip addr add 10.0.0.1/24 dev ${TAP}`,
      `ip link set ${TAP} up`,
    ]) {
      const r = inNs(cmd);
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    }
  }, BOOT_MS);

  afterAll(() => {
    if (vm?.pid) {
      try {
        process.kill(-vm.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it(
    'answers ping from Linux and logs the UDP it does not serve',
    async () => {
      // nx and QEMU run inside the namespace, where the tap is; their own process group, to stop them together.
      vm = spawn(
        'ip',
        [
          'netns',
          'exec',
          NS,
          path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx'),
          'run',
          'ping:run',
          '--target=qemu',
          `--tap=${TAP}`,
        ],
        { cwd: WORKSPACE_ROOT, env: nxEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let console = '';
      vm.stdout?.on('data', (b: Buffer) => (console += strip(b.toString('utf8'))));
      vm.stderr?.on('data', (b: Buffer) => (console += strip(b.toString('utf8'))));
      await waitFor(
        'starting...',
        () => /^starting\.\.\.$/m.test(console),
        BOOT_MS - 60_000,
        () => console,
      );
      expect(console).toMatch(/^Netif: plugging into eth0 with mac [0-9a-f:]{17}$/m);

      // The guest answers once its listener runs: ping until a reply comes, then count five.
      await waitFor(
        'a first echo reply',
        () => inNs('ping -c 1 -W 1 10.0.0.2').status === 0,
        60_000,
        () => console,
      );
      expect(inNs('ping -c 5 -i 0.2 -W 2 10.0.0.2').stdout).toMatch(
        /5 packets transmitted, 5 received, 0% packet loss/,
      );
      expect(inNs('echo -n hello | nc -unw1 10.0.0.2 53').status).toBe(0);
      await waitFor(
        'the UDP line',
        () => /^10\.0\.0\.1 > 10\.0\.0\.2 UDP$/m.test(console),
        30_000,
        () => console,
      );
    },
    BOOT_MS,
  );
});
