import { Lanes } from './lanes';
import { Ring } from './ring';
import type { CompleteEvent, MetadataEvent, TraceFile } from './trace-events';

/** Timeline rows of one kind: device calls, or promises. */
export type Track = 'device' | 'promise';

/** Rows per track at most: beyond, a span is counted as unplaced rather than drawn on top of another. */
export const MAX_LANES = 64;
const FIRST_TID: Record<Track, number> = { device: 1, promise: 1001 };
const ROW_NAME: Record<Track, string> = { device: 'device calls', promise: 'promises' };

/** An open span: call `end()` once when the work it times is over. */
export interface Span {
  end(args?: Readonly<Record<string, string | number | boolean>>): void;
}

const NO_SPAN: Span = { end: () => undefined };

/**
 * Records spans into a ring of complete events (one entry per finished
 * span, so the ring never keeps a begin without its end) and writes them as
 * a Trace Event Format file.
 */
export class Tracer {
  private readonly ring: Ring<CompleteEvent>;
  private readonly lanes: Record<Track, Lanes> = { device: new Lanes(), promise: new Lanes() };
  private unplaced = 0;
  private readonly origin: number;

  constructor(
    size: number,
    readonly program: string,
    private readonly now: () => number = () => performance.now(),
    readonly pid: number = process.pid,
  ) {
    this.ring = new Ring(size);
    this.origin = now();
  }

  /** Starts a span on the first free row of `track`. */
  begin(track: Track, cat: string, name: string): Span {
    const lane = this.lanes[track].take(MAX_LANES);
    if (lane < 0) {
      this.unplaced++;
      return NO_SPAN;
    }
    const start = this.now();
    let open = true;
    return {
      end: (args) => {
        if (!open) return;
        open = false;
        this.lanes[track].give(lane);
        const ts = Math.round((start - this.origin) * 1000);
        const dur = Math.max(0, Math.round((this.now() - this.origin) * 1000) - ts);
        const tid = FIRST_TID[track] + lane;
        this.ring.push({ name, cat, ph: 'X', ts, dur, pid: this.pid, tid, ...(args ? { args } : {}) });
      },
    };
  }

  /** Everything recorded so far, as a Trace Event Format object. */
  toJSON(): TraceFile {
    const meta: MetadataEvent[] = [
      { name: 'process_name', ph: 'M', pid: this.pid, tid: 0, ts: 0, args: { name: this.program } },
    ];
    for (const track of ['device', 'promise'] as const) {
      for (let lane = 0; lane < this.lanes[track].used; lane++) {
        const tid = FIRST_TID[track] + lane;
        meta.push({
          name: 'thread_name',
          ph: 'M',
          pid: this.pid,
          tid,
          ts: 0,
          args: { name: `${ROW_NAME[track]} ${lane + 1}` },
        });
        meta.push({ name: 'thread_sort_index', ph: 'M', pid: this.pid, tid, ts: 0, args: { sort_index: tid } });
      }
    }
    return {
      traceEvents: [...meta, ...this.ring.toArray()],
      displayTimeUnit: 'ms',
      otherData: {
        program: this.program,
        ringSize: this.ring.capacity,
        overwritten: this.ring.overwritten,
        unplaced: this.unplaced,
      },
    };
  }
}
