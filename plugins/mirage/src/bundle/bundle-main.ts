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
      stdin: { contents: fs.readFileSync(req.entry, 'utf8'), resolveDir: path.dirname(req.entry), sourcefile: req.finalEntry ?? req.entry, loader: 'ts' },
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
    const first = (e as esbuild.BuildFailure).errors?.[0];
    if (!first) throw e;
    throw bundleError(first, req);
  }
}

function bundleError(message: esbuild.Message, req: BundleRequest): UserError {
  const loc = message.location;
  const inGeneratedMain = loc && [req.entry, req.finalEntry ?? req.entry].some((f) => path.resolve(req.workspaceRoot, loc.file) === path.resolve(f));
  if (inGeneratedMain) {
    const missing = /Could not resolve "([^"]+)"/.exec(message.text)?.[1];
    const device = req.graph.devices.find((d) => d.module === missing);
    if (device) {
      return new UserError(`module '${device.module}' of ${device.label} cannot be found`, {
        at: device.at ?? { file: req.graph.configFile },
        fix: `check the module name given to impl(...), or install the package that provides it`,
      });
    }
  }
  const at: SourceLocation | undefined = loc ? { file: loc.file, line: loc.line, column: loc.column + 1 } : undefined;
  return new UserError(message.text, { at, fix: 'correct the code at that line' });
}
