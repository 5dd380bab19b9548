import * as fs from 'node:fs';
import * as os from 'node:os';
import type { GrantError, GrantTables, MappedPages, Result, SharedPages } from '@mirage-ts/types';
import { xenGrantAddon, type NativeMapping, type XenGrantAddon } from '@mirage-ts/netif/native/xen-grant-addon';

/** Xen's page size, whatever the guest's: grants are always of 4 KiB pages. */
export const PAGE_SIZE = 4096;
export const GNTALLOC_DEVICE = '/dev/xen/gntalloc';
export const GNTDEV_DEVICE = '/dev/xen/gntdev';

const ERRNO_NAMES = new Map<number, string>(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
const fail = (error: GrantError): Result<never, GrantError> => ({ ok: false, error });

/** The addon throws with code `errno:N`: the errno's name and message as a value. */
function grantError(e: unknown): GrantError {
  const code = (e as { code?: unknown }).code;
  const m = typeof code === 'string' ? /^errno:(\d+)$/.exec(code) : null;
  // Not `instanceof Error`: the addon's errors may come from another realm (as under Jest).
  const raw = (e as { message?: unknown }).message;
  const message = typeof raw === 'string' ? raw : String(e);
  return { kind: 'grant', code: m ? (ERRNO_NAMES.get(Number(m[1])) ?? `errno ${m[1]}`) : 'EINVAL', message };
}

function attempt<T>(f: () => T): Result<T, GrantError> {
  try {
    return ok(f());
  } catch (e) {
    return fail(grantError(e));
  }
}

function openDevice(path: string, module: string): number {
  try {
    return fs.openSync(path, 'r+');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `xen-grant: ${path} does not exist: grant tables need a Xen guest whose kernel has ${module} loaded (build with --target=xen and run the image under Xen)`
        : `xen-grant: cannot open ${path}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/**
 * Grant tables through the guest kernel's devices (MirageOS `Gntshr` and
 * `Gnttab`): /dev/xen/gntalloc grants fresh pages of ours, /dev/xen/gntdev
 * maps pages granted to us, and each is reached by mmap as a Uint8Array.
 */
export class XenGrantTables implements GrantTables {
  private readonly live = new Set<{ release(): Promise<Result<void, GrantError>> }>();
  private closed = false;

  constructor(
    private readonly addon: XenGrantAddon,
    private readonly gntalloc: number,
    private readonly gntdev: number,
  ) {}

  static async connect(devices = { gntalloc: GNTALLOC_DEVICE, gntdev: GNTDEV_DEVICE }): Promise<XenGrantTables> {
    const addon = xenGrantAddon();
    const gntalloc = openDevice(devices.gntalloc, 'xen-gntalloc');
    let gntdev: number;
    try {
      gntdev = openDevice(devices.gntdev, 'xen-gntdev');
    } catch (e) {
      fs.closeSync(gntalloc);
      throw e;
    }
    return new XenGrantTables(addon, gntalloc, gntdev);
  }

  async share(
    domid: number,
    count: number,
    options: { writable?: boolean } = {},
  ): Promise<Result<SharedPages, GrantError>> {
    const bad = this.check(domid, count);
    if (bad) return fail(bad);
    const writable = options.writable ?? true;
    const granted = attempt(() => this.addon.allocGrants(this.gntalloc, domid, count, writable));
    if (!granted.ok) return granted;
    const { index, refs } = granted.value;
    // Our own side is always writable: the flag only limits the other domain.
    const mapped = attempt(() => this.addon.mmapPages(this.gntalloc, index, count * PAGE_SIZE, true));
    if (!mapped.ok) {
      attempt(() => this.addon.deallocGrants(this.gntalloc, index, count));
      return mapped;
    }
    const release = this.releaser(mapped.value, () => this.addon.deallocGrants(this.gntalloc, index, count));
    const shared: SharedPages = { refs, pages: new Uint8Array(mapped.value.buffer), release };
    return ok(shared);
  }

  async map(
    domid: number,
    refs: readonly number[],
    options: { writable?: boolean } = {},
  ): Promise<Result<MappedPages, GrantError>> {
    const bad = this.check(domid, refs.length) ?? this.checkRefs(refs);
    if (bad) return fail(bad);
    const writable = options.writable ?? true;
    const index = attempt(() => this.addon.mapGrants(this.gntdev, domid, refs));
    if (!index.ok) return index;
    const mapped = attempt(() => this.addon.mmapPages(this.gntdev, index.value, refs.length * PAGE_SIZE, writable));
    if (!mapped.ok) {
      attempt(() => this.addon.unmapGrants(this.gntdev, index.value, refs.length));
      return mapped;
    }
    const release = this.releaser(mapped.value, () => this.addon.unmapGrants(this.gntdev, index.value, refs.length));
    return ok({ pages: new Uint8Array(mapped.value.buffer), release });
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    // Mappings first: a page of ours that we also mapped stays granted until its mapping goes.
    for (const l of [...this.live].reverse()) await l.release();
    this.closed = true;
    fs.closeSync(this.gntdev);
    fs.closeSync(this.gntalloc);
  }

  /** munmap, then end the grant or the mapping; once only. */
  private releaser(mapping: NativeMapping, end: () => void): () => Promise<Result<void, GrantError>> {
    let done = false;
    const entry = {
      release: async (): Promise<Result<void, GrantError>> => {
        if (done) return ok(undefined);
        done = true;
        this.live.delete(entry);
        this.addon.unmapPages(mapping);
        return attempt(end);
      },
    };
    this.live.add(entry);
    return entry.release;
  }

  private check(domid: number, count: number): GrantError | undefined {
    if (this.closed) return { kind: 'disconnected', message: 'the grant tables were disconnected' };
    if (!Number.isInteger(domid) || domid < 0 || domid > 0x7fef) {
      return { kind: 'grant', code: 'EINVAL', message: `domid ${domid} is not a domain id (0..32751)` };
    }
    if (!Number.isInteger(count) || count < 1 || count > 1024) {
      return { kind: 'grant', code: 'EINVAL', message: `${count} pages: give 1 to 1024` };
    }
    return undefined;
  }

  private checkRefs(refs: readonly number[]): GrantError | undefined {
    const bad = refs.find((r) => !Number.isInteger(r) || r < 0 || r > 0xffffffff);
    return bad === undefined
      ? undefined
      : { kind: 'grant', code: 'EINVAL', message: `${bad} is not a grant reference (a 32-bit number)` };
  }
}
