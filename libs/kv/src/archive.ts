import {
  err,
  ok,
  type Block,
  type KvEntry,
  type KvEntryKind,
  type KvError,
  type KvKey,
  type KvRo,
  type Result,
} from '@mirage-ts/types';
import { BLOCK, isZeroBlock, parseHeader, parsePax, UstarHeaderError } from './archive/ustar';
import { checkRange, disconnected, isDirectory, notADirectory, notFound, parseKey } from './key';

/** The image's own bytes are wrong: the message names the image, the byte offset and what is wrong there. */
export class ArchiveFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveFormatError';
  }
}

interface Value {
  /** Byte offset of the data in the image. */
  readonly offset: number;
  readonly size: number;
  readonly modified: number;
}

interface Dictionary {
  modified: number;
  readonly entries: Map<string, KvEntryKind>;
}

/** Byte reads over whole sectors of a Block, whatever its sector size. */
class Bytes {
  constructor(
    private readonly block: Block,
    private readonly sectorSize: number,
    readonly size: number,
    private readonly image: string,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    const first = Math.floor(offset / this.sectorSize);
    const end = Math.ceil((offset + length) / this.sectorSize);
    const buffer = new Uint8Array((end - first) * this.sectorSize);
    const r = await this.block.read(BigInt(first), [buffer]);
    if (!r.ok) throw new Error(`${this.image}: reading sectors ${first}..${end - 1} failed: ${r.error.message}`);
    const skip = offset - first * this.sectorSize;
    return buffer.subarray(skip, skip + length);
  }
}

/**
 * A read-only store over a tar (ustar) image on a block device (MirageOS's
 * `archive_of_files`, ocaml-tar's KV_RO). The headers are walked once at
 * connect time into an index; values are read from the device when asked.
 * Only files and directories are served: links and devices in the image are
 * skipped, and names that no key can reach (`..`, absolute) are never indexed.
 * A corrupt or truncated image fails to connect, naming the image and offset.
 */
export class ArchiveKvRo implements KvRo {
  private readonly values = new Map<string, Value>();
  private readonly dictionaries = new Map<string, Dictionary>([['', { modified: 0, entries: new Map() }]]);
  private connected = true;

  private constructor(
    private readonly bytes: Bytes,
    private readonly image: string,
  ) {}

  /** `image` names the image in messages (`tar1.img`). */
  static async connect(block: Block, image = 'the tar image'): Promise<ArchiveKvRo> {
    const info = await block.getInfo();
    const size = Number(info.sizeSectors * BigInt(info.sectorSize));
    const kv = new ArchiveKvRo(new Bytes(block, info.sectorSize, size, image), image);
    await kv.index();
    return kv;
  }

  private fail(offset: number, why: string): never {
    throw new ArchiveFormatError(`${this.image}: ${why} at byte ${offset}; rebuild the image (archive-image)`);
  }

  private async index(): Promise<void> {
    const size = this.bytes.size;
    let offset = 0;
    let longName: string | undefined;
    let pax = new Map<string, string>();
    for (;;) {
      if (offset + BLOCK > size)
        this.fail(offset, `the image ends (${size} bytes) before the end-of-archive block: it is truncated`);
      const block = await this.bytes.read(offset, BLOCK);
      if (isZeroBlock(block)) return;
      let header;
      try {
        header = parseHeader(block);
      } catch (e) {
        if (e instanceof UstarHeaderError) this.fail(offset, `the tar header is corrupt: ${e.why}`);
        throw e;
      }
      const data = offset + BLOCK;
      const next = data + Math.ceil(header.size / BLOCK) * BLOCK;
      if (data + header.size > size)
        this.fail(
          offset,
          `the entry ${JSON.stringify(header.name)} needs ${header.size} bytes of data but the image ends at ${size}: it is truncated`,
        );
      if (header.type === 'gnu-long-name' || header.type === 'pax') {
        const payload = await this.bytes.read(data, header.size);
        if (header.type === 'gnu-long-name') {
          const nul = payload.indexOf(0);
          longName = Buffer.from(nul < 0 ? payload : payload.subarray(0, nul)).toString('utf8');
        } else {
          try {
            pax = parsePax(payload);
          } catch (e) {
            if (e instanceof UstarHeaderError) this.fail(data, `the pax header is corrupt: ${e.why}`);
            throw e;
          }
        }
        offset = next;
        continue;
      }
      const name = pax.get('path') ?? longName ?? header.name;
      const mtime = Number(pax.get('mtime') ?? header.mtime);
      longName = undefined;
      pax = new Map();
      if (header.type === 'file' || header.type === 'directory') this.add(name, header.type, data, header.size, mtime);
      offset = next;
    }
  }

  /** Enters one header's entry; names no key can reach are left out. */
  private add(name: string, type: 'file' | 'directory', offset: number, size: number, mtime: number): void {
    const key = name.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
    if (key === '' || !parseKey(key).ok) return;
    const modified = Math.floor(mtime * 1000);
    if (type === 'file') {
      if (this.dictionaries.has(key)) return;
      this.values.set(key, { offset, size, modified });
      this.link(key, 'value');
    } else {
      if (this.values.has(key)) return;
      const dict = this.dictionaries.get(key);
      if (dict) dict.modified = modified;
      else this.dictionaries.set(key, { modified, entries: new Map() });
      this.link(key, 'dictionary');
    }
  }

  /** Enters `key` in its parent, creating parents the image left out. */
  private link(key: string, kind: KvEntryKind): void {
    const slash = key.lastIndexOf('/');
    const parent = slash < 0 ? '' : key.slice(0, slash);
    let dict = this.dictionaries.get(parent);
    if (!dict) {
      if (this.values.has(parent)) this.values.delete(parent);
      dict = { modified: 0, entries: new Map() };
      this.dictionaries.set(parent, dict);
      this.link(parent, 'dictionary');
    }
    dict.entries.set(key.slice(slash + 1), kind);
  }

  async exists(key: KvKey): Promise<Result<KvEntryKind | null, KvError>> {
    const found = this.find(key);
    if (!found.ok) return found.error.kind === 'not-found' ? ok(null) : found;
    return ok(found.value.kind);
  }

  get(key: KvKey): Promise<Result<Uint8Array, KvError>> {
    return this.read(key, 0, Number.MAX_SAFE_INTEGER);
  }

  async getPartial(key: KvKey, offset: number, length: number): Promise<Result<Uint8Array, KvError>> {
    const range = checkRange(key, offset, length);
    return range.ok ? this.read(key, offset, length) : range;
  }

  async list(key: KvKey): Promise<Result<KvEntry[], KvError>> {
    const found = this.find(key);
    if (!found.ok) return found;
    if (found.value.kind !== 'dictionary') return notADirectory(key);
    return ok(
      [...found.value.dict.entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, kind]) => ({ name, kind })),
    );
  }

  async size(key: KvKey): Promise<Result<number, KvError>> {
    const found = this.find(key);
    if (!found.ok) return found;
    return found.value.kind === 'value' ? ok(found.value.entry.size) : isDirectory(key);
  }

  async lastModified(key: KvKey): Promise<Result<number, KvError>> {
    const found = this.find(key);
    if (!found.ok) return found;
    return ok(found.value.kind === 'value' ? found.value.entry.modified : found.value.dict.modified);
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  private find(
    key: KvKey,
  ): Result<{ kind: 'value'; entry: Value } | { kind: 'dictionary'; dict: Dictionary }, KvError> {
    if (!this.connected) return disconnected(`tar image ${this.image}`);
    const parsed = parseKey(key);
    if (!parsed.ok) return parsed;
    const normal = parsed.value.join('/');
    const entry = this.values.get(normal);
    if (entry) return ok({ kind: 'value', entry });
    const dict = this.dictionaries.get(normal);
    if (dict) return ok({ kind: 'dictionary', dict });
    return notFound(key);
  }

  private async read(key: KvKey, offset: number, length: number): Promise<Result<Uint8Array, KvError>> {
    const found = this.find(key);
    if (!found.ok) return found;
    if (found.value.kind !== 'value') return isDirectory(key);
    const v = found.value.entry;
    const start = Math.min(offset, v.size);
    const count = Math.min(length, v.size - start);
    try {
      // A copy: the caller may keep it.
      return ok((await this.bytes.read(v.offset + start, count)).slice());
    } catch (e) {
      return err({ kind: 'io', message: (e as Error).message });
    }
  }
}
