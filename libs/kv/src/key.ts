import { err, ok, type KvError, type KvKey, type Result } from '@mirage-ts/types';

/**
 * The one definition of a key that every store (crunched, direct, FAT)
 * applies, so a unikernel sees the same answers whichever store it is given.
 * A key is a path relative to the store: `a`, `dir/b.txt`; `''` is the root.
 * Anything that could name a place outside the store, or that a host might
 * read differently from how we split it, is refused before any lookup.
 */
const MAX_KEY_LENGTH = 4096;
const MAX_SEGMENT_BYTES = 255;

/**
 * Percent-encoded separators, dots and NUL (and the overlong UTF-8 lead
 * bytes used to smuggle them): a key is never decoded here, but a store may
 * sit behind something that decodes it, so the encoded forms are refused too.
 */
const ENCODED_TRICKS = /%(?:2f|5c|2e|00|c0|c1|e0%80|f0%80)/i;

export function invalidKey(key: KvKey, why: string): Result<never, KvError> {
  return err({ kind: 'invalid-key', key, message: `invalid key ${JSON.stringify(key)}: ${why}` });
}

/** The key's path segments (`[]` for the root), or why it is refused. */
export function parseKey(key: KvKey): Result<readonly string[], KvError> {
  if (typeof key !== 'string') return invalidKey(String(key), 'a key is a string');
  if (key === '') return ok([]);
  if (key.length > MAX_KEY_LENGTH)
    return invalidKey(key.slice(0, 40) + '...', `longer than ${MAX_KEY_LENGTH} characters`);
  if (key.includes('\0')) return invalidKey(key, 'it contains a NUL byte');
  if (key.includes('\\')) return invalidKey(key, "'\\' is not a separator in keys; use '/'");
  if (ENCODED_TRICKS.test(key)) return invalidKey(key, 'it contains a percent-encoded separator, dot or NUL');
  if (key.startsWith('/'))
    return invalidKey(key, `keys are relative to the store: write ${JSON.stringify(key.replace(/^\/+/, ''))}`);
  const segments = key.split('/');
  for (const s of segments) {
    if (s === '') return invalidKey(key, 'it has an empty path segment (a doubled or trailing /)');
    if (s === '.' || s === '..') return invalidKey(key, `'${s}' segments are not allowed`);
    if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES)
      return invalidKey(key, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return ok(segments);
}

export function notFound(key: KvKey): Result<never, KvError> {
  return err({ kind: 'not-found', key, message: `${JSON.stringify(key)} is not in the store` });
}

export function isDirectory(key: KvKey): Result<never, KvError> {
  return err({ kind: 'is-directory', key, message: `${JSON.stringify(key)} is a dictionary, not a value` });
}

export function notADirectory(key: KvKey): Result<never, KvError> {
  return err({ kind: 'not-a-directory', key, message: `${JSON.stringify(key)} is a value, not a dictionary` });
}

export function disconnected(what: string): Result<never, KvError> {
  return err({ kind: 'disconnected', message: `${what} is disconnected` });
}

/** Checks getPartial's offset and length; both are byte counts. */
export function checkRange(key: KvKey, offset: number, length: number): Result<void, KvError> {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    return err({
      kind: 'invalid-range',
      key,
      message: `getPartial(${JSON.stringify(key)}, ${offset}, ${length}): offset and length must be integers >= 0`,
    });
  }
  return ok(undefined);
}
