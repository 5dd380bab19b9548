/**
 * The POSIX ustar header (512 bytes), parsed and written by hand: the store
 * reads headers one sector at a time from a block device by offset, which no
 * npm tar reader does (they read whole streams), and the image builder must
 * give the same bytes for the same folder (sorted, no owners) so Nx can cache
 * it. GNU long names (`L`) and pax `path`/`size` records are read too, so an
 * image made by GNU tar or bsdtar also works.
 */
export const BLOCK = 512;

export type EntryType = 'file' | 'directory' | 'gnu-long-name' | 'pax' | 'pax-global' | 'other';

export interface UstarHeader {
  /** prefix + '/' + name, as stored. */
  readonly name: string;
  readonly size: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly type: EntryType;
  /** The raw type flag, for messages. */
  readonly typeflag: string;
}

/** A header that cannot be right; `why` says what is wrong with it. */
export class UstarHeaderError extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'UstarHeaderError';
  }
}

const ascii = (b: Uint8Array, start: number, length: number): string => {
  const field = b.subarray(start, start + length);
  const nul = field.indexOf(0);
  return Buffer.from(nul < 0 ? field : field.subarray(0, nul)).toString('utf8');
};

/** An octal field, or GNU's base-256 form (first byte 0x80) for sizes past 8 GiB. */
function numeric(b: Uint8Array, start: number, length: number, what: string): number {
  if (b[start] & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + b[i];
    if (!Number.isSafeInteger(n)) throw new UstarHeaderError(`its ${what} is too large`);
    return n;
  }
  const text = ascii(b, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new UstarHeaderError(`its ${what} field ${JSON.stringify(text)} is not octal`);
  return parseInt(text, 8);
}

export const isZeroBlock = (b: Uint8Array): boolean => b.every((x) => x === 0);

/** Sum of the header's bytes with the checksum field counted as spaces (unsigned, as POSIX says). */
export function checksumOf(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  return sum;
}

/** Old tars summed signed bytes; such images still exist, so that sum is accepted too. */
function signedChecksumOf(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (b[i] << 24) >> 24;
  return sum;
}

export function parseHeader(b: Uint8Array): UstarHeader {
  if (b.length < BLOCK) throw new UstarHeaderError(`it is only ${b.length} bytes long`);
  const stored = numeric(b, 148, 8, 'checksum');
  const computed = checksumOf(b);
  if (stored !== computed && stored !== signedChecksumOf(b))
    throw new UstarHeaderError(`bad header checksum (stored ${stored}, computed ${computed})`);
  if (ascii(b, 257, 6) !== 'ustar' && ascii(b, 257, 5) !== 'ustar')
    throw new UstarHeaderError('no ustar magic: not a POSIX or GNU tar header');
  const flag = String.fromCharCode(b[156]);
  const type: EntryType =
    flag === '0' || flag === '\0' || flag === '7'
      ? 'file'
      : flag === '5'
        ? 'directory'
        : flag === 'L'
          ? 'gnu-long-name'
          : flag === 'x'
            ? 'pax'
            : flag === 'g'
              ? 'pax-global'
              : 'other';
  const name = ascii(b, 0, 100);
  // GNU tar keeps its atime/ctime where POSIX has the prefix; only POSIX magic means a prefix.
  const prefix = ascii(b, 257, 6) === 'ustar' && b[262] === 0 ? ascii(b, 345, 155) : '';
  return {
    name: prefix ? `${prefix}/${name}` : name,
    size: numeric(b, 124, 12, 'size'),
    mtime: numeric(b, 136, 12, 'mtime'),
    type,
    typeflag: flag === '\0' ? 'NUL' : flag,
  };
}

/** The `key=value` records of a pax extended header. */
export function parsePax(data: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(Buffer.from(data.subarray(at, space)).toString('latin1'), 10);
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length)
      throw new UstarHeaderError(`a pax record at ${at} has a bad length`);
    const record = Buffer.from(data.subarray(space + 1, at + length - 1)).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

export interface HeaderFields {
  readonly name: string;
  readonly size: number;
  readonly mtime: number;
  readonly directory: boolean;
}

function putOctal(b: Uint8Array, start: number, length: number, n: number): void {
  const text = n.toString(8).padStart(length - 1, '0');
  if (text.length > length - 1) throw new UstarHeaderError(`${n} does not fit a ${length}-byte octal field`);
  b.set(Buffer.from(text + '\0', 'latin1'), start);
}

/** Where a path splits into ustar's prefix (<= 155 bytes) and name (<= 100 bytes), or null if it cannot. */
function splitName(name: string): { prefix: string; name: string } | null {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '')
      return { prefix, name: rest };
  }
  return null;
}

/** One ustar header block; throws UstarHeaderError when the name or size cannot be stored. */
export function writeHeader(fields: HeaderFields): Uint8Array {
  const b = new Uint8Array(BLOCK);
  const split = splitName(fields.directory ? `${fields.name}/` : fields.name);
  if (!split) throw new UstarHeaderError('its path is too long for a ustar header (100 + 155 bytes, split at a /)');
  b.set(Buffer.from(split.name, 'utf8'), 0);
  putOctal(b, 100, 8, fields.directory ? 0o755 : 0o644);
  putOctal(b, 108, 8, 0);
  putOctal(b, 116, 8, 0);
  putOctal(b, 124, 12, fields.directory ? 0 : fields.size);
  putOctal(b, 136, 12, fields.mtime);
  b[156] = (fields.directory ? '5' : '0').charCodeAt(0);
  b.set(Buffer.from('ustar\u000000', 'latin1'), 257);
  b.set(Buffer.from(split.prefix, 'utf8'), 345);
  const sum = checksumOf(b).toString(8).padStart(6, '0');
  b.set(Buffer.from(`${sum}\0 `, 'latin1'), 148);
  return b;
}
