import * as path from 'node:path';
import { checkUnikernel } from '../analysis/check';
import { bundleMain } from '../bundle/bundle-main';
import type { ResolvedGraph } from '../configure/resolved-graph';
import type { Logger, UnikernelTarget } from '../targets/target';
import { configureUnikernel, entryFiles, type UnikernelProject } from './configure-step';
import { parkOtherTargets } from './parking';
import { artifactDir, MAIN_JS, MAIN_TS } from './paths';
import { replaceDirWhenDone } from './staging';

export interface BuildRequest extends UnikernelProject {
  readonly target: UnikernelTarget;
  readonly keyOptions: Readonly<Record<string, unknown>>;
  readonly targetOptions: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
}

/**
 * configure, check the unikernel against its devices (as `make` type-checks
 * what `mirage configure` wrote), bundle, then the target's own packaging;
 * all or nothing.
 */
export async function buildUnikernel(req: BuildRequest): Promise<ResolvedGraph> {
  const outDir = artifactDir(req.workspaceRoot, req.project, req.target.name);
  const graph = await replaceDirWhenDone(outDir, async (stagingDir) => {
    const graph = await configureUnikernel({ ...req, outDir, writeDir: stagingDir });
    // After configure: its build steps write modules (crunched stores) that main.ts imports and the checks read.
    checkUnikernel({
      workspaceRoot: req.workspaceRoot,
      projectRoot: req.projectRoot,
      graph,
      entryFiles: entryFiles(graph, req),
      mainFile: path.join(stagingDir, MAIN_TS),
    });
    const bundleFile = path.join(stagingDir, MAIN_JS);
    await bundleMain({
      workspaceRoot: req.workspaceRoot,
      entry: path.join(stagingDir, MAIN_TS),
      finalEntry: path.join(outDir, MAIN_TS),
      outfile: bundleFile,
      target: req.target,
      graph,
    });
    await req.target.package({
      workspaceRoot: req.workspaceRoot,
      projectRoot: req.projectRoot,
      outDir,
      stagingDir,
      bundleFile,
      graph,
      options: req.targetOptions,
      logger: req.logger,
    });
    return graph;
  });
  parkOtherTargets(path.dirname(outDir), req.target.name);
  return graph;
}
