/** At most this many buffers go to one readv/writev call: Linux's IOV_MAX. */
export const MAX_BUFFERS_PER_CALL = 1024;

/** One positioned vectored call (preadv/pwritev): how many bytes it moved. */
export type VectoredCall = (buffers: Uint8Array[], position: number) => Promise<number>;

/**
 * Moves every byte of `buffers`, in order, starting at `position`, through
 * as many calls as it takes: the kernel may move fewer bytes than asked (a
 * short read at the end of a file, a signal) and takes at most IOV_MAX
 * buffers at once. Returns the bytes moved; fewer than asked only when a
 * call moved nothing (the end of the file).
 */
export async function transferAll(
  call: VectoredCall,
  buffers: readonly Uint8Array[],
  position: number,
): Promise<number> {
  const pending = buffers.filter((b) => b.byteLength > 0);
  let first = 0; // index of the first buffer not yet complete
  let done = 0;
  while (first < pending.length) {
    const batch = pending.slice(first, first + MAX_BUFFERS_PER_CALL);
    let moved = await call(batch, position + done);
    if (moved <= 0) break;
    done += moved;
    // Skip the buffers moved whole; what is left of a partly moved one goes first next time.
    while (moved > 0 && first < pending.length) {
      const b = pending[first];
      if (moved >= b.byteLength) {
        moved -= b.byteLength;
        first++;
      } else {
        pending[first] = b.subarray(moved);
        moved = 0;
      }
    }
  }
  return done;
}
