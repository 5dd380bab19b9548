/**
 * Tracing for `register(..., { tracing: { size } })` (MirageOS's
 * `mprof_trace`): the generated main.ts starts it before connecting the
 * devices and hands each device through `device()`; at exit the ring is
 * written as a Trace Event Format file for ui.perfetto.dev or
 * chrome://tracing.
 */
import * as fs from 'node:fs';
import { traceDevice } from './devices';
import { tracePromises } from './promises';
import { Tracer } from './tracer';

export { Ring } from './ring';
export { Lanes } from './lanes';
export { Tracer, MAX_LANES, type Span, type Track } from './tracer';
export { traceDevice } from './devices';
export { tracePromises } from './promises';
export type { CompleteEvent, MetadataEvent, TraceEvent, TraceFile } from './trace-events';

export interface TracingOptions {
  /** How many events the ring keeps (the newest). */
  readonly size: number;
  /** Where the trace is written at exit. */
  readonly file: string;
  /** The program's name, shown as the process in the trace. */
  readonly program: string;
}

export interface Tracing {
  device<T extends object>(label: string, device: T): T;
  /** Writes the trace file now (also done once at exit). */
  write(): void;
}

export function startTracing(options: TracingOptions): Tracing {
  const tracer = new Tracer(options.size, options.program);
  const stopPromises = tracePromises(tracer);
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    stopPromises();
    const trace = tracer.toJSON();
    fs.writeFileSync(options.file, JSON.stringify(trace));
    process.stderr.write(
      `${options.program}: wrote ${trace.traceEvents.length} trace events to ${options.file} (open it in ui.perfetto.dev or chrome://tracing)\n`,
    );
  };
  process.on('exit', write);
  // A signal would end the process without 'exit': exit instead, as the signal would have.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => process.exit(code));
  }
  return { device: (label, d) => traceDevice(tracer, label, d), write };
}
