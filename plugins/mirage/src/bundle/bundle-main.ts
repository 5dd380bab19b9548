import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedGraph } from '../configure/resolved-graph';
import { UserError, type SourceLocation } from '../configure/user-error';
import type { UnikernelTarget } from '../targets/target';
import { workspaceTsconfig } from './tsconfig';

export interface BundleRequest {
  readonly workspaceRoot: string;
  readonly entry: string;
  /** Where `entry` will be once the staging folder becomes the artifact folder. */
  readonly finalEntry?: string;
  readonly outfile: string;
  readonly target: UnikernelTarget;
  readonly graph: ResolvedGraph;
}

/**
 * One file holding the unikernel, its devices and the wiring. A problem
 * inside the generated main.ts is reported at the config.ts line that
 * caused it, not in generated code.
 */
export async function bundleMain(req: BundleRequest): Promise<void> {
  try {
    await esbuild.build({
      // main.ts is named by the place it will have once the build completes:
      // it is written in a staging folder named after the process, and that
      // name in the bundle would make two builds of the same inputs differ
      // (Nx caches the VM images, so they must not).
      stdin: {
        contents: fs.readFileSync(req.entry, 'utf8'),
        resolveDir: path.dirname(req.entry),
        sourcefile: req.finalEntry ?? req.entry,
        loader: 'ts',
      },
      outfile: req.outfile,
      bundle: true,
      format: 'cjs',
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'silent',
      absWorkingDir: req.workspaceRoot,
      tsconfig: workspaceTsconfig(req.workspaceRoot),
      ...req.target.bundle,
    });
  } catch (e) {
    const errors = (e as esbuild.BuildFailure).errors ?? [];
    if (errors.length === 0) throw e;
    throw missingDevices(errors, req) ?? bundleError(errors[0]);
  }
}

/**
 * Device modules main.ts imports that esbuild could not find, reported once
 * for all of them, at the config.ts line that chose them. A Mirage/TS module
 * that is missing (a backend not installed, or not written yet) is a choice
 * of implementation to change, so the message names the keys of this build.
 */
function missingDevices(errors: readonly esbuild.Message[], req: BundleRequest): UserError | undefined {
  const missing = new Set<string>();
  for (const m of errors) {
    const module = /Could not resolve "([^"]+)"/.exec(m.text)?.[1];
    if (module && m.location && isGeneratedMain(m.location.file, req)) missing.add(module);
  }
  return missingDevicesError(req.graph, missing);
}

/**
 * The error for device modules that cannot be found (the modules given),
 * shared by the bundler and the checks that run before it.
 */
export function missingDevicesError(graph: ResolvedGraph, missing: ReadonlySet<string>): UserError | undefined {
  // Users before what they use: the direct stack matters more than its tap device.
  const devices = graph.devices.filter((d) => missing.has(d.module)).reverse();
  if (devices.length === 0) return undefined;
  const [first, ...others] = devices;
  const also = others.length ? ` (nor ${others.map((d) => `'${d.module}' for ${d.label}`).join(', ')})` : '';
  const at = locate(first, graph);
  if (!first.module.startsWith('@mirage-ts/')) {
    return new UserError(`module '${first.module}' of ${first.label} cannot be found${also}`, {
      at,
      fix: `check the module name given to impl(...), or install the package that provides it`,
    });
  }
  const keys = Object.entries(graph.configureKeys)
    .filter(([name]) => name !== 'target')
    .map(([name, value]) => `--${name}=${String(value)}`);
  return new UserError(
    `${first.label} is not available: its module '${first.module}' is not in this workspace${also}`,
    {
      at,
      fix: `build with another implementation${keys.length ? ` (this build used ${keys.join(' ')})` : ''}, or add the library that provides it`,
    },
  );
}

/** main.ts goes to esbuild under the name of its final place (see bundleMain). */
function isGeneratedMain(file: string, req: BundleRequest): boolean {
  return [req.entry, req.finalEntry ?? req.entry].some(
    (f) => path.resolve(req.workspaceRoot, file) === path.resolve(f),
  );
}

/** A device made inside the DSL (such as tap0) has no config.ts line: use the line of a device that takes it. */
function locate(device: ResolvedGraph['devices'][number], graph: ResolvedGraph): SourceLocation {
  const seen = new Set<number>();
  let current = device;
  while (!current.at && !seen.has(current.id)) {
    seen.add(current.id);
    const user = graph.devices.find((d) => d.args.some((a) => a.kind === 'device' && a.device === current.id));
    if (!user) break;
    current = user;
  }
  const job = graph.jobs.find((j) => j.args.includes(current.id));
  return current.at ?? job?.at ?? { file: graph.configFile };
}

function bundleError(message: esbuild.Message): UserError {
  const loc = message.location;
  const at: SourceLocation | undefined = loc ? { file: loc.file, line: loc.line, column: loc.column + 1 } : undefined;
  return new UserError(message.text, { at, fix: 'correct the code at that line' });
}
