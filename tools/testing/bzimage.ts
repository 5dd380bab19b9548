/**
 * Looks inside a Linux bzImage for what Xen needs to boot it as a PVH
 * guest: the XEN_ELFNOTE_PHYS32_ENTRY note of the kernel ELF inside the
 * compressed payload. Debian compresses that payload with LZ4 (legacy
 * frames); the decoder below is the LZ4 block format, small enough to keep
 * here rather than depend on the lz4 tool in tests.
 */
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;

export interface BzImage {
  readonly protocol: string;
  readonly payload: Buffer;
}

export function readBzImage(image: Buffer): BzImage {
  if (image.toString('ascii', 0x202, 0x206) !== 'HdrS') throw new Error('not a bzImage (no HdrS boot header)');
  const version = image.readUInt16LE(0x206);
  const setupSectors = image[0x1f1] || 4;
  const payloadOffset = image.readUInt32LE(0x248);
  const payloadLength = image.readUInt32LE(0x24c);
  const start = (setupSectors + 1) * 512 + payloadOffset;
  return {
    protocol: `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`,
    payload: image.subarray(start, start + payloadLength),
  };
}

/** The kernel ELF inside the payload (LZ4 legacy or uncompressed). */
export function kernelElf(payload: Buffer): Buffer {
  if (payload.readUInt32BE(0) === 0x7f454c46) return payload;
  if (payload.readUInt32LE(0) !== 0x184c2102)
    throw new Error(`unsupported payload compression (magic ${payload.readUInt32LE(0).toString(16)})`);
  const out: Buffer[] = [];
  let at = 4;
  // The kernel build appends the uncompressed size (4 bytes) after the frames.
  while (at + 4 < payload.length) {
    const size = payload.readUInt32LE(at);
    if (size === 0x184c2102) {
      at += 4;
      continue;
    }
    at += 4;
    out.push(lz4Block(payload.subarray(at, at + size)));
    at += size;
  }
  return Buffer.concat(out);
}

function lz4Block(src: Buffer): Buffer {
  const dst = Buffer.alloc(8 << 20);
  let s = 0;
  let d = 0;
  const length = (n: number) => {
    if (n !== 15) return n;
    let b: number;
    do {
      b = src[s++];
      n += b;
    } while (b === 255);
    return n;
  };
  while (s < src.length) {
    const token = src[s++];
    const literals = length(token >> 4);
    src.copy(dst, d, s, s + literals);
    s += literals;
    d += literals;
    if (s >= src.length) break;
    const offset = src.readUInt16LE(s);
    s += 2;
    const match = length(token & 15) + 4;
    for (let i = 0; i < match; i++, d++) dst[d] = dst[d - offset];
  }
  return dst.subarray(0, d);
}

/** The (name, type) of every ELF note in the program's PT_NOTE segments. */
export function elfNotes(elf: Buffer): { name: string; type: number; desc: Buffer }[] {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) throw new Error('not an ELF64 file');
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  const notes: { name: string; type: number; desc: Buffer }[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (elf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    const offset = Number(elf.readBigUInt64LE(ph + 8));
    const size = Number(elf.readBigUInt64LE(ph + 32));
    let at = offset;
    while (at + 12 <= offset + size) {
      const namesz = elf.readUInt32LE(at);
      const descsz = elf.readUInt32LE(at + 4);
      const type = elf.readUInt32LE(at + 8);
      const name = elf.toString('ascii', at + 12, at + 12 + Math.max(0, namesz - 1));
      const descAt = at + 12 + ((namesz + 3) & ~3);
      notes.push({ name, type, desc: elf.subarray(descAt, descAt + descsz) });
      at = descAt + ((descsz + 3) & ~3);
    }
  }
  return notes;
}

/** True when Xen can boot the kernel as a PVH guest. */
export function isXenPvhKernel(image: Buffer): boolean {
  return elfNotes(kernelElf(readBzImage(image).payload)).some(
    (n) => n.name === 'Xen' && n.type === XEN_ELFNOTE_PHYS32_ENTRY,
  );
}
