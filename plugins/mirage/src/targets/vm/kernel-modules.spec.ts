import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isUserError } from '../../configure/user-error';
import { moduleDepends, modulesInLoadOrder } from './kernel-modules';

/** A module file as the kernel build leaves it: .modinfo strings inside an ELF. */
function ko(name: string, depends: string): Buffer {
  return Buffer.concat([
    Buffer.from('\x7fELF\0\0\0'),
    Buffer.from(`license=GPL\0depends=${depends}\0name=${name}\0vermagic=6.1\0`),
  ]);
}

describe('kernel modules in load order', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-modules-'));
    const put = (rel: string, deps: string) => {
      fs.mkdirSync(path.join(dir, 'kernel', path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'kernel', rel), ko(path.basename(rel, '.ko'), deps));
    };
    put('drivers/virtio/virtio.ko', '');
    put('drivers/virtio/virtio_ring.ko', '');
    put('drivers/virtio/virtio_pci.ko', 'virtio_ring,virtio');
    put('drivers/net/virtio_net.ko', 'virtio_ring,virtio,net_failover');
    put('drivers/net/net_failover.ko', 'failover');
    put('net/core/failover.ko', '');
    put('drivers/char/hw_random/virtio-rng.ko', 'virtio,virtio_ring');
    put('drivers/broken/needs-missing.ko', 'no_such_module');
    fs.writeFileSync(path.join(dir, 'modules.builtin'), 'kernel/drivers/tty/hvc_xen.ko\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads depends= from a module file', () => {
    expect(moduleDepends(ko('virtio_net', 'virtio_ring,virtio,net_failover'))).toEqual([
      'virtio_ring',
      'virtio',
      'net_failover',
    ]);
    expect(moduleDepends(ko('virtio', ''))).toEqual([]);
  });

  it('loads every module after the ones it depends on, each once', () => {
    const names = modulesInLoadOrder(dir, ['virtio_pci', 'virtio_rng', 'virtio_net']).map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    const before = (a: string, b: string) => expect(names.indexOf(a)).toBeLessThan(names.indexOf(b));
    before('virtio', 'virtio_pci');
    before('virtio_ring', 'virtio_pci');
    before('failover', 'net_failover');
    before('net_failover', 'virtio_net');
    expect(names).toContain('virtio-rng');
  });

  it('accepts a module built into the kernel', () => {
    expect(modulesInLoadOrder(dir, ['hvc_xen'])).toEqual([]);
  });

  it('names the missing module and who needs it', () => {
    let caught: unknown;
    try {
      modulesInLoadOrder(dir, ['needs-missing']);
    } catch (e) {
      caught = e;
    }
    expect(isUserError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/no no_such_module\.ko \(needed by needs-missing\)/);
    expect((caught as Error).message).toMatch(/fix: /);
  });
});
