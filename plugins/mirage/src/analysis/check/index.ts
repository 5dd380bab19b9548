import * as path from 'node:path';
import { missingDevicesError } from '../../bundle/bundle-main';
import { buildStepImports } from '../../pipeline/build-steps';
import type { ResolvedGraph } from '../../configure/resolved-graph';
import { UserError, type SourceLocation } from '../../configure/user-error';
import { beginReading, unikernelFacts } from '../static/unikernel-facts';
import { ConfigSource } from './config-source';
import { findStart } from './entry';
import { checkImplementations } from './implementations';
import { CheckProgram } from './program';
import { checkSingleRegistration } from './registration';
import { Signatures, SIGNATURES_MODULE } from './signatures';
import { checkStartParameters } from './start-parameters';
import { checkUnikernelImports } from './unikernel-imports';

export interface CheckRequest {
  readonly workspaceRoot: string;
  /** Workspace-relative folder of the unikernel. */
  readonly projectRoot: string;
  readonly graph: ResolvedGraph;
  /** Absolute file of each job's entry module (`Unikernel.Main` -> .../unikernel.ts). */
  readonly entryFiles: ReadonlyMap<string, string>;
  /** Where main.ts is being written: modules named relative to it (`./static1`) are generated beside it. */
  readonly mainFile: string;
}

/**
 * The static checks of a configured unikernel, run before anything is
 * bundled: the first mistake is thrown as a UserError at the user's line.
 * Order: cheap source reads first, then the type checker.
 */
export function checkUnikernel(req: CheckRequest): void {
  const { graph } = req;
  const configPath = path.join(req.workspaceRoot, graph.configFile);
  const config = new ConfigSource(req.workspaceRoot, graph.configFile);
  checkSingleRegistration(config);

  const program = new CheckProgram(req.workspaceRoot);
  const typesFile = program.resolveModule(SIGNATURES_MODULE, configPath);
  if (!typesFile) {
    // Without the signatures nothing can be compared; saying so beats passing silently.
    throw new UserError(`the device signatures (${SIGNATURES_MODULE}) cannot be found from ${graph.configFile}`, {
      at: { file: graph.configFile },
      fix: `install them (npm install --save-dev ${SIGNATURES_MODULE}), or map ${SIGNATURES_MODULE} in tsconfig paths`,
    });
  }
  // A relative module is generated beside main.ts by a build step; the others resolve as from config.ts.
  const moduleFiles = new Map(
    graph.devices.map((d) => {
      const from = d.module.startsWith('.') ? req.mainFile : configPath;
      return [d.id, { from, file: program.resolveModule(d.module, from) }] as const;
    }),
  );
  // Missing modules first, worded as the bundler words them (with the keys that chose them).
  const missing = new Set(
    graph.devices
      .filter((d) => {
        const m = moduleFiles.get(d.id);
        return !m?.file && !program.loadableWithoutTypes(d.module, m?.from ?? configPath);
      })
      .map((d) => d.module),
  );
  const missingError = missingDevicesError(graph, missing);
  if (missingError) throw missingError;

  program.load([
    ...req.entryFiles.values(),
    typesFile,
    ...[...moduleFiles.values()].flatMap((m) => (m.file ? [m.file] : [])),
  ]);
  // A syntax error is the bundler's to report, at its line; types of a file that does not parse mean little.
  if ([...req.entryFiles.values()].some((f) => program.hasSyntaxErrors(f))) return;
  const signatures = new Signatures(program, typesFile);
  const implementationModules = new Set([
    ...graph.devices.map((d) => d.module),
    ...staticImplementationModules(req.workspaceRoot, req.projectRoot),
  ]);

  const writtenAt = new Map<number, SourceLocation>();
  for (const job of graph.jobs) {
    const file = req.entryFiles.get(job.entry);
    if (!file) throw new Error(`no entry file for ${job.entry}`);
    checkUnikernelImports(program, file, implementationModules);
    const foreignAt = config.foreignCall(job.entry) ?? job.at ?? { file: graph.configFile };
    const foreignRef = `foreign('${job.entry}') at ${config.shortRef(foreignAt)}`;
    const entryAt = config.foreignExportName(job.entry) ?? foreignAt;
    const start = findStart(program, file, job.entry.split('.')[1], { entry: job.entry, entryAt, foreignRef });
    const devices = job.args.map((i) => graph.devices[i]);
    checkStartParameters(program, config, signatures, { entry: job.entry, devices, at: job.at }, start);
    (config.jobArguments(job.at) ?? []).forEach((w, i) => {
      if (i < job.args.length && !writtenAt.has(job.args[i])) writtenAt.set(job.args[i], w.at);
    });
  }
  checkImplementations(program, signatures, graph, moduleFiles, writtenAt);
}

function staticImplementationModules(workspaceRoot: string, projectRoot: string): readonly string[] {
  try {
    beginReading(workspaceRoot);
    const facts = unikernelFacts(workspaceRoot, projectRoot);
    return [...facts.implementationModules, ...facts.buildSteps.flatMap(buildStepImports)];
  } catch {
    return [];
  }
}
