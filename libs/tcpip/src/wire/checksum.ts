/**
 * The Internet checksum (RFC 1071). Summing 32-bit words through a DataView
 * and folding once at the end is what makes it fast in JavaScript (a
 * readUInt16BE loop is several times slower): a double holds the running sum
 * exactly for any datagram size.
 */

/** The unfolded sum of `len` bytes at `off`, added to `initial`. */
export function sumBytes(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let s = initial;
  let i = 0;
  if (len >= 4) {
    const view = new DataView(buf.buffer, buf.byteOffset + off, len);
    for (; i + 4 <= len; i += 4) s += view.getUint32(i);
  }
  for (; i + 2 <= len; i += 2) s += (buf[off + i] << 8) | buf[off + i + 1];
  if (i < len) s += buf[off + i] << 8;
  return s;
}

/** Folds a sum to 16 bits and complements it: the value that goes in a header. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x1_0000) + Math.floor(s / 0x1_0000);
  return ~s & 0xffff;
}

export function checksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return finishChecksum(sumBytes(buf, off, len, initial));
}

/** The sum of the TCP/UDP pseudo-header (RFC 768, RFC 9293 3.1). */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}
