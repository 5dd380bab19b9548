/**
 * Addresses inside the stack are plain numbers: an IPv4 address is an
 * unsigned 32-bit integer and a MAC a 48-bit one (exact in a double), so they
 * compare with `===` and key Maps without building strings per packet. The
 * strings of @mirage-ts/types appear only at the edges.
 */

export const BROADCAST_MAC = 0xffff_ffff_ffff;
export const ANY_IPV4 = 0;
export const BROADCAST_IPV4 = 0xffff_ffff;

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `10.0.0.2` -> 0x0a000002, or null when it is not a dotted quad. */
export function parseIpv4(text: string): number | null {
  const m = QUAD.exec(text.trim());
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255) return null;
    n = n * 256 + part;
  }
  return n;
}

export function formatIpv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** `10.0.0.2/24` -> address and netmask, or null. */
export function parseIpv4Prefix(text: string): { address: number; netmask: number } | null {
  const [addr, bits, ...rest] = text.trim().split('/');
  if (rest.length > 0 || bits === undefined || !/^\d{1,2}$/.test(bits)) return null;
  const address = parseIpv4(addr);
  const prefix = Number(bits);
  if (address === null || prefix > 32) return null;
  return { address, netmask: prefixToNetmask(prefix) };
}

export function prefixToNetmask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffff_ffff << (32 - prefix)) >>> 0;
}

export function readIpv4(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

export function writeIpv4(buf: Uint8Array, off: number, ip: number): void {
  buf[off] = ip >>> 24;
  buf[off + 1] = ip >>> 16;
  buf[off + 2] = ip >>> 8;
  buf[off + 3] = ip;
}

const MAC = /^([0-9a-f]{2})(?::([0-9a-f]{2})){5}$/i;

/** `aa:bb:cc:dd:ee:ff` -> 48-bit number, or null. */
export function parseMac(text: string): number | null {
  const t = text.trim();
  if (!MAC.test(t)) return null;
  return parseInt(t.replace(/:/g, ''), 16);
}

export function formatMac(mac: number): string {
  return mac
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}

export function readMac(buf: Uint8Array, off: number): number {
  return (
    ((buf[off] << 8) | buf[off + 1]) * 0x1_0000_0000 +
    (((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0)
  );
}

export function writeMac(buf: Uint8Array, off: number, mac: number): void {
  const hi = Math.floor(mac / 0x1_0000_0000);
  const lo = mac >>> 0;
  buf[off] = hi >>> 8;
  buf[off + 1] = hi;
  buf[off + 2] = lo >>> 24;
  buf[off + 3] = lo >>> 16;
  buf[off + 4] = lo >>> 8;
  buf[off + 5] = lo;
}

/** True for the group (multicast and broadcast) MACs: the low bit of the first byte. */
export function isGroupMac(mac: number): boolean {
  return Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}

/** 224.0.0.0/4. */
export function isMulticastIpv4(ip: number): boolean {
  return ip >>> 28 === 0xe;
}

/** The Ethernet group address an IPv4 multicast maps to (RFC 1112: 01:00:5e + low 23 bits). */
export function multicastMac(ip: number): number {
  return 0x01005e * 0x100_0000 + (ip & 0x7f_ffff);
}

/**
 * A copy of bytes [start, end): what a layer keeps after the frame is gone.
 * Not `buf.slice`, which on a Node Buffer is a view of the same memory.
 */
export function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(buf.subarray(start, end));
  return out;
}

/**
 * An IPv6 address inside the stack is a 128-bit bigint: it compares with
 * `===`, keys a Map by value, and its type tells it apart from an IPv4
 * number, so the transport layers above both carry `IpAddress` unchanged.
 */
export type IpAddress = number | bigint;

export const ANY_IPV6 = 0n;
const MASK64 = 0xffff_ffff_ffff_ffffn;

/**
 * Parsing and printing IPv6 text costs far more than IPv4's, and a stack
 * sees the same few addresses over and over (every write names its peer,
 * every datagram delivered prints its source): both go through a small
 * cache, emptied when full so forged addresses cannot grow it.
 */
const CACHE_SIZE = 256;
const parsed = new Map<string, bigint | null>();
const printed = new Map<bigint, string>();

/** `fc00::2` (RFC 4291 2.2, with an embedded dotted quad allowed at the end) -> bigint, or null. */
export function parseIpv6(text: string): bigint | null {
  const hit = parsed.get(text);
  if (hit !== undefined) return hit;
  const ip = parseIpv6Uncached(text);
  if (parsed.size >= CACHE_SIZE) parsed.clear();
  parsed.set(text, ip);
  return ip;
}

function parseIpv6Uncached(text: string): bigint | null {
  let t = text.trim();
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  if (t.length === 0 || t.length > 45) return null;
  if (t.includes('.')) {
    // An embedded dotted quad (::ffff:10.0.0.1) is the last two words.
    const lastColon = t.lastIndexOf(':');
    const v4 = parseIpv4(t.slice(lastColon + 1));
    if (v4 === null) return null;
    t = `${t.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return null;
  const words = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const part of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(part)) return null;
      out.push(parseInt(part, 16));
    }
    return out;
  };
  const head = words(halves[0]);
  const rest = halves.length === 2 ? words(halves[1]) : [];
  if (head === null || rest === null) return null;
  const given = head.length + rest.length;
  let all: number[];
  if (halves.length === 2) {
    if (given > 7) return null;
    all = [...head, ...new Array<number>(8 - given).fill(0), ...rest];
  } else {
    if (given !== 8) return null;
    all = head;
  }
  let n = 0n;
  for (const w of all) n = (n << 16n) | BigInt(w);
  return n;
}

/** The RFC 5952 text form: lower case, the longest run of two or more zero words as `::`. */
export function formatIpv6(ip: bigint): string {
  const hit = printed.get(ip);
  if (hit !== undefined) return hit;
  const text = formatIpv6Uncached(ip);
  if (printed.size >= CACHE_SIZE) printed.clear();
  printed.set(ip, text);
  return text;
}

function formatIpv6Uncached(ip: bigint): string {
  const w: number[] = [];
  for (let i = 7; i >= 0; i--) w.push(Number((ip >> BigInt(i * 16)) & 0xffffn));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}

/** `fc00::2/64` -> address and prefix length (64 when none is written), or null. */
export function parseIpv6Prefix(text: string): { address: bigint; prefixLength: number } | null {
  const [addr, bits, ...rest] = text.trim().split('/');
  if (rest.length > 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) return null;
  const address = parseIpv6(addr);
  const prefixLength = bits === undefined ? 64 : Number(bits);
  if (address === null || prefixLength > 128) return null;
  return { address, prefixLength };
}

export function readIpv6(buf: Uint8Array, off: number): bigint {
  const v = new DataView(buf.buffer, buf.byteOffset + off, 16);
  return (v.getBigUint64(0) << 64n) | v.getBigUint64(8);
}

export function writeIpv6(buf: Uint8Array, off: number, ip: bigint): void {
  const v = new DataView(buf.buffer, buf.byteOffset + off, 16);
  v.setBigUint64(0, (ip >> 64n) & MASK64);
  v.setBigUint64(8, ip & MASK64);
}

/** The unfolded sum of the address's eight 16-bit words (for pseudo-header checksums). */
export function ipv6WordSum(ip: bigint): number {
  return sum64(ip >> 64n) + sum64(ip & MASK64);
}

function sum64(x: bigint): number {
  const a = Number((x >> 32n) & 0xffff_ffffn);
  const b = Number(x & 0xffff_ffffn);
  return (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff);
}

/** True for ff00::/8. */
export function isMulticastIpv6(ip: bigint): boolean {
  return ip >> 120n === 0xffn;
}

/** True for fe80::/10. */
export function isLinkLocalIpv6(ip: bigint): boolean {
  return ip >> 118n === 0x3fan;
}

/** ff02::1, every node on the link. */
export const ALL_NODES_IPV6 = (0xff02n << 112n) | 1n;
/** ff02::2, every router on the link. */
export const ALL_ROUTERS_IPV6 = (0xff02n << 112n) | 2n;
/** The loopback ::1. */
export const LOOPBACK_IPV6 = 1n;

/** The solicited-node multicast group of `ip` (RFC 4291 2.7.1: ff02::1:ffXX:XXXX). */
export function solicitedNode(ip: bigint): bigint {
  return (0xff02n << 112n) | 0x1_ff00_0000n | (ip & 0xff_ffffn);
}

/** The Ethernet group address an IPv6 multicast maps to (RFC 2464 7: 33:33 + the low 32 bits). */
export function multicastMacIpv6(ip: bigint): number {
  return 0x3333 * 0x1_0000_0000 + Number(ip & 0xffff_ffffn);
}

/** The modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A): the link-local suffix SLAAC uses. */
export function interfaceIdFromMac(mac: number): bigint {
  const hi = Math.floor(mac / 0x100_0000) ^ 0x02_0000; // the universal/local bit flipped
  const lo = mac % 0x100_0000;
  return (BigInt(hi) << 40n) | (0xfffen << 24n) | BigInt(lo);
}

/** The address in `prefix`/`length` (bits beyond it cleared). */
export function ipv6PrefixOf(ip: bigint, prefixLength: number): bigint {
  if (prefixLength === 0) return 0n;
  const shift = BigInt(128 - prefixLength);
  return (ip >> shift) << shift;
}

/** Any address, for messages: an IPv4 number or an IPv6 bigint. */
export function formatIpAddress(ip: IpAddress): string {
  return typeof ip === 'bigint' ? formatIpv6(ip) : formatIpv4(ip);
}
