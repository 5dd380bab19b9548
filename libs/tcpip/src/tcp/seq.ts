/**
 * Sequence-number arithmetic (RFC 9293 3.4): sequence numbers live modulo
 * 2^32, so "before" and "after" are decided by the signed 32-bit distance,
 * which stays right across the wrap as long as the two numbers are less than
 * 2^31 apart (windows are far smaller).
 */

/** `a + n` modulo 2^32. */
export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;

/** The signed distance `a - b`, in (-2^31, 2^31]. */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;

export const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
export const seqGt = (a: number, b: number): boolean => ((a - b) | 0) > 0;
export const seqGe = (a: number, b: number): boolean => ((a - b) | 0) >= 0;

export const seqMax = (a: number, b: number): number => (seqGe(a, b) ? a : b);
export const seqMin = (a: number, b: number): number => (seqLe(a, b) ? a : b);

/** `lo <= x < hi`, modulo 2^32. */
export const seqInWindow = (x: number, lo: number, hi: number): boolean => seqLe(lo, x) && seqLt(x, hi);
