import type { DeviceError, Result } from './result';

/** Keys are `/`-separated paths inside the store, e.g. `a`, `dir/b.txt`. */
export type KvKey = string;

export type KvError =
  | DeviceError
  | { readonly kind: 'not-found'; readonly key: KvKey; readonly message: string }
  | { readonly kind: 'is-directory'; readonly key: KvKey; readonly message: string }
  | { readonly kind: 'not-a-directory'; readonly key: KvKey; readonly message: string }
  | { readonly kind: 'invalid-key'; readonly key: KvKey; readonly message: string }
  /** getPartial with an offset or length that is negative or not an integer. */
  | { readonly kind: 'invalid-range'; readonly key: KvKey; readonly message: string };

export type KvEntryKind = 'value' | 'dictionary';

export interface KvEntry {
  readonly name: string;
  readonly kind: KvEntryKind;
}

/** A read-only key/value store (MirageOS KV_RO / Mirage_kv.RO). */
export interface KvRo {
  /** What is at `key`, or null when nothing is. */
  exists(key: KvKey): Promise<Result<KvEntryKind | null, KvError>>;
  get(key: KvKey): Promise<Result<Uint8Array, KvError>>;
  /** Up to `length` bytes from `offset`; fewer at the end of the value. */
  getPartial(key: KvKey, offset: number, length: number): Promise<Result<Uint8Array, KvError>>;
  /** The entries directly inside the dictionary `key` (`''` is the root). */
  list(key: KvKey): Promise<Result<KvEntry[], KvError>>;
  size(key: KvKey): Promise<Result<number, KvError>>;
  /** Milliseconds since the Unix epoch. */
  lastModified(key: KvKey): Promise<Result<number, KvError>>;
  disconnect(): Promise<void>;
}
