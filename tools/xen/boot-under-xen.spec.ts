import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runSerial, xenQemuArgs } from './boot-under-xen';
import { DOMU_MARK, HARNESS_MARK } from './dom0-init';

describe('booting Xen in QEMU', () => {
  it('loads Xen by multiboot with dom0 kernel (and its command line) and initramfs as modules', () => {
    const args = xenQemuArgs({
      hypervisor: '/c/xen-4.17-amd64',
      dom0Kernel: '/c/vmlinuz-6.1.0-9-amd64',
      dom0Initrd: '/t/dom0.cpio',
      memoryMb: 928,
      disks: [{ file: '/w/a,b.img', serial: 'xenharness0' }],
    });
    const opt = (name: string) => args[args.indexOf(name) + 1];
    expect(opt('-kernel')).toBe('/c/xen-4.17-amd64');
    expect(opt('-append')).toMatch(/^console=com1 .*smap=0 smep=0 spec-ctrl=eager-fpu/);
    expect(opt('-initrd')).toBe('/c/vmlinuz-6.1.0-9-amd64 console=hvc0 quiet loglevel=3 panic=-1,/t/dom0.cpio');
    expect(opt('-accel')).toBe('tcg');
    expect(opt('-cpu')).toBe('max');
    expect(opt('-m')).toBe('928');
    expect(args).toContain('-no-reboot');
    expect(args).toContain('file=/w/a,,b.img,format=raw,if=none,id=disk0,cache=writeback');
    expect(args).toContain('virtio-blk-pci,drive=disk0,serial=xenharness0');
    expect(args).not.toContain('virtio-serial-pci,id=vser');
    // A session's control port: QEMU connects to the host's socket as a virtio-serial port dom0 finds by name.
    const session = xenQemuArgs({
      hypervisor: '/x',
      dom0Kernel: '/k',
      dom0Initrd: '/i',
      memoryMb: 1,
      controlSocket: '/t/c.sock',
    });
    expect(session).toEqual(
      expect.arrayContaining([
        'virtio-serial-pci,id=vser',
        'socket,id=control,path=/t/c.sock',
        'virtserialport,bus=vser.0,chardev=control,name=xen-harness',
      ]),
    );
    expect(() => xenQemuArgs({ hypervisor: '/x', dom0Kernel: '/a,b/vmlinuz', dom0Initrd: '/i', memoryMb: 1 })).toThrow(
      'cannot hold a comma or a space',
    );
  });

  it('sorts the serial lines as they come and kills the machine at the time limit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-serial-'));
    try {
      // A stand-in for a QEMU whose guest hangs after a few lines.
      const fake = path.join(dir, 'qemu');
      const pidFile = path.join(dir, 'pid');
      fs.writeFileSync(
        fake,
        `#!/bin/sh\necho $$ > ${pidFile}\nprintf '(XEN) Xen version 4.17\\r\\n${HARNESS_MARK} dom0 up\\r\\n${DOMU_MARK}hello\\r\\n'\nexec sleep 60\n`,
        { mode: 0o755 },
      );
      const seen: string[] = [];
      const r = await runSerial(fake, [], 1500, (l) => seen.push(`${l.from}:${l.text}`));
      expect(r).toMatchObject({ timedOut: true, status: null, domu: ['hello'], harness: ['dom0 up'] });
      expect(seen).toEqual(['other:(XEN) Xen version 4.17', 'harness:dom0 up', 'domU:hello']);
      expect(r.firstDomuLineMs).toBeLessThan(r.wallMs);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when QEMU is not installed', async () => {
    await expect(runSerial('/nonexistent/qemu-system-x86_64', [], 1000)).rejects.toThrow(
      '/nonexistent/qemu-system-x86_64 is not installed',
    );
  });
});
