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
export class ReorderQueue {
  private pieces: Piece[] = [];
  private held = 0;
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

  /** The held bytes as SACK blocks (RFC 2018): adjacent pieces merged, the block holding `recent` first. */
  blocks(recent: number, max: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const p of this.pieces) {
      const end = seqAdd(p.seq, p.data.length);
      const last = out[out.length - 1];
      if (last && last[1] === p.seq) last[1] = end;
      else out.push([p.seq, end]);
    }
    const i = out.findIndex(([l, r]) => seqLe(l, recent) && seqLt(recent, r));
    if (i > 0) out.unshift(...out.splice(i, 1));
    return out.slice(0, max);
  }

  clear(): void {
    this.pieces = [];
    this.held = 0;
    this.finSeq = undefined;
  }
}
