import {
  console,
  defaultConsole,
  defaultXenControl,
  foreign,
  genericStackv4,
  register,
  stackv4,
  tap0,
  xenControl,
  XEN_CONTROL_DIR,
  type Target,
} from '@mirage-ts/mirage';
import { resolveGraph } from './resolve';
import { CONTROL_DIR } from '../targets/vm/init-script';

// The suspend example's config: console @-> xen_control @-> stackv4 @-> job.
const main = foreign('Unikernel.Main', [console, xenControl, stackv4]);
const suspend = register('suspend', [main(defaultConsole, defaultXenControl, genericStackv4(defaultConsole, tap0))]);

const configure = (target: Target) =>
  resolveGraph({
    graph: suspend.toGraph(),
    locations: new Map(),
    configFile: 'apps/suspend/config.ts',
    registerAt: { file: 'apps/suspend/config.ts' },
    project: 'suspend',
    target,
    options: {},
  });

describe('the xen control device', () => {
  it('is connected on xen with the folder the image’s /init and /sbin/poweroff use', () => {
    const g = configure('xen');
    expect(g.devices[g.jobs[0].args[1]]).toMatchObject({
      module: '@mirage-ts/xen-control/control',
      symbol: 'XenControlDevice',
      args: [{ kind: 'value', value: XEN_CONTROL_DIR }],
    });
    expect(CONTROL_DIR).toBe(XEN_CONTROL_DIR);
  });

  it('stops the configure step on any other target, naming the device and where it works', () => {
    for (const target of ['unix', 'qemu'] as const) {
      expect(() => configure(target)).toThrow(`xen control is not available for target ${target} (it works on xen)`);
    }
  });
});
