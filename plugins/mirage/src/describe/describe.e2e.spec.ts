import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeApp } from '../../../../tools/testing/scratch-devices';
import { copyWorkspace, nx } from '../../../../tools/testing/workspace';
import { describeUnikernel } from '../pipeline/describe-step';
import { targetNamed } from '../targets';

/** A stack over a network interface, a shared console, a run-time key and a target choice. */
const CONFIG = `import { console, defaultConsole, foreign, ifImpl, impl, Key, network, register, resource, stackv4, value } from '@mirage-ts/mirage';

const ipv4 = Key.ipv4Prefix('ipv4', { default: '10.0.0.2/24', stage: 'runtime' });
const nic = ifImpl(
  Key.isXen,
  impl(network, { label: 'xen NIC', module: '@example/net/xen', symbol: 'XenNic', args: [resource({ kind: 'network', name: 'eth0' })] }),
  impl(network, { label: 'tap0', module: '@example/net/tap', symbol: 'Tap', args: [resource({ kind: 'network', name: 'tap0' })] }),
);
const stack = impl(stackv4, { label: 'direct stack', module: '@example/tcpip/stack', symbol: 'Stack', args: [nic, ipv4, value(1500)] });
const main = foreign('Unikernel.Main', [console, stackv4]);

export default register('served', [main(defaultConsole, stack)]);
`;

describe('describe', () => {
  // Several nx runs per test on a shared 2-core machine; a bound that still ends a hang.
  jest.setTimeout(600_000);
  let ws: { root: string; dispose(): void };
  beforeAll(() => {
    ws = copyWorkspace('mirage-describe-');
    // describe never bundles or type-checks, so the implementations need not exist.
    writeApp(ws.root, 'served', { 'config.ts': CONFIG, 'unikernel.ts': 'export class Main { async start() {} }\n' });
  });
  afterAll(() => ws?.dispose());

  it('prints each device in connect order with its implementation and arguments, then the jobs', async () => {
    const d = await describeUnikernel({
      workspaceRoot: ws.root,
      projectRoot: 'apps/served',
      project: 'served',
      target: targetNamed('unix'),
      keyOptions: { ipv4: '10.1.2.3/16' },
    });
    expect(d.text).toBe(
      [
        'served for unix (apps/served/config.ts), keys: target=unix',
        'run-time keys: --ipv4 (default "10.1.2.3/16")',
        'devices, in connect order:',
        '  1. console0: console (Console)',
        '     implementation: StdioConsole from @mirage-ts/console/stdio (console)',
        '     connect()',
        '  2. network1: network (Network)  at apps/served/config.ts:7:3',
        '     implementation: Tap from @example/net/tap (tap0)',
        '     connect(network tap0)',
        '  3. stackv42: stackv4 (Stackv4)  at apps/served/config.ts:9:15',
        '     implementation: Stack from @example/tcpip/stack (direct stack)',
        '     connect(network1, --ipv4 (run-time key, default "10.1.2.3/16"), 1500)',
        'jobs:',
        '  Unikernel.Main.start(console0, stackv42)  at apps/served/config.ts:12:36',
      ].join('\n'),
    );
  });

  it('writes the graph as DOT, with an edge per device argument, and as SVG through Graphviz', async () => {
    const d = await describeUnikernel({
      workspaceRoot: ws.root,
      projectRoot: 'apps/served',
      project: 'served',
      target: targetNamed('xen'),
      keyOptions: {},
    });
    expect(d.dotFile).toBe(path.join(ws.root, 'dist/apps/served/describe/xen.dot'));
    const dot = fs.readFileSync(d.dotFile, 'utf8');
    expect(dot).toBe(d.dot);
    expect(dot).toContain('"network1" [label="2. network1: network\\nXenNic\\n@example/net/xen\\nnetwork eth0"];');
    expect(dot).toContain('"job0" -> "console0" [label="1"];');
    expect(dot).toContain('"job0" -> "stackv42" [label="2"];');
    expect(dot).toContain('"stackv42" -> "network1" [label="1"];');
    // Graphviz itself must accept the file: it is in .ci/apt-packages.txt.
    expect(d.svgFile).toBe(path.join(ws.root, 'dist/apps/served/describe/xen.svg'));
    const svg = fs.readFileSync(d.svgFile as string, 'utf8');
    expect(svg).toContain('<svg');
    expect(svg).toContain('XenNic');
    const check = spawnSync('dot', ['-Tcanon', d.dotFile], { encoding: 'utf8' });
    expect(check.status).toBe(0);
  });

  it('works as `nx run APP:describe --target=T [keys] --dot`', () => {
    const r = nx(['run', 'served:describe', '--target=xen', '--ipv4=10.9.9.9/8', '--dot'], { cwd: ws.root });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('digraph "served (xen)" {');
    expect(r.stdout).toContain('XenNic');
    expect(r.output).toContain('DOT: dist/apps/served/describe/xen.dot');
    expect(r.output).toContain('SVG: dist/apps/served/describe/xen.svg');
    const text = nx(['run', 'served:describe', '--target=unix'], { cwd: ws.root });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('  3. stackv42: stackv4 (Stackv4)');
    expect(text.stdout).toContain('     implementation: Tap from @example/net/tap (tap0)');
  });

  it('refuses a key value outside its domain at the key declaration', async () => {
    await expect(
      describeUnikernel({
        workspaceRoot: ws.root,
        projectRoot: 'apps/served',
        project: 'served',
        target: targetNamed('unix'),
        keyOptions: { ipv4: '10.0.0.300/24' },
      }),
    ).rejects.toThrow(
      "apps/served/config.ts:3:29 - error: '10.0.0.300/24' is not a valid value for --ipv4: expected an IPv4 address with a prefix length such as 10.0.0.2/24",
    );
  });
});
