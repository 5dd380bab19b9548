import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freeLoopbackPort } from '../testing/free-port';
import { imageInfo, vmDist } from '../testing/vm';
import { nx, nxEnv, WORKSPACE_ROOT } from '../testing/workspace';
import { parseXl } from '../../plugins/mirage/src/targets/vm/xl-files';

/**
 * The seed's stackv4 with --net=socket inside a VM: the guest kernel's
 * TCP/IP on a virtio NIC (user-mode networking), reached from the host
 * through port forwards on random free loopback ports.
 */
const BOOT_MS = 600_000;
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');

class Console {
  text = '';
  private waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  constructor(readonly child: ChildProcess) {
    const take = (b: Buffer) => {
      this.text += strip(b.toString('utf8'));
      this.waiters = this.waiters.filter((w) => {
        const m = w.re.exec(this.text);
        if (m) w.resolve(m);
        return !m;
      });
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
  }
  waitFor(re: RegExp, ms: number): Promise<RegExpExecArray> {
    const m = re.exec(this.text);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; console so far:\n${this.text}`)), ms);
      this.waiters.push({ re, resolve: (x) => (clearTimeout(timer), resolve(x)) });
    });
  }
}

describe('stackv4 --net=socket on qemu', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    // nx, the executor and QEMU share the process group the test created.
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('answers UDP and TCP sent from the host to forwarded ports, and prints the seed lines', async () => {
    const tcpPort = await freeLoopbackPort();
    const udpPort = await freeLoopbackPort();
    child = spawn(
      path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx'),
      ['run', 'stackv4:run', '--target=qemu', '--net=socket', `--forward=tcp:${tcpPort}:8080,udp:${udpPort}:53`],
      { cwd: WORKSPACE_ROOT, env: nxEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const guest = new Console(child);
    await guest.waitFor(/^IP address: .*$/m, BOOT_MS - 60_000);

    // UDP has no handshake: send until the guest shows it (its stack may still be binding).
    const udp = dgram.createSocket('udp4');
    const udpSeen = guest.waitFor(/^UDP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.53: "hello over udp"$/m, 60_000);
    const resend = setInterval(() => udp.send('hello over udp', udpPort, '127.0.0.1'), 1000);
    udp.send('hello over udp', udpPort, '127.0.0.1');
    await udpSeen.finally(() => clearInterval(resend));
    udp.close();

    const sent = await new Promise<void>((resolve, reject) => {
      const s = net.connect(tcpPort, '127.0.0.1', () => s.end('hello over tcp'));
      s.on('error', reject);
      s.on('close', () => resolve());
      s.resume();
    });
    void sent;
    await guest.waitFor(/^TCP \d+\.\d+\.\d+\.\d+\.\d+ > _\.8080$/m, 60_000);
    await guest.waitFor(/^read: 14 "hello over tcp"$/m, 60_000);
    if (!fs.existsSync('/dev/kvm')) expect(guest.text).toContain('using software emulation (TCG)');
  }, BOOT_MS);

  it('`nx build stackv4 --target=xen --net=socket` writes stackv4.xl with one vif on the guessed bridge', () => {
    const r = nx(['build', 'stackv4', '--target=xen', '--net=socket', '--bridge=xenbr0'], { timeoutMs: BOOT_MS });
    expect(r.status).toBe(0);
    const dir = vmDist(WORKSPACE_ROOT, 'stackv4', 'xen');
    const info = imageInfo(WORKSPACE_ROOT, 'stackv4', 'xen');
    const xl = parseXl(fs.readFileSync(path.join(dir, 'stackv4.xl'), 'utf8'));
    expect(xl).toEqual({
      name: 'stackv4',
      type: 'pvh',
      kernel: path.join(dir, 'vmlinuz'),
      ramdisk: path.join(dir, info.initramfs),
      extra: 'console=hvc0 quiet loglevel=0 panic=-1 mirage_console=hvc0 --',
      memory: info.memoryMb,
      on_crash: 'preserve',
      disk: [],
      vif: ['bridge=xenbr0'],
    });
    for (const f of [xl.kernel, xl.ramdisk]) expect(fs.existsSync(f as string)).toBe(true);
    const xlIn = parseXl(fs.readFileSync(path.join(dir, 'stackv4.xl.in'), 'utf8'));
    expect(xlIn).toEqual({ ...xl, name: '@NAME@', kernel: '@KERNEL@', ramdisk: '@RAMDISK@', memory: NaN, vif: ['bridge=@NETWORK:default@'] });
    expect((info as unknown as { modules: string[] }).modules).toEqual(expect.arrayContaining(['virtio_net', 'xen-netfront']));
  }, BOOT_MS);
});
