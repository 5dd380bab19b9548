/**
 * The seed's networking step with --net=socket, end to end: build stackv4
 * for unix, run mir-stackv4, and talk to it with the real netcat
 * (netcat-openbsd), exactly as the tutorial does. Everything runs inside a
 * network namespace this test creates, so UDP 53 and TCP 8080 cannot collide
 * with anything else on the machine; its loopback is the seed's 127.0.0.1.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, nx } from '../../tools/testing/workspace';

const NS = `mts-stackv4-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const UDP_LINE = /^UDP 127\.0\.0\.1\.(\d+) > 0\.0\.0\.0\.53: "hello udp world"$/;
const TCP_LINE = /^TCP 127\.0\.0\.1\.(\d+) > _\.8080$/;
const READ_LINE = 'read: 15 "hello tcp world"';

let ws: { root: string; dispose(): void };
let bin: string;
const started: ChildProcess[] = [];

/** Runs a shell command inside the namespace, as a user would type it there. */
function inNs(command: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', command], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly lines: () => string[];
  readonly exited: Promise<number | null>;
}

function startInNs(file: string, args: readonly string[]): Running {
  const child = spawn('ip', ['netns', 'exec', NS, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, lines: () => out.split(/\r?\n/).filter((l) => l !== ''), exited };
}

async function stop(r: Running): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) {
    r.child.kill('SIGTERM');
    await r.exited;
  }
}

async function waitFor(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** True once the namespace's kernel shows a socket bound to the port (ss). */
function bound(proto: 'udp' | 'tcp', port: number): boolean {
  const flags = proto === 'udp' ? '-Hlun' : '-Hltn';
  return inNs(`ss ${flags} '( sport = :${port} )'`).stdout.trim() !== '';
}

async function startStackv4(args: readonly string[] = [], ports = { udp: 53, tcp: 8080 }): Promise<Running> {
  const r = startInNs(bin, args);
  await waitFor(
    'mir-stackv4 to listen',
    () => r.child.exitCode !== null || (bound('udp', ports.udp) && bound('tcp', ports.tcp)),
  );
  return r;
}

// The seed's two commands, verbatim.
const sendUdp = () => inNs('echo -n hello udp world | nc -unw1 127.0.0.1 53');
const sendTcp = () => inNs('echo -n hello tcp world | nc -nw1 127.0.0.1 8080');

beforeAll(() => {
  ws = copyWorkspace('mirage-stackv4-');
  const built = nx(['build', 'stackv4', '--target=unix'], { cwd: ws.root });
  if (built.status !== 0) throw new Error(`nx build stackv4 failed:\n${built.output}`);
  bin = path.join(ws.root, 'dist/apps/stackv4/unix/mir-stackv4');
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
}, 300_000);

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // Whatever still runs inside our namespace was started by this test.
  const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];
  for (const pid of pids) spawnSync('kill', ['-9', pid]);
  spawnSync('ip', ['netns', 'del', NS]);
  ws?.dispose();
});

describe('mir-stackv4 with --net=socket', () => {
  it("prints the seed's lines for the seed's nc commands, and closes the connection", async () => {
    const r = await startStackv4();
    try {
      expect(sendUdp().status).toBe(0);
      expect(sendTcp().status).toBe(0);
      await waitFor('three lines from the unikernel', () => r.lines().length >= 6);
      const lines = r.lines();
      expect(lines.slice(0, 3)).toEqual(['Manager: connect', 'Manager: configuring', 'IP address: 0.0.0.0']);
      expect(lines[3]).toMatch(UDP_LINE);
      expect(lines[4]).toMatch(TCP_LINE);
      expect(lines[5]).toBe(READ_LINE);
      expect(lines).toHaveLength(6);
      // The source ports are nc's ephemeral ones.
      for (const [line, re] of [
        [lines[3], UDP_LINE],
        [lines[4], TCP_LINE],
      ] as const) {
        expect(Number(re.exec(line)?.[1])).toBeGreaterThanOrEqual(1024);
      }
      // The unikernel closed the flow: nothing but the listener is left on 8080.
      await waitFor(
        'the TCP flow to close',
        () => inNs("ss -Htan state established '( sport = :8080 )'").stdout.trim() === '',
      );
      expect(r.child.exitCode).toBeNull();
    } finally {
      await stop(r);
    }
  });

  it('prints the lines in red, green and yellow on a terminal', async () => {
    // script(1) gives the unikernel a pseudo-terminal as stdout.
    const r = startInNs('script', ['-qfec', bin, '/dev/null']);
    try {
      await waitFor('mir-stackv4 to listen', () => bound('udp', 53) && bound('tcp', 8080));
      sendUdp();
      sendTcp();
      await waitFor('the coloured lines', () => r.output().includes(READ_LINE));
      const out = r.output();
      expect(out).toMatch(/\x1b\[31mUDP 127\.0\.0\.1\.\d+ > 0\.0\.0\.0\.53: "hello udp world"\x1b\[m/);
      expect(out).toMatch(/\x1b\[32mTCP 127\.0\.0\.1\.\d+ > _\.8080\x1b\[m/);
      expect(out).toContain(`\x1b[33m${READ_LINE}\x1b[m`);
    } finally {
      await stop(r);
      await waitFor('the ports to be free', () => !bound('udp', 53) && !bound('tcp', 8080));
    }
  });

  it('says which port is in use and exits with status 1; other ports can be chosen when it starts', async () => {
    const udpHolder = startInNs('nc', ['-lu', '53']);
    const tcpHolder = startInNs('nc', ['-l', '8080']);
    try {
      await waitFor('the holders to bind', () => bound('udp', 53) && bound('tcp', 8080));
      const udpClash = startInNs(bin, []);
      expect(await udpClash.exited).toBe(1);
      expect(udpClash.output()).toContain(
        'mir-stackv4: Error: UDP port 53 on 0.0.0.0 is already in use: stop the program that holds it, or choose another port (--udp-port=N)',
      );

      const tcpClash = startInNs(bin, ['--udp-port=5353']);
      expect(await tcpClash.exited).toBe(1);
      expect(tcpClash.output()).toContain(
        'mir-stackv4: Error: TCP port 8080 on 0.0.0.0 is already in use: stop the program that holds it, or choose another port (--tcp-port=N)',
      );

      const moved = await startStackv4(['--udp-port=5353', '--tcp-port=8081'], { udp: 5353, tcp: 8081 });
      try {
        inNs('echo -n hello udp world | nc -unw1 127.0.0.1 5353');
        inNs('echo -n hello tcp world | nc -nw1 127.0.0.1 8081');
        await waitFor('the lines', () => moved.lines().includes(READ_LINE));
        expect(moved.lines()[3]).toMatch(/^UDP 127\.0\.0\.1\.\d+ > 0\.0\.0\.0\.5353: "hello udp world"$/);
        expect(moved.lines()[4]).toMatch(/^TCP 127\.0\.0\.1\.\d+ > _\.8081$/);
      } finally {
        await stop(moved);
      }
    } finally {
      await stop(udpHolder);
      await stop(tcpHolder);
    }
  });

  it('says that port 53 needs privileges when started as an ordinary user', async () => {
    // The namespace keeps the usual limit: ports below 1024 are privileged.
    expect(inNs('sysctl -n net.ipv4.ip_unprivileged_port_start').stdout.trim()).toBe('1024');
    fs.chmodSync(ws.root, 0o755); // mkdtemp made it private to root
    const r = startInNs('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', bin]);
    expect(await r.exited).toBe(1);
    expect(r.output()).toContain(
      'mir-stackv4: Error: bind UDP port 53 on 0.0.0.0: permission denied; ports below 1024 need root (sudo) or CAP_NET_BIND_SERVICE (--udp-port=N)',
    );
  });

  it('keeps serving after a client resets the connection in the middle of sending', async () => {
    const r = await startStackv4();
    try {
      // 4 MB written, then a reset (RST) before the unikernel can have read it all.
      const client = `const s = require('net').connect(8080, '127.0.0.1', () => { s.write(Buffer.alloc(4 << 20, 0x61)); setTimeout(() => s.resetAndDestroy(), 5); }); s.on('error', () => {});`;
      const reset = inNs(`${process.execPath} -e "${client}"`);
      expect(reset.status).toBe(0);
      await waitFor(
        'the reset connection to be handled',
        () => r.lines().some((l) => TCP_LINE.test(l)) && r.lines().length >= 5,
      );
      expect(r.lines()[4]).toMatch(/^(read: \d+ "a+"|read error: .*reset.*|read: eof)$/);

      sendUdp();
      sendTcp();
      await waitFor('the seed lines after the reset', () => r.lines().includes(READ_LINE));
      expect(r.lines().some((l) => UDP_LINE.test(l))).toBe(true);
      expect(r.child.exitCode).toBeNull();
    } finally {
      await stop(r);
    }
  });

  it('lists its run-time keys with --help', () => {
    const help = execFileSync(bin, ['--help'], { encoding: 'utf8' });
    expect(help).toContain('--udp-port=<an integer>  The UDP port to listen on. (default: 53)');
    expect(help).toContain('--tcp-port=<an integer>  The TCP port to listen on. (default: 8080)');
    // The socket stack reads no address keys: those belong to the direct stack.
    expect(help).not.toContain('--ipv4');
  });
});
