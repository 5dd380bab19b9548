import * as fs from 'node:fs';
import * as path from 'node:path';
import { blockSequenceLines, seedDiskLayout, seedDiskLayoutOf } from '../testing/block-sequence';
import { consoleLines, imageInfo, vmDist } from '../testing/vm';
import { copyWorkspace, nx } from '../testing/workspace';
import { parseXl } from '../../plugins/mirage/src/targets/vm/xl-files';

/**
 * The seed's block example as a VM: disk.img attached to QEMU as a virtio
 * disk that the unikernel opens as /dev/vdb, the 10-test sequence, and the
 * patterns found in the host file afterwards; on xen, the disk line of
 * block_test.xl.
 */
const BOOT_MS = 600_000;
const SECTORS = 100000;
const expectedLines = blockSequenceLines;

describe('block example on qemu and xen', () => {
  const ws = copyWorkspace('mirage-vm-block-');
  const disk = path.join(ws.root, 'apps/block/disk.img');
  afterAll(() => ws.dispose());

  it(
    'refuses to boot without the disk, naming the config.ts line and the command that makes it',
    () => {
      fs.rmSync(disk, { force: true });
      const r = nx(['run', 'block:run', '--target=qemu'], { cwd: ws.root, timeoutMs: BOOT_MS });
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(
        /apps\/block\/config\.ts:\d+:\d+ - error: the disk apps\/block\/disk\.img for blockOfFile\('disk\.img'\) does not exist/,
      );
      expect(r.output).toContain(
        'fix: create it before running: npx nx run block:disk-image (or truncate -s 16M apps/block/disk.img)',
      );
      const main = fs.readFileSync(path.join(vmDist(ws.root, 'block', 'qemu'), 'main.ts'), 'utf8');
      expect(main).toMatch(/RawBlock_\d+\.connect\("\/dev\/vdb"\)/);
    },
    BOOT_MS,
  );

  it(
    'runs the 10 tests against the attached disk, and the host file holds the patterns at both ends and nothing else',
    () => {
      expect(nx(['run', 'block:disk-image', '--target=qemu'], { cwd: ws.root }).status).toBe(0);
      const r = nx(['run', 'block:run', '--target=qemu'], { cwd: ws.root, timeoutMs: BOOT_MS });
      expect(r.status).toBe(0);
      expect(consoleLines(r.stdout, expectedLines(SECTORS))).toEqual(expectedLines(SECTORS));

      expect(seedDiskLayout(fs.readFileSync(disk), SECTORS)).toEqual(seedDiskLayoutOf(SECTORS));
    },
    BOOT_MS,
  );

  it(
    'writes block_test.xl with the disk attached as xvdb, and block_test.xl.in with @BLOCK:xvda1@',
    () => {
      const r = nx(['build', 'block', '--target=xen'], { cwd: ws.root, timeoutMs: BOOT_MS });
      expect(r.status).toBe(0);
      const dir = vmDist(ws.root, 'block', 'xen');
      const info = imageInfo(ws.root, 'block', 'xen');
      const xl = parseXl(fs.readFileSync(path.join(dir, 'block_test.xl'), 'utf8'));
      expect(xl).toEqual({
        name: 'block_test',
        type: 'pvh',
        kernel: path.join(dir, 'vmlinuz'),
        ramdisk: path.join(dir, info.initramfs),
        extra: 'console=hvc0 quiet loglevel=0 panic=-1 mirage_console=hvc0 mirage_root=xvda mirage_disks=/dev/xvdb --',
        memory: info.memoryMb,
        on_crash: 'preserve',
        disk: [
          `format=raw, vdev=xvda, access=ro, target=${path.join(dir, 'root.squashfs')}`,
          `format=raw, vdev=xvdb, access=rw, target=${path.join(ws.root, 'apps/block/xvda1')}`,
        ],
        vif: [],
      });
      for (const f of [xl.kernel, xl.ramdisk]) expect(fs.existsSync(f as string)).toBe(true);
      const xlIn = parseXl(fs.readFileSync(path.join(dir, 'block_test.xl.in'), 'utf8'));
      expect(xlIn).toEqual({
        ...xl,
        name: '@NAME@',
        kernel: '@KERNEL@',
        ramdisk: '@RAMDISK@',
        memory: NaN,
        disk: [
          'format=raw, vdev=xvda, access=ro, target=@ROOT@',
          'format=raw, vdev=xvdb, access=rw, target=@BLOCK:xvda1@',
        ],
      });
      expect(fs.readFileSync(path.join(dir, 'main.ts'), 'utf8')).toMatch(/RawBlock_\d+\.connect\("\/dev\/xvdb"\)/);
      expect(info).toMatchObject({ devices: { blocks: ['xvda1'], networks: [], networking: 'none' } });
      // A xen image loads only the Xen block front-end (and squashfs for its root disk), no virtio module.
      const modules = (info as unknown as { modules: string[] }).modules;
      expect(modules).toEqual(expect.arrayContaining(['xen-blkfront', 'squashfs']));
      expect(modules.filter((m) => m.startsWith('virtio'))).toEqual([]);
    },
    BOOT_MS,
  );
});
