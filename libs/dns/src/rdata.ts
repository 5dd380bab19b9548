/**
 * Record data as a list of fields: domain names (so that encoding can
 * compress them and lookups can follow them) and opaque bytes. Each known
 * type has a layout that says where its names are; every other type is
 * opaque bytes (RFC 3597).
 */
import { Name } from './name';
import { RRTYPES, typeNumber } from './types';

export type RField = { readonly name: Name } | { readonly bytes: Uint8Array };
export type RData = readonly RField[];

/** A wire layout: names, fixed-size byte runs, or the rest of the rdata. */
type Part = 'name' | 'rest' | number;

const T = RRTYPES;
const LAYOUT = new Map<number, readonly Part[]>([
  [T.A, [4]],
  [T.NS, ['name']],
  [T.MD, ['name']],
  [T.MF, ['name']],
  [T.CNAME, ['name']],
  [T.SOA, ['name', 'name', 20]],
  [T.MB, ['name']],
  [T.MG, ['name']],
  [T.MR, ['name']],
  [T.PTR, ['name']],
  [T.MINFO, ['name', 'name']],
  [T.MX, [2, 'name']],
  [T.RP, ['name', 'name']],
  [T.AFSDB, [2, 'name']],
  [T.RT, [2, 'name']],
  [T.AAAA, [16]],
  [T.SRV, [6, 'name']],
  [T.RRSIG, [18, 'name', 'rest']],
]);

export function layoutOf(type: number): readonly Part[] {
  return LAYOUT.get(type) ?? ['rest'];
}

/**
 * Types whose names may be compressed on the wire: RFC 1035's own (RFC 3597
 * §4 forbids compressing the names of any later type).
 */
export const COMPRESSIBLE = new Set([T.NS, T.MD, T.MF, T.CNAME, T.SOA, T.MB, T.MG, T.MR, T.PTR, T.MINFO, T.MX]);

/** Types whose target names get their addresses added to the additional section. */
export const ADDITIONAL_TARGET = new Map<number, number>([
  [T.NS, 0],
  [T.MX, 1],
  [T.SRV, 1],
]);

export function rdataNames(rdata: RData): Name[] {
  return rdata.flatMap((f) => ('name' in f ? [f.name] : []));
}

/** Canonical text of rdata, for comparison and dedup: names in lower case, bytes in hex. */
export function rdataKey(rdata: RData): string {
  return rdata.map((f) => ('name' in f ? f.name.key : Buffer.from(f.bytes).toString('hex'))).join(' ');
}

// ---- master-file rdata (RFC 1035 §5, RFC 3597 §5) ----

export interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

const bytes = (...parts: (number[] | Uint8Array)[]): RField => ({
  bytes: Uint8Array.from(parts.flatMap((p) => [...p])),
});

function uint(text: string, bits: 8 | 16 | 32, what: string): number[] {
  if (!/^[0-9]+$/.test(text)) throw new Error(`${what}: "${text}" is not a number`);
  const v = Number(text);
  if (v >= 2 ** bits) throw new Error(`${what}: ${text} does not fit in ${bits} bits`);
  const out: number[] = [];
  for (let s = bits - 8; s >= 0; s -= 8) out.push(Math.floor(v / 2 ** s) % 256);
  return out;
}

/** A <character-string>: escapes resolved, at most 255 bytes, length-prefixed. */
function charString(tok: Token): number[] {
  const b: number[] = [];
  const t = tok.text;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '\\') {
      const d = t.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d) && Number(d) <= 255) {
        b.push(Number(d));
        i += 3;
      } else if (i + 1 < t.length) b.push(...Buffer.from(t[++i], 'utf8'));
      else throw new Error(`"${t}" ends with a lone backslash`);
    } else b.push(...Buffer.from(t[i], 'utf8'));
  }
  if (b.length > 255) throw new Error(`character string of ${b.length} bytes (255 allowed)`);
  return [b.length, ...b];
}

export function ipv4Bytes(text: string): number[] {
  const m = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/.exec(text);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) throw new Error(`"${text}" is not an IPv4 address`);
  return m.slice(1).map(Number);
}

export function ipv6Bytes(text: string): number[] {
  const bad = () => new Error(`"${text}" is not an IPv6 address`);
  // An embedded IPv4 tail (::13.1.68.3) is two 16-bit groups.
  const v4 = /(^|:)([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)$/.exec(text);
  let t = text;
  if (v4) {
    const b = ipv4Bytes(v4[2]);
    t =
      t.slice(0, t.length - v4[2].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) throw bad();
  const parse = (s: string) =>
    (s === '' ? [] : s.split(':')).map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
      return parseInt(g, 16);
    });
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const have = head.length + rest.length;
  if (halves.length === 1 ? have !== 8 : have > 7) throw bad();
  const words = [...head, ...new Array<number>(8 - have).fill(0), ...rest];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17 };
const SERVICES: Record<string, number> = {
  echo: 7,
  discard: 9,
  daytime: 13,
  chargen: 19,
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  time: 37,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  finger: 79,
  http: 80,
  pop3: 110,
  sunrpc: 111,
  ntp: 123,
  imap: 143,
  snmp: 161,
  https: 443,
};

function wks(toks: Token[]): RField[] {
  if (toks.length < 2) throw new Error('WKS needs an address, a protocol and services');
  const addr = ipv4Bytes(toks[0].text);
  const p = toks[1].text.toLowerCase();
  const proto = PROTOCOLS[p] ?? (/^[0-9]+$/.test(p) ? uint(p, 8, 'WKS protocol')[0] : undefined);
  if (proto === undefined) throw new Error(`WKS protocol "${toks[1].text}" is not tcp, udp or a number`);
  const ports = toks.slice(2).map((t) => {
    const s = t.text.toLowerCase();
    const port = SERVICES[s] ?? (/^[0-9]+$/.test(s) ? Number(s) : undefined);
    if (port === undefined || port > 65535) throw new Error(`WKS service "${t.text}" is not known; use a port number`);
    return port;
  });
  const bitmap = new Array(ports.length ? (Math.max(...ports) >> 3) + 1 : 0).fill(0);
  for (const port of ports) bitmap[port >> 3] |= 0x80 >> (port & 7);
  return [bytes(addr, [proto], bitmap)];
}

function base64(toks: Token[], what: string): number[] {
  const text = toks.map((t) => t.text).join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error(`${what} is not base64`);
  return [...Buffer.from(text, 'base64')];
}

function rrsigTime(text: string): number[] {
  if (/^[0-9]{14}$/.test(text)) {
    const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((i, k) => Number(text.slice(i, k === 0 ? 4 : i + 2)));
    return uint(String(Math.floor(Date.UTC(y, mo - 1, d, h, mi, s) / 1000) % 2 ** 32), 32, 'RRSIG time');
  }
  return uint(text, 32, 'RRSIG time');
}

/** RFC 3597 §5: `\# <length> <hex...>`. */
function generic(toks: Token[]): RField[] {
  const len = toks[1]?.text;
  if (!len || !/^[0-9]+$/.test(len)) throw new Error('\\# needs a length in bytes');
  const hex = toks
    .slice(2)
    .map((t) => t.text)
    .join('');
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`\\# data "${hex}" is not hexadecimal`);
  if (hex.length / 2 !== Number(len)) throw new Error(`\\# says ${len} bytes but has ${hex.length / 2}`);
  return [bytes(Buffer.from(hex, 'hex'))];
}

/** Parses the rdata tokens of one record of `type`. Throws an Error whose message names the problem. */
export function parseRData(type: number, toks: Token[], origin: Name | undefined): RData {
  if (toks[0] && !toks[0].quoted && toks[0].text === '\\#') return generic(toks);
  const name = (i: number): RField => {
    const t = toks[i];
    if (!t) throw new Error('a domain name is missing');
    return { name: Name.parse(t.text, origin) };
  };
  const count = (n: number, m = n) => {
    if (toks.length < n || toks.length > m)
      throw new Error(`expected ${n === m ? n : `${n} to ${m}`} fields, found ${toks.length}`);
  };
  const u16 = (i: number, what: string) => uint(toks[i].text, 16, what);
  switch (type) {
    case T.A:
      count(1);
      return [bytes(ipv4Bytes(toks[0].text))];
    case T.AAAA:
      count(1);
      return [bytes(ipv6Bytes(toks[0].text))];
    case T.NS:
    case T.MD:
    case T.MF:
    case T.CNAME:
    case T.MB:
    case T.MG:
    case T.MR:
    case T.PTR:
      count(1);
      return [name(0)];
    case T.MINFO:
    case T.RP:
      count(2);
      return [name(0), name(1)];
    case T.SOA:
      count(7);
      return [
        name(0),
        name(1),
        bytes(...toks.slice(2).map((t, i) => uint(t.text, 32, ['serial', 'refresh', 'retry', 'expire', 'minimum'][i]))),
      ];
    case T.MX:
    case T.AFSDB:
    case T.RT:
      count(2);
      return [bytes(u16(0, 'preference')), name(1)];
    case T.SRV:
      count(4);
      return [bytes(u16(0, 'priority'), u16(1, 'weight'), u16(2, 'port')), name(3)];
    case T.HINFO:
      count(2);
      return [bytes(charString(toks[0]), charString(toks[1]))];
    case T.TXT:
      if (toks.length === 0) throw new Error('TXT needs at least one string');
      return [bytes(toks.flatMap(charString))];
    case T.X25:
      count(1);
      return [bytes(charString(toks[0]))];
    case T.ISDN:
      count(1, 2);
      return [bytes(...toks.map(charString))];
    case T.WKS:
      return wks(toks);
    case T.DNSKEY:
      if (toks.length < 4) throw new Error('DNSKEY needs flags, protocol, algorithm and a key');
      return [
        bytes(
          u16(0, 'flags'),
          uint(toks[1].text, 8, 'protocol'),
          uint(toks[2].text, 8, 'algorithm'),
          base64(toks.slice(3), 'the key'),
        ),
      ];
    case T.RRSIG: {
      if (toks.length < 9) throw new Error('RRSIG needs 9 fields');
      const covered = typeNumber(toks[0].text);
      if (covered === undefined) throw new Error(`RRSIG covers unknown type "${toks[0].text}"`);
      return [
        bytes(
          uint(String(covered), 16, 'type'),
          uint(toks[1].text, 8, 'algorithm'),
          uint(toks[2].text, 8, 'labels'),
          uint(toks[3].text, 32, 'original TTL'),
          rrsigTime(toks[4].text),
          rrsigTime(toks[5].text),
          u16(6, 'key tag'),
        ),
        name(7),
        bytes(base64(toks.slice(8), 'the signature')),
      ];
    }
    default:
      throw new Error(`type ${type} has no text form here; write its data as \\# <length> <hex> (RFC 3597)`);
  }
}
