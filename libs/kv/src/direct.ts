import {
  err,
  ok,
  type KvEntry,
  type KvEntryKind,
  type KvError,
  type KvKey,
  type KvRo,
  type Result,
} from '@mirage-ts/types';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkRange, disconnected, invalidKey, isDirectory, notADirectory, notFound, parseKey } from './key';

interface Located {
  /** The real path, with every symbolic link resolved; always inside the root. */
  readonly real: string;
  readonly stat: fs.Stats;
  readonly kind: KvEntryKind;
}

// O_NONBLOCK: opening a FIFO someone left in the directory must not hang the unikernel.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/**
 * A read-only store that passes through to a host directory (MirageOS's
 * direct_kv_ro; unix only). It never serves anything outside its root: keys
 * are checked as text first (no `..`, no absolute paths, no NUL, no encoded
 * separators), every path is then resolved with its symbolic links and must
 * still lie inside the root, and a file is checked once more after it is
 * opened (through /proc/self/fd), so swapping a link in between gains nothing.
 */
export class DirectKvRo implements KvRo {
  private connected = true;

  private constructor(private readonly root: string) {}

  /** `dir` is the host directory, e.g. the app's `t/`. */
  static async connect(dir: string): Promise<DirectKvRo> {
    let root: string;
    try {
      root = await fs.promises.realpath(dir);
    } catch (e) {
      throw new Error(`the directory ${dir} cannot be opened: ${(e as Error).message}`, { cause: e });
    }
    if (!(await fs.promises.stat(root)).isDirectory()) throw new Error(`${dir} is not a directory`);
    return new DirectKvRo(root);
  }

  async exists(key: KvKey): Promise<Result<KvEntryKind | null, KvError>> {
    const found = await this.locate(key);
    if (!found.ok) return found.error.kind === 'not-found' ? ok(null) : found;
    return ok(found.value.kind);
  }

  async get(key: KvKey): Promise<Result<Uint8Array, KvError>> {
    return this.read(key, 0, Number.MAX_SAFE_INTEGER);
  }

  async getPartial(key: KvKey, offset: number, length: number): Promise<Result<Uint8Array, KvError>> {
    const range = checkRange(key, offset, length);
    return range.ok ? this.read(key, offset, length) : range;
  }

  async list(key: KvKey): Promise<Result<KvEntry[], KvError>> {
    const found = await this.locate(key);
    if (!found.ok) return found;
    if (found.value.kind !== 'dictionary') return notADirectory(key);
    let dirents: fs.Dirent[];
    try {
      dirents = await fs.promises.readdir(found.value.real, { withFileTypes: true });
    } catch (e) {
      return this.ioError(key, e);
    }
    const entries: KvEntry[] = [];
    for (const d of dirents) {
      const child = key === '' ? d.name : `${key}/${d.name}`;
      // Only what get/list can reach is listed: no links out, no sockets or devices.
      if (!parseKey(child).ok) continue;
      let kind: KvEntryKind | undefined;
      if (d.isFile()) kind = 'value';
      else if (d.isDirectory()) kind = 'dictionary';
      else if (d.isSymbolicLink()) {
        const target = await this.locate(child);
        if (target.ok) kind = target.value.kind;
      }
      if (kind) entries.push({ name: d.name, kind });
    }
    return ok(entries.sort((a, b) => (a.name < b.name ? -1 : 1)));
  }

  async size(key: KvKey): Promise<Result<number, KvError>> {
    const found = await this.locate(key);
    if (!found.ok) return found;
    return found.value.kind === 'value' ? ok(found.value.stat.size) : isDirectory(key);
  }

  async lastModified(key: KvKey): Promise<Result<number, KvError>> {
    const found = await this.locate(key);
    return found.ok ? ok(Math.floor(found.value.stat.mtimeMs)) : found;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  private inside(real: string): boolean {
    return real === this.root || real.startsWith(this.root.endsWith(path.sep) ? this.root : this.root + path.sep);
  }

  private async locate(key: KvKey): Promise<Result<Located, KvError>> {
    if (!this.connected) return disconnected(`host directory ${this.root}`);
    const parsed = parseKey(key);
    if (!parsed.ok) return parsed;
    let real: string;
    try {
      real = await fs.promises.realpath(path.join(this.root, ...parsed.value));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return notFound(key);
      if (code === 'ELOOP') return invalidKey(key, 'its symbolic links loop');
      return this.ioError(key, e);
    }
    if (!this.inside(real)) return invalidKey(key, 'it leads outside the store (through a symbolic link)');
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(real);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? notFound(key) : this.ioError(key, e);
    }
    if (stat.isFile()) return ok({ real, stat, kind: 'value' });
    if (stat.isDirectory()) return ok({ real, stat, kind: 'dictionary' });
    return invalidKey(key, 'it is neither a file nor a directory');
  }

  private async read(key: KvKey, offset: number, length: number): Promise<Result<Uint8Array, KvError>> {
    const found = await this.locate(key);
    if (!found.ok) return found;
    if (found.value.kind !== 'value') return isDirectory(key);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(found.value.real, OPEN_FLAGS);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ELOOP from O_NOFOLLOW: the file became a symbolic link after it was checked.
      if (code === 'ELOOP') return invalidKey(key, 'it changed into a symbolic link while being read');
      return code === 'ENOENT' ? notFound(key) : this.ioError(key, e);
    }
    try {
      const opened = await this.openedPath(handle);
      if (opened !== undefined && !this.inside(opened))
        return invalidKey(key, 'it leads outside the store (through a symbolic link)');
      const stat = await handle.stat();
      if (!stat.isFile()) return invalidKey(key, 'it is neither a file nor a directory');
      const start = Math.min(offset, stat.size);
      const size = Math.min(length, stat.size - start);
      const bytes = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const { bytesRead } = await handle.read(bytes, done, size - done, start + done);
        if (bytesRead === 0) break; // the file shrank meanwhile: return what is there
        done += bytesRead;
      }
      return ok(done === size ? bytes : bytes.subarray(0, done));
    } catch (e) {
      return this.ioError(key, e);
    } finally {
      await handle.close();
    }
  }

  /** Where an open file really is, as the kernel sees it (Linux); undefined where /proc is absent. */
  private async openedPath(handle: fs.promises.FileHandle): Promise<string | undefined> {
    try {
      return await fs.promises.readlink(`/proc/self/fd/${handle.fd}`);
    } catch {
      return undefined;
    }
  }

  private ioError(key: KvKey, e: unknown): Result<never, KvError> {
    return err({
      kind: 'io',
      message: `reading ${JSON.stringify(key)} under ${this.root}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}
