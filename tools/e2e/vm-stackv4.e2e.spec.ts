import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freeLoopbackPort } from '../testing/free-port';
import { imageInfo, vmDist } from '../testing/vm';
import { nx, nxEnv, WORKSPACE_ROOT } from '../testing/workspace';
import { guessBridge, parseXl } from '../../plugins/mirage/src/targets/vm/xl-files';

/**
 * The seed's stackv4 inside a VM under QEMU, reached from the host through
 * port forwards on random free loopback ports of QEMU's user-mode network:
 * with --net=socket (the guest kernel's TCP/IP on the virtio NIC) and with
 * the direct stack (Mirage/TS's own, on the NIC through a packet socket).
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

/** `nx run ...` in its own process group, so that nx, the executor and QEMU can be stopped together. */
function startNx(args: string[]): ChildProcess {
  return spawn(path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx'), args, {
    cwd: WORKSPACE_ROOT,
    env: nxEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function stopGroup(child: ChildProcess | undefined): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Sends a datagram every second until the guest shows it (its stack may still be binding). */
async function sendUdpUntilSeen(guest: Console, port: number, text: string): Promise<RegExpExecArray> {
  const udp = dgram.createSocket('udp4');
  const seen = guest.waitFor(
    new RegExp(`^UDP (\\d+\\.\\d+\\.\\d+\\.\\d+)\\.(\\d+) > (\\d+\\.\\d+\\.\\d+\\.\\d+)\\.53: "${text}"$`, 'm'),
    60_000,
  );
  const resend = setInterval(() => udp.send(text, port, '127.0.0.1'), 1000);
  udp.send(text, port, '127.0.0.1');
  try {
    return await seen;
  } finally {
    clearInterval(resend);
    udp.close();
  }
}

describe('stackv4 on qemu', () => {
  const started: ChildProcess[] = [];
  afterAll(() => started.forEach(stopGroup));

  it(
    'answers UDP and TCP sent from the host to forwarded ports, and prints the seed lines',
    async () => {
      const tcpPort = await freeLoopbackPort();
      const udpPort = await freeLoopbackPort();
      const child = startNx([
        'run',
        'stackv4:run',
        '--target=qemu',
        '--net=socket',
        `--forward=tcp:${tcpPort}:8080,udp:${udpPort}:53`,
      ]);
      started.push(child);
      const guest = new Console(child);
      await guest.waitFor(/^IP address: .*$/m, BOOT_MS - 60_000);
      await sendUdpUntilSeen(guest, udpPort, 'hello over udp');

      await new Promise<void>((resolve, reject) => {
        const s = net.connect(tcpPort, '127.0.0.1', () => s.end('hello over tcp'));
        s.on('error', reject);
        s.on('close', () => resolve());
        s.resume();
      });
      await guest.waitFor(/^TCP \d+\.\d+\.\d+\.\d+\.\d+ > _\.8080$/m, 60_000);
      await guest.waitFor(/^read: 14 "hello over tcp"$/m, 60_000);
      if (!fs.existsSync('/dev/kvm')) expect(guest.text).toContain('using software emulation (TCG)');
      stopGroup(child);
    },
    BOOT_MS,
  );

  it(
    'with the direct stack: the NIC through a packet socket, a static address, UDP from the host',
    async () => {
      const udpPort = await freeLoopbackPort();
      const child = startNx([
        'run',
        'stackv4:run',
        '--target=qemu',
        '--ipv4=10.0.2.15/24',
        '--ipv4-gateway=10.0.2.2',
        `--forward=udp:${udpPort}:53`,
      ]);
      started.push(child);
      const guest = new Console(child);
      await guest.waitFor(/^IP address: 10\.0\.2\.15$/m, BOOT_MS - 60_000);
      expect(guest.text).toMatch(/^Netif: plugging into eth0 with mac [0-9a-f:]{17}$/m);
      const u = await sendUdpUntilSeen(guest, udpPort, 'hello direct');
      expect(u[3]).toBe('10.0.2.15');
      stopGroup(child);
    },
    BOOT_MS,
  );

  it(
    '`npx nx build stackv4 --target=xen` writes stackv4.xl with one vif on the guessed bridge',
    () => {
      const r = nx(['build', 'stackv4', '--target=xen'], { timeoutMs: BOOT_MS });
      expect(r.status).toBe(0);
      const dir = vmDist(WORKSPACE_ROOT, 'stackv4', 'xen');
      const info = imageInfo(WORKSPACE_ROOT, 'stackv4', 'xen');
      const xl = parseXl(fs.readFileSync(path.join(dir, 'stackv4.xl'), 'utf8'));
      expect(xl).toEqual({
        name: 'stackv4',
        type: 'pvh',
        kernel: path.join(dir, 'vmlinuz'),
        ramdisk: path.join(dir, info.initramfs),
        // The direct stack's address keys, as bare kernel parameters where a shell can read the name.
        extra:
          'console=hvc0 quiet loglevel=0 panic=-1 mirage_console=hvc0 mirage_root=xvda ipv4=10.0.0.2/24 -- --ipv4-gateway=10.0.0.1',
        memory: info.memoryMb,
        on_crash: 'preserve',
        disk: [`format=raw, vdev=xvda, access=ro, target=${path.join(dir, 'root.squashfs')}`],
        vif: [`bridge=${guessBridge()}`],
      });
      const xlIn = parseXl(fs.readFileSync(path.join(dir, 'stackv4.xl.in'), 'utf8'));
      expect(xlIn).toEqual({
        ...xl,
        name: '@NAME@',
        kernel: '@KERNEL@',
        ramdisk: '@RAMDISK@',
        memory: NaN,
        disk: ['format=raw, vdev=xvda, access=ro, target=@ROOT@'],
        vif: ['bridge=@NETWORK:tap0@'],
      });
      expect(fs.readFileSync(path.join(dir, 'main.ts'), 'utf8')).toMatch(/PacketNetif_\d+\.connect\("eth0"\)/);
      expect(info).toMatchObject({ devices: { networks: ['tap0'], networking: 'link' } });
    },
    BOOT_MS,
  );

  it(
    '`nx build stackv4 --target=xen --net=socket --bridge=xenbr0` gives the socket stack its own NIC',
    () => {
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
        extra: 'console=hvc0 quiet loglevel=0 panic=-1 mirage_console=hvc0 mirage_root=xvda --',
        memory: info.memoryMb,
        on_crash: 'preserve',
        disk: [`format=raw, vdev=xvda, access=ro, target=${path.join(dir, 'root.squashfs')}`],
        vif: ['bridge=xenbr0'],
      });
      for (const f of [xl.kernel, xl.ramdisk]) expect(fs.existsSync(f as string)).toBe(true);
      const xlIn = parseXl(fs.readFileSync(path.join(dir, 'stackv4.xl.in'), 'utf8'));
      expect(xlIn).toEqual({
        ...xl,
        name: '@NAME@',
        kernel: '@KERNEL@',
        ramdisk: '@RAMDISK@',
        memory: NaN,
        disk: ['format=raw, vdev=xvda, access=ro, target=@ROOT@'],
        vif: ['bridge=@NETWORK:default@'],
      });
      // Only the Xen front-ends: a xen image loads no virtio module.
      const modules = (info as unknown as { modules: string[] }).modules;
      expect(modules).toEqual(expect.arrayContaining(['xen-netfront', 'xen-blkfront', 'squashfs']));
      expect(modules.filter((m) => m.startsWith('virtio'))).toEqual([]);
    },
    BOOT_MS,
  );
});
