import * as fs from 'node:fs';
import * as path from 'node:path';
import { scratchWorkspace } from '../../../../tools/testing/workspace';
import { configureUnikernel } from '../pipeline/configure-step';
import { targetNamed } from '../targets';
import { readResolvedGraph } from './resolved-graph';
import { isUserError } from './user-error';

const CONSOLE_UNIKERNEL = `export class Main { async start(..._devices: unknown[]): Promise<void> {} }\n`;

async function configure(config: string, options: Record<string, unknown> = {}, target = 'unix') {
  const ws = scratchWorkspace({ 'apps/demo/config.ts': config, 'apps/demo/unikernel.ts': CONSOLE_UNIKERNEL });
  const outDir = path.join(ws.root, 'dist/apps/demo', target);
  try {
    const graph = await configureUnikernel({
      workspaceRoot: ws.root,
      projectRoot: 'apps/demo',
      project: 'demo',
      target: targetNamed(target),
      keyOptions: options,
      outDir,
      writeDir: outDir,
    });
    return {
      graph,
      mainTs: fs.readFileSync(path.join(outDir, 'main.ts'), 'utf8'),
      onDisk: readResolvedGraph(path.join(outDir, 'graph.json')),
    };
  } finally {
    ws.dispose();
  }
}

async function configureError(config: string, options: Record<string, unknown> = {}, target = 'unix'): Promise<string> {
  try {
    await configure(config, options, target);
  } catch (e) {
    if (isUserError(e)) return e.message;
    throw e;
  }
  throw new Error('configure succeeded');
}

const HEADER = `import { block, blockOfFile, console, defaultConsole, foreign, ifImpl, impl, Key, matchImpl, register } from '@mirage-ts/mirage';\n`;

describe('configure', () => {
  it('resolves the console example and writes graph.json and main.ts', async () => {
    const { graph, mainTs, onDisk } = await configure(
      `${HEADER}const main = foreign('Unikernel.Main', [console]);\nexport default register('hello', [main(defaultConsole)]);\n`,
    );
    expect(onDisk).toEqual(graph);
    expect(graph).toMatchObject({ name: 'hello', target: 'unix', configFile: 'apps/demo/config.ts' });
    expect(graph.devices).toEqual([
      expect.objectContaining({
        id: 0,
        typ: 'console',
        module: '@mirage-ts/console/stdio',
        symbol: 'StdioConsole',
        args: [],
      }),
    ]);
    expect(graph.jobs).toEqual([
      { entry: 'Unikernel.Main', args: [0], at: { file: 'apps/demo/config.ts', line: 3, column: 35 } },
    ]);
    expect(mainTs).toContain(`import { StdioConsole as StdioConsole_0 } from "@mirage-ts/console/stdio";`);
    expect(mainTs).toContain(`import * as Unikernel_0 from "../../../../apps/demo/unikernel";`);
    expect(mainTs).toContain('const console0 = await Runtime.connect("console", () => StdioConsole_0.connect());');
    expect(mainTs).toContain('Runtime.start("Unikernel.Main", Unikernel_0.Main, [console0]),');
    expect(mainTs).toContain('const PROGRAM = "mir-hello";');
  });

  it('connects a device used twice once, after the devices it needs', async () => {
    const { graph, mainTs } = await configure(
      `${HEADER}
const inner = impl(block, { label: 'inner', module: 'inner-mod', symbol: 'Inner' });
const outer = impl(block, { label: 'outer', module: 'outer-mod', symbol: 'Outer', args: [inner, defaultConsole] });
const main = foreign('Unikernel.Main', [block, block, block]);
export default register('shared', [main(outer, outer, inner)]);
`,
    );
    expect(graph.devices.map((d) => d.label)).toEqual(['inner', 'console', 'outer']);
    expect(graph.devices[2].args).toEqual([
      { kind: 'device', device: 0 },
      { kind: 'device', device: 1 },
    ]);
    expect(graph.jobs[0].args).toEqual([2, 2, 0]);
    expect(mainTs.match(/Outer_\d+\.connect/g)).toHaveLength(1);
    expect(mainTs).toContain('Outer_2.connect(block0, console1)');
    expect(mainTs.indexOf('const block0')).toBeLessThan(mainTs.indexOf('const block2'));
  });

  it('chooses ifImpl branches by target, as the seed block example does', async () => {
    const config = `${HEADER}const main = foreign('Unikernel.Main', [console, block]);
const img = ifImpl(Key.isXen, blockOfFile('xvda1'), blockOfFile('disk.img'));
export default register('block_test', [main(defaultConsole, img)]);\n`;
    const unix = await configure(config);
    expect(unix.graph.devices[1]).toMatchObject({
      symbol: 'FileBlock',
      args: [{ kind: 'resource', resource: { kind: 'block', file: 'disk.img' } }],
    });
    expect(unix.mainTs).toContain(`require('node:path').resolve(__dirname, "../../../../apps/demo", "disk.img")`);
    const xen = await configure(config, {}, 'xen');
    expect(xen.graph.devices[1]).toMatchObject({
      symbol: 'RawBlock',
      args: [{ kind: 'resource', resource: { kind: 'block', file: 'xvda1' } }],
    });
    const qemu = await configure(config, {}, 'qemu');
    expect(qemu.graph.devices[1]).toMatchObject({
      symbol: 'RawBlock',
      args: [{ kind: 'resource', resource: { kind: 'block', file: 'disk.img' } }],
    });
  });

  it('starts every registered job, and none for a slot whose choice is noop', async () => {
    // The shape of the 2015 dns and conduit_server configs: a job on every target, a second one on unix only.
    const config = `import { console, defaultConsole, foreign, ifImpl, Key, noop, register } from '@mirage-ts/mirage';
const main = foreign('Unikernel.Main', [console]);
const both = main(defaultConsole);
const unixOnly = ifImpl(Key.isXen, noop, main(defaultConsole));
export default register('two', [both, unixOnly]);\n`;
    const unix = await configure(config);
    expect(unix.graph.jobs).toEqual([
      { entry: 'Unikernel.Main', args: [0], at: { file: 'apps/demo/config.ts', line: 3, column: 14 } },
      { entry: 'Unikernel.Main', args: [0], at: { file: 'apps/demo/config.ts', line: 4, column: 42 } },
    ]);
    expect(unix.mainTs.match(/Runtime\.start\(/g)).toHaveLength(2);
    const xen = await configure(config, {}, 'xen');
    expect(xen.graph.jobs).toEqual([unix.graph.jobs[0]]);
    expect(xen.mainTs.match(/Runtime\.start\(/g)).toHaveLength(1);
  });

  it('applies configure-time keys from flags and bakes run-time ones as defaults', async () => {
    const config = `${HEADER}
const fs = Key.create('fs', { values: ['mem', 'file'] as const, default: 'mem' });
const port = Key.int('port', { default: 53, stage: 'runtime', doc: 'UDP port' });
const mem = impl(block, { label: 'mem', module: 'mem', symbol: 'Mem', args: [port] });
const file = impl(block, { label: 'file', module: 'file', symbol: 'File', args: [fs] });
const main = foreign('Unikernel.Main', [block]);
export default register('keys', [main(matchImpl(fs, { mem, file }))]);\n`;
    const dflt = await configure(config);
    expect(dflt.graph.devices.map((d) => d.label)).toEqual(['mem']);
    expect(dflt.graph.devices[0].args).toEqual([{ kind: 'runtime-key', key: 'port' }]);
    expect(dflt.mainTs).toContain('Mem_0.connect(keys["port"])');
    expect(dflt.graph.runtimeKeys).toEqual([
      { name: 'port', kind: 'int', stage: 'runtime', doc: 'UDP port', default: 53 },
    ]);

    const chosen = await configure(config, { fs: 'file', port: '5353' });
    expect(chosen.graph.devices.map((d) => d.label)).toEqual(['file']);
    expect(chosen.graph.devices[0].args).toEqual([{ kind: 'value', value: 'file' }]);
    expect(chosen.graph.configureKeys).toEqual({ target: 'unix', fs: 'file' });
    expect(chosen.graph.runtimeKeys).toEqual([]); // the device reading --port was not chosen

    const baked = await configure(config, { port: '5353' });
    expect(baked.graph.runtimeKeys[0].default).toBe(5353);
  });

  it('offers only the run-time keys that chosen devices read, plus registered ones', async () => {
    const config = `${HEADER}
const net = Key.create('net', { values: ['socket', 'direct'] as const, default: 'socket' });
const ip = Key.ipv4Prefix('ipv4', { default: '10.0.0.2/24', stage: 'runtime' });
const loops = Key.int('loops', { default: 10, stage: 'runtime' });
const socket = impl(block, { label: 'socket', module: 's', symbol: 'S' });
const direct = impl(block, { label: 'direct', module: 'd', symbol: 'D', args: [ip] });
const main = foreign('Unikernel.Main', [block]);
export default register('offer', [main(matchImpl(net, { socket, direct }))], { keys: [loops] });\n`;
    expect((await configure(config)).graph.runtimeKeys.map((k) => k.name)).toEqual(['loops']);
    expect((await configure(config, { net: 'direct' })).graph.runtimeKeys.map((k) => k.name)).toEqual([
      'ipv4',
      'loops',
    ]);
  });

  it('accepts camel-cased spellings of hyphenated keys, as Nx passes them', async () => {
    const config = `${HEADER}
const gw = Key.ipv4('ipv4-gateway', { default: '10.0.0.1', stage: 'runtime' });
const dev = impl(block, { label: 'd', module: 'd', symbol: 'D', args: [gw] });
export default register('gw', [foreign('Unikernel.Main', [block])(dev)]);\n`;
    const { graph } = await configure(config, { ipv4Gateway: '192.168.1.1' });
    expect(graph.runtimeKeys[0].default).toBe('192.168.1.1');
  });
});

describe("configure refuses mistakes with a diagnostic at the user's line", () => {
  it('a key value outside its domain, listing the allowed values', async () => {
    const config = `${HEADER}const fs = Key.create('kv_ro', { values: ['crunch', 'fat', 'direct'] as const, default: 'crunch' });
const d = impl(block, { label: 'd', module: 'd', symbol: 'D', args: [fs] });
export default register('k', [foreign('Unikernel.Main', [block])(d)]);\n`;
    expect(await configureError(config, { kv_ro: 'ntfs' })).toBe(
      "apps/demo/config.ts:2:23 - error: 'ntfs' is not a valid value for --kv_ro: expected one of crunch, fat, direct\n  fix: pass --kv_ro=<one of crunch, fat, direct>",
    );
  });

  it('an option that is no key of the unikernel', async () => {
    const msg = await configureError(
      `${HEADER}export default register('k', [foreign('Unikernel.Main', [console])(defaultConsole)]);\n`,
      { net: 'direct' },
    );
    expect(msg).toBe(
      'apps/demo/config.ts:2:16 - error: unknown option --net: the unikernel registered at apps/demo/config.ts declares no such key\n  fix: this unikernel takes no keys besides --target=unix|xen|qemu',
    );
  });

  it('config.ts that throws', async () => {
    const msg = await configureError(
      `${HEADER}\nconst n: number = 1;\nif (n === 1) throw new Error('no devices today');\nexport default register('k', []);\n`,
    );
    expect(msg).toBe(
      'apps/demo/config.ts:4:20 - error: config.ts threw: no devices today\n  fix: config.ts runs at configure time to describe devices; correct the call at that line',
    );
  });

  it('config.ts that registers no job', async () => {
    const msg = await configureError(`${HEADER}\nexport default register('nothing', []);\n`);
    expect(msg).toMatch(
      /^apps\/demo\/config\.ts:3:\d+ - error: config\.ts threw: register\('nothing'\) needs at least one job/,
    );
  });

  it('config.ts that exports nothing', async () => {
    const msg = await configureError(
      `${HEADER}const main = foreign('Unikernel.Main', [console]);\nregister('k', [main(defaultConsole)]);\n`,
    );
    expect(msg).toBe(
      "apps/demo/config.ts - error: apps/demo/config.ts has no default export\n  fix: end it with: export default register('demo', [main(defaultConsole)]);",
    );
  });

  it('config.ts whose default export is not a registration', async () => {
    expect(await configureError(`export default { devices: [] };\n`)).toMatch(
      /^apps\/demo\/config\.ts - error: the default export of apps\/demo\/config\.ts is not a registration/,
    );
  });

  it('config.ts importing a module that does not exist', async () => {
    const msg = await configureError(
      `import { register } from '@mirage-ts/nonexistent';\nexport default register();\n`,
    );
    expect(msg).toBe(
      'apps/demo/config.ts:1:26 - error: Could not resolve "@mirage-ts/nonexistent"\n  fix: check the import path; device types and implementations come from @mirage-ts/mirage',
    );
  });

  it('config.ts with a syntax error', async () => {
    expect(await configureError(`${HEADER}const main = foreign('Unikernel.Main', [console];\n`)).toMatch(
      /^apps\/demo\/config\.ts:2:49 - error: Expected "\)" but found ";"\n {2}fix: fix the TypeScript syntax at that line$/,
    );
  });

  it('a foreign entry whose module file does not exist', async () => {
    const msg = await configureError(
      `${HEADER}export default register('k', [foreign('Server.Main', [console])(defaultConsole)]);\n`,
    );
    expect(msg).toBe(
      "apps/demo/config.ts:2:63 - error: foreign('Server.Main') names module Server, but apps/demo/server.ts does not exist\n  fix: create server.ts exporting Main, or correct the name in foreign(...)",
    );
  });

  it('a device not available for the target', async () => {
    const msg = await configureError(
      `${HEADER}const d = impl(block, { label: 'host directory t', module: 'd', symbol: 'D', targets: ['unix'] });\nexport default register('k', [foreign('Unikernel.Main', [block])(d)]);\n`,
      {},
      'xen',
    );
    expect(msg).toBe(
      'apps/demo/config.ts:2:11 - error: host directory t is not available for target xen (it works on unix)\n  fix: build with --target=unix, or choose another block implementation for xen, e.g. with ifImpl(Key.isXen, ..., host directory t)',
    );
  });

  it('the xenstore device outside Xen, and connected from its own module on xen', async () => {
    const config = `import { defaultXenstore, foreign, register, xenstore } from '@mirage-ts/mirage';
export default register('k', [foreign('Unikernel.Main', [xenstore])(defaultXenstore)]);\n`;
    expect(await configureError(config, {}, 'unix')).toMatch(
      /^apps\/demo\/config\.ts - error: xenstore is not available for target unix \(it works on xen\)\n {2}fix: build with --target=xen, /,
    );
    expect(await configureError(config, {}, 'qemu')).toMatch(/xenstore is not available for target qemu/);
    const { mainTs } = await configure(config, {}, 'xen');
    expect(mainTs).toContain('from "@mirage-ts/xenstore/xenbus"');
    expect(mainTs).toMatch(/XenbusXenstore_0\.connect\(\)/);
  });

  it('a run-time key used to choose an implementation', async () => {
    const msg = await configureError(`${HEADER}const k = Key.bool('fast', { default: true, stage: 'runtime' });
const a = impl(block, { label: 'a', module: 'a', symbol: 'A' });
export default register('k', [foreign('Unikernel.Main', [block])(ifImpl(k, a, a))]);\n`);
    expect(msg).toMatch(
      /^apps\/demo\/config\.ts:4:\d+ - error: key --fast is read at run time, so it cannot choose an implementation/,
    );
  });

  it('an unknown target', () => {
    let message = '';
    try {
      targetNamed('vmware');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe("error: unknown target 'vmware'\n  fix: use --target=unix|xen|qemu");
  });
});
