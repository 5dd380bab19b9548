import { ok, type KvEntry, type KvEntryKind, type KvError, type KvKey, type KvRo, type Result } from '@mirage-ts/types';
import { checkRange, disconnected, isDirectory, notADirectory, notFound, parseKey } from './key';

/**
 * One file or directory of a crunched store, as the generated module
 * (static1.ts) lists it. Text files are kept as text so the module stays
 * readable; anything else is base64.
 */
export type CrunchedEntry =
  | { readonly key: string; readonly kind: 'dictionary'; readonly modified: number }
  | { readonly key: string; readonly kind: 'value'; readonly modified: number; readonly text: string }
  | { readonly key: string; readonly kind: 'value'; readonly modified: number; readonly base64: string };

interface Value {
  readonly modified: number;
  readonly source: { readonly text: string } | { readonly base64: string };
  bytes?: Uint8Array;
}

interface Dictionary {
  readonly modified: number;
  readonly entries: Map<string, KvEntryKind>;
}

/**
 * A read-only store compiled into the unikernel (MirageOS's crunch): the
 * directory was turned into a module at configure time, so nothing is read
 * from a disk at run time. Values are decoded on first use.
 */
export class CrunchKvRo implements KvRo {
  private readonly values = new Map<string, Value>();
  private readonly dictionaries = new Map<string, Dictionary>();
  private connected = true;

  private constructor(
    private readonly name: string,
    entries: readonly CrunchedEntry[],
  ) {
    this.dictionaries.set('', { modified: 0, entries: new Map() });
    for (const e of entries) {
      if (e.kind === 'dictionary') {
        const known = this.dictionaries.get(e.key);
        this.dictionaries.set(e.key, { modified: e.modified, entries: known?.entries ?? new Map() });
      } else {
        this.values.set(e.key, { modified: e.modified, source: 'text' in e ? { text: e.text } : { base64: e.base64 } });
      }
      this.link(e.key, e.kind);
    }
  }

  /** Enters `key` in its parent dictionary, creating parents a module left out. */
  private link(key: string, kind: KvEntryKind): void {
    const slash = key.lastIndexOf('/');
    const parent = slash < 0 ? '' : key.slice(0, slash);
    let dict = this.dictionaries.get(parent);
    if (!dict) {
      dict = { modified: 0, entries: new Map() };
      this.dictionaries.set(parent, dict);
      this.link(parent, 'dictionary');
    }
    dict.entries.set(key.slice(slash + 1), kind);
  }

  /** `name` says where the data came from (e.g. `apps/kv_ro_crunch/t`), for messages. */
  static async connect(name: string, entries: readonly CrunchedEntry[]): Promise<CrunchKvRo> {
    return new CrunchKvRo(name, entries);
  }

  async exists(key: KvKey): Promise<Result<KvEntryKind | null, KvError>> {
    const found = this.find(key);
    if (!found.ok) return found.error.kind === 'not-found' ? ok(null) : found;
    return ok(found.value.kind);
  }

  async get(key: KvKey): Promise<Result<Uint8Array, KvError>> {
    const found = this.value(key);
    return found.ok ? ok(found.value.slice()) : found;
  }

  async getPartial(key: KvKey, offset: number, length: number): Promise<Result<Uint8Array, KvError>> {
    const range = checkRange(key, offset, length);
    if (!range.ok) return range;
    const found = this.value(key);
    return found.ok ? ok(found.value.slice(offset, offset + length)) : found;
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
    const found = this.value(key);
    return found.ok ? ok(found.value.length) : found;
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
    if (!this.connected) return disconnected(`crunched store ${this.name}`);
    const parsed = parseKey(key);
    if (!parsed.ok) return parsed;
    const normal = parsed.value.join('/');
    const entry = this.values.get(normal);
    if (entry) return ok({ kind: 'value', entry });
    const dict = this.dictionaries.get(normal);
    if (dict) return ok({ kind: 'dictionary', dict });
    return notFound(key);
  }

  private value(key: KvKey): Result<Uint8Array, KvError> {
    const found = this.find(key);
    if (!found.ok) return found;
    if (found.value.kind !== 'value') return isDirectory(key);
    const v = found.value.entry;
    v.bytes ??=
      'text' in v.source
        ? new TextEncoder().encode(v.source.text)
        : new Uint8Array(Buffer.from(v.source.base64, 'base64'));
    return ok(v.bytes);
  }
}
