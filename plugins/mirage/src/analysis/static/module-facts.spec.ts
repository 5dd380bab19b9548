import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WORKSPACE_ROOT } from '../../../../../tools/testing/workspace';
import { FactsIndex, MANIFEST_FILE, MANIFEST_FORMAT } from './module-facts';
import { ModuleResolver } from './module-resolver';
import { beginReading, unikernelFacts } from './unikernel-facts';

describe('facts read from the DSL source of this workspace', () => {
  const resolver = new ModuleResolver(WORKSPACE_ROOT);
  const facts = new FactsIndex(resolver);
  const dsl = resolver.resolve('@mirage-ts/mirage', path.join(WORKSPACE_ROOT, 'apps/console/config.ts')) as string;

  it('finds the DSL through the tsconfig paths', () => {
    expect(dsl).toBe(path.join(WORKSPACE_ROOT, 'libs/mirage/src/index.ts'));
  });

  it('knows which modules a default device plugs in', () => {
    expect(facts.exportFacts(dsl, 'defaultConsole')).toEqual({
      modules: ['@mirage-ts/console/stdio'],
      buildSteps: [],
      dataParams: [],
      dataPaths: [],
    });
  });

  it('follows ifImpl/matchImpl branches, build steps and resources to their parameters', () => {
    // A disk image is state the unikernel writes, not data of the build.
    expect(facts.exportFacts(dsl, 'blockOfFile')).toEqual({
      modules: ['@mirage-ts/block/file', '@mirage-ts/block/raw'],
      buildSteps: [],
      dataParams: [],
      dataPaths: [],
    });
    // crunch's build option, fatOfFiles' and archiveOfFiles' build options and directKvRo's data-dir resource all take parameter 0.
    expect(facts.exportFacts(dsl, 'genericKvRo')).toEqual({
      modules: [
        '@mirage-ts/block/file',
        '@mirage-ts/block/raw',
        '@mirage-ts/fat/fs',
        '@mirage-ts/fat/kv',
        '@mirage-ts/kv/archive',
        '@mirage-ts/kv/direct',
      ],
      buildSteps: ['archive-image', 'crunch', 'fat-image'],
      dataParams: [0],
      dataPaths: [],
    });
    // tap0 = netif('tap0'): a network name is not data.
    expect(facts.exportFacts(dsl, 'tap0')).toEqual({
      modules: ['@mirage-ts/netif/packet', '@mirage-ts/netif/tap'],
      buildSteps: [],
      dataParams: [],
      dataPaths: [],
    });
  });

  it('gives a traced unikernel the tracer, which only its main.ts imports', () => {
    beginReading(WORKSPACE_ROOT);
    expect(unikernelFacts(WORKSPACE_ROOT, 'apps/tracing').implementationModules).toContain('@mirage-ts/tracing');
    expect(unikernelFacts(WORKSPACE_ROOT, 'apps/network').implementationModules).not.toContain('@mirage-ts/tracing');
  });

  it('reads the console example: it can only use the stdio console', () => {
    beginReading(WORKSPACE_ROOT);
    expect(unikernelFacts(WORKSPACE_ROOT, 'apps/console')).toEqual({
      implementationModules: ['@mirage-ts/console/stdio'],
      buildSteps: [],
      dataPaths: [],
    });
  });

  it('reads the kv_ro example: every store --kv_ro can choose, and its data folder', () => {
    expect(unikernelFacts(WORKSPACE_ROOT, 'apps/kv_ro')).toEqual({
      implementationModules: [
        '@mirage-ts/block/file',
        '@mirage-ts/block/raw',
        '@mirage-ts/console/stdio',
        '@mirage-ts/fat/fs',
        '@mirage-ts/fat/kv',
        '@mirage-ts/kv/archive',
        '@mirage-ts/kv/direct',
      ],
      buildSteps: ['archive-image', 'crunch', 'fat-image'],
      dataPaths: ['apps/kv_ro/t'],
    });
  });
});

describe('facts of config.ts files', () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const factsOf = (config: string) => {
    write('apps/x/config.ts', config);
    beginReading(root);
    return unikernelFacts(root, 'apps/x');
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-facts-'));
    write(
      'tsconfig.base.json',
      JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@dsl': ['dsl/index.ts'], '@dsl/*': ['dsl/*'] } } }),
    );
    write('dsl/index.ts', "export * from './kv';\nexport { net as network } from './net';\n");
    write(
      'dsl/kv.ts',
      `import { impl, matchImpl } from './core';
// A folder crunched into the bundle: its 'dir' build option is data.
export function crunch(dir: string) {
  return impl(kv, { label: dir, module: '@x/kv/crunch', symbol: 'Crunch', build: { step: 'crunch', options: { dir } } });
}
export const fatOfFiles = (source: string, sectors = 1024) =>
  impl(kv, { label: 'fat', module: '@x/fat/fs', symbol: 'Fat', args: [impl(block, { module: '@x/block/file', symbol: 'F', args: [resource({ kind: 'block', file: 'fat.img' })] })], build: { step: 'fat', options: { dir: source, sectors } } });
// Reaches crunch and fatOfFiles through a parameter: parameter 0 is data too.
export function genericKv(dir: string, key: unknown) {
  return matchImpl(key, { crunch: crunch(dir), fat: fatOfFiles(dir) });
}
// Shadows a top-level name: crunch here is a parameter, not the function above.
export function shadow(crunch: (d: string) => unknown) {
  return crunch('not-data');
}
// A folder of the app read from the host when asked.
export const hostDir = (dir: string) => impl(kv, { module: '@x/kv/dir', symbol: 'D', args: [resource({ kind: 'data-dir', dir })] });
export const defaultData = hostDir('www');
`,
    );
    write(
      'dsl/net.ts',
      "export const net = (name: string) => impl(network, { module: '@x/net/tap', symbol: 'Tap', args: [resource({ kind: 'network', name })] });\n",
    );
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads crunch(literal) as data and its module as an implementation', () => {
    expect(factsOf("import { crunch } from '@dsl';\nexport default main(crunch('t'));\n")).toEqual({
      implementationModules: ['@x/kv/crunch'],
      buildSteps: ['crunch'],
      dataPaths: ['apps/x/t'],
    });
  });

  it('follows data through DSL functions that pass it on, and names every implementation a key can choose', () => {
    expect(factsOf("import { genericKv } from '@dsl';\nexport default main(genericKv('htdocs', k));\n")).toEqual({
      implementationModules: ['@x/block/file', '@x/fat/fs', '@x/kv/crunch'],
      buildSteps: ['crunch', 'fat'],
      // fat.img is a block file: run-time state, not data of the build.
      dataPaths: ['apps/x/htdocs'],
    });
  });

  it('reads a top-level constant passed as data, and a namespace import', () => {
    expect(factsOf("import * as M from '@dsl';\nconst data = 'www';\nexport default main(M.crunch(data));\n")).toEqual({
      implementationModules: ['@x/kv/crunch'],
      buildSteps: ['crunch'],
      dataPaths: ['apps/x/www'],
    });
  });

  it("takes data named inside the DSL itself (defaultData = hostDir('www'))", () => {
    expect(factsOf("import { defaultData } from '@dsl';\nexport default main(defaultData);\n")).toEqual({
      implementationModules: ['@x/kv/dir'],
      buildSteps: [],
      dataPaths: ['apps/x/www'],
    });
  });

  it('follows renamed re-exports, and does not take a network name for data', () => {
    expect(factsOf("import { network } from '@dsl';\nexport default main(network('tap0'));\n")).toEqual({
      implementationModules: ['@x/net/tap'],
      buildSteps: [],
      dataPaths: [],
    });
  });

  it('ignores imports that config.ts does not use, and shadowed names', () => {
    expect(factsOf("import { crunch, shadow } from '@dsl';\nexport default main(shadow((d) => d));\n")).toEqual({
      implementationModules: [],
      buildSteps: [],
      dataPaths: [],
    });
  });

  it('reads impl(...) written in config.ts, resources included; a computed path is left to the folder input', () => {
    expect(
      factsOf(
        "import { impl, resource } from '@dsl';\nconst d = impl(kv, { module: '@y/kv/dir', symbol: 'D', args: [resource({ kind: 'data-dir', dir: '../shared/files' })] });\nconst e = crunchy(`t/${n}`);\nexport default main(d);\n",
      ),
    ).toEqual({ implementationModules: ['@y/kv/dir'], buildSteps: [], dataPaths: ['apps/shared/files'] });
  });

  it('drops data outside the workspace, which Nx cannot hash', () => {
    expect(
      factsOf("import { crunch } from '@dsl';\nexport default main(crunch('../../../elsewhere'));\n").dataPaths,
    ).toEqual([]);
  });

  it('reads the manifest of an installed package, where only JavaScript is left', () => {
    write(
      `node_modules/@pkg/dsl/${MANIFEST_FILE}`,
      JSON.stringify({
        format: MANIFEST_FORMAT,
        modules: {
          '': { crunch: { modules: ['@pkg/kv/crunch'], dataParams: [0], dataPaths: [] } },
          'devices/kv': { www: { modules: ['@pkg/kv/dir'], dataParams: [], dataPaths: ['www'] } },
        },
      }),
    );
    expect(
      factsOf(
        "import { crunch } from '@pkg/dsl';\nimport { www } from '@pkg/dsl/devices/kv';\nexport default main(crunch('t'), www);\n",
      ),
    ).toEqual({
      implementationModules: ['@pkg/kv/crunch', '@pkg/kv/dir'],
      buildSteps: [],
      dataPaths: ['apps/x/t', 'apps/x/www'],
    });
  });

  it('sees an edited file, not a stale parse', () => {
    expect(factsOf("import { crunch } from '@dsl';\nexport default main(crunch('a'));\n").dataPaths).toEqual([
      'apps/x/a',
    ]);
    // Same size, other content: the cache key includes the mtime.
    const file = path.join(root, 'apps/x/config.ts');
    fs.writeFileSync(file, "import { crunch } from '@dsl';\nexport default main(crunch('b'));\n");
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    // Within one reading a file is read once; the next reading sees the edit.
    expect(unikernelFacts(root, 'apps/x').dataPaths).toEqual(['apps/x/a']);
    beginReading(root);
    expect(unikernelFacts(root, 'apps/x').dataPaths).toEqual(['apps/x/b']);
  });
});
