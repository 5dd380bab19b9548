import { FramePool } from './frame-pool';

const frame = (byte: number, length = 1514) => new Uint8Array(length).fill(byte);
/** Frames of 1514 bytes (8-byte aligned: 1520) until the pool moves on to another slab. */
const PER_SLAB = Math.floor((1 << 20) / 1520);

describe('FramePool', () => {
  it('copies: the copy does not change with the original', () => {
    const pool = new FramePool();
    const original = frame(1);
    const copy = pool.copy(original);
    original.fill(2);
    expect(copy).toEqual(frame(1));
  });

  it('starts its slab over once every frame in it was released', () => {
    const pool = new FramePool();
    const a = pool.copy(frame(1));
    const b = pool.copy(frame(2));
    pool.release(a);
    const c = pool.copy(frame(3));
    expect(c.byteOffset).toBe(b.byteOffset + 1520); // b is still out: no reuse yet
    pool.release(b);
    pool.release(c);
    expect(pool.copy(frame(4)).byteOffset).toBe(a.byteOffset);
  });

  it('reuses a full slab only after its last frame came back, and never one whose frames are kept', () => {
    const pool = new FramePool();
    const first = Array.from({ length: PER_SLAB }, (_, i) => pool.copy(frame(i & 0xff)));
    const kept = first[7];
    for (const f of first) if (f !== kept) pool.release(f);
    // The pool moved to a second slab; fill it too and give everything back.
    const second = Array.from({ length: PER_SLAB + 1 }, () => pool.copy(frame(0xee)));
    expect(second[0].buffer).not.toBe(kept.buffer);
    for (const f of second) pool.release(f);
    // Still out: the first slab is not handed out again, so the kept frame's bytes stay as they were.
    const third = Array.from({ length: 3 * PER_SLAB }, () => pool.copy(frame(0xdd)));
    expect(third.some((f) => f.buffer === kept.buffer)).toBe(false);
    expect(kept).toEqual(frame(7));
    // The second slab, all released, was reused.
    expect(third.some((f) => f.buffer === second[0].buffer)).toBe(true);
  });

  it('ignores frames it did not make', () => {
    const pool = new FramePool();
    const a = pool.copy(frame(1));
    pool.release(new Uint8Array(10));
    const b = pool.copy(frame(2));
    expect(b.byteOffset).toBe(a.byteOffset + 1520);
  });
});
