/**
 * The examples that compose the stack's layers by hand (ping, ethifv4), and
 * network over the direct stack, each built once in beforeAll and run on the
 * seed's tap0 inside a network namespace of this test, with the Linux kernel
 * as the peer; and lwt, built with a --variant, run directly.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';

const root = process.getuid?.() === 0;
const maybe = root ? describe : describe.skip;
const NS = `mts-layers-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const BUILDS = [['ping'], ['ethifv4'], ['network', '--net=direct'], ['lwt', '--variant=int_server']] as const;
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const started: ChildProcess[] = [];

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

function startInNs(file: string) {
  const child = spawn('ip', ['netns', 'exec', NS, file], { stdio: ['ignore', 'pipe', 'pipe'] });
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

const bin = (app: string) => path.join(WORKSPACE_ROOT, 'dist/apps', app, 'unix', `mir-${app}`);

maybe('examples composing the layers by hand, on tap0 in a namespace', () => {
  beforeAll(() => {
    for (const [app, ...keys] of BUILDS) {
      const r = nx(['build', app, ...keys]);
      if (r.status !== 0) throw new Error(`nx build ${app} ${keys.join(' ')} failed:\n${r.output}`);
    }
    execFileSync('ip', ['netns', 'add', NS]);
    for (const cmd of [
      'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1',
      'ip link set lo up',
      'ip tuntap add tap0 mode tap',
      'ip addr add 10.0.0.1/24 dev tap0',
      'ip link set tap0 up',
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

  it('lwt built with --variant=int_server prints sums, products and odd ones, and stops at --count', () => {
    const r = spawnSync(bin('lwt'), ['--tick-ms=20', '--count=12'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    for (const l of lines) expect(l).toMatch(/^(Add:|Mult:|Odd:) \d+$/);
    expect(lines[0]).toMatch(/^(Add|Mult):/);
  });
});
