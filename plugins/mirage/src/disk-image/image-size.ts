import { UserError } from '../configure/user-error';

/** What the seed's generate_disk_img.sh made: `dd if=/dev/zero of=disk.img count=100000`, 512-byte blocks. */
export const DEFAULT_SECTORS = 100_000n;
export const DEFAULT_SECTOR_SIZE = 512;

export interface ImageSize {
  readonly sectors: bigint;
  readonly sectorSize: number;
  readonly bytes: bigint;
}

export interface ImageSizeOptions {
  readonly sectors?: unknown;
  readonly sectorSize?: unknown;
  readonly size?: unknown;
}

const UNITS: Readonly<Record<string, bigint>> = { '': 1n, K: 1024n, M: 1024n ** 2n, G: 1024n ** 3n, T: 1024n ** 4n };

/**
 * The size of a disk image from `--sectors=N [--sectorSize=512]` or
 * `--size=64M` (K, M, G, T are powers of 1024; a plain number is bytes).
 */
export function imageSize(options: ImageSizeOptions): ImageSize {
  const sectorSize = options.sectorSize === undefined ? DEFAULT_SECTOR_SIZE : Number(options.sectorSize);
  if (
    !Number.isInteger(sectorSize) ||
    sectorSize < 512 ||
    sectorSize > 65536 ||
    (sectorSize & (sectorSize - 1)) !== 0
  ) {
    throw new UserError(`--sectorSize=${String(options.sectorSize)} is not a sector size`, {
      fix: 'use a power of two from 512 to 65536, e.g. --sectorSize=4096',
    });
  }
  if (options.sectors !== undefined && options.size !== undefined) {
    throw new UserError(
      `--sectors=${String(options.sectors)} and --size=${String(options.size)} both give the image's size`,
      {
        fix: 'remove one of them and try again',
      },
    );
  }
  let sectors = DEFAULT_SECTORS;
  if (options.sectors !== undefined) {
    const text = String(options.sectors);
    if (!/^[1-9]\d*$/.test(text)) {
      throw new UserError(`--sectors=${text} is not a number of sectors`, {
        fix: 'give a positive whole number, e.g. --sectors=100000',
      });
    }
    sectors = BigInt(text);
  } else if (options.size !== undefined) {
    const text = String(options.size).trim();
    const m = /^([1-9]\d*)\s*([KMGT]?)(?:i?B)?$/i.exec(text);
    if (!m)
      throw new UserError(`--size=${text} is not a size`, {
        fix: 'give bytes, or a number with K, M, G or T (powers of 1024), e.g. --size=64M',
      });
    const bytes = BigInt(m[1]) * UNITS[m[2].toUpperCase()];
    if (bytes % BigInt(sectorSize) !== 0n) {
      throw new UserError(`--size=${text} (${bytes} bytes) is not a whole number of ${sectorSize}-byte sectors`, {
        fix: `give a multiple of ${sectorSize} bytes, e.g. --size=${(bytes / BigInt(sectorSize) + 1n) * BigInt(sectorSize)}`,
      });
    }
    sectors = bytes / BigInt(sectorSize);
  }
  const bytes = sectors * BigInt(sectorSize);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UserError(`an image of ${bytes} bytes is larger than a block device can address here (2^53 bytes)`, {
      fix: 'ask for a smaller image',
    });
  }
  return { sectors, sectorSize, bytes };
}

/** `100000 sectors of 512 bytes (51.2 MB)` */
export function describeSize(size: ImageSize): string {
  return `${size.sectors} sectors of ${size.sectorSize} bytes (${humanBytes(size.bytes)})`;
}

export function humanBytes(bytes: bigint): string {
  const n = Number(bytes);
  if (n < 1000) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
