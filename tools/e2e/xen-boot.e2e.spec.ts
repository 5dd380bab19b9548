import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { blockSequenceLines, SECTOR, seedDiskLayout, seedDiskLayoutOf } from '../testing/block-sequence';
import { vmDist } from '../testing/vm';
import { copyWorkspace, nx, WORKSPACE_ROOT } from '../testing/workspace';
import { bootUnderXen, type XenBoot } from '../xen/boot-under-xen';
import { describeBoot, serialLog } from '../xen/report';

/**
 * The xen artifact booted under a real Xen hypervisor: Xen 4.17 and a
 * Debian dom0 inside QEMU (software emulation: no Xen host or KVM is
 * needed), the dom0 running `xl create -c` on the domain that the build's
 * NAME.xl.in describes. The domU's console lines come back marked, apart
 * from Xen's and dom0's messages. Boots are ≈ 25 s each here, so one
 * per example.
 */
const BUILD_MS = 600_000;
const BOOT_MS = 240_000;
const EIGHT = ['hello', 'world', 'hello', 'world', 'hello', 'world', 'hello', 'world'];

function expectCleanEnd(r: XenBoot, name: string, log: string): void {
  const how = describeBoot(r, log);
  if (r.timedOut || r.status !== 0) throw new Error(`the boot did not end cleanly\n${how}`);
  // The unikernel's exit powered the domU off, xl returned, the domain is gone, dom0 powered off.
  expect({ harness: r.harness, how }).toEqual({
    harness: expect.arrayContaining(['xl create exited with status 0', `domain ${name} ended`, 'powering off']),
    how,
  });
  expect(r.harness).not.toContain(`domain ${name} still running`);
}

describe('the xen artifact under Xen in QEMU', () => {
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-e2e-'));
  afterAll(() => fs.rmSync(logs, { recursive: true, force: true }));

  it(
    'console: `xl create -c console.xl` prints the 8 lines from the domU, then the domain ends and QEMU exits',
    async () => {
      const build = nx(['build', 'console', '--target=xen'], { timeoutMs: BUILD_MS });
      expect(build.output).toContain('Successfully ran target build for project console');

      const log = path.join(logs, 'console.serial.log');
      const r = await bootUnderXen({
        distDir: vmDist(WORKSPACE_ROOT, 'console', 'xen'),
        name: 'console',
        timeoutMs: BOOT_MS,
        ...serialLog(log),
      });
      expectCleanEnd(r, 'console', log);
      expect({ domu: r.domu, how: describeBoot(r, log) }).toEqual({ domu: EIGHT, how: describeBoot(r, log) });
      // Xen and the dom0 kernel spoke too, on the same port, and none of it was taken for the domU's.
      expect(r.lines.some((l) => l.from === 'other' && l.text.startsWith('(XEN)'))).toBe(true);
      expect(r.lines.filter((l) => l.from !== 'domU' && EIGHT.includes(l.text))).toEqual([]);
    },
    BUILD_MS + BOOT_MS,
  );

  describe('block', () => {
    const ws = copyWorkspace('mirage-xen-block-');
    afterAll(() => ws.dispose());
    const SECTORS = 100000;

    it(
      'runs the 10 tests on the disk given as `phy:` (a loop device in dom0), and the host file holds the patterns at both ends and nothing else',
      async () => {
        const build = nx(['build', 'block', '--target=xen'], { cwd: ws.root, timeoutMs: BUILD_MS });
        expect(build.output).toContain('Successfully ran target build for project block');
        expect(nx(['run', 'block:disk-image', '--target=xen'], { cwd: ws.root }).status).toBe(0);
        const disk = path.join(ws.root, 'apps/block/xvda1');
        expect(fs.statSync(disk).size).toBe(SECTORS * SECTOR);

        const log = path.join(logs, 'block.serial.log');
        const r = await bootUnderXen({
          distDir: vmDist(ws.root, 'block', 'xen'),
          name: 'block_test',
          disks: { xvda1: disk },
          timeoutMs: BOOT_MS,
          ...serialLog(log),
        });
        expectCleanEnd(r, 'block_test', log);
        expect(r.harness).toContain('disk xenharness0: /dev/vda as /dev/loop0');
        expect({ domu: r.domu, how: describeBoot(r, log) }).toEqual({
          domu: blockSequenceLines(SECTORS),
          how: describeBoot(r, log),
        });

        expect(seedDiskLayout(fs.readFileSync(disk), SECTORS)).toEqual(seedDiskLayoutOf(SECTORS));
      },
      BUILD_MS + BOOT_MS,
    );
  });
});
