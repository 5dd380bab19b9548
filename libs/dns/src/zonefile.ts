/**
 * The master-file format (RFC 1035 §5, with $TTL from RFC 2308 and unknown
 * types from RFC 3597). Written here because no npm parser reads the
 * skeleton's test.zone (escapes, omitted owners, obsolete types, quoted
 * base64): see FACTS.md.
 */
import { Name } from './name';
import { parseRData, type Token } from './rdata';
import type { Rr } from './record';
import { classNumber, typeNumber } from './types';

/** A record and the line of the file it starts on. */
export interface ZoneRecord extends Rr {
  readonly line: number;
}

/** A line the parser cannot read; the message reads `file:line: what is wrong`. */
export class ZoneFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ZoneFileError';
  }
}

interface Entry {
  readonly line: number;
  /** The entry began with a blank: its owner is the previous record's. */
  readonly blankOwner: boolean;
  readonly tokens: Token[];
}

/** Splits the text into entries: one per line, or more lines inside parentheses. */
function* entries(text: string, file: string): Generator<Entry> {
  let line = 1;
  let depth = 0;
  let tokens: Token[] = [];
  let start = 1;
  let blankOwner = false;
  let atLineStart = true;
  const fail = (msg: string) => new ZoneFileError(file, line, msg);
  let i = 0;
  const flush = function* (): Generator<Entry> {
    if (tokens.length > 0) yield { line: start, blankOwner, tokens };
    tokens = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (atLineStart && depth === 0) {
      start = line;
      blankOwner = c === ' ' || c === '\t';
      atLineStart = false;
    }
    if (c === '\n') {
      line++;
      i++;
      if (depth === 0) {
        yield* flush();
        atLineStart = true;
      }
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '(') {
      depth++;
      i++;
    } else if (c === ')') {
      if (depth === 0) throw fail('")" without a matching "("');
      depth--;
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) {
          s += text[j] + text[j + 1];
          j += 2;
        } else {
          if (text[j] === '\n') throw fail('a quoted string runs past the end of the line; close it with "');
          s += text[j++];
        }
      }
      if (j >= text.length) throw fail('a quoted string is not closed; add "');
      tokens.push({ text: s, quoted: true });
      i = j + 1;
    } else {
      let s = '';
      while (i < text.length && !/[\s;()"]/.test(text[i])) {
        if (text[i] === '\\' && i + 1 < text.length) {
          s += text[i] + text[i + 1];
          i += 2;
        } else s += text[i++];
      }
      tokens.push({ text: s, quoted: false });
    }
  }
  if (depth > 0) throw new ZoneFileError(file, start, '"(" is never closed; add ")"');
  yield* flush();
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A TTL: seconds, or BIND's units (1h30m); undefined when the token is not one. */
function ttlOf(text: string): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text) < 2 ** 31 ? Number(text) : undefined;
  if (!/^([0-9]+[smhdwSMHDW])+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)([a-zA-Z])/g)) total += Number(m[1]) * TTL_UNITS[m[2].toLowerCase()];
  return total < 2 ** 31 ? total : undefined;
}

export interface ParseOptions {
  /** The file's name in error messages. */
  readonly file?: string;
  /** The origin before any $ORIGIN line. */
  readonly origin?: string;
}

/** Parses a whole master file; the first bad line throws a ZoneFileError. */
export function parseZoneFile(text: string, options: ParseOptions = {}): ZoneRecord[] {
  const file = options.file ?? 'zone';
  let origin: Name | undefined = options.origin ? Name.parse(options.origin) : undefined;
  let defaultTtl: number | undefined;
  let lastTtl: number | undefined;
  let lastClass = 1;
  let lastOwner: Name | undefined;
  const out: ZoneRecord[] = [];
  for (const e of entries(text, file)) {
    const fail = (msg: string) => new ZoneFileError(file, e.line, msg);
    const toks = e.tokens;
    const first = toks[0];
    if (!e.blankOwner && !first.quoted && first.text.startsWith('$')) {
      const dir = first.text.toUpperCase();
      if (dir === '$ORIGIN') {
        if (toks.length !== 2) throw fail('$ORIGIN takes one domain name');
        try {
          origin = Name.parse(toks[1].text, origin);
        } catch (err) {
          throw fail(`$ORIGIN: ${(err as Error).message}`);
        }
      } else if (dir === '$TTL') {
        const ttl = toks.length === 2 ? ttlOf(toks[1].text) : undefined;
        if (ttl === undefined) throw fail('$TTL takes one TTL in seconds (or 1h, 2d...)');
        defaultTtl = ttl;
      } else throw fail(`${first.text} is not supported here ($ORIGIN and $TTL are)`);
      continue;
    }
    let k = 0;
    let owner: Name;
    if (e.blankOwner) {
      if (!lastOwner) throw fail('the first record has no owner name; start the line with one');
      owner = lastOwner;
    } else {
      try {
        owner = Name.parse(toks[0].text, origin);
      } catch (err) {
        throw fail(`owner name: ${(err as Error).message}`);
      }
      k = 1;
    }
    let ttl: number | undefined;
    let cls: number | undefined;
    for (let n = 0; n < 2 && k < toks.length; n++) {
      const t = toks[k].text;
      if (ttl === undefined && !toks[k].quoted && ttlOf(t) !== undefined) ttl = ttlOf(t);
      else if (cls === undefined && !toks[k].quoted && classNumber(t) !== undefined) cls = classNumber(t);
      else break;
      k++;
    }
    if (k >= toks.length) throw fail('the record has no type');
    const type = typeNumber(toks[k].text);
    if (type === undefined) throw fail(`unknown type "${toks[k].text}" (use TYPEnnn and \\# for unknown types)`);
    if (ttl !== undefined) lastTtl = ttl;
    else ttl = defaultTtl ?? lastTtl;
    if (ttl === undefined) throw fail('no TTL: give the record one or add a $TTL line');
    if (cls !== undefined) lastClass = cls;
    let rdata;
    try {
      rdata = parseRData(type, toks.slice(k + 1), origin);
    } catch (err) {
      throw fail(`${toks[k].text.toUpperCase()}: ${(err as Error).message}`);
    }
    lastOwner = owner;
    out.push({ name: owner, type, class: cls ?? lastClass, ttl, rdata, line: e.line });
  }
  return out;
}
