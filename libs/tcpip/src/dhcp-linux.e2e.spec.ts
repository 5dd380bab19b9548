import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import { DirectStackv4 } from './stack';
import { RecordingConsole } from './testing/recording-console';
import { tapPeer, type TapPeer } from './testing/tap-peer';

/**
 * The DHCP client against dnsmasq (a real server nobody here wrote) in a
 * namespace on the other end of a tap. dnsmasq's shortest lease is two
 * minutes, so it is told to ask for renewal (T1) after 3 s and rebinding
 * (T2) after 6 s.
 */
const maybe = canManageNetwork() ? describe : describe.skip;

maybe('DHCP against dnsmasq', () => {
  let peer: TapPeer;
  let dnsmasq: ChildProcess;
  let dnsmasqLog = '';
  let dir: string;
  let stack: DirectStackv4 | undefined;

  beforeAll(async () => {
    peer = await tapPeer('10.0.0.1/24');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpip-dhcp-'));
    dnsmasq = spawn(
      'ip',
      [
        'netns',
        'exec',
        peer.ns.name,
        'dnsmasq',
        '--no-daemon',
        '--conf-file=/dev/null',
        '--port=0',
        '--no-resolv',
        '--no-ping',
        `--interface=${peer.tap}`,
        '--bind-interfaces',
        '--log-dhcp',
        '--log-facility=-',
        `--dhcp-leasefile=${path.join(dir, 'leases')}`,
        `--pid-file=${path.join(dir, 'pid')}`,
        '--dhcp-range=10.0.0.50,10.0.0.60,255.255.255.0,2m',
        '--dhcp-option=option:router,10.0.0.1',
        '--dhcp-option=option:dns-server,10.0.0.53',
        '--dhcp-option=option:T1,3',
        '--dhcp-option=option:T2,6',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dnsmasq.stdout?.on('data', (d) => (dnsmasqLog += d));
    dnsmasq.stderr?.on('data', (d) => (dnsmasqLog += d));
    const start = Date.now();
    while (!/started|DHCP, IP range/.test(dnsmasqLog) && Date.now() - start < 10_000)
      await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await stack?.disconnect();
    dnsmasq?.kill('SIGTERM');
    await peer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("gets a lease, logs the seed's DHCP lines, uses the address, and renews", async () => {
    const console = new RecordingConsole();
    stack = await DirectStackv4.connect(console, peer.netif, true, '10.0.0.2/24', '10.0.0.1', {
      dhcp: { minRenewRetryMs: 1000 },
    });
    const address = stack.ipv4Addresses()[0];
    expect(address).toMatch(/^10\.0\.0\.(5\d|60)$/);
    expect(stack.lease()).toMatchObject({
      address,
      netmask: '255.255.255.0',
      gateway: '10.0.0.1',
      dns: ['10.0.0.53'],
      server: '10.0.0.1',
      leaseSeconds: 120,
    });

    const lines = console.lines;
    const at = (l: string | RegExp) => lines.findIndex((x) => (typeof l === 'string' ? x === l : l.test(x)));
    const order = [
      'Manager: connect',
      'Manager: configuring',
      'DHCP: start discovery',
      'Sending DHCP broadcast (length 552)',
      'DHCP response:',
      /^input ciaddr 0\.0\.0\.0 yiaddr 10\.0\.0\.\d+$/,
      /^siaddr 10\.0\.0\.1 giaddr 0\.0\.0\.0$/,
      new RegExp(`^chaddr ${peer.netif.mac.replace(/:/g, '')}0{20} sname .*file`),
      `DHCP: offer received: ${address}`,
      /^DHCP options: Offer : .*Server identifer\(10\.0\.0\.1\).*Lease time\(120\).*Subnet mask\(255\.255\.255\.0\).*DNS servers\(10\.0\.0\.53\).*Routers\(10\.0\.0\.1\)/,
      'DHCP: offer received',
      `IPv4: ${address}`,
      'Netmask: 255.255.255.0',
      'Gateways: [10.0.0.1]',
      `ARP: sending gratuitous from ${address}`,
      `DHCP offer received and bound to ${address} nm 255.255.255.0 gw [10.0.0.1]`,
      'Manager: configuration done',
    ];
    const positions = order.map(at);
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(lines[at('DHCP: start discovery') + 1]).toBe('');

    // The kernel reaches the leased address.
    const ping = await peer.inNs(['ping', '-c', '3', '-i', '0.2', '-W', '2', address]);
    expect(ping.stdout).toMatch(/3 received, 0% packet loss/);

    // Renewal at T1 (3 s): a unicast REQUEST the server ACKs.
    await console.waitFor(`DHCP: renewing ${address}`, 10_000);
    await console.waitFor(`DHCP: lease renewed: ${address} for 120 s`, 10_000);
    expect(lines).toContain('Sending DHCP unicast to 10.0.0.1 (length 552)');
    expect(
      dnsmasqLog.match(new RegExp(`DHCPACK\\(${peer.tap}\\) ${address.replace(/\./g, '\\.')}`, 'g'))?.length,
    ).toBeGreaterThanOrEqual(2);
    expect(stack.lease()?.boundAtMs).toBeGreaterThan(Date.now() - 10_000);
    const again = await peer.inNs(['ping', '-c', '1', '-W', '2', address]);
    expect(again.stdout).toMatch(/1 received/);
  }, 60_000);
});
