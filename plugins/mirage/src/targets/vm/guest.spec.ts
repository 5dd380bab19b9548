import { RESOLVED_GRAPH_FORMAT, type ResolvedGraph } from '../../configure/resolved-graph';
import { isUserError } from '../../configure/user-error';
import { deviceKeys, guestDevices, guestResource, kernelCommandLine, QEMU, XEN } from './guest';
import { modulesFor } from './image';

const device = (id: number, module: string, args: ResolvedGraph['devices'][number]['args'] = []) => ({
  id,
  variable: `d${id}`,
  typ: 'x',
  signature: 'X',
  label: module,
  module,
  symbol: 'X',
  args,
  build: null,
});

const graph = (devices: ResolvedGraph['devices']): ResolvedGraph => ({
  format: RESOLVED_GRAPH_FORMAT,
  name: 'g',
  project: 'g',
  target: 'qemu',
  configFile: 'apps/g/config.ts',
  configureKeys: {},
  runtimeKeys: [],
  devices,
  jobs: [{ entry: 'Unikernel.Main', args: devices.map((d) => d.id) }],
});

const block = (file: string) => ({ kind: 'resource' as const, resource: { kind: 'block' as const, file } });

describe('guest devices', () => {
  const g = graph([
    device(0, '@mirage-ts/block/raw', [block('a.img')]),
    device(1, '@mirage-ts/block/raw', [block('b.img')]),
    device(2, '@mirage-ts/block/raw', [block('a.img')]),
    device(3, '@mirage-ts/netif/packet', [{ kind: 'resource', resource: { kind: 'network', name: 'tap0' } }]),
  ]);

  it('numbers disks and NICs in connect order, each file once', () => {
    expect(guestDevices(g)).toEqual({ blocks: ['a.img', 'b.img'], networks: ['tap0'], networking: 'link' });
    expect(guestResource(QEMU, { kind: 'block', file: 'b.img' }, g)).toBe('/dev/vdc');
    expect(guestResource(XEN, { kind: 'block', file: 'a.img' }, g)).toBe('/dev/xvdb');
    expect(guestResource(XEN, { kind: 'network', name: 'tap0' }, g)).toBe('eth0');
  });

  it('gives the socket stack a NIC of its own, addressed by the guest kernel', () => {
    expect(guestDevices(graph([device(0, '@mirage-ts/socket-stack/stack')]))).toEqual({
      blocks: [],
      networks: ['default'],
      networking: 'kernel',
    });
  });

  it('loads the Xen grant devices only for a unikernel that uses grant tables, and only on xen', () => {
    const withGrants = guestDevices(
      graph([device(0, '@mirage-ts/xenstore/xenbus'), device(1, '@mirage-ts/xen-grant/device')]),
    );
    expect(withGrants.grants).toBe(true);
    expect(modulesFor(withGrants, XEN)).toEqual(['xen-blkfront', 'squashfs', 'xen-gntalloc', 'xen-gntdev']);
    // The xenstore device alone needs no module: /dev/xen/xenbus is built into the kernel.
    const storeOnly = guestDevices(graph([device(0, '@mirage-ts/xenstore/xenbus')]));
    expect(storeOnly.grants).toBeUndefined();
    expect(modulesFor(storeOnly, XEN)).toEqual(['xen-blkfront', 'squashfs']);
    expect(modulesFor(withGrants, QEMU)).not.toContain('xen-gntdev');
  });

  it('puts the unikernel arguments after -- on the kernel command line', () => {
    expect(kernelCommandLine({ flavour: XEN, devices: guestDevices(g), args: ['--count=3'] })).toBe(
      'console=hvc0 quiet loglevel=0 panic=-1 mirage_console=hvc0 mirage_root=xvda mirage_disks=/dev/xvdb,/dev/xvdc -- --count=3',
    );
    expect(kernelCommandLine({ flavour: QEMU, devices: guestDevices(g), args: [], statusPort: false })).toBe(
      'console=ttyS0 quiet loglevel=0 panic=-1 mirage_console=ttyS0 mirage_root=vda mirage_disks=/dev/vdb,/dev/vdc --',
    );
    expect(kernelCommandLine({ flavour: QEMU, devices: guestDevices(g), args: ['--count=3'], trace: true })).toBe(
      'console=ttyS0 quiet loglevel=0 panic=-1 mirage_console=ttyS0 mirage_root=vda mirage_status=ttyS1 mirage_trace=1 mirage_disks=/dev/vdb,/dev/vdc -- --count=3',
    );
  });

  it("writes the devices' run-time keys with this build's values: shell names bare before --, others as flags after", () => {
    const key = (name: string, kind: 'ipv4' | 'int' | 'string', value: string | number) => ({
      name,
      kind,
      stage: 'runtime' as const,
      doc: '',
      default: value,
    });
    const rk = (k: string) => ({ kind: 'runtime-key' as const, key: k });
    const withKeys: ResolvedGraph = {
      ...graph([
        device(0, '@mirage-ts/tcpip/stack', [rk('ip'), rk('ipv4-gateway'), rk('root'), rk('who'), rk('none')]),
      ]),
      runtimeKeys: [
        key('ip', 'ipv4', '10.0.0.9'),
        key('ipv4-gateway', 'ipv4', '10.0.0.1'),
        key('root', 'string', 'x'),
        // Read by no device: the unikernel's own default is enough.
        key('port', 'int', 80),
        // Values a kernel command line cannot carry stay the unikernel's defaults.
        key('who', 'string', 'two words'),
        key('none', 'string', ''),
      ],
    };
    const keys = deviceKeys(withKeys);
    expect(keys).toEqual([
      { name: 'ip', value: '10.0.0.9' },
      { name: 'ipv4-gateway', value: '10.0.0.1' },
      { name: 'root', value: 'x' },
    ]);
    expect(kernelCommandLine({ flavour: XEN, devices: guestDevices(withKeys), keys, args: ['--count=3'] })).toBe(
      'console=hvc0 quiet loglevel=0 panic=-1 mirage_console=hvc0 mirage_root=xvda ip=10.0.0.9 -- --ipv4-gateway=10.0.0.1 --root=x --count=3',
    );
  });

  it('refuses what cannot be expressed in a VM image', () => {
    const errors = [
      () => kernelCommandLine({ flavour: QEMU, devices: guestDevices(g), args: ['--who=two words'] }),
      () => guestResource(QEMU, { kind: 'data-dir', dir: 't' }, g),
    ].map((f) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    });
    expect(errors.every(isUserError)).toBe(true);
    expect((errors[0] as Error).message).toMatch(
      /cannot go on a kernel command line\n {2}fix: give key values without spaces or quotes/,
    );
    expect((errors[1] as Error).message).toMatch(
      /host directory t cannot be read inside a qemu VM image\n {2}fix: embed it with crunch\('t'\)/,
    );
  });
});
