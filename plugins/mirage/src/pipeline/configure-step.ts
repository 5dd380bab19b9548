import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateMainTs } from '../codegen/main-ts';
import type { ResolvedGraph } from '../configure/resolved-graph';
import { UserError } from '../configure/user-error';
import type { UnikernelTarget } from '../targets/target';
import { runBuildSteps } from './build-steps';
import './device-build-steps';
import { GRAPH_FILE, MAIN_TS } from './paths';
import { resolveUnikernel } from './resolve-step';

export interface UnikernelProject {
  readonly workspaceRoot: string;
  /** Workspace-relative, e.g. apps/console. */
  readonly projectRoot: string;
  readonly project: string;
}

export interface ConfigureRequest extends UnikernelProject {
  readonly target: UnikernelTarget;
  /** Key flags (`net: 'direct'`), without the executor's own options. */
  readonly keyOptions: Readonly<Record<string, unknown>>;
  /** Folder the artifact will live in (relative paths in main.ts are computed from it). */
  readonly outDir: string;
  /** Folder written now: outDir itself, or a staging folder at the same depth. */
  readonly writeDir: string;
}

/**
 * `mirage configure`: evaluate config.ts for a target and keys, resolve the
 * device graph, run the devices' build steps and write graph.json and main.ts.
 */
export async function configureUnikernel(req: ConfigureRequest): Promise<ResolvedGraph> {
  const graph = await resolveUnikernel(req);
  const entries = entryFiles(graph, req);
  await runBuildSteps(graph, { ...req, stagingDir: req.writeDir });
  const paths = { workspaceRoot: req.workspaceRoot, projectRoot: req.projectRoot, outDir: req.outDir };
  const mainTs = generateMainTs({
    graph,
    entryImports: entryImports(entries, req),
    resourceExpression: (r) => req.target.resourceExpression(r, paths, graph),
  });
  fs.mkdirSync(req.writeDir, { recursive: true });
  fs.writeFileSync(path.join(req.writeDir, GRAPH_FILE), `${JSON.stringify(graph, null, 2)}\n`);
  fs.writeFileSync(path.join(req.writeDir, MAIN_TS), mainTs);
  return graph;
}

/** `Unikernel.Main` lives in unikernel.ts beside config.ts, as `Unikernel.Main` lives in unikernel.ml. */
export function entryFiles(graph: ResolvedGraph, req: UnikernelProject): Map<string, string> {
  const files = new Map<string, string>();
  for (const job of graph.jobs) {
    const [moduleName] = job.entry.split('.');
    const candidates = [moduleName.charAt(0).toLowerCase() + moduleName.slice(1), moduleName];
    const found = candidates.find((c) => fs.existsSync(path.join(req.workspaceRoot, req.projectRoot, `${c}.ts`)));
    if (!found) {
      throw new UserError(
        `foreign('${job.entry}') names module ${moduleName}, but ${path.join(req.projectRoot, `${candidates[0]}.ts`)} does not exist`,
        {
          at: job.at ?? { file: graph.configFile },
          fix: `create ${candidates[0]}.ts exporting ${job.entry.split('.')[1]}, or correct the name in foreign(...)`,
        },
      );
    }
    files.set(job.entry, path.join(req.workspaceRoot, req.projectRoot, `${found}.ts`));
  }
  return files;
}

/** Import paths of the entry modules from main.ts. */
function entryImports(files: ReadonlyMap<string, string>, req: ConfigureRequest): Map<string, string> {
  const imports = new Map<string, string>();
  for (const [entry, file] of files) {
    const rel = path.relative(req.outDir, file.replace(/\.ts$/, '')).split(path.sep).join('/');
    imports.set(entry, rel.startsWith('.') ? rel : `./${rel}`);
  }
  return imports;
}
