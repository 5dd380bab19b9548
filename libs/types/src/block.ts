import type { DeviceError, Result } from './result';

/** What a block device is (MirageOS V1.BLOCK `get_info`). */
export interface BlockInfo {
  readonly readWrite: boolean;
  /** Bytes per sector: every buffer passed to read/write is a whole multiple of it. */
  readonly sectorSize: number;
  readonly sizeSectors: bigint;
}

export type BlockError =
  | DeviceError
  | {
      readonly kind: 'out-of-range';
      readonly message: string;
      readonly sector: bigint;
      readonly sectors: bigint;
      readonly sizeSectors: bigint;
    }
  | { readonly kind: 'unaligned'; readonly message: string }
  | { readonly kind: 'read-only'; readonly message: string };

/**
 * A sector-addressed device. A request covers consecutive sectors starting at
 * `sector`, filled from (or into) `buffers` in order; each buffer's length is a
 * multiple of `sectorSize`. A request that would touch a sector past the end
 * fails as a whole and changes nothing.
 */
export interface Block {
  getInfo(): Promise<BlockInfo>;
  read(sector: bigint, buffers: readonly Uint8Array[]): Promise<Result<void, BlockError>>;
  write(sector: bigint, buffers: readonly Uint8Array[]): Promise<Result<void, BlockError>>;
  /** Makes every completed write durable. */
  flush(): Promise<Result<void, BlockError>>;
  /** Flushes, then releases the device; later calls fail with `disconnected`. */
  disconnect(): Promise<void>;
}
