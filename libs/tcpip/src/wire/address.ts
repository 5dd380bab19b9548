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
