import { err, ok, type BlockError, type BlockInfo, type Result } from '@mirage-ts/types';

export const DEFAULT_SECTOR_SIZE = 512;
const MIN_SECTOR_SIZE = 512;
const MAX_SECTOR_SIZE = 65536;

/** Where a request that passed every check lands, in bytes from the start of the device. */
export interface CheckedRequest {
  readonly sector: bigint;
  readonly sectors: bigint;
  readonly position: number;
  readonly length: number;
}

/**
 * A sector size every backend accepts: a power of two from 512 to 65536, as
 * disks have. Thrown from connect, where a bad argument is a caller's bug.
 */
export function checkSectorSize(sectorSize: unknown, device: string): number {
  if (
    typeof sectorSize !== 'number' ||
    !Number.isInteger(sectorSize) ||
    sectorSize < MIN_SECTOR_SIZE ||
    sectorSize > MAX_SECTOR_SIZE ||
    (sectorSize & (sectorSize - 1)) !== 0
  ) {
    throw new Error(
      `${device}: sector size ${String(sectorSize)} is not a power of two from ${MIN_SECTOR_SIZE} to ${MAX_SECTOR_SIZE}`,
    );
  }
  return sectorSize;
}

/**
 * Byte offsets are plain numbers in every backend (Node's fs takes numbers),
 * so a device is refused at connect if its last byte would not be exact in
 * one: 8 PiB, far beyond any disk or file here.
 */
export function checkDeviceBytes(sizeSectors: bigint, sectorSize: number, device: string): void {
  if (sizeSectors < 0n) throw new Error(`${device}: a device cannot have ${sizeSectors} sectors`);
  if (sizeSectors * BigInt(sectorSize) > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(
      `${device}: ${sizeSectors} sectors of ${sectorSize} bytes is more than this implementation addresses (2^53 bytes)`,
    );
  }
}

/**
 * The checks every backend makes before touching its storage, so that a
 * request is refused as a whole and nothing is written outside the device:
 * the sector is a non-negative integer, each buffer holds whole sectors, the
 * last sector touched is inside the device, and a write goes to a writable one.
 */
export function checkRequest(
  info: BlockInfo,
  op: 'read' | 'write',
  sector: unknown,
  buffers: unknown,
): Result<CheckedRequest, BlockError> {
  if (op === 'write' && !info.readWrite) {
    return err({ kind: 'read-only', message: 'the device is read-only: it cannot be written' });
  }
  let start: bigint;
  if (typeof sector === 'bigint') start = sector;
  else if (typeof sector === 'number' && Number.isSafeInteger(sector)) start = BigInt(sector);
  else {
    return err({
      kind: 'unaligned',
      message: `sector ${String(sector)} is not an integer sector number (use a bigint such as 0n)`,
    });
  }
  if (!Array.isArray(buffers)) {
    return err({ kind: 'unaligned', message: `${op} needs an array of buffers` });
  }
  let length = 0;
  for (let i = 0; i < buffers.length; i++) {
    const b: unknown = buffers[i];
    if (!(b instanceof Uint8Array)) {
      return err({ kind: 'unaligned', message: `buffer ${i} of the ${op} is not a Uint8Array` });
    }
    if (b.byteLength % info.sectorSize !== 0) {
      return err({
        kind: 'unaligned',
        message: `buffer ${i} of the ${op} is ${b.byteLength} bytes, not a whole number of ${info.sectorSize}-byte sectors`,
      });
    }
    length += b.byteLength;
  }
  const sectors = BigInt(length / info.sectorSize);
  if (start < 0n || start + sectors > info.sizeSectors) {
    const what = sectors === 1n ? '1 sector' : `${sectors} sectors`;
    return err({
      kind: 'out-of-range',
      message: `${op} of ${what} at sector ${start} is outside the device (${extent(info.sizeSectors)})`,
      sector: start,
      sectors,
      sizeSectors: info.sizeSectors,
    });
  }
  return ok({ sector: start, sectors, position: Number(start * BigInt(info.sectorSize)), length });
}

const extent = (size: bigint) => (size === 0n ? 'it has no sectors' : `sectors 0 to ${size - 1n}`);

export const disconnectedError = (device: string): BlockError => ({
  kind: 'disconnected',
  message: `${device} is disconnected`,
});

export function ioError(device: string, e: unknown): BlockError {
  return { kind: 'io', message: `${device}: ${e instanceof Error ? e.message : String(e)}` };
}
