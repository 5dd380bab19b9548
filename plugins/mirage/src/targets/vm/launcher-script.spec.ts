import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launcherScript } from './launcher-script';

/**
 * The launcher is run for real, with a stand-in qemu-system-x86_64 on PATH
 * that records its arguments and writes a status the way the guest does.
 */
describe('the qemu launcher script', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-launcher-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.mkdirSync(path.join(dir, 'out'));
    fs.writeFileSync(path.join(dir, 'disk.img'), '');
    fs.writeFileSync(
      path.join(dir, 'bin', 'qemu-system-x86_64'),
      `#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a"; done > "${dir}/argv"
prev=; for a in "$@"; do case "$prev" in -serial) case "$a" in file:*) echo "exit 5" > "\${a#file:}";; esac;; esac; prev=$a; done
echo hello
`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(dir, 'out', 'mir-demo'),
      launcherScript({
        name: 'demo',
        configFile: 'apps/demo/config.ts',
        kernel: 'vmlinuz',
        initramfs: 'initramfs.cpio.gz',
        rootDisk: 'root.squashfs',
        memoryMb: 128,
        kernelParams: 'console=ttyS0 quiet mirage_console=ttyS0 mirage_status=ttyS1 mirage_disks=/dev/vdb --',
        disks: [{ file: '../disk.img', guestName: 'vdb' }],
        networks: 1,
      }),
      { mode: 0o755 },
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(path.join(dir, 'out', 'mir-demo'), args, {
      encoding: 'utf8',
      env: { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`, MIRAGE_ACCEL: 'tcg', ...env },
    });
  const argv = () => fs.readFileSync(path.join(dir, 'argv'), 'utf8').split('\n').slice(0, -1);

  it('is valid POSIX shell', () => {
    expect(spawnSync('sh', ['-n', path.join(dir, 'out', 'mir-demo')]).status).toBe(0);
  });

  it('starts QEMU with the image, the read-only root disk first, the app disk and the arguments on the kernel command line, and exits with the guest status', () => {
    const r = run(['--who=vm', '--n=2'], { MIRAGE_FORWARD: 'tcp:18080:8080,udp:10053:53', MIRAGE_MEMORY: '400' });
    expect(r.stdout).toBe('hello\n');
    expect(r.status).toBe(5);
    const a = argv();
    const after = (flag: string) => a[a.indexOf(flag) + 1];
    expect(after('-kernel')).toBe(path.join(dir, 'out', 'vmlinuz'));
    expect(after('-initrd')).toBe(path.join(dir, 'out', 'initramfs.cpio.gz'));
    expect(after('-m')).toBe('400');
    expect(after('-accel')).toBe('tcg');
    expect(after('-append')).toBe(
      'console=ttyS0 quiet mirage_console=ttyS0 mirage_status=ttyS1 mirage_disks=/dev/vdb -- --who=vm --n=2',
    );
    const drives = a.filter((_, i) => a[i - 1] === '-drive');
    expect(drives[0]).toBe(`file=${path.join(dir, 'out')}/root.squashfs,format=raw,if=none,id=root,readonly=on`);
    expect(a).toContain('virtio-blk-pci,drive=root,serial=vda');
    expect(a).toContain(`file=${path.join(dir, 'out')}/../disk.img,format=raw,if=none,id=disk0,cache=writeback`);
    expect(a).toContain('virtio-blk-pci,drive=disk0,serial=vdb');
    expect(after('-netdev')).toBe('user,id=net0,hostfwd=tcp:127.0.0.1:18080-:8080,hostfwd=udp:127.0.0.1:10053-:53');
  });

  it('asks the guest for boot milestones when MIRAGE_TRACE is set', () => {
    run(['--who=vm'], { MIRAGE_TRACE: '1' });
    const a = argv();
    expect(a[a.indexOf('-append') + 1]).toBe(
      'mirage_trace=1 console=ttyS0 quiet mirage_console=ttyS0 mirage_status=ttyS1 mirage_disks=/dev/vdb -- --who=vm',
    );
  });

  it('uses a tap device when MIRAGE_TAP names one', () => {
    run([], { MIRAGE_TAP: 'tap9' });
    const a = argv();
    expect(a[a.indexOf('-netdev') + 1]).toBe('tap,id=net0,ifname=tap9,script=no,downscript=no');
  });

  it('stops with a clear message when the disk or QEMU is missing', () => {
    fs.rmSync(path.join(dir, 'disk.img'));
    const noDisk = run([]);
    expect(noDisk.status).toBe(66);
    expect(noDisk.stderr).toContain('mir-demo: disk ../disk.img does not exist');
    fs.rmSync(path.join(dir, 'bin', 'qemu-system-x86_64'));
    const noQemu = spawnSync(path.join(dir, 'out', 'mir-demo'), [], {
      encoding: 'utf8',
      env: { PATH: path.join(dir, 'bin') + ':/usr/bin:/bin' },
    });
    if (!fs.existsSync('/usr/bin/qemu-system-x86_64')) {
      expect(noQemu.stderr).toContain('qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
    }
  });
});
