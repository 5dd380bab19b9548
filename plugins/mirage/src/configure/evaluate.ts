import type { RawGraph } from '@mirage-ts/mirage';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { rawGraphSchema } from './graph-schema';
import { BundlePositions } from './source-map';
import { UserError, type SourceLocation } from './user-error';
import { workspaceTsconfig } from '../bundle/tsconfig';

/** A node's call site, mapped to the user's config.ts. */
export type Locations = ReadonlyMap<number, SourceLocation>;

export interface EvaluatedConfig {
  readonly graph: RawGraph;
  readonly configFile: string;
  /** Where each node was created, when that was in config.ts. */
  readonly locations: Locations;
  /** Where `register` was called. */
  readonly registerAt: SourceLocation;
}

/**
 * Runs config.ts and returns the device graph it registers. config.ts is
 * bundled first (it imports the DSL through the workspace's path aliases
 * and may be TypeScript), then run in this process: it only builds data.
 */
export async function evaluateConfig(workspaceRoot: string, projectRoot: string): Promise<EvaluatedConfig> {
  const configPath = path.join(workspaceRoot, projectRoot, 'config.ts');
  const configFile = path.join(projectRoot, 'config.ts');
  const fileOnly: SourceLocation = { file: configFile };
  if (!fs.existsSync(configPath)) {
    throw new UserError(`${configFile} does not exist`, {
      fix: `create it, or scaffold a unikernel with: npx nx g unikernel ${path.basename(projectRoot)}`,
    });
  }

  const bundleFile = path.join(path.dirname(configPath), '__config.bundle.js');
  const { code, map } = await bundleConfig(workspaceRoot, configPath, bundleFile);
  const positions = new BundlePositions(bundleFile, map, workspaceRoot);
  const locate = (stack: string | undefined) => (stack ? positions.locate(stack, configPath) : undefined);

  let exported: unknown;
  try {
    const mod = new Module(bundleFile);
    mod.filename = bundleFile;
    mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(
      path.dirname(configPath),
    );
    (mod as unknown as { _compile(code: string, file: string): void })._compile(code, bundleFile);
    exported = (mod.exports as { default?: unknown }).default;
  } catch (e) {
    throw thrownByConfig(e, locate, fileOnly);
  }

  if (exported === undefined) {
    throw new UserError(`${configFile} has no default export`, {
      at: fileOnly,
      fix: `end it with: export default register('${path.basename(projectRoot)}', [main(defaultConsole)]);`,
    });
  }
  if (!isRegistration(exported)) {
    throw new UserError(`the default export of ${configFile} is not a registration`, {
      at: fileOnly,
      fix: `export the result of register(...), e.g. export default register('${path.basename(projectRoot)}', [main(defaultConsole)]);`,
    });
  }

  let raw: unknown;
  try {
    raw = exported.toGraph();
  } catch (e) {
    throw thrownByConfig(e, locate, fileOnly);
  }
  const parsed = rawGraphSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(
      `the device graph registered by ${configFile} is malformed: ${parsed.error.issues[0]?.message}`,
      {
        at: fileOnly,
        fix: 'build devices with the @mirage-ts/mirage combinators (impl, ifImpl, matchImpl, foreign, register) of the same version as the plugin',
      },
    );
  }
  const graph: RawGraph = parsed.data;
  const locations = new Map<number, SourceLocation>();
  for (const n of graph.nodes) {
    const at = locate(n.site);
    if (at) locations.set(n.id, at);
  }
  return { graph, configFile, locations, registerAt: locate(graph.site) ?? fileOnly };
}

async function bundleConfig(
  workspaceRoot: string,
  configPath: string,
  bundleFile: string,
): Promise<{ code: string; map: string }> {
  let result: esbuild.BuildResult<{ write: false }>;
  try {
    result = await esbuild.build({
      entryPoints: [configPath],
      outfile: bundleFile,
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      logLevel: 'silent',
      tsconfig: workspaceTsconfig(workspaceRoot),
      absWorkingDir: workspaceRoot,
    });
  } catch (e) {
    const failure = e as esbuild.BuildFailure;
    const first = failure.errors?.[0];
    if (!first) throw e;
    const at = first.location
      ? { file: first.location.file, line: first.location.line, column: first.location.column + 1 }
      : { file: path.relative(workspaceRoot, configPath) };
    throw new UserError(first.text, {
      at,
      fix: /Could not resolve/.test(first.text)
        ? 'check the import path; device types and implementations come from @mirage-ts/mirage'
        : 'fix the TypeScript syntax at that line',
    });
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
  if (!js || !map) throw new Error('esbuild produced no bundle for config.ts');
  return { code: js.text, map: map.text };
}

function thrownByConfig(
  e: unknown,
  locate: (stack: string | undefined) => SourceLocation | undefined,
  fileOnly: SourceLocation,
): UserError {
  // config.ts may run in another realm (a test sandbox), where its errors are
  // not `instanceof Error`: look at their shape.
  const error =
    typeof e === 'object' && e !== null && 'message' in e
      ? (e as { message: unknown; stack?: unknown })
      : { message: e };
  return new UserError(`config.ts threw: ${String(error.message)}`, {
    at: locate(typeof error.stack === 'string' ? error.stack : undefined) ?? fileOnly,
    fix: 'config.ts runs at configure time to describe devices; correct the call at that line',
  });
}

function isRegistration(value: unknown): value is { name: string; toGraph(): unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { __mirage?: unknown }).__mirage === 'registration' &&
    typeof (value as { toGraph?: unknown }).toGraph === 'function'
  );
}
