import * as fs from 'node:fs';
import * as path from 'node:path';
import { imageInfo, vmDist } from '../testing/vm';
import { copyWorkspace, nx } from '../testing/workspace';

/**
 * The seed's kv_ro example as a VM under QEMU: t/ crunched into the bundle,
 * and t/ in a FAT image attached as the guest's /dev/vdb.
 */
const BOOT_MS = 600_000;

describe('kv_ro on qemu', () => {
  const ws = copyWorkspace('mirage-vm-kv-');
  afterAll(() => ws.dispose());

  it(
    '--kv_ro=crunch: the store is in the image, and both reads agree --count times',
    () => {
      const r = nx(['run', 'kv_ro:run', '--target=qemu', '--kv_ro=crunch', '--count=3'], {
        cwd: ws.root,
        timeoutMs: BOOT_MS,
      });
      expect(r.status).toBe(0);
      expect(r.stdout.replace(/\r/g, '').match(/^(YES!|NO!.*)$/gm)).toEqual(['YES!', 'YES!', 'YES!']);
      expect(imageInfo(ws.root, 'kv_ro', 'qemu')).toMatchObject({ devices: { blocks: [] } });
    },
    BOOT_MS,
  );

  it(
    '--kv_ro=fat: fat1.img is attached as /dev/vdb and read through the FAT library',
    () => {
      expect(nx(['run', 'kv_ro:fat-image'], { cwd: ws.root }).status).toBe(0);
      const r = nx(['run', 'kv_ro:run', '--target=qemu', '--kv_ro=fat', '--count=3'], {
        cwd: ws.root,
        timeoutMs: BOOT_MS,
      });
      expect(r.status).toBe(0);
      expect(r.stdout.replace(/\r/g, '').match(/^(YES!|NO!.*)$/gm)).toEqual(['YES!', 'YES!', 'YES!']);
      expect(imageInfo(ws.root, 'kv_ro', 'qemu')).toMatchObject({ devices: { blocks: ['fat1.img'] } });
      expect(fs.readFileSync(path.join(vmDist(ws.root, 'kv_ro', 'qemu'), 'main.ts'), 'utf8')).toMatch(
        /RawBlock_\d+\.connect\("\/dev\/vdb"\)/,
      );
    },
    BOOT_MS,
  );
});
