import { copyBytes, readIpv4, readMac, writeIpv4, writeMac } from './address';
import type { WireError } from './errors';

/**
 * DHCP messages (RFC 2131) and options (RFC 2132). Not on a hot path, so
 * this is a parse into a plain object and an emit from one.
 */
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const FIXED_LEN = 236;
const MAGIC = 0x63825363;

export const DhcpOp = { request: 1, reply: 2 } as const;

export const DhcpMessageType = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const;

export const DhcpOptionCode = {
  pad: 0,
  subnetMask: 1,
  router: 3,
  dnsServer: 6,
  hostName: 12,
  domainName: 15,
  broadcastAddress: 28,
  requestedIp: 50,
  leaseTime: 51,
  overload: 52,
  messageType: 53,
  serverId: 54,
  parameterRequestList: 55,
  message: 56,
  maxMessageSize: 57,
  renewalTime: 58,
  rebindingTime: 59,
  clientId: 61,
  end: 255,
} as const;

export interface DhcpOption {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface DhcpMessage {
  readonly op: number;
  readonly xid: number;
  readonly secs: number;
  readonly broadcast: boolean;
  readonly ciaddr: number;
  readonly yiaddr: number;
  readonly siaddr: number;
  readonly giaddr: number;
  /** The client's hardware address (Ethernet: the first 6 of the 16 chaddr bytes). */
  readonly chaddr: number;
  /** All 16 chaddr bytes, as sent. */
  readonly chaddrBytes: Uint8Array;
  readonly sname: string;
  readonly file: string;
  /** In the order they came; a code that appears twice is concatenated (RFC 3396). */
  readonly options: readonly DhcpOption[];
}

function cString(buf: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && buf[end] !== 0) end++;
  return Buffer.from(buf.buffer, buf.byteOffset + off, end - off).toString('latin1');
}

/** Reads options from [start, end) into `into`; false when the encoding is broken. */
function readOptions(
  buf: Uint8Array,
  start: number,
  end: number,
  into: Map<number, Uint8Array[]>,
  order: number[],
): boolean {
  let i = start;
  while (i < end) {
    const code = buf[i];
    if (code === DhcpOptionCode.end) return true;
    if (code === DhcpOptionCode.pad) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const len = buf[i + 1];
    if (i + 2 + len > end) return false;
    const parts = into.get(code);
    const data = copyBytes(buf, i + 2, i + 2 + len);
    if (parts) parts.push(data);
    else {
      into.set(code, [data]);
      order.push(code);
    }
    i += 2 + len;
  }
  // Running off the end without an END option is tolerated: many servers pad instead.
  return true;
}

export function parseDhcp(buf: Uint8Array, off: number, len: number): DhcpMessage | WireError {
  if (len < FIXED_LEN + 4) return 'truncated';
  if (readIpv4(buf, off + FIXED_LEN) !== MAGIC) return 'bad-magic';
  if (buf[off + 1] !== 1 || buf[off + 2] !== 6) return 'unsupported'; // Ethernet only
  const parts = new Map<number, Uint8Array[]>();
  const order: number[] = [];
  if (!readOptions(buf, off + FIXED_LEN + 4, off + len, parts, order)) return 'bad-options';
  const overload = parts.get(DhcpOptionCode.overload)?.[0]?.[0] ?? 0;
  if (overload & 1 && !readOptions(buf, off + 108, off + 236, parts, order)) return 'bad-options';
  if (overload & 2 && !readOptions(buf, off + 44, off + 108, parts, order)) return 'bad-options';
  const options = order.map((code) => {
    const p = parts.get(code) ?? [];
    return { code, data: p.length === 1 ? p[0] : Buffer.concat(p) };
  });
  return {
    op: buf[off],
    xid: readIpv4(buf, off + 4),
    secs: (buf[off + 8] << 8) | buf[off + 9],
    broadcast: (buf[off + 10] & 0x80) !== 0,
    ciaddr: readIpv4(buf, off + 12),
    yiaddr: readIpv4(buf, off + 16),
    siaddr: readIpv4(buf, off + 20),
    giaddr: readIpv4(buf, off + 24),
    chaddr: readMac(buf, off + 28),
    chaddrBytes: copyBytes(buf, off + 28, off + 44),
    sname: overload & 2 ? '' : cString(buf, off + 44, 64),
    file: overload & 1 ? '' : cString(buf, off + 108, 128),
    options,
  };
}

export interface DhcpMessageFields {
  readonly op: number;
  readonly xid: number;
  readonly secs?: number;
  readonly broadcast?: boolean;
  readonly ciaddr?: number;
  readonly yiaddr?: number;
  readonly siaddr?: number;
  readonly giaddr?: number;
  readonly chaddr: number;
  readonly options: readonly DhcpOption[];
}

/** Encodes a message; `padTo` fills with PAD options after END up to that length (BOOTP wants >= 300). */
export function emitDhcp(f: DhcpMessageFields, padTo = 300): Uint8Array {
  const optionsLen = f.options.reduce((n, o) => n + 2 + o.data.length, 0) + 1;
  const buf = new Uint8Array(Math.max(padTo, FIXED_LEN + 4 + optionsLen));
  buf[0] = f.op;
  buf[1] = 1;
  buf[2] = 6;
  writeIpv4(buf, 4, f.xid);
  buf[8] = (f.secs ?? 0) >>> 8;
  buf[9] = f.secs ?? 0;
  buf[10] = f.broadcast ? 0x80 : 0;
  writeIpv4(buf, 12, f.ciaddr ?? 0);
  writeIpv4(buf, 16, f.yiaddr ?? 0);
  writeIpv4(buf, 20, f.siaddr ?? 0);
  writeIpv4(buf, 24, f.giaddr ?? 0);
  writeMac(buf, 28, f.chaddr);
  writeIpv4(buf, FIXED_LEN, MAGIC);
  let i = FIXED_LEN + 4;
  for (const o of f.options) {
    if (o.data.length > 255) throw new RangeError(`DHCP option ${o.code} is longer than 255 bytes`);
    buf[i] = o.code;
    buf[i + 1] = o.data.length;
    buf.set(o.data, i + 2);
    i += 2 + o.data.length;
  }
  buf[i] = DhcpOptionCode.end;
  return buf;
}

/** Helpers to read typed option values. */
export function optionData(m: DhcpMessage, code: number): Uint8Array | undefined {
  return m.options.find((o) => o.code === code)?.data;
}

export function addressesOf(data: Uint8Array | undefined): number[] {
  const out: number[] = [];
  if (!data) return out;
  for (let i = 0; i + 4 <= data.length; i += 4) out.push(readIpv4(data, i));
  return out;
}

export function u32Of(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 4 ? readIpv4(data, 0) : undefined;
}

export function ipOption(code: number, ...ips: number[]): DhcpOption {
  const data = new Uint8Array(4 * ips.length);
  ips.forEach((ip, i) => writeIpv4(data, 4 * i, ip));
  return { code, data };
}

export function u32Option(code: number, value: number): DhcpOption {
  return ipOption(code, value >>> 0);
}

export function byteOption(code: number, ...bytes: number[]): DhcpOption {
  return { code, data: Uint8Array.from(bytes) };
}
