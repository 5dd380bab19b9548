import type { DeviceError, Result } from './result';

/** The store refused a request: `code` is the errno name it answered (`ENOENT` for a missing key, `EACCES`...). */
export type XenstoreError =
  DeviceError | { readonly kind: 'xenstore'; readonly code: string; readonly message: string };

/** A registered watch; `cancel` removes it from the store. */
export interface XenstoreWatch {
  readonly path: string;
  cancel(): Promise<Result<void, XenstoreError>>;
}

/**
 * The guest's connection to xenstore (MirageOS `OS.Xs`), the key/value tree
 * that the toolstack and the domain share. Paths without a leading `/` are
 * relative to the domain's home, `/local/domain/<domid>` (so `domid` reads
 * the domain's own id).
 */
export interface Xenstore {
  read(path: string): Promise<Result<string, XenstoreError>>;
  write(path: string, value: string): Promise<Result<void, XenstoreError>>;
  /** The names of `path`'s children. */
  directory(path: string): Promise<Result<readonly string[], XenstoreError>>;
  /**
   * Calls `onChange` with the changed path for each change at or below
   * `path`; the store also fires once when the watch is registered.
   */
  watch(path: string, onChange: (changed: string) => void): Promise<Result<XenstoreWatch, XenstoreError>>;
  /** Cancels every watch and closes the connection; later calls fail with `disconnected`. */
  disconnect(): Promise<void>;
}
