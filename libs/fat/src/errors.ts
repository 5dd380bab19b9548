/**
 * The volume's own bytes are wrong: a boot sector that is not FAT, a
 * cluster chain that loops or leaves the volume, a directory entry that
 * points outside it. The message names the structure and the place, so a
 * corrupt image can be told apart from a missing key or a failing disk.
 */
export class FatFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FatFormatError';
  }
}

/** The Block under the volume failed a read. */
export class FatDeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FatDeviceError';
  }
}
