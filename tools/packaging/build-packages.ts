/**
 * `npx nx run @mirage-ts/nx-plugin:package`: publishable packages under
 * dist/packages/ (one folder and one `npm pack` tarball each) for the
 * plugin, the DSL, the signatures and the device libraries, so another Nx
 * workspace can install them without this repository.
 *
 * All sources compile in one TypeScript program (they import each other
 * through the workspace's path aliases, which stay bare `@mirage-ts/...`
 * specifiers in the output and resolve through node_modules once
 * installed). A library's `exports` and `typesVersions` map
 * `@mirage-ts/console/stdio` to src/stdio.js and src/stdio.d.ts, for Node,
 * bundlers and every TypeScript module resolution mode.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import {
  FactsIndex,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type DeviceFacts,
  type PackageManifest,
} from '../../plugins/mirage/src/analysis/static/module-facts';
import { ModuleResolver } from '../../plugins/mirage/src/analysis/static/module-resolver';
import {
  discoverPackages,
  isPublished,
  UNPUBLISHED_DIRS,
  type PackageSource,
} from '../../plugins/mirage/src/packaging/packages';

const ROOT = path.resolve(__dirname, '..', '..');
const WORK = path.join(ROOT, 'tmp', 'packaging');

function compile(packages: readonly PackageSource[]): string {
  const outDir = path.join(WORK, 'out');
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const tsconfig = {
    extends: path.join(ROOT, 'tsconfig.base.json'),
    compilerOptions: {
      noEmit: false,
      outDir,
      rootDir: ROOT,
      declaration: true,
      sourceMap: false,
      types: ['node'],
    },
    include: packages.map((p) => path.join(ROOT, p.root, 'src', '**', '*.ts')),
    exclude: ['**/*.spec.ts', '**/*.bench.ts', '**/files/**', ...[...UNPUBLISHED_DIRS].map((d) => `**/${d}/**`)].map(
      (g) => path.join(ROOT, g),
    ),
  };
  const file = path.join(WORK, 'tsconfig.json');
  fs.writeFileSync(file, JSON.stringify(tsconfig, null, 2));
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', file], { stdio: 'inherit', cwd: ROOT });
  return outDir;
}

/**
 * The project's other files: schemas and generator templates of the plugin,
 * the sources of a native addon... Everything but TypeScript sources (compiled
 * instead), tests and their helpers, and build output.
 */
function copyOtherFiles(root: string, dest: string): void {
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[]) {
    if (entry.isDirectory()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const rel = path.relative(root, file);
    const isTemplate = rel.split(path.sep).includes('files');
    if (!isPublished(rel) || rel === 'package.json' || rel === 'project.json') continue;
    if (!isTemplate && /\.ts$/.test(rel) && !rel.endsWith('.d.ts')) continue;
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.copyFileSync(file, path.join(dest, rel));
  }
}

/** Packages the compiled code requires, with the versions this workspace builds and tests with. */
function dependenciesOf(dir: string, self: string, packages: readonly PackageSource[]): Record<string, string> {
  const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const deps: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]) {
    if (
      !entry.isFile() ||
      !entry.name.endsWith('.js') ||
      path.join(entry.parentPath, entry.name).split(path.sep).includes('files')
    )
      continue;
    const js = fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
    for (const m of js.matchAll(/require\("([^"./][^"]*)"\)/g)) {
      const spec = m[1];
      const parts = spec.split('/');
      const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      if (name === self || spec.startsWith('node:') || builtinModules.includes(name)) continue;
      const own = packages.find((p) => p.name === name);
      const version = own?.version ?? rootPkg.devDependencies[name];
      if (!version)
        throw new Error(
          `${self} requires ${name}, which is neither a package of this workspace nor one of its dependencies`,
        );
      deps[name] = version;
    }
  }
  return Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Facts read from the TypeScript sources (the modules each export plugs in,
 * the data it names), for installed workspaces where only JavaScript is left.
 */
function manifestOf(p: PackageSource, facts: FactsIndex): PackageManifest {
  const modules: Record<string, Record<string, DeviceFacts>> = {};
  const srcDir = path.join(ROOT, p.root, 'src');
  for (const entry of fs.readdirSync(srcDir, { recursive: true, withFileTypes: true }) as fs.Dirent[]) {
    const file = path.join(entry.parentPath, entry.name);
    if (
      !entry.isFile() ||
      !/\.ts$/.test(file) ||
      file.endsWith('.d.ts') ||
      !isPublished(path.join('src', path.relative(srcDir, file))) ||
      path.relative(srcDir, file).split(path.sep).includes('files')
    )
      continue;
    const subpath = path
      .relative(srcDir, file)
      .replace(/\.ts$/, '')
      .replace(/(^|\/)index$/, '')
      .split(path.sep)
      .join('/');
    const exports: Record<string, DeviceFacts> = {};
    for (const name of facts.exportNames(file)) {
      const f = facts.exportFacts(file, name);
      if (f.modules.length + f.dataParams.length + f.dataPaths.length > 0) exports[name] = f;
    }
    // Keyed by the subpath an import names (`@mirage-ts/mirage/devices/kv` -> devices/kv).
    if (Object.keys(exports).length > 0) modules[subpath] = exports;
  }
  return { format: MANIFEST_FORMAT, modules };
}

function main(): void {
  const packages = discoverPackages(ROOT);
  const outDir = compile(packages);
  const facts = new FactsIndex(new ModuleResolver(ROOT));
  const distRoot = path.join(ROOT, 'dist', 'packages');
  fs.rmSync(distRoot, { recursive: true, force: true });
  for (const p of packages) {
    const dest = path.join(ROOT, p.dir);
    fs.mkdirSync(dest, { recursive: true });
    fs.cpSync(path.join(outDir, p.root, 'src'), path.join(dest, 'src'), { recursive: true });
    copyOtherFiles(path.join(ROOT, p.root), dest);
    const subpathFields = p.subpaths
      ? {
          exports: {
            '.': { types: './src/index.d.ts', default: './src/index.js' },
            './package.json': './package.json',
            './*': { types: './src/*.d.ts', default: './src/*.js' },
          },
          // TypeScript's node10 resolution ignores `exports`.
          typesVersions: { '*': { '*': ['src/*', '*'] } },
        }
      : {};
    const pkg = {
      name: p.name,
      version: p.version,
      description: p.description,
      license: 'ISC',
      ...p.extra,
      main: 'src/index.js',
      types: 'src/index.d.ts',
      ...subpathFields,
      dependencies: dependenciesOf(dest, p.name, packages),
      ...(p.name === '@mirage-ts/nx-plugin' ? { peerDependencies: { nx: '>=24.0.0 <25' } } : {}),
    };
    fs.writeFileSync(path.join(dest, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    const manifest = manifestOf(p, facts);
    if (Object.keys(manifest.modules).length > 0)
      fs.writeFileSync(path.join(dest, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    execFileSync('npm', ['pack', '--silent', '--pack-destination', distRoot], {
      cwd: dest,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  process.stdout.write(
    `${packages.length} packages in ${path.relative(ROOT, distRoot)}:\n${fs
      .readdirSync(distRoot)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => `  ${f}`)
      .join('\n')}\n`,
  );
}

main();
