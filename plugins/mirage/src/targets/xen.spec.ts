import { RESOLVED_GRAPH_FORMAT } from '../configure/resolved-graph';
import { isUserError } from '../configure/user-error';
import type { RunContext } from './target';
import { fakeHostTools } from './vm/fake-host-tools';
import { runXen } from './xen';

const ctx: RunContext = {
  workspaceRoot: '/ws',
  projectRoot: 'apps/console',
  outDir: '/ws/dist/apps/console/xen',
  graph: {
    format: RESOLVED_GRAPH_FORMAT,
    name: 'console',
    project: 'console',
    target: 'xen',
    configFile: 'apps/console/config.ts',
    configureKeys: {},
    runtimeKeys: [],
    devices: [],
    jobs: [],
  },
  args: [],
  options: {},
  logger: { info: () => undefined, warn: () => undefined },
};

describe('running the xen target', () => {
  it('boots NAME.xl with `xl create -c` on a Xen host', async () => {
    const tools = fakeHostTools({ xl: () => ({}) });
    expect(await runXen(ctx, tools)).toBe(0);
    expect(tools.calls).toEqual([
      { file: '/fake/bin/xl', args: ['create', '-c', '/ws/dist/apps/console/xen/console.xl'] },
    ]);
  });

  it('says where to boot the image when this machine has no xl', async () => {
    let caught: unknown;
    try {
      await runXen(ctx, fakeHostTools({}));
    } catch (e) {
      caught = e;
    }
    expect(isUserError(caught)).toBe(true);
    expect((caught as Error).message).toBe(
      'error: running the xen target needs a Xen host (dom0) with the xl tool, and this machine has none\n' +
        '  fix: boot dist/apps/console/xen/console.xl with `xl create -c` on a Xen host, or run the same image here with --target=qemu',
    );
  });
});
