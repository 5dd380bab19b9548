import { canManageNetwork } from '@mirage-ts/netif/testing/netns';
import { DirectStackv4 } from './stack';
import { RecordingConsole } from './testing/recording-console';
import { tapPeer, type TapPeer } from './testing/tap-peer';

/**
 * The stack on a tap against the Linux kernel in a namespace made here:
 * ping, nc and the kernel's own IP and ICMP code are the peers.
 */
const maybe = canManageNetwork() ? describe : describe.skip;

maybe('the direct stack against Linux on a tap', () => {
  let peer: TapPeer;
  let stack: DirectStackv4;
  let console: RecordingConsole;

  beforeAll(async () => {
    peer = await tapPeer('10.0.0.1/24');
    console = new RecordingConsole();
    stack = await DirectStackv4.connect(console, peer.netif, false, '10.0.0.2/24', '10.0.0.1');
    // The seed's UDP listener line.
    await stack.listenUdpv4(53, (d) =>
      console.log(
        `UDP ${d.src.address}.${d.src.port} > ${d.dst.address}.${d.dst.port}: "${Buffer.from(d.data).toString()}"`,
      ),
    );
  });
  afterAll(async () => {
    await stack?.disconnect();
    await peer?.close();
  });

  it('answers `ping -c 20` with no loss, logging ARP and ICMP as the seed does', async () => {
    const r = await peer.inNs(['ping', '-c', '20', '-i', '0.2', '-W', '2', '10.0.0.2']);
    expect(r.stdout).toMatch(/20 packets transmitted, 20 received, 0% packet loss/);
    expect(r.stdout).toMatch(/ttl=38/);
    expect(console.lines).toContain('ARP responding to: who-has 10.0.0.2?');
    expect(console.lines).toContain('ARP: transmitting probe -> 10.0.0.1');
    expect(console.lines).toContain(`ARP: updating 10.0.0.1 -> ${peer.kernelMac}`);
    expect(console.lines.filter((l) => /^ICMP: echo-request from 10\.0\.0\.1 seq \d+, replying$/.test(l))).toHaveLength(
      20,
    );
  });

  it("prints the seed's UDP line for `nc -unw1 10.0.0.2 53`", async () => {
    const r = await peer.inNs(['sh', '-c', 'echo -n hello udp world | nc -unw1 10.0.0.2 53']);
    expect(r.status).toBe(0);
    const line = await console.waitFor(/^UDP 10\.0\.0\.1\.\d+ > 10\.0\.0\.2\.53: "hello udp world"$/);
    expect(line).toBeDefined();
  });

  it('sends UDP that a Linux socket receives', async () => {
    const listening = peer.inNs(['nc', '-ulnw2', '10.0.0.1', '5353'], 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(
      (
        await stack
          .udpv4()
          .write({ address: '10.0.0.1', port: 5353 }, Buffer.from('hello from the direct stack\n'), { srcPort: 4444 })
      ).ok,
    ).toBe(true);
    expect((await listening).stdout).toBe('hello from the direct stack\n');
  });

  it('reassembles what Linux fragments, and Linux reassembles what it fragments (ping -s 4000)', async () => {
    const r = await peer.inNs(['ping', '-c', '3', '-i', '0.2', '-W', '2', '-s', '4000', '10.0.0.2']);
    expect(r.stdout).toMatch(/4008 bytes from 10\.0\.0\.2/);
    expect(r.stdout).toMatch(/3 received, 0% packet loss/);
  });

  it('answers pings that carry the record-route option', async () => {
    const r = await peer.inNs(['ping', '-c', '2', '-i', '0.2', '-W', '2', '-R', '10.0.0.2']);
    expect(r.stdout).toMatch(/2 received, 0% packet loss/);
  });

  it('makes Linux see a closed UDP port and a refused TCP connection', async () => {
    // The kernel counts the port-unreachable it accepted (checksums and quoted header right) per namespace.
    const unreachables = async () => {
      const snmp = (await peer.inNs(['cat', '/proc/net/snmp'])).stdout.split('\n').filter((l) => l.startsWith('Icmp:'));
      const [names, values] = snmp.map((l) => l.split(/\s+/));
      return Number(values[names.indexOf('InDestUnreachs')]);
    };
    const before = await unreachables();
    await peer.inNs(['sh', '-c', 'echo -n x | nc -unw1 10.0.0.2 9']);
    expect(await unreachables()).toBe(before + 1);
    const tcp = await peer.inNs(['nc', '-vnzw2', '10.0.0.2', '8080']);
    expect(tcp.status).not.toBe(0);
    expect(tcp.stderr).toMatch(/refused/);
    expect(stack.drops()['udp.closed-port']).toBeGreaterThanOrEqual(1);
  });

  it('pings the Linux kernel', async () => {
    const r = await stack.icmp.echo('10.0.0.1', { timeoutMs: 2000 });
    expect(r.ok && r.value).toEqual({
      from: '10.0.0.1',
      sequence: expect.any(Number),
      ttl: 64,
      rttMs: expect.any(Number),
    });
  });
});
