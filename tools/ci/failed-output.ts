/**
 * The output of each failed task, found again in the run's whole log, so it
 * can be printed after the task-times table: CI logs are often read from the
 * end, and a failure in the middle of a 20-minute run scrolls out of sight.
 */

const ANSI = /\u001b\[[0-9;]*m/g;
/** `nx run-many --outputStyle=static` starts each task's output with this line. */
const TASK_HEADER = /^\s*> nx run (\S+)/;

/** The lines of `task`'s section in `log` (ANSI colours removed), or undefined if it is not there. */
export function taskSection(log: string, task: string): string[] | undefined {
  const lines = log.replace(ANSI, '').split('\n');
  const start = lines.findIndex((l) => TASK_HEADER.exec(l)?.[1] === task);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !TASK_HEADER.test(lines[end]) && !/^\s*NX\s+Running targets/.test(lines[end])) end++;
  return lines.slice(start, end);
}

/** One block per failed task: its last `maxLines` lines, under a heading naming it. */
export function failedTasksReport(log: string, failedTasks: readonly string[], maxLines = 200): string {
  return failedTasks
    .map((task) => {
      const section = taskSection(log, task);
      const heading = `===== output of the failed task ${task} (again) =====`;
      if (!section) return `${heading}\n(not found in the log)`;
      const shown = section.length > maxLines ? ['...', ...section.slice(-maxLines)] : section;
      return [heading, ...shown].join('\n');
    })
    .join('\n\n');
}
