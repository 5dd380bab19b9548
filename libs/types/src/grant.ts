import type { DeviceError, Result } from './result';

/** The hypervisor or the guest kernel refused: `code` is the errno name (`EINVAL`, `ENOSPC`...). */
export type GrantError = DeviceError | { readonly kind: 'grant'; readonly code: string; readonly message: string };

/** Pages of ours granted to a domain (MirageOS `Gntshr.share`). */
export interface SharedPages {
  /** One grant reference per page, for the other domain to map. */
  readonly refs: readonly number[];
  /** Our view of the pages, 4096 bytes each. */
  readonly pages: Uint8Array;
  /** Ends the grant and unmaps the pages; `pages` is empty afterwards. */
  release(): Promise<Result<void, GrantError>>;
}

/** Another domain's granted pages, mapped into ours (MirageOS `Gnttab.map`). */
export interface MappedPages {
  readonly pages: Uint8Array;
  release(): Promise<Result<void, GrantError>>;
}

/** Xen grant tables: share pages with a domain, and map pages a domain shared. */
export interface GrantTables {
  share(domid: number, count: number, options?: { writable?: boolean }): Promise<Result<SharedPages, GrantError>>;
  map(
    domid: number,
    refs: readonly number[],
    options?: { writable?: boolean },
  ): Promise<Result<MappedPages, GrantError>>;
  /** Releases what is still shared or mapped; later calls fail with `disconnected`. */
  disconnect(): Promise<void>;
}
