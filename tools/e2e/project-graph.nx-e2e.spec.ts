import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitWorkspace, touch } from '../testing/git-workspace';
import { addScratchDevices, writeApp } from '../testing/scratch-devices';
import { nx } from '../testing/workspace';

/**
 * `npx nx affected -t build` after a change lists exactly the unikernels the
 * change can reach: through the implementations their config.ts chooses
 * (edges Nx cannot see in imports), the data they name, the libraries their
 * code imports, and the plugin that builds them.
 */
const consoleUnikernel = `import type { Console } from '@mirage-ts/types';
export class Main {
  async start(c: Console): Promise<void> {
    await c.log('hello');
  }
}
`;
const kvUnikernel = `import type { Console, KvRo } from '@mirage-ts/types';
export class Main {
  async start(c: Console, kv: KvRo): Promise<void> {
    const a = await kv.get('a');
    await c.log(a.ok ? new TextDecoder().decode(a.value) : a.error.message);
  }
}
`;
const kvConfig = (
  name: string,
  dir: string,
) => `import { console, defaultConsole, foreign, register, scratchDir, scratchKv } from '@mirage-ts/mirage';
const main = foreign('Unikernel.Main', [console, scratchKv]);
export default register('${name}', [main(defaultConsole, scratchDir('${dir}'))]);
`;

describe('project graph: nx affected follows config.ts', () => {
  // Several nx runs per test on a shared 2-core machine; a bound that still ends a hang.
  jest.setTimeout(600_000);
  let ws: ReturnType<typeof gitWorkspace>;

  beforeAll(() => {
    ws = gitWorkspace('mirage-affected-', (root) => {
      addScratchDevices(root);
      writeApp(root, 'plain', {
        'config.ts': `import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';
const main = foreign('Unikernel.Main', [console]);
export default register('plain', [main(defaultConsole)]);
`,
        'unikernel.ts': consoleUnikernel,
      });
      writeApp(root, 'uses_block', {
        'config.ts': `import { block, console, defaultConsole, foreign, register, scratchBlock } from '@mirage-ts/mirage';
const main = foreign('Unikernel.Main', [console, block]);
export default register('uses_block', [main(defaultConsole, scratchBlock(8))]);
`,
        'unikernel.ts': consoleUnikernel.replace('c: Console', 'c: Console, _b: unknown'),
      });
      writeApp(root, 'uses_dir', {
        'config.ts': kvConfig('uses_dir', 'files'),
        'unikernel.ts': kvUnikernel,
        'files/a': 'from uses_dir\n',
      });
      // Data owned by another project: the edge goes to that project.
      writeApp(root, 'uses_shared', {
        'config.ts': kvConfig('uses_shared', '../../libs/shared-data/files'),
        'unikernel.ts': kvUnikernel,
      });
      fs.mkdirSync(path.join(root, 'libs/shared-data/files'), { recursive: true });
      fs.writeFileSync(path.join(root, 'libs/shared-data/files/a'), 'shared\n');
      fs.writeFileSync(
        path.join(root, 'libs/shared-data/project.json'),
        JSON.stringify({ name: 'shared-data', root: 'libs/shared-data' }),
      );
    });
  });
  afterAll(() => ws?.dispose());

  /** The projects whose `target` task `nx affected -t target` would run for the working tree's changes. */
  const affectedProjects = (target: string): string[] => {
    const r = nx(['affected', '-t', target, '--base=HEAD', '--graph=stdout'], { cwd: ws.root });
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
      tasks: { tasks: Record<string, { target: { project: string } }> };
    };
    return Object.values(json.tasks.tasks)
      .map((t) => t.target.project)
      .sort();
  };
  /**
   * The affected unikernels among those this test wrote and the examples it
   * names (other examples come and go on main).
   */
  const WATCHED = new Set([
    'plain',
    'uses_block',
    'uses_dir',
    'uses_shared',
    'console',
    'block',
    'kv_ro',
    'kv_ro_crunch',
  ]);
  const affectedBy = (file: string, target: string, line?: string): string[] => {
    touch(ws.root, file, line);
    try {
      return affectedProjects(target);
    } finally {
      ws.git('checkout', '-q', '--', file);
    }
  };
  const after = (file: string, line?: string): string[] =>
    affectedBy(file, 'build', line).filter((p) => WATCHED.has(p));

  it('adds edges from each unikernel to the libraries its config.ts chooses, and to the plugin', () => {
    const file = path.join(ws.root, 'tmp-graph.json');
    expect(nx(['graph', `--file=${file}`], { cwd: ws.root }).status).toBe(0);
    const deps = (
      JSON.parse(fs.readFileSync(file, 'utf8')) as {
        graph: { dependencies: Record<string, { target: string; type: string }[]> };
      }
    ).graph.dependencies;
    fs.rmSync(file);
    const of = (p: string) => deps[p].map((d) => `${d.target}:${d.type}`).sort();
    // Nx's own import analysis gives mirage (config.ts), time and types (unikernel.ts) and the test
    // helpers (its e2e spec); the plugin adds the rest.
    expect(of('console')).toEqual([
      '@mirage-ts/console:static',
      '@mirage-ts/mirage:static',
      '@mirage-ts/nx-plugin:implicit',
      '@mirage-ts/time:static',
      '@mirage-ts/types:static',
      'testing:static',
    ]);
    expect(of('uses_block')).toEqual([
      '@mirage-ts/console:static',
      '@mirage-ts/mirage:static',
      '@mirage-ts/nx-plugin:implicit',
      '@mirage-ts/scratch:static',
      '@mirage-ts/types:static',
    ]);
    expect(of('uses_shared')).toContain('shared-data:static');
    // The examples: every store --kv_ro can choose; a crunched store's generated module imports @mirage-ts/kv/crunch.
    expect(of('kv_ro')).toEqual(
      expect.arrayContaining(['@mirage-ts/block:static', '@mirage-ts/fat:static', '@mirage-ts/kv:static']),
    );
    expect(of('kv_ro_crunch')).toContain('@mirage-ts/kv:static');
  });

  it('a device library: exactly the unikernels that can use it', () => {
    expect(after('libs/scratch/src/host-dir.ts')).toEqual(['uses_block', 'uses_dir', 'uses_shared']);
    expect(after('libs/console/src/stdio.ts')).toEqual([
      'block',
      'console',
      'kv_ro',
      'kv_ro_crunch',
      'plain',
      'uses_block',
      'uses_dir',
      'uses_shared',
    ]);
    // crunch.ts is imported by the module a crunched store generates: kv_ro (--kv_ro=crunch) and kv_ro_crunch.
    expect(after('libs/kv/src/crunch.ts')).toEqual(['kv_ro', 'kv_ro_crunch']);
    // kv's archive spec reads tar images through @mirage-ts/block's MemoryBlock: Nx counts a spec's
    // import as the project's, so every unikernel over @mirage-ts/kv follows block too.
    expect(after('libs/block/src/file.ts')).toEqual(['block', 'kv_ro', 'kv_ro_crunch']);
  });

  it('a helper library a unikernel imports: the unikernels that import it', () => {
    const sleepers = [...WATCHED].filter((app) => {
      const file = path.join(ws.root, 'apps', app, 'unikernel.ts');
      return /from '@mirage-ts\/time'/.test(fs.readFileSync(file, 'utf8'));
    });
    expect(after('libs/time/src/sleep.ts')).toEqual(sleepers.sort());
  });

  it('a data file of one unikernel: only that unikernel', () => {
    expect(after('apps/uses_dir/files/a', 'more data')).toEqual(['uses_dir']);
    expect(after('libs/shared-data/files/a', 'more data')).toEqual(['uses_shared']);
  });

  it('the plugin: every unikernel; an unrelated file: none', () => {
    expect(after('plugins/mirage/src/codegen/main-ts.ts')).toEqual([...WATCHED].sort());
    expect(after('README.md', 'a note')).toEqual([]);
  });

  it('nx affected -t test: the touched library and the projects whose code or specs import it, no others', () => {
    // The scratch devices of this test have no specs; every project with a test target is the workspace's own.
    // static_website's config.ts offers --kv_ro=fat, and its dispatch spec is a test target.
    expect(affectedBy('libs/fat/src/boot-sector.ts', 'test')).toEqual(['@mirage-ts/fat', 'static_website', 'tools']);
    // tcpip runs over netifs; the plugin's specs bundle the tap addon; xen-grant loads its own addon,
    // built beside netif's; tools benchmarks both; the dhcp server and http specs run over the
    // memory switch; and every example that has unit specs
    // (io_page, lwt, netif-forward, static_website) follows the plugin it is built by.
    expect(affectedBy('libs/netif/src/memory.ts', 'test')).toEqual([
      '@mirage-ts/dhcp-server',
      '@mirage-ts/http',
      '@mirage-ts/netif',
      '@mirage-ts/nx-plugin',
      '@mirage-ts/tcpip',
      '@mirage-ts/xen-grant',
      'io_page',
      'lwt',
      'netif-forward',
      'static_website',
      'tools',
    ]);
    expect(affectedBy('README.md', 'test', 'a note')).toEqual([]);
  });
});
