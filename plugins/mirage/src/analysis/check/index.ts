import * as path from 'node:path';
import type { ResolvedGraph } from '../../configure/resolved-graph';
import type { SourceLocation } from '../../configure/user-error';
import { beginReading, unikernelFacts } from '../static/unikernel-facts';
import { ConfigSource } from './config-source';
import { findStart } from './entry';
import { checkImplementations } from './implementations';
import { CheckProgram } from './program';
import { checkRegisterName, type SiblingUnikernel } from './register-names';
import { Signatures } from './signatures';
import { checkStartParameters } from './start-parameters';
import { checkUnikernelImports } from './unikernel-imports';

export type { SiblingUnikernel } from './register-names';

export interface CheckRequest {
  readonly workspaceRoot: string;
  /** Workspace-relative folder of the unikernel. */
  readonly projectRoot: string;
  readonly graph: ResolvedGraph;
  /** Absolute file of each job's entry module (`Unikernel.Main` -> .../unikernel.ts). */
  readonly entryFiles: ReadonlyMap<string, string>;
  /** The workspace's other unikernels, for register-name clashes. */
  readonly siblings?: readonly SiblingUnikernel[];
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
  checkRegisterName(config, graph.name, req.projectRoot, req.siblings ?? []);

  const program = new CheckProgram(req.workspaceRoot);
  const signatures = new Signatures(program, configPath);
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
    const start = findStart(program, file, job.entry.split('.')[1], foreignAt, foreignRef);
    const devices = job.args.map((i) => graph.devices[i]);
    checkStartParameters(program, config, signatures, { entry: job.entry, devices, at: job.at }, start);
    (config.jobArguments(job.at) ?? []).forEach((w, i) => {
      if (i < job.args.length && !writtenAt.has(job.args[i])) writtenAt.set(job.args[i], w.at);
    });
  }
  checkImplementations(program, signatures, graph, configPath, writtenAt);
}

function staticImplementationModules(workspaceRoot: string, projectRoot: string): readonly string[] {
  try {
    beginReading(workspaceRoot);
    return unikernelFacts(workspaceRoot, projectRoot).implementationModules;
  } catch {
    return [];
  }
}
