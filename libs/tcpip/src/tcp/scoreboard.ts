import { seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq';

/** Blocks kept at most: a peer cannot make the scoreboard grow without bound with scattered tiny blocks. */
const MAX_BLOCKS = 256;

/**
 * The sender's record of what the peer selectively acknowledged above
 * SND.UNA (RFC 2018's blocks, RFC 6675's scoreboard): sorted, disjoint
 * [left, right) ranges. Written by hand: it is a few sequence-space range
 * operations tied to this connection's state, which no library offers.
 */
export class Scoreboard {
  private blocks: Array<[number, number]> = [];
  /** Bytes the blocks cover. */
  sacked = 0;

  get count(): number {
    return this.blocks.length;
  }

  /** The right edge of the highest block, or undefined. */
  get highest(): number | undefined {
    return this.blocks.length ? this.blocks[this.blocks.length - 1][1] : undefined;
  }

  /**
   * Takes the blocks of an ACK whose cumulative point is `una`. Returns
   * whether the first block was a D-SACK (RFC 2883: below `una`, or inside
   * the second block), which reports a duplicate, not new data.
   */
  update(una: number, sndMax: number, reported: ReadonlyArray<readonly [number, number]>): boolean {
    let dsack = false;
    if (reported.length > 0) {
      const [l0, r0] = reported[0];
      if (seqLe(r0, una)) dsack = true;
      else if (reported.length > 1 && seqGe(l0, reported[1][0]) && seqLe(r0, reported[1][1])) dsack = true;
    }
    for (let i = dsack ? 1 : 0; i < reported.length; i++) {
      const r = reported[i][1];
      let l = reported[i][0];
      if (!seqLt(l, r) || seqGt(r, sndMax) || seqLe(r, una)) continue; // invalid or stale: ignored
      if (seqLt(l, una)) l = una;
      this.add(l, r);
    }
    return dsack;
  }

  private add(l: number, r: number): void {
    const b = this.blocks;
    let i = 0;
    while (i < b.length && seqLt(b[i][1], l)) i++;
    let left = l;
    let right = r;
    let j = i;
    while (j < b.length && seqLe(b[j][0], right)) {
      if (seqLt(b[j][0], left)) left = b[j][0];
      if (seqGt(b[j][1], right)) right = b[j][1];
      this.sacked -= seqDiff(b[j][1], b[j][0]);
      j++;
    }
    if (j === i && b.length >= MAX_BLOCKS) return;
    b.splice(i, j - i, [left, right]);
    this.sacked += seqDiff(right, left);
  }

  /** SND.UNA moved to `una`: what it covers is no longer needed. */
  advance(una: number): void {
    const b = this.blocks;
    while (b.length && seqLe(b[0][1], una)) {
      this.sacked -= seqDiff(b[0][1], b[0][0]);
      b.shift();
    }
    if (b.length && seqLt(b[0][0], una)) {
      this.sacked -= seqDiff(una, b[0][0]);
      b[0][0] = una;
    }
  }

  /** The right edge of the block holding `seq`, or undefined when `seq` is not SACKed. */
  sackedEnd(seq: number): number | undefined {
    for (const [l, r] of this.blocks) {
      if (seqLt(seq, l)) return undefined;
      if (seqLt(seq, r)) return r;
    }
    return undefined;
  }

  /** The left edge of the first block above `seq`, or undefined. */
  nextBlock(seq: number): number | undefined {
    for (const [l] of this.blocks) if (seqGt(l, seq)) return l;
    return undefined;
  }

  /**
   * Visits the holes (unSACKed ranges) from `una` to `sndMax`, each with the
   * SACKed bytes above it; stops when `visit` returns true.
   */
  holes(una: number, sndMax: number, visit: (from: number, to: number, sackedAbove: number) => boolean | void): void {
    let cur = una;
    let above = this.sacked;
    for (const [l, r] of this.blocks) {
      if (seqLt(cur, l) && visit(cur, l, above)) return;
      above -= seqDiff(r, l);
      cur = seqGt(r, cur) ? r : cur;
    }
    if (seqLt(cur, sndMax)) visit(cur, sndMax, 0);
  }

  clear(): void {
    this.blocks = [];
    this.sacked = 0;
  }
}

/** The earlier of two sequence numbers. */
export function seqMin(a: number, b: number): number {
  return seqLt(a, b) ? a : b;
}
