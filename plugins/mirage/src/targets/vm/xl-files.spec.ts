import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { guessBridge, parseXl, xlFile } from './xl-files';

describe('xl files', () => {
  const domain = {
    name: 'block_test',
    kernel: '/srv/it/vmlinuz',
    ramdisk: "/srv/it's/initramfs.cpio.gz",
    root: '/srv/it/root.squashfs',
    extra: 'console=hvc0 quiet -- --ipv4=10.0.0.2/24',
    memory: '320',
    disks: [{ vdev: 'xvdb', target: '/srv/disk.img' }],
    bridges: ['xenbr0'],
    configFile: 'apps/block/config.ts',
  };

  it('writes every field xl needs for a PVH guest, and reads back the same values', () => {
    const text = xlFile(domain);
    expect(parseXl(text)).toEqual({
      name: 'block_test',
      type: 'pvh',
      kernel: '/srv/it/vmlinuz',
      ramdisk: "/srv/it's/initramfs.cpio.gz",
      extra: 'console=hvc0 quiet -- --ipv4=10.0.0.2/24',
      memory: 320,
      on_crash: 'preserve',
      disk: [
        'format=raw, vdev=xvda, access=ro, target=/srv/it/root.squashfs',
        'format=raw, vdev=xvdb, access=rw, target=/srv/disk.img',
      ],
      vif: ['bridge=xenbr0'],
    });
    expect(text).toContain('#     vif.default.script="vif-openvswitch"');
    expect(text).not.toMatch(/\d{4}-\d\d-\d\d|GMT/);
  });

  it('always attaches the root disk, read-only, and writes an empty vif list as MirageOS does', () => {
    const text = xlFile({ ...domain, disks: [], bridges: [] });
    expect(parseXl(text).disk).toEqual(['format=raw, vdev=xvda, access=ro, target=/srv/it/root.squashfs']);
    expect(text).toContain('vif = [  ]');
  });

  it('writes a PV guest when asked (a unikernel that maps its own grants)', () => {
    expect(parseXl(xlFile({ ...domain, type: 'pv' })).type).toBe('pv');
  });

  it('guesses a Xen bridge first, then any bridge, then xenbr0', () => {
    const sys = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-sysnet-'));
    try {
      const nic = (name: string, bridge: boolean) =>
        fs.mkdirSync(path.join(sys, name, bridge ? 'bridge' : 'statistics'), { recursive: true });
      nic('eth0', false);
      expect(guessBridge(sys)).toBe('xenbr0');
      nic('virbr0', true);
      expect(guessBridge(sys)).toBe('virbr0');
      nic('br0', true);
      expect(guessBridge(sys)).toBe('br0');
      nic('xenbr1', true);
      expect(guessBridge(sys)).toBe('xenbr1');
      expect(guessBridge(path.join(sys, 'absent'))).toBe('xenbr0');
    } finally {
      fs.rmSync(sys, { recursive: true, force: true });
    }
  });
});
