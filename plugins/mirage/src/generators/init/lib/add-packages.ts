import { addDependenciesToPackageJson, readJson, type GeneratorCallback, type Tree } from '@nx/devkit';

/**
 * What a unikernel's generated main.ts and config.ts import: the DSL, the
 * signatures and every device library (config.ts picks among them per
 * target and keys). Kept in step with the packages tools/packaging makes by
 * a unit spec.
 */
export const RUNTIME_PACKAGES = [
  '@mirage-ts/block',
  '@mirage-ts/conduit',
  '@mirage-ts/console',
  '@mirage-ts/dhcp-server',
  '@mirage-ts/dns',
  '@mirage-ts/fat',
  '@mirage-ts/http',
  '@mirage-ts/io-page',
  '@mirage-ts/kv',
  '@mirage-ts/mirage',
  '@mirage-ts/netif',
  '@mirage-ts/socket-stack',
  '@mirage-ts/tcpip',
  '@mirage-ts/time',
  '@mirage-ts/tracing',
  '@mirage-ts/types',
  '@mirage-ts/xen-control',
  '@mirage-ts/xen-grant',
  '@mirage-ts/xenstore',
] as const;

/** The TypeScript the plugin is tested with (typescript 7, the Go port, cannot load Nx plugins). */
export const TYPESCRIPT_VERSION = '~5.9.3';

/**
 * Adds the runtime packages at the plugin's own version, skipping those the
 * workspace already has, as a dependency or as sources behind a
 * tsconfig.base.json path (a workspace that holds Mirage/TS itself).
 */
export function addPackages(
  tree: Tree,
  pluginVersion: string,
  keepExistingVersions: boolean,
): GeneratorCallback | undefined {
  const aliased = new Set(Object.keys(tsconfigPaths(tree)));
  const wanted = RUNTIME_PACKAGES.filter((p) => !aliased.has(p));
  const devDependencies: Record<string, string> = Object.fromEntries(wanted.map((p) => [p, pluginVersion]));
  if (!installed(tree).has('typescript')) devDependencies.typescript = TYPESCRIPT_VERSION;
  if (Object.keys(devDependencies).length === 0) return undefined;
  return addDependenciesToPackageJson(tree, {}, devDependencies, undefined, keepExistingVersions);
}

function tsconfigPaths(tree: Tree): Record<string, unknown> {
  if (!tree.exists('tsconfig.base.json')) return {};
  return (
    (readJson(tree, 'tsconfig.base.json') as { compilerOptions?: { paths?: Record<string, unknown> } }).compilerOptions
      ?.paths ?? {}
  );
}

function installed(tree: Tree): Set<string> {
  if (!tree.exists('package.json')) return new Set();
  const pkg = readJson(tree, 'package.json') as Record<string, Record<string, string> | undefined>;
  return new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
}
