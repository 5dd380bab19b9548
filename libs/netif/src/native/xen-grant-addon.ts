/**
 * The loader of native/xen-grant.c (mirage_xen_grant.node), which is built
 * beside the netif addon by the same node-gyp run but shares nothing with it.
 * It lives in this library only because the addon's build does; its user is
 * @mirage-ts/xen-grant.
 */

/** An mmap of granted pages: `buffer` is valid until unmapPages. */
export interface NativeMapping {
  readonly buffer: ArrayBuffer;
  readonly handle: unknown;
}

export interface XenGrantAddon {
  /** IOCTL_GNTALLOC_ALLOC_GREF on an open /dev/xen/gntalloc: fresh zeroed pages granted to `domid`. */
  allocGrants(fd: number, domid: number, count: number, writable: boolean): { index: number; refs: number[] };
  deallocGrants(fd: number, index: number, count: number): void;
  /** IOCTL_GNTDEV_MAP_GRANT_REF on an open /dev/xen/gntdev: the offset to mmap the pages at. */
  mapGrants(fd: number, domid: number, refs: readonly number[]): number;
  unmapGrants(fd: number, index: number, count: number): void;
  mmapPages(fd: number, index: number, length: number, writable: boolean): NativeMapping;
  /** munmap now; the ArrayBuffer is detached (length 0) afterwards. */
  unmapPages(mapping: NativeMapping): void;
}

let loaded: XenGrantAddon | undefined;

/** The path is a literal so that bundlers copy the .node file beside main.js (see addon.ts). */
export function xenGrantAddon(): XenGrantAddon {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('../../native/build/Release/mirage_xen_grant.node') as XenGrantAddon;
  } catch (e) {
    throw new Error(
      `the native addon for Xen grant tables cannot be loaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); ` +
        'build it with `npm run build:netif` in the Mirage/TS workspace (needs python3, make, a C compiler and the ' +
        'Linux headers of linux-libc-dev), then build the unikernel again',
      { cause: e },
    );
  }
  return loaded;
}
