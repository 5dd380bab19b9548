import { err, ok, type Block, type BlockError, type BlockInfo, type Result } from '@mirage-ts/types';
import { checkDeviceBytes, checkRequest, checkSectorSize, DEFAULT_SECTOR_SIZE, disconnectedError } from './request';

export interface MemoryBlockOptions {
  /** Size of the device in sectors. */
  readonly sizeSectors: bigint | number;
  /** Bytes per sector (default 512). */
  readonly sectorSize?: number;
  readonly readOnly?: boolean;
}

/** Storage is allocated per chunk on first write, so a huge device costs only what is written. */
const CHUNK_BYTES = 64 * 1024;

/**
 * A block device in memory, for tests of what is built over Block (a FAT
 * reader, a key/value store) and for benchmarks without a disk. Reads of
 * sectors never written give zeros. Requests take effect in the order they
 * are made: a read issued after a write sees it.
 */
export class MemoryBlock implements Block {
  private readonly chunks = new Map<number, Uint8Array>();
  private connected = true;

  private constructor(private readonly info: BlockInfo) {
    Object.freeze(info);
  }

  static async connect(options: MemoryBlockOptions): Promise<MemoryBlock> {
    const sectorSize = checkSectorSize(options.sectorSize ?? DEFAULT_SECTOR_SIZE, 'memory block');
    const size = options.sizeSectors;
    if (typeof size !== 'bigint' && !(typeof size === 'number' && Number.isSafeInteger(size))) {
      throw new Error(`memory block: sizeSectors ${String(size)} is not an integer`);
    }
    const sizeSectors = BigInt(size);
    checkDeviceBytes(sizeSectors, sectorSize, 'memory block');
    return new MemoryBlock({ readWrite: !options.readOnly, sectorSize, sizeSectors });
  }

  /**
   * A device holding a copy of `image` (e.g. a FAT image read from a file);
   * its size is the image's, which must be whole sectors.
   */
  static async fromBytes(
    image: Uint8Array,
    options: { sectorSize?: number; readOnly?: boolean } = {},
  ): Promise<MemoryBlock> {
    const sectorSize = checkSectorSize(options.sectorSize ?? DEFAULT_SECTOR_SIZE, 'memory block');
    if (image.byteLength % sectorSize !== 0) {
      throw new Error(
        `memory block: an image of ${image.byteLength} bytes is not a whole number of ${sectorSize}-byte sectors`,
      );
    }
    const device = new MemoryBlock({
      readWrite: !options.readOnly,
      sectorSize,
      sizeSectors: BigInt(image.byteLength / sectorSize),
    });
    device.copyIn(0, image);
    return device;
  }

  async getInfo(): Promise<BlockInfo> {
    return this.info;
  }

  async read(sector: bigint, buffers: readonly Uint8Array[]): Promise<Result<void, BlockError>> {
    if (!this.connected) return err(disconnectedError('memory block'));
    const checked = checkRequest(this.info, 'read', sector, buffers);
    if (!checked.ok) return checked;
    let position = checked.value.position;
    for (const b of buffers) {
      this.copyOut(position, b);
      position += b.byteLength;
    }
    return ok(undefined);
  }

  async write(sector: bigint, buffers: readonly Uint8Array[]): Promise<Result<void, BlockError>> {
    if (!this.connected) return err(disconnectedError('memory block'));
    const checked = checkRequest(this.info, 'write', sector, buffers);
    if (!checked.ok) return checked;
    let position = checked.value.position;
    for (const b of buffers) {
      this.copyIn(position, b);
      position += b.byteLength;
    }
    return ok(undefined);
  }

  async flush(): Promise<Result<void, BlockError>> {
    return this.connected ? ok(undefined) : err(disconnectedError('memory block'));
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  /**
   * A copy of the whole device, for tests to look at what was written (also
   * after disconnect). Only for devices that fit in one buffer.
   */
  bytes(): Uint8Array {
    const total = Number(this.info.sizeSectors) * this.info.sectorSize;
    if (total > 2 ** 31)
      throw new RangeError(`memory block: ${total} bytes do not fit in one buffer; read the sectors you need instead`);
    const out = new Uint8Array(total);
    this.copyOut(0, out);
    return out;
  }

  /** How many bytes of storage the device holds now (written chunks only). */
  allocatedBytes(): number {
    return this.chunks.size * CHUNK_BYTES;
  }

  private copyOut(position: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.byteLength) {
      const at = position + done;
      const index = Math.floor(at / CHUNK_BYTES);
      const offset = at - index * CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - offset, into.byteLength - done);
      const chunk = this.chunks.get(index);
      if (chunk) into.set(chunk.subarray(offset, offset + n), done);
      else into.fill(0, done, done + n);
      done += n;
    }
  }

  private copyIn(position: number, from: Uint8Array): void {
    let done = 0;
    while (done < from.byteLength) {
      const at = position + done;
      const index = Math.floor(at / CHUNK_BYTES);
      const offset = at - index * CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - offset, from.byteLength - done);
      let chunk = this.chunks.get(index);
      if (!chunk) {
        chunk = new Uint8Array(CHUNK_BYTES);
        this.chunks.set(index, chunk);
      }
      chunk.set(from.subarray(done, done + n), offset);
      done += n;
    }
  }
}
