/**
 * The "newc" cpio format that the Linux kernel unpacks as its initramfs.
 *
 * Written by hand because no maintained npm package writes newc archives
 * with device nodes, and the format is a fixed 110-byte ASCII header per
 * entry. Nothing host-specific goes in (no inode numbers, owners or times
 * from the disk), so the same entries always give the same bytes: the image
 * is reproducible and Nx may cache it.
 */
export type CpioEntry =
  | { readonly kind: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly kind: 'file'; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | {
      readonly kind: 'char';
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

/** Entries in a fixed order: a folder before what it holds, then by name. */
export function sortEntries(entries: readonly CpioEntry[]): CpioEntry[] {
  const seen = new Map<string, CpioEntry>();
  for (const e of entries) {
    const p = normalise(e.path);
    if (seen.has(p)) throw new Error(`initramfs: ${p} is added twice`);
    seen.set(p, { ...e, path: p });
  }
  return [...seen.values()].sort((a, b) => compareBytes(a.path, b.path));
}

/**
 * An initramfs being put together: files and links, each parent folder
 * added once, and the two device nodes the kernel opens for init before
 * anything is mounted.
 */
export class CpioTree {
  private readonly entries: CpioEntry[] = [];
  private readonly dirs = new Set<string>();

  /** `emptyDirs`: folders the init mounts on or writes into, present even with nothing in them. */
  constructor(emptyDirs: readonly string[]) {
    for (const d of emptyDirs) this.addParentsOf(`${d}/-`);
    this.entries.push({ kind: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 });
    this.entries.push({ kind: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 });
  }

  file(p: string, data: Uint8Array, mode = 0o644): void {
    this.addParentsOf(p);
    this.entries.push({ kind: 'file', path: p, data, mode });
  }

  symlink(p: string, target: string): void {
    this.addParentsOf(p);
    this.entries.push({ kind: 'symlink', path: p, target });
  }

  /** Every entry and folder (tmp sticky and writable by all), in the canonical order. */
  sorted(): CpioEntry[] {
    const dirs = [...this.dirs].map((d): CpioEntry => ({ kind: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 }));
    return sortEntries([...this.entries, ...dirs]);
  }

  private addParentsOf(p: string): void {
    const parts = p.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) this.dirs.add(parts.slice(0, i).join('/'));
  }
}

/** The archive, entries in the order given (use sortEntries for a canonical order). */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const pad = () => {
    const n = (4 - (offset % 4)) % 4;
    if (n) push(Buffer.alloc(n));
  };
  let ino = 1;
  const entry = (name: string, mode: number, data: Uint8Array, rdev: [number, number], nlink: number) => {
    const nameBytes = Buffer.from(`${name}\0`, 'utf8');
    const fields = [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
    push(Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii'));
    push(nameBytes);
    pad();
    if (data.length) {
      push(Buffer.from(data.buffer, data.byteOffset, data.length));
      pad();
    }
  };
  for (const e of entries) {
    const name = normalise(e.path);
    switch (e.kind) {
      case 'dir':
        entry(name, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0), [0, 0], 2);
        break;
      case 'file':
        entry(name, S_IFREG | (e.mode ?? 0o644), e.data, [0, 0], 1);
        break;
      case 'symlink':
        entry(name, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'), [0, 0], 1);
        break;
      case 'char':
        entry(name, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(0), [e.major, e.minor], 1);
        break;
    }
  }
  ino = 0;
  entry(TRAILER, 0, new Uint8Array(0), [0, 0], 1);
  // The kernel reads the archive in 512-byte blocks, as cpio(1) pads it.
  const tail = (512 - (offset % 512)) % 512;
  if (tail) push(Buffer.alloc(tail));
  return Buffer.concat(parts, offset);
}

export interface CpioMember {
  readonly path: string;
  readonly mode: number;
  readonly data: Buffer;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
}

/** Reads a newc archive back (for tests and for `describe`); throws on a malformed one. */
export function readCpio(archive: Buffer): CpioMember[] {
  const members: CpioMember[] = [];
  let at = 0;
  const align = (n: number) => (n + 3) & ~3;
  for (;;) {
    if (at + 110 > archive.length) throw new Error(`cpio: truncated header at byte ${at}`);
    const magic = archive.toString('ascii', at, at + 6);
    if (magic !== '070701') throw new Error(`cpio: bad magic '${magic}' at byte ${at}`);
    const field = (i: number) => parseInt(archive.toString('ascii', at + 6 + i * 8, at + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const rdevMajor = field(9);
    const rdevMinor = field(10);
    const nameSize = field(11);
    const name = archive.toString('utf8', at + 110, at + 110 + nameSize - 1);
    const dataAt = align(at + 110 + nameSize);
    if (name === TRAILER) return members;
    if (dataAt + size > archive.length) throw new Error(`cpio: ${name} runs past the end of the archive`);
    members.push({ path: name, mode, data: archive.subarray(dataAt, dataAt + size), rdevMajor, rdevMinor });
    at = align(dataAt + size);
  }
}

function normalise(p: string): string {
  const clean = p.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!clean || clean.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`initramfs: '${p}' is not a valid path inside the image`);
  }
  return clean;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}
