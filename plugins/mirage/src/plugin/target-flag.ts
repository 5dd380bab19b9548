/**
 * Nx treats `--target` (and `-t`) as its own option of `nx run` and of the
 * `nx <target> <project>` form, so an executor never sees
 * `nx build console --target=xen`. The plugin's preTasksExecution hook reads
 * the raw command line instead and passes the value to tasks in this
 * variable, which the build target lists among its inputs so that unix and
 * xen builds are cached apart.
 */
export const TARGET_ENV = 'MIRAGE_TARGET';

/** In these commands `--target`/`-t` selects Nx tasks, not a unikernel target. */
const TASK_SELECTING_COMMANDS = new Set(['affected', 'run-many', 'watch', 'release', 'show', 'graph']);

/** The unikernel target named on an Nx command line, if any. */
export function unikernelTargetFromArgv(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  const command = args.find((a) => !a.startsWith('-'));
  if (command === undefined || TASK_SELECTING_COMMANDS.has(command)) return undefined;
  let found: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    const inline = /^(?:--target|-t)=(.*)$/.exec(a);
    if (inline) found = inline[1];
    else if ((a === '--target' || a === '-t') && i + 1 < args.length) found = args[++i];
  }
  return found;
}
