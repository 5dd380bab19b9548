import type { KvEntry, KvEntryKind, KvError, KvKey, KvRo, Result } from '@mirage-ts/types';

/**
 * The key/value view of a read-only filesystem (MirageOS's `kv_ro_of_fs`).
 * The FAT filesystem already answers in KvRo terms, so this view forwards;
 * it is its own device so that config.ts reads as in MirageOS
 * (`kvRoOfFs(fatOfFiles('t'))`) and another filesystem can take FAT's place.
 */
export class FsKvRo implements KvRo {
  private constructor(private readonly fs: KvRo) {}

  static async connect(fs: KvRo): Promise<FsKvRo> {
    return new FsKvRo(fs);
  }

  exists(key: KvKey): Promise<Result<KvEntryKind | null, KvError>> {
    return this.fs.exists(key);
  }

  get(key: KvKey): Promise<Result<Uint8Array, KvError>> {
    return this.fs.get(key);
  }

  getPartial(key: KvKey, offset: number, length: number): Promise<Result<Uint8Array, KvError>> {
    return this.fs.getPartial(key, offset, length);
  }

  list(key: KvKey): Promise<Result<KvEntry[], KvError>> {
    return this.fs.list(key);
  }

  size(key: KvKey): Promise<Result<number, KvError>> {
    return this.fs.size(key);
  }

  lastModified(key: KvKey): Promise<Result<number, KvError>> {
    return this.fs.lastModified(key);
  }

  /** The filesystem is its own device and is disconnected by main.ts after this view. */
  async disconnect(): Promise<void> {}
}
