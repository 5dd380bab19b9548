/**
 * The slabs a connection copies in-order received bytes into, and their
 * reuse. A read lends the reader a view of a slab; the reader owns it until
 * it hands it back (`Flow.release`), which most readers never do: then the
 * slab is garbage once the reader drops its views, as before. A reader that
 * does hand back every chunk lets a connection cycle through a few slabs
 * instead of writing each received byte into memory touched for the first
 * time (a page fault per 4 KiB, and V8 frees dropped slabs only at its next
 * young-generation GC, which it starts for ArrayBuffer memory every 32 MiB;
 * see tools/bench/notes/tcp-profile.md).
 *
 * Nothing here keeps a lent slab alive: the bookkeeping is keyed weakly by
 * the slab's memory and by the lent views.
 */
interface SlabUse {
  /** Bytes stored in the slab that are neither handed back nor copied elsewhere. */
  pending: number;
  /** Still the slab being filled: more bytes may come. */
  filling: boolean;
}

/** Slabs kept for reuse per connection (each `spareSize` bytes). */
const MAX_SPARE = 4;

export class ReceiveSlabs {
  /**
   * Keyed by each slab's memory. The values must not point back at the slab:
   * V8's young-generation GC keeps a weak map's values alive, and a value
   * that held its own key would keep every slab until a full GC.
   */
  private readonly uses = new WeakMap<ArrayBufferLike, SlabUse>();
  private readonly lent = new WeakSet<Uint8Array>();
  private readonly spare: ArrayBufferLike[] = [];
  private current: { readonly memory: ArrayBufferLike; readonly use: SlabUse } | undefined;

  /** Only slabs of this size are reused (the largest a connection grows to). */
  constructor(private readonly spareSize: number) {}

  /** Bytes reused slabs hold right now (for tests). */
  get spareBytes(): number {
    return this.spare.length * this.spareSize;
  }

  /** The next slab to fill, of at least `size` bytes: a handed-back one when there is one. */
  next(size: number): Buffer {
    const done = this.current;
    if (done) {
      done.use.filling = false;
      this.reuseIfFree(done.memory, done.use);
    }
    const memory = size <= this.spareSize ? this.spare.pop() : undefined;
    const slab = memory ? Buffer.from(memory, 0, this.spareSize) : Buffer.allocUnsafeSlow(size);
    const use: SlabUse = { pending: 0, filling: true };
    this.uses.set(slab.buffer, use);
    this.current = { memory: slab.buffer, use };
    return slab;
  }

  /** `n` bytes were stored in the slab being filled. */
  stored(n: number): void {
    (this.current as { use: SlabUse }).use.pending += n;
  }

  /** `chunk` goes to the reader: if it is a view of a slab, the reader may hand it back. */
  lend(chunk: Uint8Array): void {
    if (this.uses.has(chunk.buffer)) this.lent.add(chunk);
  }

  /** `piece` of a slab was copied out and will not be lent. */
  copied(piece: Uint8Array): void {
    this.free(piece.buffer, piece.length);
  }

  /** The reader is done with `chunk`; anything but a chunk lent and not yet handed back is ignored. */
  handBack(chunk: Uint8Array): void {
    if (this.lent.delete(chunk)) this.free(chunk.buffer, chunk.length);
  }

  /** Forgets the spare slabs (the connection will not receive any more). */
  clear(): void {
    this.spare.length = 0;
    this.current = undefined;
  }

  private free(memory: ArrayBufferLike, n: number): void {
    const use = this.uses.get(memory);
    if (!use) return;
    use.pending -= n;
    this.reuseIfFree(memory, use);
  }

  private reuseIfFree(memory: ArrayBufferLike, use: SlabUse): void {
    if (use.filling || use.pending > 0) return;
    this.uses.delete(memory);
    if (memory.byteLength === this.spareSize && this.spare.length < MAX_SPARE) this.spare.push(memory);
  }
}
