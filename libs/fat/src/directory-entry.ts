import { DIR_ENTRY_SIZE } from './boot-sector';

/** Directory entry layout (Microsoft's FAT specification, section 6). */
export const ATTR_READ_ONLY = 0x01;
export const ATTR_HIDDEN = 0x02;
export const ATTR_SYSTEM = 0x04;
export const ATTR_VOLUME_ID = 0x08;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_ARCHIVE = 0x20;
export const ATTR_LONG_NAME = 0x0f;
export const LAST_LONG_ENTRY = 0x40;
export const DELETED = 0xe5;
/** NT's case bits in byte 12: the short name's base or extension is lower case. */
export const CASE_LOWER_BASE = 0x08;
export const CASE_LOWER_EXT = 0x10;
/** UTF-16 code units held by one long-name entry, at these byte offsets. */
export const LFN_CHARS = 13;
export const LFN_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30] as const;

export interface DirEntry {
  /** The long name when there is a valid one, else the short name (with NT case bits applied). */
  readonly name: string;
  /** The 8.3 name as stored, e.g. `README.TXT`. */
  readonly shortName: string;
  readonly isDirectory: boolean;
  readonly firstCluster: number;
  readonly size: number;
  /** Milliseconds since the epoch; 0 when the entry has no valid date. */
  readonly modified: number;
  /** Index of the short entry within its directory, for messages. */
  readonly index: number;
}

/** The checksum of an 11-byte short name that every long-name entry repeats. */
export function lfnChecksum(shortName: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >> 1)) + shortName[i]) & 0xff;
  return sum;
}

/** FAT dates and times, read as UTC (the format has no time zone; images built here are written in UTC). */
export function fatTimestamp(date: number, time: number): number {
  const day = date & 0x1f;
  const month = (date >> 5) & 0x0f;
  const year = 1980 + (date >> 9);
  if (day === 0 || month === 0 || month > 12) return 0;
  const seconds = Math.min((time & 0x1f) * 2, 59);
  const minutes = Math.min((time >> 5) & 0x3f, 59);
  const hours = Math.min(time >> 11, 23);
  return Date.UTC(year, month - 1, day, hours, minutes, seconds);
}

export function encodeFatTimestamp(ms: number): { date: number; time: number } {
  const d = new Date(Math.min(Math.max(ms, Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31, 23, 59, 58)));
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
  };
}

function shortNameText(raw: Uint8Array, caseBits: number): string {
  const bytes = Array.from(raw.subarray(0, 11));
  if (bytes[0] === 0x05) bytes[0] = DELETED; // 0x05 stands for a real leading 0xE5
  // Short names are in an OEM code page; bytes above 0x7f are read as Latin-1, close enough for names.
  const text = (from: number, to: number) => String.fromCharCode(...bytes.slice(from, to)).replace(/ +$/, '');
  let base = text(0, 8);
  let ext = text(8, 11);
  if (caseBits & CASE_LOWER_BASE) base = base.toLowerCase();
  if (caseBits & CASE_LOWER_EXT) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}

interface PendingLongName {
  readonly checksum: number;
  readonly parts: string[];
  next: number;
}

/**
 * Parses a directory's bytes into entries, joining long-name entries to the
 * short entry they precede. A long name whose sequence or checksum does not
 * match is ignored and the short name used, as the specification says.
 * Deleted entries, volume labels and `.`/`..` are left out; the end marker
 * (a first byte of 0) stops the scan.
 */
export function parseDirectory(bytes: Uint8Array, fatType: 12 | 16 | 32): DirEntry[] {
  const entries: DirEntry[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pending: PendingLongName | undefined;
  for (let index = 0; (index + 1) * DIR_ENTRY_SIZE <= bytes.length; index++) {
    const at = index * DIR_ENTRY_SIZE;
    const first = bytes[at];
    if (first === 0x00) break;
    if (first === DELETED) {
      pending = undefined;
      continue;
    }
    const attr = bytes[at + 11];
    if ((attr & 0x3f) === ATTR_LONG_NAME) {
      pending = longNamePart(bytes.subarray(at, at + DIR_ENTRY_SIZE), view, at, pending);
      continue;
    }
    const long = pending;
    pending = undefined;
    if (attr & ATTR_VOLUME_ID) continue;
    const raw = bytes.subarray(at, at + 11);
    const shortName = shortNameText(raw, 0);
    if (shortName === '.' || shortName === '..') continue;
    const longName = long && long.next === 0 && long.checksum === lfnChecksum(raw) ? long.parts.join('') : undefined;
    const high = fatType === 32 ? view.getUint16(at + 20, true) : 0;
    entries.push({
      name: longName ?? shortNameText(raw, bytes[at + 12]),
      shortName,
      isDirectory: (attr & ATTR_DIRECTORY) !== 0,
      firstCluster: (high << 16) | view.getUint16(at + 26, true),
      size: view.getUint32(at + 28, true),
      modified: fatTimestamp(view.getUint16(at + 24, true), view.getUint16(at + 22, true)),
      index,
    });
  }
  return entries;
}

function longNamePart(
  entry: Uint8Array,
  view: DataView,
  at: number,
  pending: PendingLongName | undefined,
): PendingLongName | undefined {
  const order = entry[0] & 0x1f;
  if (entry[0] & LAST_LONG_ENTRY) {
    // 20 entries of 13 characters cover the 255-character maximum.
    if (order === 0 || order > 20) return undefined;
    pending = { checksum: entry[13], parts: new Array<string>(order).fill(''), next: order };
  }
  if (!pending || order !== pending.next || entry[13] !== pending.checksum) return undefined;
  let text = '';
  for (const off of LFN_OFFSETS) {
    const unit = view.getUint16(at + off, true);
    if (unit === 0x0000) break;
    text += String.fromCharCode(unit);
  }
  pending.parts[order - 1] = text;
  pending.next = order - 1;
  return pending;
}
