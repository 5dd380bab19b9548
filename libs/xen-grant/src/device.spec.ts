import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { xenGrantAddon } from '@mirage-ts/netif/native/xen-grant-addon';
import { PAGE_SIZE, XenGrantTables } from './device';

/**
 * Outside Xen the grant ioctls cannot succeed, but everything around them
 * can be checked on an ordinary file: the mmap as an ArrayBuffer that writes
 * reach the file through, its release, and errno failures as values.
 */
describe('XenGrantTables outside Xen', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-grant-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function tables() {
    const file = path.join(dir, `pages-${Math.random().toString(16).slice(2)}`);
    fs.writeFileSync(file, Buffer.alloc(2 * PAGE_SIZE));
    const a = fs.openSync(file, 'r+');
    const b = fs.openSync(file, 'r+');
    return { file, t: new XenGrantTables(xenGrantAddon(), a, b) };
  }

  it('outside a Xen guest, connecting says what is missing', async () => {
    await expect(
      XenGrantTables.connect({ gntalloc: path.join(dir, 'gntalloc'), gntdev: '/nonexistent' }),
    ).rejects.toThrow(
      `xen-grant: ${path.join(dir, 'gntalloc')} does not exist: grant tables need a Xen guest whose kernel has xen-gntalloc loaded (build with --target=xen and run the image under Xen)`,
    );
    fs.writeFileSync(path.join(dir, 'gntalloc'), '');
    await expect(
      XenGrantTables.connect({ gntalloc: path.join(dir, 'gntalloc'), gntdev: '/nonexistent' }),
    ).rejects.toThrow(/\/nonexistent does not exist: grant tables need a Xen guest whose kernel has xen-gntdev loaded/);
  });

  it('a grant ioctl on a device that is not gntalloc/gntdev fails as a value naming it', async () => {
    const { t } = tables();
    const shared = await t.share(0, 1);
    expect(shared).toEqual({
      ok: false,
      error: {
        kind: 'grant',
        code: 'ENOTTY',
        message: 'IOCTL_GNTALLOC_ALLOC_GREF on /dev/xen/gntalloc: Inappropriate ioctl for device',
      },
    });
    const mapped = await t.map(0, [8]);
    expect(mapped).toMatchObject({
      ok: false,
      error: { code: 'ENOTTY', message: expect.stringMatching(/^IOCTL_GNTDEV_MAP/) },
    });
    await t.disconnect();
    expect(await t.share(0, 1)).toMatchObject({ ok: false, error: { kind: 'disconnected' } });
  });

  it('refuses a bad domid, page count or reference before any ioctl', async () => {
    const { t } = tables();
    expect(await t.share(70000, 1)).toMatchObject({ ok: false, error: { code: 'EINVAL', message: /domid 70000/ } });
    expect(await t.share(1, 0)).toMatchObject({ ok: false, error: { message: '0 pages: give 1 to 1024' } });
    expect(await t.map(1, [-1])).toMatchObject({ ok: false, error: { message: /-1 is not a grant reference/ } });
    await t.disconnect();
  });

  it('maps pages shared by the kernel as an ArrayBuffer, and unmaps them once', () => {
    const { file } = tables();
    const fd = fs.openSync(file, 'r+');
    const addon = xenGrantAddon();
    const m = addon.mmapPages(fd, PAGE_SIZE, PAGE_SIZE, true);
    const view = new Uint8Array(m.buffer);
    expect(view.length).toBe(PAGE_SIZE);
    view[0] = 0xff;
    view[PAGE_SIZE - 1] = 0x42;
    const onDisk = fs.readFileSync(file);
    expect([onDisk[PAGE_SIZE], onDisk[2 * PAGE_SIZE - 1], onDisk[0]]).toEqual([0xff, 0x42, 0]);
    addon.unmapPages(m);
    expect(m.buffer.byteLength).toBe(0); // detached: no access to unmapped memory
    addon.unmapPages(m);
    expect(() => addon.mmapPages(fd, 0, 0, true)).toThrow(/mmapPages\(fd, index, length > 0, writable\)/);
    fs.closeSync(fd);
  });
});
