/**
 * What the seed's block example prints and leaves on its disk, for tests
 * that run it on any target: the 10-test sequence's lines for a disk of
 * `size` sectors, and the 12-sector pattern written at both ends.
 */
export const SECTOR = 512;

export function blockSequenceLines(size: number): string[] {
  const lines = [`sectors = ${size}`, 'read_write=true', `sector_size=${SECTOR}`];
  for (const n of [1, 2, 12]) lines.push(`writing ${n} sectors at 0`, `writing ${n} sectors at ${size - n}`);
  lines.push(
    `writing 1 sectors at ${size}`,
    `writing 12 sectors at ${size - 11}`,
    `reading 1 sectors at ${size}`,
    `reading 12 sectors at ${size - 11}`,
    'Test sequence finished',
    'Total tests started: 10',
    'Total tests passed:  10',
    'Total tests failed:  0',
  );
  return lines;
}

export function twelveSectorPattern(): Buffer {
  const out = Buffer.alloc(12 * SECTOR);
  for (let i = 0; i < 12; i++) {
    const phrase = Buffer.from(`${12 - i}: All work and no play makes Dave a dull boy.\n`);
    for (let j = 0; j < SECTOR; j++) out[i * SECTOR + j] = phrase[j % phrase.length];
  }
  return out;
}

/**
 * What a disk holds after the sequence, in the terms tests assert: its
 * length (nothing written past the end), the pattern at both ends, and
 * zeros everywhere between.
 */
export function seedDiskLayout(
  bytes: Buffer,
  sectors: number,
): { bytes: number; patternAtStart: boolean; patternAtEnd: boolean; zerosBetween: boolean } {
  const pattern = twelveSectorPattern();
  return {
    bytes: bytes.length,
    patternAtStart: bytes.subarray(0, 12 * SECTOR).equals(pattern),
    patternAtEnd: bytes.subarray((sectors - 12) * SECTOR).equals(pattern),
    zerosBetween: bytes.subarray(12 * SECTOR, (sectors - 12) * SECTOR).every((b) => b === 0),
  };
}

/** seedDiskLayout of a disk that is exactly right. */
export const seedDiskLayoutOf = (sectors: number) => ({
  bytes: sectors * SECTOR,
  patternAtStart: true,
  patternAtEnd: true,
  zerosBetween: true,
});
