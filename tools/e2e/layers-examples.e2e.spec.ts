/**
 * The examples that compose the stack's layers by hand (ping, ethifv4), and
 * network over the direct stack, each built once in beforeAll and run on the
 * seed's tap0 inside a network namespace of this test, with the Linux kernel
 * as the peer; netif-forward between tap1 and tap2 of the same namespace;
 * tracing on tap0, its trace read back by Chrome DevTools' trace engine;
 * and lwt, built with a --variant, run directly.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPcap } from '@mirage-ts/tcpip/testing/pcap';
import { nxEnv, WORKSPACE_ROOT } from '../testing/workspace';

const root = process.getuid?.() === 0;
const maybe = root ? describe : describe.skip;
const NS = `mts-layers-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
// Apps without keys are built by one `nx run-many`, beside the builds that take keys.
const PLAIN = ['ping', 'ethifv4', 'netif-forward', 'tracing'];
const KEYED = [
  ['network', '--net=direct'],
  ['lwt', '--variant=int_server'],
] as const;
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const started: ChildProcess[] = [];

/** One nx invocation, without blocking the others started beside it. */
function nxAsync(args: readonly string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(WORKSPACE_ROOT, 'node_modules', '.bin', 'nx'), [...args], {
      cwd: WORKSPACE_ROOT,
      env: nxEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** tcpdump on one interface of the namespace, in one direction, into a pcap file; resolves once it listens. */
async function capture(iface: string, direction: 'in' | 'out', file: string) {
  const child = spawn(
    'ip',
    ['netns', 'exec', NS, 'tcpdump', '-n', '-U', '--immediate-mode', '-Q', direction, '-i', iface, '-w', file],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  started.push(child);
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await waitFor(
    `tcpdump on ${iface}`,
    () => err.includes('listening on'),
    10_000,
    () => err,
  );
  return {
    stop: async () => {
      child.kill('SIGINT');
      await exited;
      return readPcap(file);
    },
  };
}

function inNs(command: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', command], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

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

const hex = (f: Uint8Array) => Buffer.from(f).toString('hex');

/** The frames tcpdump has written so far (none while its file is still shorter than a header). */
function framesIn(file: string): Uint8Array[] {
  try {
    return readPcap(file);
  } catch {
    return [];
  }
}

const bin = (app: string) => path.join(WORKSPACE_ROOT, 'dist/apps', app, 'unix', `mir-${app}`);

maybe('examples composing the layers by hand, on tap0 in a namespace', () => {
  beforeAll(async () => {
    const builds = [['run-many', '-t', 'build', `--projects=${PLAIN.join(',')}`], ...KEYED.map((k) => ['build', ...k])];
    const results = await Promise.all(builds.map((args) => nxAsync(args)));
    results.forEach((r, i) => {
      if (r.status !== 0) throw new Error(`nx ${builds[i].join(' ')} failed:\n${r.output}`);
    });
    execFileSync('ip', ['netns', 'add', NS]);
    for (const cmd of [
      'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1',
      'ip link set lo up',
      'ip tuntap add tap0 mode tap',
      'ip addr add 10.0.0.1/24 dev tap0',
      'ip link set tap0 up',
      // netif-forward: the kernel sends on tap1 (to a neighbour that is only a static entry) and sees tap2.
      'ip tuntap add tap1 mode tap',
      'ip tuntap add tap2 mode tap',
      'ip addr add 10.0.1.1/24 dev tap1',
      'ip link set tap1 up',
      'ip link set tap2 up',
      'ip neigh add 10.0.1.2 lladdr 02:00:00:00:00:02 dev tap1',
    ]) {
      const r = inNs(cmd);
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    }
  }, 300_000);

  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];
    for (const pid of pids) spawnSync('kill', ['-9', pid]);
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('ping answers ping from Linux and logs the TCP and UDP packets it does not serve', async () => {
    const run = startInNs(bin('ping'));
    try {
      await waitFor('starting...', () => run.lines().includes('starting...'), 20_000, run.output);
      const ping = await inNsAsync('ping -c 5 -i 0.2 -W 2 10.0.0.2');
      expect(ping.stdout).toMatch(/5 packets transmitted, 5 received, 0% packet loss/);
      expect(inNs('echo -n hello | nc -unw1 10.0.0.2 53').status).toBe(0);
      await waitFor('the UDP line', () => run.lines().includes('10.0.0.1 > 10.0.0.2 UDP'), 10_000, run.output);
      // Nothing serves TCP here: nc's SYN is logged and goes unanswered.
      inNs('nc -nw1 10.0.0.2 80 </dev/null');
      await waitFor('the TCP line', () => run.lines().includes('10.0.0.1 > 10.0.0.2 TCP'), 10_000, run.output);
      expect(run.output()).not.toMatch(/handler-error|internal error/);
    } finally {
      await run.stop();
    }
  }, 60_000);

  it('ethifv4 serves TCP 80 and logs UDP ports through the layers it built', async () => {
    const run = startInNs(bin('ethifv4'));
    try {
      // ARP and TCP are answered as soon as the unikernel listens: retry nc until the first connection is logged.
      await waitFor(
        'the TCP connection lines',
        () => {
          if (!run.lines().some((l) => l.startsWith('new tcp from')))
            inNs('echo -n hello tcp world | nc -nw1 10.0.0.2 80');
          return run.lines().includes('hello tcp world');
        },
        20_000,
        run.output,
      );
      const lines = run.lines();
      const at = lines.findIndex((l) => /^new tcp from 10\.0\.0\.1 \d+$/.test(l));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(lines.slice(at + 1, at + 3)).toEqual(['read: 15', 'hello tcp world']);
      expect(inNs('echo -n x | nc -unw1 10.0.0.2 5353').status).toBe(0);
      await waitFor('the UDP line', () => run.lines().includes('udp packet on port 5353'), 10_000, run.output);
    } finally {
      await run.stop();
    }
  }, 60_000);

  it('network logs the connection and what it read over the direct stack', async () => {
    const run = startInNs(bin('network'));
    try {
      await waitFor(
        'the TCP connection lines',
        () => {
          if (!run.lines().some((l) => l.startsWith('new tcp connection from')))
            inNs('echo -n hello network | nc -nw1 10.0.0.2 80');
          return run.lines().includes('hello network');
        },
        20_000,
        run.output,
      );
      const lines = run.lines();
      const at = lines.findIndex((l) => /^new tcp connection from 10\.0\.0\.1 \d+$/.test(l));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(lines.slice(at + 1, at + 3)).toEqual(['read: 13', 'hello network']);
    } finally {
      await run.stop();
    }
  }, 60_000);

  it('netif-forward writes every frame from tap1 to tap2, byte for byte, and counts them', async () => {
    const run = startInNs(bin('netif-forward'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mts-forward-'));
    try {
      await waitFor(
        'the listening line',
        () => run.output().includes('listening on the interface'),
        20_000,
        run.output,
      );
      const sent = await capture('tap1', 'out', path.join(dir, 'tap1.pcap'));
      const arrived = await capture('tap2', 'in', path.join(dir, 'tap2.pcap'));
      // Echo requests and UDP datagrams to a neighbour that never answers: each is one frame out of tap1.
      // The kernel drops what it sends on a tap nobody holds: wait until both ends are attached.
      await waitFor(
        'carrier on tap1 and tap2',
        () => !/NO-CARRIER/.test(inNs('ip link show tap1; ip link show tap2').stdout),
      );
      const pinged = inNs('ping -c 20 -i 0.01 -W 1 10.0.1.2').stdout;
      expect(pinged).toMatch(/20 packets transmitted/);
      for (const port of [9991, 9992, 9993]) {
        expect(inNs(`bash -c 'echo -n datagram-${port} >/dev/udp/10.0.1.2/${port}'`).status).toBe(0);
      }
      // tcpdump drops what it has not read yet when stopped: stop once the files hold everything.
      const isUdp = (f: Uint8Array) => f[12] === 0x08 && f[13] === 0x00 && f[23] === 17;
      const tap1 = path.join(dir, 'tap1.pcap');
      const tap2 = path.join(dir, 'tap2.pcap');
      await waitFor('the frames sent on tap1', () => framesIn(tap1).filter(isUdp).length === 3, 10_000);
      await waitFor('as many frames on tap2', () => framesIn(tap2).length >= framesIn(tap1).length, 10_000);
      const out = await sent.stop();
      const into = await arrived.stop();
      expect(out.length).toBeGreaterThanOrEqual(23);
      expect(into.map(hex)).toEqual(out.map(hex));
      const udp = out.filter(isUdp);
      expect(udp.map((f) => Buffer.from(f.subarray(42)).toString())).toEqual([
        'datagram-9991',
        'datagram-9992',
        'datagram-9993',
      ]);
      // The example prints its counters at every 16th frame it received.
      for (let n = 16; n <= out.length; n += 16) {
        await waitFor(
          `the counters at ${n}`,
          () => new RegExp(`^packets \\(in = ${n}\\) \\(not forwarded = \\d+\\)$`, 'm').test(run.output()),
          5_000,
          run.output,
        );
      }
    } finally {
      await run.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('tracing sends ! to 10.0.0.1:7001 and leaves a trace that Chrome DevTools trace engine reads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mts-tracing-'));
    const received = path.join(dir, 'received');
    const traceFile = path.join(dir, 'trace.json');
    const listener = inNsAsync(`nc -lnw5 10.0.0.1 7001 > ${received}`);
    try {
      await waitFor('nc listening on 7001', () => /:7001\b/.test(inNs('ss -ltn').stdout), 10_000);
      const run = startInNs(bin('tracing'), [`--trace-file=${traceFile}`]);
      await waitFor(
        'the trace file',
        () => fs.existsSync(traceFile) && run.output().includes('trace events'),
        30_000,
        run.output,
      );
      await run.stop();
      await listener;
      expect(fs.readFileSync(received, 'utf8')).toBe('!');
      expect(run.output()).toMatch(/mir-tracing: wrote \d+ trace events to .*trace\.json/);

      const read = spawnSync(process.execPath, [path.join(WORKSPACE_ROOT, 'tools/testing/read-trace.mjs'), traceFile], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(read.stderr).toBe('');
      const trace = JSON.parse(read.stdout) as {
        warnings: string[];
        threads: {
          name: string | null;
          depth: number;
          events: { name: string; ts: number; dur: number; args: Record<string, unknown> }[];
        }[];
      };
      expect(trace.warnings).toEqual([]);
      const calls = trace.threads
        .filter((t) => t.name?.startsWith('device calls '))
        .flatMap((t) => t.events)
        .sort((a, b) => a.ts - b.ts);
      const find = (name: string) => calls.find((e) => e.name === name);
      const [connect, write, close] = [
        'stackv4.tcpv4().connect',
        'stackv4.tcpv4().connect.write',
        'stackv4.tcpv4().connect.close',
      ].map(find);
      expect(connect?.args).toEqual({ ok: true });
      expect(write?.args).toEqual({ ok: true });
      // In the order the unikernel made them, each after the one before it ended.
      expect(write!.ts).toBeGreaterThanOrEqual(connect!.ts + connect!.dur);
      expect(close!.ts).toBeGreaterThanOrEqual(write!.ts + write!.dur);
      // The frames of the connection went through the network device the stack was given.
      expect(calls.filter((e) => e.name === 'network.write').length).toBeGreaterThanOrEqual(3);
      expect(calls.some((e) => e.name === 'network.listen callback')).toBe(true);
      const promises = trace.threads.filter((t) => t.name?.startsWith('promises ')).flatMap((t) => t.events);
      expect(promises.length).toBeGreaterThan(10);
      for (const t of trace.threads) expect({ row: t.name, depth: t.depth }).toEqual({ row: t.name, depth: 1 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('lwt built with --variant=int_server prints sums, products and odd ones, and stops at --count', () => {
    const r = spawnSync(bin('lwt'), ['--tick-ms=20', '--count=12'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    for (const l of lines) expect(l).toMatch(/^(Add:|Mult:|Odd:) \d+$/);
    expect(lines[0]).toMatch(/^(Add|Mult):/);
  });
});
