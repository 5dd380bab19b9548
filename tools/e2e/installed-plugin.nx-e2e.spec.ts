import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freeLoopbackPort } from '../testing/free-port';
import { copyWorkspace, nx, nxEnv } from '../testing/workspace';
import { forgetInNpmCache, startLocalRegistry, type LocalRegistry } from '../release/local-registry';

/**
 * The plugin, the DSL, the signatures and the device libraries work in
 * another Nx workspace: `nx release publish` puts the packages `package`
 * makes into a local registry (verdaccio), and a fresh workspace takes them
 * with `nx add @mirage-ts/nx-plugin`, then scaffolds, builds and runs the
 * console example for unix. Third-party packages come from the npm registry,
 * or from npm's cache where `npm ci` already put them (`prefer-offline`).
 */
describe('the plugin installed in a fresh Nx workspace', () => {
  // npm install and several Nx runs: a bound that still ends a hang.
  jest.setTimeout(900_000);
  let source: ReturnType<typeof copyWorkspace>;
  let consumer: string;
  let registryStorage: string;
  let registry: LocalRegistry;

  const run = (file: string, args: readonly string[], cwd = consumer) => {
    const r = spawnSync(file, [...args], { cwd, env: nxEnv(), encoding: 'utf8', timeout: 600_000 });
    return { status: r.status, stdout: r.stdout, output: `${r.stdout}\n${r.stderr}` };
  };
  const consumerNx = (...args: string[]) => run(path.join(consumer, 'node_modules', '.bin', 'nx'), args);

  beforeAll(async () => {
    source = copyWorkspace('mirage-pack-');
    consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-consumer-'));
    registryStorage = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-registry-'));
    registry = await startLocalRegistry({ storage: registryStorage, port: await freeLoopbackPort() });
    forgetInNpmCache(registry.url);
  });
  afterAll(async () => {
    if (registry) forgetInNpmCache(registry.url);
    await registry?.stop();
    source?.dispose();
    for (const dir of [consumer, registryStorage]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  let tarballs: string[];
  it('packs the plugin, the DSL, the signatures and the device libraries', () => {
    const r = nx(['run', '@mirage-ts/nx-plugin:package'], { cwd: source.root });
    expect(r.status).toBe(0);
    const dir = path.join(source.root, 'dist', 'packages');
    tarballs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => path.join(dir, f));
    const names = tarballs.map((t) => path.basename(t));
    for (const lib of fs.readdirSync(path.join(source.root, 'libs')))
      expect(names).toContain(`mirage-ts-${lib}-0.1.0.tgz`);
    expect(names).toContain('mirage-ts-nx-plugin-0.1.0.tgz');
    // JavaScript, declarations, the generator templates, and no TypeScript sources or specs.
    const plugin = path.join(dir, 'nx-plugin');
    expect(fs.existsSync(path.join(plugin, 'src/index.js'))).toBe(true);
    expect(fs.existsSync(path.join(plugin, 'src/index.d.ts'))).toBe(true);
    expect(fs.existsSync(path.join(plugin, 'src/generators/unikernel/files/console/config.ts__tmpl__'))).toBe(true);
    expect(fs.existsSync(path.join(plugin, 'src/executors/describe/schema.json'))).toBe(true);
    const listed = spawnSync('tar', ['-tzf', tarballs.find((t) => t.includes('nx-plugin')) as string], {
      encoding: 'utf8',
    }).stdout.split('\n');
    expect(listed.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'console/src/stdio.js'))).toBe(true);
    // Tests and their helpers stay home.
    expect(fs.existsSync(path.join(dir, 'block/src/testing'))).toBe(false);
    expect(
      JSON.parse(fs.readFileSync(path.join(dir, 'mirage/mirage-manifest.json'), 'utf8')).modules[''].defaultConsole
        .modules,
    ).toEqual(['@mirage-ts/console/stdio']);
  });

  it('publishes them to the local registry with nx release publish', async () => {
    const r = nx(['release', 'publish', `--registry=${registry.url}`, '--parallel=4'], { cwd: source.root });
    expect(r.status).toBe(0);
    for (const name of ['@mirage-ts/nx-plugin', '@mirage-ts/console', '@mirage-ts/netif']) {
      const meta = (await (await fetch(`${registry.url}/${name.replace('/', '%2f')}`)).json()) as {
        'dist-tags': Record<string, string>;
      };
      expect(meta['dist-tags'].latest).toBe('0.1.0');
    }
  });

  it('is added to a new Nx 24.0.6 workspace with nx add, which sets the workspace up', () => {
    expect(run('npm', ['init', '-y']).status).toBe(0);
    // A fresh workspace; analytics answered, so Nx does not stop to ask.
    fs.writeFileSync(path.join(consumer, 'nx.json'), `${JSON.stringify({ analytics: false }, null, 2)}\n`);
    // Only the @mirage-ts scope comes from the local registry. prefer-offline: what npm's cache
    // holds (from `npm ci`, or this registry's packuments of this run) is not asked for again.
    fs.writeFileSync(path.join(consumer, '.npmrc'), `@mirage-ts:registry=${registry.url}/\nprefer-offline=true\n`);
    expect(run('npm', ['install', '--no-audit', '--no-fund', '--save-dev', 'nx@24.0.6']).status).toBe(0);
    const r = consumerNx('add', '@mirage-ts/nx-plugin');
    expect(r.output).toContain('Package @mirage-ts/nx-plugin added successfully.');
    expect(r.status).toBe(0);
    const nxJson = JSON.parse(fs.readFileSync(path.join(consumer, 'nx.json'), 'utf8'));
    expect(nxJson.plugins).toEqual(['@mirage-ts/nx-plugin']);
    const pkg = JSON.parse(fs.readFileSync(path.join(consumer, 'package.json'), 'utf8'));
    expect(pkg.devDependencies).toMatchObject({ '@mirage-ts/mirage': '0.1.0', typescript: '~5.9.3' });
    expect(fs.existsSync(path.join(consumer, 'node_modules/@mirage-ts/nx-plugin/src/index.js'))).toBe(true);
    expect(fs.existsSync(path.join(consumer, 'node_modules/@mirage-ts/console/src/stdio.js'))).toBe(true);
  });

  it("builds the netif addon with the package's own install script, so tap and packet devices load there", () => {
    const addon = path.join(consumer, 'node_modules/@mirage-ts/netif/native/build/Release/mirage_netif.node');
    const r = run(process.execPath, [
      '-e',
      `const a = require(${JSON.stringify(addon)}); console.log(Object.keys(a).sort().join(' '))`,
    ]);
    expect(r.output.trim()).toBe(
      'acceptOffloads close interfaceInfo openPacket openTap startReading writeFrame writeSegment',
    );
  });

  it('scaffolds the console example with `npx nx g unikernel console`', () => {
    const r = consumerNx('g', 'unikernel', 'console');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(consumer, 'apps/console/config.ts'), 'utf8')).toContain(
      "foreign('Unikernel.Main', [console])",
    );
  });

  it('builds it for unix and runs it', () => {
    const r = consumerNx('run', 'console:run', '--target=unix');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/^(hello|world)$/gm)).toEqual([
      'hello',
      'world',
      'hello',
      'world',
      'hello',
      'world',
      'hello',
      'world',
    ]);
    const direct = run(path.join(consumer, 'dist/apps/console/unix/mir-console'), []);
    expect(direct.stdout).toBe('hello\nworld\nhello\nworld\nhello\nworld\nhello\nworld\n');
  });

  it('checks the unikernel against its devices there too, against the installed signatures', () => {
    const file = path.join(consumer, 'apps/console/unikernel.ts');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, good.replace('start(c: Console)', 'start(c: number)'));
    const r = consumerNx('build', 'console');
    fs.writeFileSync(file, good);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(
      "apps/console/unikernel.ts:6:15 - error: parameter 'c' of Main.start expects number, but config.ts:6 passes defaultConsole (Console)",
    );
  });

  it('describes it, and infers its targets and inputs from the installed plugin', () => {
    const d = consumerNx('run', 'console:describe');
    expect(d.status).toBe(0);
    expect(d.stdout).toContain('     implementation: StdioConsole from @mirage-ts/console/stdio (console)');
    // defaultConsole is made inside the installed DSL: no config.ts line (not its import line) is claimed for it.
    expect(d.stdout).toContain('  1. console0: console (Console)\n');
    const show = consumerNx('show', 'project', 'console', '--json');
    const project = JSON.parse(show.stdout) as { targets: Record<string, { inputs?: unknown[] }> };
    expect(Object.keys(project.targets).sort()).toEqual(['build', 'configure', 'describe', 'run']);
    expect(project.targets.build.inputs).toContainEqual({ externalDependencies: ['@mirage-ts/nx-plugin'] });
  });
});
