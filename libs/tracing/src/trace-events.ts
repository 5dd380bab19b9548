/**
 * The Trace Event Format (the JSON that chrome://tracing, Chrome DevTools
 * and ui.perfetto.dev open): only the event kinds written here.
 */
export interface CompleteEvent {
  readonly name: string;
  readonly cat: string;
  readonly ph: 'X';
  /** Microseconds since the trace's origin. */
  readonly ts: number;
  readonly dur: number;
  readonly pid: number;
  readonly tid: number;
  readonly args?: Readonly<Record<string, string | number | boolean>>;
}

export interface MetadataEvent {
  readonly name: 'process_name' | 'thread_name' | 'thread_sort_index';
  readonly ph: 'M';
  readonly pid: number;
  readonly tid: number;
  readonly ts: 0;
  readonly args: { readonly name: string } | { readonly sort_index: number };
}

export type TraceEvent = CompleteEvent | MetadataEvent;

/** The JSON Object Format: events, and what the ring lost or could not place. */
export interface TraceFile {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: 'ms';
  readonly otherData: Readonly<Record<string, string | number>>;
}
