/**
 * The ping6 example on tap0 in a network namespace of this test, against
 * Linux's own IPv6 tools: ping -6, ndisc6 and rdisc6 (Debian ndisc6), nc -6,
 * and radvd advertising a prefix for SLAAC. One build, one namespace, one
 * unikernel run and one capture for every check; tshark then decodes every
 * frame the unikernel sent.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';

const root = process.getuid?.() === 0;
const tools = ['ndisc6', 'rdisc6', 'radvd', 'tshark', 'tcpdump'].every(
  (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
);
const maybe = root && tools ? describe : describe.skip;
const NS = `mts-ping6-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const started: ChildProcess[] = [];
const BIN = path.join(WORKSPACE_ROOT, 'dist/apps/ping6/unix/mir-ping6');

function inNs(command: string, timeout = 30_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', command], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startInNs(args: string[]) {
  const child = spawn('ip', ['netns', 'exec', NS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += strip(c)));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += strip(c)));
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

async function waitFor(what: string, test: () => boolean, timeoutMs = 20_000, detail = () => ''): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

maybe('ping6 on tap0 against Linux IPv6 tools', () => {
  let dir: string;
  let unikernel: ReturnType<typeof startInNs>;
  let capture: ReturnType<typeof startInNs>;
  let radvd: ReturnType<typeof startInNs>;
  let mac: string;
  let linkLocal: string;

  beforeAll(async () => {
    const r = nx(['build', 'ping6']);
    if (r.status !== 0) throw new Error(`nx build ping6 failed:\n${r.output}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mts-ping6-'));
    execFileSync('ip', ['netns', 'add', NS]);
    for (const cmd of [
      // radvd advertises only as a router; Linux sends no router solicitations of its own.
      'sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.router_solicitations=0',
      'ip link set lo up',
      'ip tuntap add tap0 mode tap',
      'ip addr add fc00::1/64 dev tap0 nodad',
      'ip addr add 2001:db8:1::1/64 dev tap0 nodad',
      'ip link set tap0 up',
    ]) {
      const s = inNs(cmd);
      if (s.status !== 0) throw new Error(`${cmd}: ${s.stderr}`);
    }
    capture = startInNs(['tcpdump', '-U', '-n', '-i', 'tap0', '-w', path.join(dir, 'ping6.pcap')]);
    await waitFor('tcpdump', () => capture.output().includes('listening on'), 10_000, capture.output);
    unikernel = startInNs([BIN, '--slaac=true']);
    await waitFor(
      'fc00::2 to be ready',
      () => unikernel.lines().includes('IPv6: fc00::2/64 is ready'),
      20_000,
      () => unikernel.output(),
    );
    mac = /plugging into tap0 with mac ([0-9a-f:]{17})/.exec(unikernel.output())?.[1] ?? '';
    linkLocal = /IPv6: (fe80::[0-9a-f:]+)\/64 is ready/.exec(unikernel.output())?.[1] ?? '';
    // radvd once the tap has a carrier (the unikernel holds its other end) and a link-local address.
    fs.writeFileSync(
      path.join(dir, 'radvd.conf'),
      'interface tap0 {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n  AdvLinkMTU 1400;\n' +
        '  prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; };\n};\n',
    );
    radvd = startInNs([
      'radvd',
      '-n',
      '-m',
      'stderr',
      '-C',
      path.join(dir, 'radvd.conf'),
      '-p',
      path.join(dir, 'radvd.pid'),
    ]);
  }, 300_000);

  afterAll(async () => {
    await radvd?.stop();
    await unikernel?.stop();
    await capture?.stop();
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];
    for (const pid of pids) spawnSync('kill', ['-9', pid]);
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts as the 2015 example does and checks both addresses for duplicates', () => {
    const lines = unikernel.lines();
    expect(lines).toContain('starting...');
    expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(linkLocal).toMatch(/^fe80::/);
    expect(lines.indexOf(`IPv6: ${linkLocal}/64 is ready`)).toBeGreaterThan(lines.indexOf('starting...'));
  });

  it('answers ping -6 from Linux', () => {
    const ping = inNs('ping -6 -c 5 -i 0.2 -W 2 fc00::2');
    expect(ping.stdout).toMatch(/5 packets transmitted, 5 received, 0% packet loss/);
    const big = inNs('ping -6 -c 2 -i 0.2 -W 2 -s 3000 fc00::2');
    expect(big.stdout).toMatch(/2 packets transmitted, 2 received/);
    expect(big.stdout).toMatch(/3008 bytes from fc00::2/);
    const ll = inNs(`ping -6 -c 2 -i 0.2 -W 2 ${linkLocal}%tap0`);
    expect(ll.stdout).toMatch(/2 received/);
  });

  it('answers ndisc6 with its MAC and, being a host, never answers rdisc6', () => {
    const nd = inNs('ndisc6 -1 -r 3 -w 1000 fc00::2 tap0');
    expect(nd.status).toBe(0);
    expect(nd.stdout.toLowerCase()).toContain(`target link-layer address: ${mac}`);
    // A router solicitation to the unikernel alone gets nothing back (RFC 4861 6.2.6: hosts discard them).
    const rd = inNs(`rdisc6 -1 -r 2 -w 500 ${linkLocal} tap0`);
    expect(rd.status).not.toBe(0);
    expect(`${rd.stdout}${rd.stderr}`).toMatch(/No response/i);
    // The same solicitation to every router gets radvd's advertisement: the link itself works.
    const all = inNs('rdisc6 -1 -r 3 -w 1500 tap0');
    expect(all.stdout).toMatch(/Prefix\s*:\s*2001:db8:1::\/64/);
  });

  it('takes an address from the advertised prefix (SLAAC) and answers on it', async () => {
    const slaacLine = () => unikernel.lines().find((l) => /^IPv6: SLAAC address 2001:db8:1:/.test(l));
    await waitFor('the SLAAC address', () => !!slaacLine(), 20_000, unikernel.output);
    const address = /SLAAC address (\S+)\/64/.exec(slaacLine() ?? '')?.[1] ?? '';
    await waitFor('the SLAAC address to be ready', () => unikernel.lines().includes(`IPv6: ${address}/64 is ready`));
    expect(inNs(`ping -6 -c 2 -i 0.2 -W 2 ${address}`).stdout).toMatch(/2 received/);
  }, 30_000);

  it('logs the UDP and TCP packets nc -6 sends, as the 2015 example does', async () => {
    expect(inNs('echo -n hello udp | nc -6 -u -w1 fc00::2 53').status).toBe(0);
    await waitFor('the UDP line', () => unikernel.lines().includes('fc00::1 > fc00::2 UDP'), 10_000, unikernel.output);
    // Nothing serves TCP here: nc's SYN is logged and goes unanswered.
    inNs('nc -6 -w1 fc00::2 80 </dev/null');
    await waitFor('the TCP line', () => unikernel.lines().includes('fc00::1 > fc00::2 TCP'), 10_000, unikernel.output);
    expect(unikernel.output()).not.toMatch(/handler-error|internal error/);
  });

  it('sent only frames that tshark decodes without a malformed or error mark', async () => {
    await radvd.stop();
    await unikernel.stop();
    await new Promise((r) => setTimeout(r, 300));
    await capture.stop();
    const pcap = path.join(dir, 'ping6.pcap');
    const tshark = (filter: string, ...fields: string[]) =>
      execFileSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', ...fields.flatMap((x) => ['-e', x])], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
    const ours = `eth.src == ${mac}`;
    expect(tshark(`${ours} && (_ws.malformed || _ws.expert.severity == error)`, 'frame.number')).toEqual([]);
    const sent = tshark(ours, 'frame.number', 'ipv6.nxt', 'icmpv6.type');
    expect(sent.length).toBeGreaterThan(20);
    // What it sent: DAD and resolution (NS), answers (NA), a router solicitation, echo replies (some
    // fragmented: next header 44), and never a router advertisement.
    const types = new Set(sent.flatMap(([, , t]) => (t ? t.split(',') : [])));
    expect([...types].sort()).toEqual(['129', '133', '135', '136']);
    expect(sent.filter(([, nxt]) => nxt.split(',')[0] === '44').length).toBeGreaterThan(0);
  });
});
