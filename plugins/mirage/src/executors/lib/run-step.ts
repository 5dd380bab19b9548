import { logger, type ExecutorContext } from '@nx/devkit';
import { isUserError } from '../../configure/user-error';
import type { UnikernelProject } from '../../pipeline/configure-step';
import type { UnikernelTarget } from '../../targets/target';

/**
 * Runs an executor's work. A user's mistake is printed as the diagnostic it
 * is and fails the task; anything else is a bug in the plugin and keeps its
 * stack trace.
 */
export async function runStep(work: () => Promise<boolean>): Promise<{ success: boolean }> {
  try {
    return { success: await work() };
  } catch (e) {
    if (isUserError(e)) {
      logger.error(e.message);
      return { success: false };
    }
    throw e;
  }
}

export function projectOf(context: ExecutorContext): UnikernelProject {
  const project = context.projectName;
  const config = project ? context.projectsConfigurations?.projects[project] : undefined;
  if (!project || !config) throw new Error('this executor must run for a project');
  return { workspaceRoot: context.root, projectRoot: config.root, project };
}

/** Splits the task's options into the target's own options and the unikernel's key flags. */
export function splitOptions(
  options: Readonly<Record<string, unknown>>,
  target: UnikernelTarget,
): { targetOptions: Record<string, unknown>; keyOptions: Record<string, unknown> } {
  const targetOptions: Record<string, unknown> = {};
  const keyOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (target.options.includes(k)) targetOptions[k] = v;
    else keyOptions[k] = v;
  }
  return { targetOptions, keyOptions };
}

export const nxLogger = { info: (m: string) => logger.info(m), warn: (m: string) => logger.warn(m) };
