/** The size of a page: what MirageOS's Io_page hands out, and what a NIC or disk ring takes. */
export const PAGE_SIZE = 4096;

/**
 * `n` zeroed pages in one buffer of their own (MirageOS's `Io_page.get n`).
 *
 * JavaScript does not expose addresses, so "aligned" means what a program can
 * rely on here: the buffer starts at offset 0 of an ArrayBuffer that holds
 * nothing else (never a slice of Node's shared Buffer pool), and its length
 * is a whole number of pages, so every page is at a multiple of PAGE_SIZE and
 * `pages()` splits it exactly.
 */
export function get(n = 1): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`io-page get(${String(n)}): ask for a whole number of pages, at least 1`);
  }
  return new Uint8Array(new ArrayBuffer(n * PAGE_SIZE));
}

/** Whether `buf` starts on a page boundary of its ArrayBuffer and spans whole pages. */
export function isPageAligned(buf: Uint8Array): boolean {
  return buf.byteOffset % PAGE_SIZE === 0 && buf.byteLength % PAGE_SIZE === 0;
}

/** The pages of a buffer from `get(n)`, as views that share its memory (`Io_page.to_pages`). */
export function pages(buf: Uint8Array): Uint8Array[] {
  if (!isPageAligned(buf)) {
    throw new RangeError(
      `io-page pages(): a buffer of ${buf.byteLength} bytes at offset ${buf.byteOffset} is not whole pages; allocate it with get(n)`,
    );
  }
  const out: Uint8Array[] = [];
  for (let off = 0; off < buf.byteLength; off += PAGE_SIZE) out.push(buf.subarray(off, off + PAGE_SIZE));
  return out;
}

/** Copies `len` bytes of `src` from `srcOff` into `dst` at `dstOff` (`Io_page.string_blit`), as Latin-1 as OCaml strings are bytes. */
export function stringBlit(src: string, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void {
  if (srcOff < 0 || len < 0 || srcOff + len > src.length || dstOff < 0 || dstOff + len > dst.length) {
    throw new RangeError(
      `io-page stringBlit(): ${len} bytes from ${srcOff} of a ${src.length}-character string into ${dstOff} of ${dst.length} bytes do not fit`,
    );
  }
  for (let i = 0; i < len; i++) dst[dstOff + i] = src.charCodeAt(srcOff + i) & 0xff;
}

/** The bytes of `buf` as a string of the same length (`Io_page.to_string`). */
export function toString(buf: Uint8Array): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
}
