import { LFN_CHARS } from '../directory-entry';

/** Characters allowed in an 8.3 name besides A-Z and 0-9. */
const SHORT_EXTRA = "!#$%&'()-@^_`{}~";
const isShortChar = (c: string) => /^[A-Z0-9]$/.test(c) || SHORT_EXTRA.includes(c);

export interface ShortName {
  /** The 11 bytes stored in the entry: base padded to 8, extension padded to 3. */
  readonly raw: Uint8Array;
  /** Whether long-name entries must precede it (the name is not exactly its 8.3 form). */
  readonly needsLongName: boolean;
}

function pack(base: string, ext: string): Uint8Array {
  return new Uint8Array(Buffer.from(base.padEnd(8, ' ') + ext.padEnd(3, ' '), 'latin1'));
}

/** `README.TXT` fits as it is; anything else gets a generated `BASIS~N.EXT` and a long name. */
function exactShortName(name: string): { base: string; ext: string } | undefined {
  const dot = name.lastIndexOf('.');
  const base = dot < 0 ? name : name.slice(0, dot);
  const ext = dot < 0 ? '' : name.slice(dot + 1);
  if (base.length < 1 || base.length > 8 || ext.length > 3 || (dot >= 0 && ext.length === 0)) return undefined;
  if (![...base, ...ext].every(isShortChar)) return undefined;
  return { base, ext };
}

/**
 * Gives every name of one directory its short name (Microsoft's "numeric
 * tail" method, simplified): unique within the directory, upper case, and
 * paired with long-name entries whenever the real name differs from it.
 */
export function assignShortNames(names: readonly string[]): ShortName[] {
  const taken = new Set<string>();
  const exact = names.map(exactShortName);
  for (const e of exact) if (e) taken.add(`${e.base}.${e.ext}`);
  return names.map((name, i) => {
    const e = exact[i];
    if (e) return { raw: pack(e.base, e.ext), needsLongName: false };
    const upper = name.toUpperCase().replace(/ /g, '').replace(/^\.+/, '');
    const dot = upper.lastIndexOf('.');
    const clean = (s: string) => [...s].map((c) => (isShortChar(c) ? c : '_')).join('');
    const basis = clean(dot < 0 ? upper : upper.slice(0, dot)).replace(/\./g, '') || '_';
    const ext = clean(dot < 0 ? '' : upper.slice(dot + 1)).slice(0, 3);
    for (let n = 1; ; n++) {
      const tail = `~${n}`;
      const base = basis.slice(0, 8 - tail.length) + tail;
      const key = `${base}.${ext}`;
      if (!taken.has(key)) {
        taken.add(key);
        return { raw: pack(base, ext), needsLongName: true };
      }
    }
  });
}

/** Long-name entries a name takes (13 UTF-16 units each). */
export function longNameEntries(name: string): number {
  return Math.ceil(name.length / LFN_CHARS);
}
