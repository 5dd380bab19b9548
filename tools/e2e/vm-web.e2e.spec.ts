import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAsync } from '@mirage-ts/netif/testing/netns';
import { freeLoopbackPort } from '../testing/free-port';
import { imageInfo } from '../testing/vm';
import { GuestConsole, startNx, stopGroup } from '../testing/vm-console';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';

/**
 * static_website as a VM: in QEMU (TCG here) on the direct stack, its
 * htdocs/ in the tar image attached as /dev/vdb, answering curl on the host
 * through a port forward of QEMU's user-mode network. One boot. (What its
 * Xen domain carries, a vif and the tar disk, is checked without a build in
 * plugins/mirage/src/targets/vm/web-guest.spec.ts: the Xen harness cannot
 * boot with networking yet.)
 */
const BOOT_MS = 600_000;
const HTDOCS = path.join(WORKSPACE_ROOT, 'apps/static_website/htdocs');

describe('static_website in VM images', () => {
  const started: ChildProcess[] = [];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-vm-web-'));
  beforeAll(() => {
    const r = nx(['run', 'static_website:archive-image'], { timeoutMs: 120_000 });
    if (r.status !== 0) throw new Error(`nx run static_website:archive-image failed:\n${r.output}`);
  }, 120_000);
  afterAll(() => {
    started.forEach(stopGroup);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it(
    'qemu: answers curl through --forward from its tar image, with keep-alive and 404',
    async () => {
      const port = await freeLoopbackPort();
      const child = startNx([
        'run',
        'static_website:run',
        '--target=qemu',
        '--kv_ro=archive',
        '--ipv4=10.0.2.15/24',
        '--ipv4-gateway=10.0.2.2',
        `--forward=tcp:${port}:8080`,
      ]);
      started.push(child);
      const guest = new GuestConsole(child);
      await guest.waitFor(/^Manager: configuration done$/m, BOOT_MS - 60_000);
      const base = `http://127.0.0.1:${port}`;
      const svg = path.join(scratch, 'mirage.svg');
      const r = await runAsync(
        'curl',
        [
          '-sS',
          '-v',
          '--max-time',
          '30',
          '-o',
          svg,
          `${base}/mirage.svg`,
          '-o',
          '/dev/null',
          '-w',
          '%{http_code} ',
          `${base}/nothing`,
        ],
        { timeoutMs: 60_000 },
      );
      expect(r.stdout).toBe('200 404 ');
      expect(r.stderr).toMatch(/Re-using existing connection/);
      expect(fs.readFileSync(svg)).toEqual(fs.readFileSync(path.join(HTDOCS, 'mirage.svg')));
      const index = await runAsync('curl', ['-sS', '--max-time', '30', `${base}/`], { timeoutMs: 60_000 });
      expect(index.stdout).toBe(fs.readFileSync(path.join(HTDOCS, 'index.html'), 'utf8'));
      await guest.waitFor(/^conn \d+ closed$/m, 30_000);
      expect(imageInfo(WORKSPACE_ROOT, 'static_website', 'qemu')).toMatchObject({
        devices: { blocks: ['tar1.img'], networks: ['tap0'], networking: 'link' },
      });
      stopGroup(child);
    },
    BOOT_MS,
  );
});
