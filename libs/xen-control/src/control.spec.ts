import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { XenControlDevice, type ControlStore } from './control';

/** A store holding only `domid`, whose watches fire when told (as the kernel's re-registration makes them). */
class FakeStore implements ControlStore {
  domid = '5';
  readonly watches: ((changed: string) => void)[] = [];
  disconnected = false;
  async read(p: string) {
    return p === 'domid'
      ? ({ ok: true, value: this.domid } as const)
      : ({ ok: false, error: { message: `${p}: ENOENT` } } as const);
  }
  async watch(p: string, onChange: (changed: string) => void) {
    this.watches.push(onChange);
    onChange(p); // the store fires a new watch once
    return { ok: true, value: { cancel: async () => undefined } } as const;
  }
  async disconnect() {
    this.disconnected = true;
  }
  fire() {
    for (const w of this.watches) w('domid');
  }
}

describe('the xen control device', () => {
  let dir: string;
  let store: FakeStore;
  let device: XenControlDevice;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-control-'));
    store = new FakeStore();
    device = await XenControlDevice.over(store, dir);
  });
  afterEach(async () => {
    await device.disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads the domain's id from xenstore", async () => {
    expect(await device.domid()).toEqual({ ok: true, value: 5 });
    store.domid = 'x';
    expect(await device.domid()).toEqual({
      ok: false,
      error: { kind: 'io', message: "xenstore domid is not a domain id: 'x'" },
    });
  });

  it('turns SIGTERM from /sbin/reboot or /sbin/poweroff into the request written beside it', async () => {
    fs.writeFileSync(path.join(dir, 'shutdown'), 'reboot\n');
    process.emit('SIGTERM');
    expect(await device.next()).toEqual({ message: 'reboot' });
    const next = device.next();
    fs.writeFileSync(path.join(dir, 'shutdown'), 'poweroff\n');
    process.emit('SIGTERM');
    expect(await next).toEqual({ message: 'poweroff' });
  });

  it('reports a resume in a new domain (the watch fired again) as a suspend that was not cancelled', async () => {
    const next = device.next();
    store.domid = '7';
    store.fire();
    expect(await next).toEqual({ message: 'suspend', cancelled: false });
    expect(await device.domid()).toEqual({ ok: true, value: 7 });
    // The same domain again: the suspend was cancelled.
    store.fire();
    expect(await device.next()).toEqual({ message: 'suspend', cancelled: true });
  });

  it('writes how the domain ends for /init, and lets go of the signal and the store', async () => {
    await device.shutdown('reboot');
    expect(fs.readFileSync(path.join(dir, 'shutdown'), 'utf8')).toBe('reboot\n');
    const before = process.listenerCount('SIGTERM');
    await device.disconnect();
    expect(process.listenerCount('SIGTERM')).toBe(before - 1);
    expect(store.disconnected).toBe(true);
    device = await XenControlDevice.over(new FakeStore(), dir);
  });
});
