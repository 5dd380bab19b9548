/**
 * @mirage-ts/nx-plugin: infers unikernel projects from config.ts files and
 * carries `--target` from the command line to their tasks.
 */
import { createNodesFromFiles, type CreateNodes } from '@nx/devkit';
import { beginReading } from './analysis/static/unikernel-facts';
import { unikernelProject, CONFIG_GLOB, type MiragePluginOptions } from './plugin/create-nodes';
import { TARGET_ENV, unikernelTargetFromArgv } from './plugin/target-flag';
import { unparkAll } from './pipeline/parking';

export { createDependencies } from './plugin/create-dependencies';

export const createNodes: CreateNodes<MiragePluginOptions> = [
  CONFIG_GLOB,
  (configFiles, options, context) => {
    beginReading(context.workspaceRoot);
    return createNodesFromFiles(
      (file, opts, ctx) => unikernelProject(file, opts ?? {}, ctx),
      configFiles,
      options ?? {},
      context,
    );
  },
];

export function preTasksExecution(
  _options: unknown,
  context: { argv: readonly string[]; workspaceRoot: string },
): void {
  // Folders parked by an interrupted run go back before anything reads them.
  unparkAll(context.workspaceRoot);
  // Always set: with the daemon on, this runs in the daemon, whose environment
  // would otherwise still hold the target of an earlier command.
  process.env[TARGET_ENV] = unikernelTargetFromArgv(context.argv) ?? 'unix';
}

export function postTasksExecution(_options: unknown, context: { workspaceRoot: string }): void {
  unparkAll(context.workspaceRoot);
}

export type { MiragePluginOptions } from './plugin/create-nodes';
