import { err, ok, type Block, type BlockError, type BlockInfo, type Result } from '@mirage-ts/types';

/**
 * A read-only Block over bytes in memory, for the reader's tests: it checks
 * bounds and alignment as a real device does, so a reader that strays past
 * the volume sees the same `out-of-range` error it would on a disk.
 */
export class BufferBlock implements Block {
  reads = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly sectorSize = 512,
  ) {}

  async getInfo(): Promise<BlockInfo> {
    return { readWrite: false, sectorSize: this.sectorSize, sizeSectors: BigInt(Math.floor(this.bytes.length / this.sectorSize)) };
  }

  async read(sector: bigint, buffers: readonly Uint8Array[]): Promise<Result<void, BlockError>> {
    this.reads++;
    const total = buffers.reduce((n, b) => n + b.length, 0);
    if (buffers.some((b) => b.length % this.sectorSize !== 0)) return err({ kind: 'unaligned', message: 'buffer is not a whole number of sectors' });
    const sizeSectors = BigInt(Math.floor(this.bytes.length / this.sectorSize));
    const sectors = BigInt(total / this.sectorSize);
    if (sector < 0n || sector + sectors > sizeSectors) {
      return err({ kind: 'out-of-range', message: `sectors ${sector}+${sectors} past ${sizeSectors}`, sector, sectors, sizeSectors });
    }
    let at = Number(sector) * this.sectorSize;
    for (const b of buffers) {
      b.set(this.bytes.subarray(at, at + b.length));
      at += b.length;
    }
    return ok(undefined);
  }

  async write(): Promise<Result<void, BlockError>> {
    return err({ kind: 'read-only', message: 'BufferBlock is read-only' });
  }

  async flush(): Promise<Result<void, BlockError>> {
    return ok(undefined);
  }

  async disconnect(): Promise<void> {}
}
