import { ETHERNET_HEADER } from './mac';
import type { Prng } from './prng';

/**
 * What a faulty link does to frames, each a probability per frame in 0..1.
 * Drawn from a seeded generator, so a failing run replays exactly.
 */
export interface LinkFaults {
  /** The frame vanishes. */
  readonly loss?: number;
  /** The frame arrives twice. */
  readonly duplicate?: number;
  /** The frame is held back and arrives after the sender's next frame. */
  readonly reorder?: number;
  /** One bit flips, from the EtherType on (the header's MACs stay intact, so the frame still reaches its port). */
  readonly corrupt?: number;
  /** 1 to 32 random bytes are appended, as Ethernet padding does to short frames. */
  readonly trailingBytes?: number;
  /** Every frame arrives this many milliseconds late (a fixed latency, not a probability). */
  readonly delayMs?: number;
}

const PROBABILITIES = ['loss', 'duplicate', 'reorder', 'corrupt', 'trailingBytes'] as const;
const MAX_TRAILING = 32;

/** Throws a RangeError naming the option and its allowed range. */
export function checkFaults(faults: LinkFaults): void {
  for (const name of PROBABILITIES) {
    const p = faults[name];
    if (p !== undefined && !(p >= 0 && p <= 1)) {
      throw new RangeError(`faults.${name} is ${p}: it is a probability per frame, give a number from 0 to 1`);
    }
  }
  const delay = faults.delayMs;
  if (delay !== undefined && !(delay >= 0 && Number.isFinite(delay))) {
    throw new RangeError(`faults.delayMs is ${delay}: give a latency in milliseconds, 0 or more`);
  }
}

/** What the link decided for one frame. */
export interface FaultOutcome {
  /** The frame as it now is (corrupted or padded in place or as a new buffer), or undefined when lost. */
  readonly frame: Uint8Array | undefined;
  readonly duplicate: boolean;
  readonly reorder: boolean;
  readonly corrupted: boolean;
  readonly padded: boolean;
}

/** Two seeded streams per sending port. */
export interface FaultDraws {
  /** Five draws per frame: which faults fire. */
  readonly decisions: Prng;
  /** Where a bit flips, how many bytes are appended and what they are. */
  readonly details: Prng;
}

/**
 * Applies faults to one frame. Every frame draws the same five decisions
 * whatever fires, and the details come from a stream of their own, so
 * turning one fault on does not shift the pattern of another: loss under
 * seed 7 drops the same frames with or without padding switched on.
 */
export function applyFaults(faults: LinkFaults, draws: FaultDraws, frame: Uint8Array): FaultOutcome {
  const { decisions, details: prng } = draws;
  const lossDraw = decisions.next();
  const duplicateDraw = decisions.next();
  const reorderDraw = decisions.next();
  const corruptDraw = decisions.next();
  const trailingDraw = decisions.next();
  if (lossDraw < (faults.loss ?? 0)) {
    return { frame: undefined, duplicate: false, reorder: false, corrupted: false, padded: false };
  }
  let out = frame;
  const corrupted = corruptDraw < (faults.corrupt ?? 0);
  if (corrupted) {
    const from = ETHERNET_HEADER - 2;
    const at = from + prng.int(out.length - from);
    out[at] ^= 1 << prng.int(8);
  }
  const padded = trailingDraw < (faults.trailingBytes ?? 0);
  if (padded) {
    const extra = 1 + prng.int(MAX_TRAILING);
    const longer = new Uint8Array(out.length + extra);
    longer.set(out);
    prng.fill(longer.subarray(out.length));
    out = longer;
  }
  return {
    frame: out,
    duplicate: duplicateDraw < (faults.duplicate ?? 0),
    reorder: reorderDraw < (faults.reorder ?? 0),
    corrupted,
    padded,
  };
}
