import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from './seq';

interface Piece {
  readonly seq: number;
  readonly data: Uint8Array;
}

/**
 * Segments that arrived ahead of RCV.NXT (RFC 9293 3.10.7.4: "segments with
 * higher beginning sequence numbers SHOULD be held for later processing").
 * Pieces never overlap: a segment is cut to what is not held already. The
 * caller only offers bytes inside the receive window, and the queue holds at
 * most `maxPieces` pieces, so a peer that sends scattered tiny segments
 * cannot make it grow without bound.
 */
/** Arrivals remembered for SACK order: more than the 4 blocks an ACK can carry, fewer than a window's holes. */
const MAX_REPORTED_ARRIVALS = 8;

export class ReorderQueue {
  private pieces: Piece[] = [];
  private held = 0;
  /** Out-of-order arrivals, most recent first: whose blocks the next ACKs report first. */
  private arrivals: number[] = [];
  /** Where the peer's FIN is, once seen ahead of RCV.NXT. */
  finSeq: number | undefined;

  constructor(private readonly maxPieces: number) {}

  get bytes(): number {
    return this.held;
  }

  get count(): number {
    return this.pieces.length;
  }

  /**
   * Keeps the part of `data` (at `seq`) not already held; copies what it
   * keeps. Returns the bytes added, or -1 when the piece limit refused it.
   */
  insert(seq: number, data: Uint8Array): number {
    const end = seqAdd(seq, data.length);
    const fresh: Array<[number, number]> = [];
    let cursor = seq;
    for (const p of this.pieces) {
      const pEnd = seqAdd(p.seq, p.data.length);
      if (seqLe(pEnd, cursor)) continue;
      if (seqLe(end, p.seq)) break;
      if (seqLt(cursor, p.seq)) fresh.push([cursor, p.seq]);
      cursor = pEnd;
      if (!seqLt(cursor, end)) break;
    }
    if (seqLt(cursor, end)) fresh.push([cursor, end]);
    if (fresh.length === 0) return 0;
    if (this.pieces.length + fresh.length > this.maxPieces) return -1;
    let added = 0;
    for (const [from, to] of fresh) {
      const a = seqDiff(from, seq);
      const b = seqDiff(to, seq);
      this.pieces.push({ seq: from, data: Uint8Array.prototype.slice.call(data, a, b) as Uint8Array });
      added += b - a;
    }
    this.pieces.sort((x, y) => seqDiff(x.seq, y.seq));
    this.held += added;
    return added;
  }

  /**
   * Takes the pieces that now continue the stream at `rcvNxt`, in order,
   * passing each (trimmed) to `deliver`; returns the new RCV.NXT. Bytes held
   * that the stream already covers (an in-order segment that overlapped
   * them) are counted to `discarded`, so the caller can give their memory back.
   */
  drain(rcvNxt: number, deliver: (data: Uint8Array) => void, discarded: (bytes: number) => void): number {
    let nxt = rcvNxt;
    let dropped = 0;
    while (this.pieces.length > 0 && seqLe(this.pieces[0].seq, nxt)) {
      const p = this.pieces.shift() as Piece;
      this.held -= p.data.length;
      const pEnd = seqAdd(p.seq, p.data.length);
      if (seqGt(pEnd, nxt)) {
        const skip = seqDiff(nxt, p.seq);
        dropped += skip;
        deliver(p.data.subarray(skip));
        nxt = pEnd;
      } else {
        dropped += p.data.length;
      }
    }
    if (dropped > 0) discarded(dropped);
    return nxt;
  }

  /**
   * The held bytes as SACK blocks (RFC 2018): adjacent pieces merged, the
   * block holding the latest arrival first, then the blocks of the arrivals
   * before it, most recent first (section 4: repeat the most recently
   * reported blocks), then the rest in order. With more holes than an ACK
   * has room for, the lowest blocks alone would leave the sender blind to
   * everything above them after a timeout.
   */
  blocks(max: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const p of this.pieces) {
      const end = seqAdd(p.seq, p.data.length);
      const last = out[out.length - 1];
      if (last && last[1] === p.seq) last[1] = end;
      else out.push([p.seq, end]);
    }
    const ordered: Array<[number, number]> = [];
    for (const seq of this.arrivals) {
      const i = out.findIndex(([l, r]) => seqLe(l, seq) && seqLt(seq, r));
      if (i >= 0) ordered.push(...out.splice(i, 1));
    }
    return [...ordered, ...out].slice(0, max);
  }

  /** An out-of-order segment starting at `seq` arrived; blocks holding no recent arrival come after the others. */
  arrived(seq: number): void {
    this.arrivals = [seq, ...this.arrivals.filter((s) => s !== seq)].slice(0, MAX_REPORTED_ARRIVALS);
  }

  clear(): void {
    this.arrivals = [];
    this.pieces = [];
    this.held = 0;
    this.finSeq = undefined;
  }
}
