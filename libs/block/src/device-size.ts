import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Linux's encoding of a device number (glibc's gnu_dev_major/minor). */
export function majorMinor(rdev: bigint): { major: bigint; minor: bigint } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major, minor };
}

const sysfsDir = (rdev: bigint): string => {
  const { major, minor } = majorMinor(rdev);
  return `/sys/dev/block/${major}:${minor}`;
};

async function readSysfsNumber(file: string): Promise<bigint | undefined> {
  try {
    const text = (await fs.promises.readFile(file, 'utf8')).trim();
    return /^\d+$/.test(text) ? BigInt(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Size in bytes of the block device open on `handle`. fstat reports 0 for a
 * device node, so the kernel's count of 512-byte units in sysfs is read
 * (/sys/dev/block/MAJOR:MINOR/size, the same file as
 * /sys/class/block/NAME/size); where /sys is not mounted (a minimal guest),
 * the end is found by reading.
 */
export async function blockDeviceBytes(handle: FileHandle, rdev: bigint): Promise<bigint> {
  const units = await readSysfsNumber(`${sysfsDir(rdev)}/size`);
  if (units !== undefined) return units * 512n;
  return probeBytesByReading(handle);
}

/**
 * The device's logical block size (the smallest unit it addresses), from
 * sysfs; a partition has no queue of its own and uses its disk's.
 */
export async function blockDeviceSectorSize(rdev: bigint): Promise<number | undefined> {
  const dir = sysfsDir(rdev);
  const size =
    (await readSysfsNumber(`${dir}/queue/logical_block_size`)) ??
    (await readSysfsNumber(`${dir}/../queue/logical_block_size`));
  return size === undefined ? undefined : Number(size);
}

/**
 * Finds where a file or device ends by reading single bytes: doubling the
 * offset until a read finds nothing, then halving the gap. Devices end on a
 * 512-byte boundary, so about 2·log2(size/512) reads settle it.
 */
export async function probeBytesByReading(handle: FileHandle, unit = 512): Promise<bigint> {
  const byte = Buffer.alloc(1);
  const hasUnit = async (n: bigint): Promise<boolean> => {
    // Is there a byte at the last position of unit n (1-based)?
    const position = n * BigInt(unit) - 1n;
    if (position > BigInt(Number.MAX_SAFE_INTEGER)) return false;
    const { bytesRead } = await handle.read(byte, 0, 1, Number(position));
    return bytesRead === 1;
  };
  if (!(await hasUnit(1n))) return 0n;
  let low = 1n; // known present
  let high = 2n;
  while (await hasUnit(high)) {
    low = high;
    high *= 2n;
  }
  // low present, high absent
  while (high - low > 1n) {
    const mid = (low + high) / 2n;
    if (await hasUnit(mid)) low = mid;
    else high = mid;
  }
  return low * BigInt(unit);
}
