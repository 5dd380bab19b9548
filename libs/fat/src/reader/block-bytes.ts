import type { Block } from '@mirage-ts/types';
import { FatDeviceError } from '../errors';

/**
 * Byte-addressed reads over a sector-addressed Block. FAT structures sit at
 * byte offsets that need not match the device's sector size (a 512-byte
 * FAT sector on a 4096-byte device), so every read is widened to whole
 * device sectors and cut back.
 */
export class BlockBytes {
  private constructor(
    private readonly block: Block,
    readonly sectorSize: number,
    /** Size of the device in bytes. */
    readonly size: number,
  ) {}

  static async over(block: Block): Promise<BlockBytes> {
    const info = await block.getInfo();
    if (!Number.isSafeInteger(info.sectorSize) || info.sectorSize <= 0) {
      throw new FatDeviceError(`the block device reports a sector size of ${info.sectorSize}`);
    }
    const size = info.sizeSectors * BigInt(info.sectorSize);
    return new BlockBytes(
      block,
      info.sectorSize,
      size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(size),
    );
  }

  /** `length` bytes from `offset`; the caller keeps within `size`. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    if (offset < 0 || offset + length > this.size) {
      throw new FatDeviceError(`read of ${length} bytes at ${offset} is beyond the device's ${this.size} bytes`);
    }
    const first = Math.floor(offset / this.sectorSize);
    const end = Math.ceil((offset + length) / this.sectorSize);
    const buffer = new Uint8Array((end - first) * this.sectorSize);
    const result = await this.block.read(BigInt(first), [buffer]);
    if (!result.ok) {
      throw new FatDeviceError(
        `reading sectors ${first}..${end - 1} of the block device failed: ${result.error.message}`,
      );
    }
    const skip = offset - first * this.sectorSize;
    return skip === 0 && buffer.length === length ? buffer : buffer.subarray(skip, skip + length);
  }
}
