import { TARGET_ENV } from '../plugin/target-flag';
import { targetNamed } from '../targets';
import type { UnikernelTarget } from '../targets/target';

/**
 * The unikernel target of this task: Nx keeps `--target` for itself, so the
 * plugin's preTasksExecution hook hands it over in an environment variable
 * (see plugin/target-flag.ts). `nx build APP` with no target builds unix.
 */
export function chosenTarget(): UnikernelTarget {
  return targetNamed(process.env[TARGET_ENV] || 'unix');
}
