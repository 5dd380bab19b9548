import { checkRange, disconnected, isDirectory, notADirectory, notFound, parseKey } from '@mirage-ts/kv/key';
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
import { FatDeviceError, FatFormatError } from './errors';
import { FatVolume, type Node } from './reader/volume';

/**
 * A read-only FAT filesystem on a block device (MirageOS's `fat` over a
 * `block`), answering with the KvRo operations. A corrupt volume is an `io`
 * error naming what is wrong, never an exception or a hang.
 */
export class FatFs implements KvRo {
  private connected = true;

  private constructor(readonly volume: FatVolume) {}

  /** Reads and checks the boot sector; throws with the reason when the device holds no usable FAT volume. */
  static async connect(block: Block): Promise<FatFs> {
    return new FatFs(await FatVolume.open(block));
  }

  async exists(key: KvKey): Promise<Result<KvEntryKind | null, KvError>> {
    return this.guard(async () => {
      const found = await this.find(key);
      if (!found.ok) return found.error.kind === 'not-found' ? ok(null) : found;
      return ok(found.value.kind === 'dir' ? 'dictionary' : 'value');
    });
  }

  get(key: KvKey): Promise<Result<Uint8Array, KvError>> {
    return this.read(key, 0, Number.MAX_SAFE_INTEGER);
  }

  async getPartial(key: KvKey, offset: number, length: number): Promise<Result<Uint8Array, KvError>> {
    const range = checkRange(key, offset, length);
    return range.ok ? this.read(key, offset, length) : range;
  }

  async list(key: KvKey): Promise<Result<KvEntry[], KvError>> {
    return this.guard(async () => {
      const found = await this.find(key);
      if (!found.ok) return found;
      if (found.value.kind !== 'dir') return notADirectory(key);
      const entries = await this.volume.readDir(found.value);
      const listed = new Map<string, KvEntryKind>();
      for (const e of entries) {
        // A name no key can reach (a corrupt entry holding '/' or NUL) is not listed.
        if (!parseKey(e.name).ok || e.name.includes('/')) continue;
        if (!listed.has(e.name)) listed.set(e.name, e.isDirectory ? 'dictionary' : 'value');
      }
      return ok([...listed].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, kind]) => ({ name, kind })));
    });
  }

  async size(key: KvKey): Promise<Result<number, KvError>> {
    return this.guard(async () => {
      const found = await this.find(key);
      if (!found.ok) return found;
      return found.value.kind === 'file' ? ok(found.value.entry.size) : isDirectory(key);
    });
  }

  async lastModified(key: KvKey): Promise<Result<number, KvError>> {
    return this.guard(async () => {
      const found = await this.find(key);
      if (!found.ok) return found;
      return ok(found.value.kind === 'file' ? found.value.entry.modified : found.value.modified);
    });
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  private read(key: KvKey, offset: number, length: number): Promise<Result<Uint8Array, KvError>> {
    return this.guard(async () => {
      const found = await this.find(key);
      if (!found.ok) return found;
      if (found.value.kind !== 'file') return isDirectory(key);
      // A copy: the caller may keep it while the device buffer is reused.
      return ok((await this.volume.readFile(found.value, offset, length)).slice());
    });
  }

  private async find(key: KvKey): Promise<Result<Node, KvError>> {
    if (!this.connected) return disconnected('FAT filesystem');
    const parsed = parseKey(key);
    if (!parsed.ok) return parsed;
    const node = await this.volume.lookup(parsed.value);
    if (node === undefined || node === 'not-a-directory') return notFound(key);
    return ok(node);
  }

  /** Turns a corrupt volume or a failing device into an `io` error; anything else is a bug and propagates. */
  private async guard<T>(work: () => Promise<Result<T, KvError>>): Promise<Result<T, KvError>> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof FatFormatError || e instanceof FatDeviceError) return err({ kind: 'io', message: e.message });
      throw e;
    }
  }
}
