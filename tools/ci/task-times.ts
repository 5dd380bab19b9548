import * as fs from 'node:fs';

export interface TaskTime {
  /** project:target */
  readonly task: string;
  readonly seconds: number;
  /** success, failure, skipped, local-cache, remote-cache, ... as Nx reports it. */
  readonly status: string;
}

/** One complete event ("ph": "X") per task in the Chrome trace that Nx writes with NX_PROFILE. */
interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly dur?: number;
  readonly args?: { readonly status?: string };
}

export function readTaskTimes(profileFile: string): TaskTime[] {
  const events = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as TraceEvent[];
  return events
    .filter((e) => e.ph === 'X' && typeof e.dur === 'number')
    .map((e) => ({ task: e.name, seconds: (e.dur ?? 0) / 1e6, status: e.args?.status ?? 'unknown' }));
}

/** Slowest first, with a total per target, so a slow suite shows at the top of the CI log. */
export function taskTimesTable(times: readonly TaskTime[]): string {
  const rows = [...times].sort((a, b) => b.seconds - a.seconds);
  const width = Math.max(4, ...rows.map((r) => r.task.length));
  const line = (task: string, seconds: string, status: string) =>
    `${task.padEnd(width)}  ${seconds.padStart(8)}  ${status}`;
  const byTarget = new Map<string, number>();
  for (const r of rows) {
    const target = r.task.slice(r.task.indexOf(':') + 1);
    byTarget.set(target, (byTarget.get(target) ?? 0) + r.seconds);
  }
  return [
    line('task', 'seconds', 'status'),
    ...rows.map((r) => line(r.task, r.seconds.toFixed(1), r.status)),
    '',
    ...[...byTarget].map(([target, s]) => line(`all ${target}`, s.toFixed(1), 'sum of task times')),
  ].join('\n');
}
