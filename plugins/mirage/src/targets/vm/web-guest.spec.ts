import { WORKSPACE_ROOT } from '../../../../../tools/testing/workspace';
import { resolveUnikernel } from '../../pipeline/resolve-step';
import { targetNamed } from '../index';
import { deviceKeys, guestDevices, kernelCommandLine, XEN } from './guest';
import { parseXl, xlFile } from './xl-files';

/**
 * What static_website (and static_website_ip) ask of a Xen domain, from
 * their real config.ts: a vif for tap0, and with --kv_ro=archive the tar
 * image as xvdb: the .xl that a Xen host would be given (tools/e2e/xen-network
 * boots static_website_ip's under Xen).
 */
describe('the web examples as Xen domains', () => {
  const resolve = (app: string, keyOptions: Record<string, unknown> = {}) =>
    resolveUnikernel({
      workspaceRoot: WORKSPACE_ROOT,
      projectRoot: `apps/${app}`,
      project: app,
      target: targetNamed('xen'),
      keyOptions,
    });

  it('static_website --kv_ro=archive: one vif on tap0 and tar1.img as xvdb in www.xl.in', async () => {
    const graph = await resolve('static_website', { kv_ro: 'archive' });
    const devices = guestDevices(graph);
    expect(devices).toEqual({ blocks: ['tar1.img'], networks: ['tap0'], networking: 'link' });
    const xl = parseXl(
      xlFile({
        name: graph.name,
        kernel: '@KERNEL@',
        ramdisk: '@RAMDISK@',
        root: '@ROOT@',
        memory: '@MEMORY@',
        extra: kernelCommandLine({ flavour: XEN, devices, args: [] }),
        disks: devices.blocks.map((file, i) => ({ vdev: XEN.diskName(i), target: `@BLOCK:${file}@` })),
        bridges: devices.networks.map((n) => `@NETWORK:${n}@`),
        configFile: graph.configFile,
      }),
    );
    expect(xl.vif).toEqual(['bridge=@NETWORK:tap0@']);
    expect(xl.disk).toEqual([
      'format=raw, vdev=xvda, access=ro, target=@ROOT@',
      'format=raw, vdev=xvdb, access=rw, target=@BLOCK:tar1.img@',
    ]);
    expect(xl.extra).toMatch(/mirage_disks=\/dev\/xvdb --$/);
  });

  it("static_website_ip: a vif, and the address in extra as the 2015 xl file had it, with the build's values", async () => {
    const graph = await resolve('static_website_ip');
    expect(guestDevices(graph)).toEqual({ blocks: [], networks: ['tap0'], networking: 'link' });
    expect(graph.runtimeKeys.map((k) => k.name)).toEqual(expect.arrayContaining(['ip', 'netmask', 'gateway', 'port']));
    const extra = (g: typeof graph) =>
      kernelCommandLine({ flavour: XEN, devices: guestDevices(g), keys: deviceKeys(g), args: [] });
    // The stack reads ip/netmask/gateway; the port is the dispatcher's own and stays out.
    expect(extra(graph)).toMatch(/ mirage_root=xvda ip=10\.0\.0\.2 netmask=255\.255\.255\.0 gateway=10\.0\.0\.1 --$/);
    expect(extra(await resolve('static_website_ip', { ip: '10.0.0.9', netmask: '255.255.0.0' }))).toMatch(
      / ip=10\.0\.0\.9 netmask=255\.255\.0\.0 gateway=10\.0\.0\.1 --$/,
    );
  });
});
