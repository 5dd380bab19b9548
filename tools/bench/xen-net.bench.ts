/**
 * stackv4 with the direct stack and DHCP under a real Xen (4.17, a Debian
 * dom0, QEMU software emulation): from QEMU's launch to the domU's first
 * console line and to its DHCP lease from dom0's dnsmasq, against the same
 * unikernel's qemu image (lease from QEMU's user-mode network); and ping's
 * round trip from dom0 to the domU over netback/netfront against dom0 to its
 * own bridge address. One Xen boot (a session) per run: each costs minutes.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vmDist } from '../testing/vm';
import { nxEnv, WORKSPACE_ROOT } from '../testing/workspace';
import { XenSession } from '../xen/xen-session';
import { ms, type BenchRow } from './table';

const NX = path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx');
const QEMU_ROUNDS = 3;
const FIRST = /^Netif: /;
const LEASE = /^IP address: (\S+)$/;

function build(target: 'xen' | 'qemu'): string {
  const r = spawnSync(NX, ['build', 'stackv4', `--target=${target}`, '--net=direct', '--dhcp=true'], {
    cwd: WORKSPACE_ROOT,
    env: nxEnv(),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`nx build stackv4 --target=${target} failed`);
  return vmDist(WORKSPACE_ROOT, 'stackv4', target);
}

/** `mir-stackv4` of the qemu build, in its own process group, stopped at its lease. */
function qemuDirect(launcher: string): Promise<{ first: number; lease: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - start) / 1e6;
    const child = spawn(launcher, [], {
      env: { ...process.env, MIRAGE_ACCEL: 'tcg' },
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const stop = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(stop, 180_000);
    let first: number | undefined;
    let lease: number | undefined;
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      pending += c;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines.map((x) => x.replace(/\r$/, ''))) {
        if (first === undefined && FIRST.test(l)) first = elapsed();
        if (lease === undefined && LEASE.test(l)) {
          lease = elapsed();
          stop();
        }
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (first === undefined || lease === undefined) reject(new Error('the qemu image got no DHCP lease'));
      else resolve({ first, lease });
    });
  });
}

const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** busybox ping's `round-trip min/avg/max = a/b/c ms`: the average. */
function averageRtt(lines: readonly string[]): number {
  const m = lines.map((l) => /^round-trip min\/avg\/max = [\d.]+\/([\d.]+)\/[\d.]+ ms$/.exec(l)).find(Boolean);
  if (!m) throw new Error(`no round-trip line from ping: ${lines.join(' | ')}`);
  return Number(m[1]);
}

export async function rows(): Promise<BenchRow[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-net-bench-'));
  try {
    const xenDir = path.join(work, 'xen');
    fs.cpSync(build('xen'), xenDir, { recursive: true });
    const launcher = path.join(build('qemu'), 'mir-stackv4');

    const s = await XenSession.start({ domains: [{ name: 'stackv4', distDir: xenDir }] });
    let xen: { ready: number; first: number; lease: number; toDomu: number; toBridge: number };
    try {
      const ready = (await s.ready()).atMs;
      await s.create('stackv4');
      const first = (await s.waitForDomu('stackv4', FIRST, 600_000)).atMs;
      const bound = await s.waitForDomu('stackv4', LEASE, 600_000);
      const address = LEASE.exec(bound.text)![1];
      // The first echo also resolves ARP: warm up, then measure.
      await s.dom0(`ping -c 2 -W 10 ${address}`);
      const toDomu = averageRtt((await s.dom0(`ping -c 20 -i 0.2 ${address}`)).lines);
      const toBridge = averageRtt((await s.dom0('ping -c 20 -i 0.2 10.0.0.1')).lines);
      xen = { ready, first, lease: bound.atMs, toDomu, toBridge };
    } finally {
      await s.end();
    }
    const direct: { first: number; lease: number }[] = [];
    for (let i = 0; i < QEMU_ROUNDS; i++) direct.push(await qemuDirect(launcher));
    const dFirst = mid(direct.map((d) => d.first));
    const dLease = mid(direct.map((d) => d.lease));
    return [
      {
        name: "xen stackv4 --dhcp=true: launch to the domU's first line (Xen 4.17 + dom0 in QEMU, tcg, 1 boot)",
        value: ms(xen.first),
        comparison: `qemu direct (--target=qemu, tcg, median of ${QEMU_ROUNDS}) ${ms(dFirst)}; dom0 ready for commands at ${ms(xen.ready)}`,
      },
      {
        name: "xen stackv4 --dhcp=true: launch to the DHCP lease (dom0's dnsmasq over netback)",
        value: ms(xen.lease),
        comparison: `qemu direct (QEMU's user-mode DHCP) ${ms(dLease)}; first line to lease ${ms(xen.lease - xen.first)} vs ${ms(dLease - dFirst)}`,
      },
      {
        name: 'xen ping RTT dom0 -> domU (bridge, netback, netfront, direct stack; avg of 20)',
        value: `${xen.toDomu.toFixed(2)} ms`,
        comparison: `dom0 -> its own xenbr0 address ${xen.toBridge.toFixed(2)} ms`,
      },
    ];
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
