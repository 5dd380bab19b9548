/**
 * The skeleton's dhcp example against real DHCP clients: mir-dhcp runs on
 * tap0 inside a namespace of this test; tap0, tap1 and one veth per client are
 * on a bridge there. ISC dhclient, busybox udhcpc and dhcpcd each ask for a
 * lease on their own veth (their own MAC), and this project's own client (the
 * stackv4 example built --net=direct --dhcp=true) on tap1. Clients run with
 * scripts that only record what they were given (dhcpcd configures its veth,
 * inside the namespace, with its state in a private mount namespace). Then
 * malformed frames are written raw on a veth, and perfdhcp fills the range.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ipFrame, udpDatagram } from '@mirage-ts/tcpip/testing/frames';
import { parseMac } from '@mirage-ts/tcpip/wire/address';
import { byteOption, DhcpMessageType, DhcpOptionCode, emitDhcp } from '@mirage-ts/tcpip/wire/dhcp';
import { IpProtocol } from '@mirage-ts/tcpip/wire/ipv4';
import { copyWorkspace, nxEnv } from '../../tools/testing/workspace';

const root = process.getuid?.() === 0;
const tools = ['dhclient', 'busybox', 'dhcpcd', 'perfdhcp', 'python3', 'unshare'].every(
  (t) => spawnSync('which', [t]).status === 0,
);
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

/** `nx build ...` in the scratch workspace, without blocking the event loop (two run side by side). */
function nxBuild(cwd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(cwd, 'node_modules', '.bin', 'nx'), ['build', ...args], {
      cwd,
      env: nxEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('close', (status) =>
      status === 0 ? resolve() : reject(new Error(`nx build ${args.join(' ')} failed:\n${out}`)),
    );
  });
}

/** Writes whole Ethernet frames on `iface` with an AF_PACKET socket (Python's, as Node has none). */
function sendRaw(iface: string, frames: Uint8Array[]): void {
  const send =
    'import socket,sys; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((sys.argv[1], 0)); ' +
    '[s.send(bytes.fromhex(h)) for h in sys.argv[2:]]';
  const hex = frames.map((f) => Buffer.from(f).toString('hex')).join(' ');
  const r = inNs(`python3 -c '${send}' ${iface} ${hex}`);
  if (r.status !== 0) throw new Error(`sending raw frames failed: ${r.stderr}`);
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
    // Two builds side by side: each nx waits mostly on its own esbuild and type checks.
    await Promise.all([nxBuild(ws.root, ['dhcp']), nxBuild(ws.root, ['stackv4', '--net=direct', '--dhcp=true'])]);
    execFileSync('ip', ['netns', 'add', NS]);
    for (const cmd of [
      'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1',
      'ip link set lo up',
      'ip link add br0 type bridge',
      'ip link set br0 up',
      'ip tuntap add tap0 mode tap',
      'ip link set tap0 master br0',
      'ip link set tap0 up',
      // The project's own client's device.
      'ip tuntap add tap1 mode tap',
      'ip link set tap1 master br0',
      'ip link set tap1 up',
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

  it('gives dhcpcd the next address of the range, with router, DNS and domain', async () => {
    clientLink('clc', '02:00:00:00:01:03');
    const out = path.join(tmp, 'dhcpcd.out');
    const script = path.join(tmp, 'dhcpcd.sh');
    fs.writeFileSync(
      script,
      `#!/bin/sh\necho "$reason $new_ip_address $new_routers $new_domain_name_servers $new_domain_name $new_dhcp_lease_time" >> ${out}\n`,
      { mode: 0o755 },
    );
    // No random start delay and no ARP probe of the offered address: the test waits for neither.
    fs.writeFileSync(path.join(tmp, 'dhcpcd.conf'), 'nodelay\nnoarp\nipv4only\n');
    // dhcpcd keeps its DUID, leases and sockets under /var/lib/dhcpcd and /run/dhcpcd: give it
    // empty private ones so the host's are neither read nor written.
    const r = await inNsAsync(
      'exec unshare -m sh -c "mount -t tmpfs tmpfs /run && mkdir /run/dhcpcd && mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/dhcpcd && ' +
        `exec timeout 20 dhcpcd -4 -B -1 -t 10 -f ${tmp}/dhcpcd.conf -c ${script} clc"`,
    );
    expect({ status: r.status, bound: records(out).filter((l) => l.startsWith('BOUND ')) }).toEqual({
      status: 0,
      bound: ['BOUND 192.168.1.71 192.168.1.1 192.168.1.1 charrua 3600'],
    });
    // dhcpcd configured its veth with the lease.
    expect(inNs('ip -4 -o addr show dev clc').stdout).toContain('inet 192.168.1.71/24');
  }, 30_000);

  it("gives this project's own DHCP client (stackv4 --net=direct --dhcp=true on tap1) a lease it logs", async () => {
    const child = spawn(
      'ip',
      ['netns', 'exec', NS, path.join(ws!.root, 'dist/apps/stackv4/unix/mir-stackv4'), '--interface=tap1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    started.push(child);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
    try {
      await waitFor(
        'the IP address line',
        () => out.includes('IP address: '),
        20_000,
        () => out,
      );
      const lines = out.split('\n');
      expect(lines).toContain('DHCP offer received and bound to 192.168.1.72 nm 255.255.255.0 gw [192.168.1.1]');
      expect(lines).toContain('IP address: 192.168.1.72');
      const options = lines.find((l) => l.startsWith('DHCP options: Offer : '));
      expect(options).toContain('Routers(192.168.1.1)');
      expect(options).toContain('DNS servers(192.168.1.1)');
      expect(options).toContain('Domain name(charrua)');
      // The server logs a reply after sending it: the client may print first.
      await waitFor(
        'the server to log the ACK',
        () => /Sent reply packet ACK .* yiaddr 192\.168\.1\.72/.test(server.output()),
        5_000,
        server.output,
      );
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);

  it('drops, counts and logs malformed and truncated DHCP packets, then still serves a client', async () => {
    const MAC = '02:00:00:00:01:04';
    clientLink('clm', MAC);
    const discover = emitDhcp({
      op: 1,
      xid: 0x4d41_4c46,
      chaddr: parseMac(MAC) as number,
      options: [byteOption(DhcpOptionCode.messageType, DhcpMessageType.discover)],
    });
    const frame = (payload: Uint8Array) =>
      ipFrame({
        dstMac: 'ff:ff:ff:ff:ff:ff',
        srcMac: MAC,
        src: '0.0.0.0',
        dst: '255.255.255.255',
        protocol: IpProtocol.udp,
        payload: udpDatagram('0.0.0.0', '255.255.255.255', 68, 67, payload),
      });
    const badMagic = Uint8Array.from(discover);
    badMagic[236] ^= 0xff;
    const badOptions = Uint8Array.from(discover);
    badOptions.set([53, 200], 240); // an option running past the end
    const badChecksum = frame(discover);
    badChecksum[14 + 20 + 6] ^= 0x55;
    sendRaw('clm', [
      frame(discover.subarray(0, 100)),
      frame(badMagic),
      frame(badOptions.subarray(0, 250)),
      // A datagram cut inside its UDP header (IPv4 itself consistent: a bridge with
      // br_netfilter would drop a frame shorter than its IPv4 length before the server).
      ipFrame({
        dstMac: 'ff:ff:ff:ff:ff:ff',
        srcMac: MAC,
        src: '0.0.0.0',
        dst: '255.255.255.255',
        protocol: IpProtocol.udp,
        payload: udpDatagram('0.0.0.0', '255.255.255.255', 68, 67, discover).subarray(0, 4),
      }),
      badChecksum,
    ]);
    await waitFor('five drop lines', () => server.output().includes('(udp.bad-checksum);'), 5_000, server.output);
    const drops = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('Dropped a malformed packet'));
    expect(drops.map((l) => /\(([a-z0-9.-]+)\);/.exec(l)?.[1])).toEqual([
      'dhcp.truncated',
      'dhcp.bad-magic',
      'dhcp.bad-options',
      'udp.truncated',
      'udp.bad-checksum',
    ]);
    expect(drops[4]).toBe(
      'Dropped a malformed packet (udp.bad-checksum); dropped so far: 5 (dhcp.bad-magic 1, dhcp.bad-options 1, dhcp.truncated 1, udp.bad-checksum 1, udp.truncated 1)',
    );
    // None of them got an answer; the same MAC then gets a lease as usual.
    expect(server.output()).not.toContain('xid 0x4d414c46');
    const out = path.join(tmp, 'after-drops.out');
    const script = path.join(tmp, 'after-drops.sh');
    fs.writeFileSync(script, `#!/bin/sh\necho "$1 $ip" >> ${out}\n`, { mode: 0o755 });
    const r = await inNsAsync(`busybox udhcpc -i clm -f -q -n -t 3 -T 2 -s ${script}`);
    expect(r.status).toBe(0);
    expect(records(out)).toContain('bound 192.168.1.73');
  }, 30_000);

  it('offers nothing once perfdhcp holds the rest of the range, and logs why', async () => {
    // .70-.73 are leased above; perfdhcp (a relay on 192.168.1.3) takes the other 27 of 31.
    clientLink('clp', '02:00:00:00:01:05');
    expect(inNs('ip addr add 192.168.1.3/24 dev clp').status).toBe(0);
    const perf = await inNsAsync('exec timeout 20 perfdhcp -4 -l clp --scenario avalanche -R 27');
    expect(perf.stdout).toContain('to provision 27 clients');
    clientLink('clx', '02:00:00:00:01:06');
    const r = await inNsAsync('busybox udhcpc -i clx -f -q -n -t 2 -T 1 -s /bin/true');
    expect(r.status).not.toBe(0);
    expect(server.output()).toContain(
      'No offer for 02:00:00:00:01:06: all 31 addresses of range 192.168.1.70 - 192.168.1.100 are leased, offered or declined',
    );
    // A MAC with a host block still gets its fixed address (garra's 192.168.1.11).
    clientLink('clg', '00:1d:e0:06:74:11');
    const out = path.join(tmp, 'garra.out');
    fs.writeFileSync(path.join(tmp, 'garra.sh'), `#!/bin/sh\necho "$1 $ip" >> ${out}\n`, { mode: 0o755 });
    const g = await inNsAsync(`busybox udhcpc -i clg -f -q -n -t 3 -T 2 -s ${tmp}/garra.sh`);
    expect(g.status).toBe(0);
    expect(records(out)).toContain('bound 192.168.1.11');
  }, 40_000);
});
