import { err, ok, type Block, type BlockError, type BlockInfo, type Result } from '@mirage-ts/types';
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { blockDeviceBytes, blockDeviceSectorSize } from './device-size';
import {
  checkDeviceBytes,
  checkRequest,
  checkSectorSize,
  DEFAULT_SECTOR_SIZE,
  disconnectedError,
  ioError,
} from './request';
import { transferAll } from './transfer';

export interface FdBlockOptions {
  /**
   * Bytes per sector. Default 512 for a file; for a device node, the
   * device's logical block size when the kernel reports one, else 512.
   */
  readonly sectorSize?: number;
  /** Open read-only even when the file could be written. */
  readonly readOnly?: boolean;
}

/** What was opened: the handle, and whether writes can grow it (a regular file can, a device node cannot). */
export interface OpenedDevice {
  readonly handle: FileHandle;
  readonly path: string;
  readonly info: BlockInfo;
  readonly regularFile: boolean;
}

const WRITE_REFUSED = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Opens `path` as a block device: read-write when it can be written (else
 * read-only, as a disk attached read-only is), sized from the file's length
 * or from the kernel for a device node. Trailing bytes that do not fill a
 * sector are not part of the device and are never touched.
 */
export async function openDevice(path: string, options: FdBlockOptions, what: string): Promise<OpenedDevice> {
  if (typeof path !== 'string' || path === '')
    throw new Error(`${what} needs the path of a file or device, got ${String(path)}`);
  let handle: FileHandle;
  let readWrite = !options.readOnly;
  try {
    handle = await fs.promises.open(path, readWrite ? 'r+' : 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!readWrite || !code || !WRITE_REFUSED.has(code)) throw openError(path, e);
    readWrite = false;
    handle = await fs.promises.open(path, 'r').catch((e2: unknown) => {
      throw openError(path, e2);
    });
  }
  try {
    const st = await handle.stat({ bigint: true });
    let bytes: bigint;
    let sectorSize = options.sectorSize;
    if (st.isFile()) {
      bytes = st.size;
    } else if (st.isBlockDevice()) {
      bytes = await blockDeviceBytes(handle, st.rdev);
      sectorSize ??= await blockDeviceSectorSize(st.rdev);
    } else {
      throw new Error(`${path} is ${describeKind(st)}, not a file or a block device`);
    }
    sectorSize = checkSectorSize(sectorSize ?? DEFAULT_SECTOR_SIZE, path);
    const sizeSectors = bytes / BigInt(sectorSize);
    checkDeviceBytes(sizeSectors, sectorSize, path);
    return { handle, path, regularFile: st.isFile(), info: Object.freeze({ readWrite, sectorSize, sizeSectors }) };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}

/** The path names nothing: a backend may add how to create it. */
export class MissingDeviceError extends Error {
  constructor(readonly path: string) {
    super(`${path} does not exist`);
  }
}

function openError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new MissingDeviceError(path);
  if (code === 'EISDIR') return new Error(`${path} is a directory, not a file or a block device`);
  return new Error(`cannot open ${path}: ${e instanceof Error ? e.message : String(e)}`);
}

function describeKind(st: fs.BigIntStats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isFIFO()) return 'a pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * A block device over an open file or device node, with positioned reads
 * and writes (pread/pwrite), so requests to different sectors can run at
 * the same time. The backends differ only in how they open it.
 */
export class FdBlock implements Block {
  private connected = true;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  protected constructor(private readonly device: OpenedDevice) {}

  /** The file or device node this device reads and writes. */
  get path(): string {
    return this.device.path;
  }

  async getInfo(): Promise<BlockInfo> {
    return this.device.info;
  }

  read(sector: bigint, buffers: readonly Uint8Array[]): Promise<Result<void, BlockError>> {
    return this.track(async () => {
      const checked = checkRequest(this.device.info, 'read', sector, buffers);
      if (!checked.ok) return checked;
      const { position, length } = checked.value;
      const done = await transferAll(
        (bufs, pos) => this.device.handle.readv(bufs, pos).then((r) => r.bytesRead),
        buffers,
        position,
      );
      if (done < length) {
        // Only a file that was cut short after connect ends inside the device.
        const size = this.device.regularFile
          ? (await this.device.handle.stat({ bigint: true })).size
          : BigInt(position + done);
        return err({ kind: 'io', message: this.truncatedMessage(size) });
      }
      return ok(undefined);
    });
  }

  write(sector: bigint, buffers: readonly Uint8Array[]): Promise<Result<void, BlockError>> {
    return this.track(async () => {
      const checked = checkRequest(this.device.info, 'write', sector, buffers);
      if (!checked.ok) return checked;
      const { position, length } = checked.value;
      if (this.device.regularFile && length > 0) {
        // A write past a file's end would grow it again, around a hole: a
        // file cut short underneath the device is reported instead.
        const { size } = await this.device.handle.stat({ bigint: true });
        if (size < BigInt(position + length)) {
          return err({ kind: 'io', message: `${this.truncatedMessage(size)}; not writing past its end` });
        }
      }
      const done = await transferAll(
        (bufs, pos) => this.device.handle.writev(bufs, pos).then((r) => r.bytesWritten),
        buffers,
        position,
      );
      if (done < length)
        return err({
          kind: 'io',
          message: `${this.path} accepted only ${done} of ${length} bytes at byte ${position}`,
        });
      return ok(undefined);
    });
  }

  flush(): Promise<Result<void, BlockError>> {
    return this.track(async () => {
      if (this.device.info.readWrite) await this.device.handle.datasync();
      return ok(undefined);
    });
  }

  /** Waits for requests already made, makes their writes durable, then closes the file. */
  disconnect(): Promise<void> {
    this.connected = false;
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      try {
        if (this.device.info.readWrite) await this.device.handle.datasync();
      } finally {
        await this.device.handle.close();
      }
    })();
    return this.closing;
  }

  private truncatedMessage(size: bigint): string {
    const { sizeSectors, sectorSize } = this.device.info;
    return `${this.path} now ends at byte ${size}, inside the device (${sizeSectors} sectors of ${sectorSize} bytes): it was truncated after it was connected`;
  }

  /** Runs one request; an I/O failure becomes an `io` error value, never an exception. */
  private track(work: () => Promise<Result<void, BlockError>>): Promise<Result<void, BlockError>> {
    if (!this.connected) return Promise.resolve(err(disconnectedError(this.path)));
    const running = work().catch((e: unknown) => err(ioError(this.path, e)));
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
    return running;
  }
}
