/**
 * The xenstore wire protocol (Xen's public/io/xs_wire.h), as a guest speaks it
 * through /dev/xen/xenbus: each message is a 16-byte header `struct
 * xsd_sockmsg { u32 type, req_id, tx_id, len }` in the host's byte order
 * (little-endian on x86) and `len` bytes of payload, at most 4096. Pure
 * functions only: no I/O, so every malformed reply can be tested.
 */

/** The message types this library sends or expects (values from xs_wire.h). */
export const XsType = {
  DIRECTORY: 1,
  READ: 2,
  WATCH: 4,
  UNWATCH: 5,
  WRITE: 11,
  WATCH_EVENT: 15,
  ERROR: 16,
} as const;
export type XsTypeName = keyof typeof XsType;

export const HEADER_BYTES = 16;
/** XENSTORE_PAYLOAD_MAX: the daemon and the kernel driver refuse longer messages. */
export const PAYLOAD_MAX = 4096;
/** XENSTORE_ABS_PATH_MAX. */
export const PATH_MAX = 3072;

export interface XsMessage {
  readonly type: number;
  readonly reqId: number;
  readonly txId: number;
  readonly payload: Buffer;
}

/** A reply or event that does not follow the protocol: the connection cannot be trusted after it. */
export class XsProtocolError extends Error {
  constructor(message: string) {
    super(`xenstore protocol error: ${message}`);
    this.name = 'XsProtocolError';
  }
}

/** A request the store could never accept (bad path, too long): the caller's mistake, found before sending. */
export class XsRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XsRequestError';
  }
}

export function typeName(type: number): string {
  const name = (Object.keys(XsType) as XsTypeName[]).find((k) => XsType[k] === type);
  return name ? `XS_${name}` : `type ${type}`;
}

export function encodeMessage(m: { type: number; reqId: number; txId?: number; payload: Uint8Array }): Buffer {
  if (m.payload.length > PAYLOAD_MAX) {
    throw new XsRequestError(
      `a ${typeName(m.type)} request of ${m.payload.length} bytes is longer than xenstore's ${PAYLOAD_MAX}-byte limit`,
    );
  }
  const out = Buffer.alloc(HEADER_BYTES + m.payload.length);
  out.writeUInt32LE(m.type, 0);
  out.writeUInt32LE(m.reqId >>> 0, 4);
  out.writeUInt32LE((m.txId ?? 0) >>> 0, 8);
  out.writeUInt32LE(m.payload.length, 12);
  out.set(m.payload, HEADER_BYTES);
  return out;
}

/**
 * Splits the byte stream read from the device into messages: a read may end
 * inside a message or hold several (the driver copies whatever is queued).
 */
export class XsFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): XsMessage[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    const out: XsMessage[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const len = this.pending.readUInt32LE(12);
      if (len > PAYLOAD_MAX) {
        throw new XsProtocolError(
          `a message header announces ${len} bytes of payload (${typeName(this.pending.readUInt32LE(0))}), more than the ${PAYLOAD_MAX} allowed`,
        );
      }
      if (this.pending.length < HEADER_BYTES + len) break;
      out.push({
        type: this.pending.readUInt32LE(0),
        reqId: this.pending.readUInt32LE(4),
        txId: this.pending.readUInt32LE(8),
        payload: Buffer.from(this.pending.subarray(HEADER_BYTES, HEADER_BYTES + len)),
      });
      this.pending = this.pending.subarray(HEADER_BYTES + len);
    }
    return out;
  }

  /** Bytes of a message not yet complete (a stream that ends here was cut). */
  get buffered(): number {
    return this.pending.length;
  }
}

function checkPath(path: string): void {
  if (path.length === 0) throw new XsRequestError('a xenstore path cannot be empty');
  if (path.includes('\0')) throw new XsRequestError(`the xenstore path ${JSON.stringify(path)} contains a NUL byte`);
  if (Buffer.byteLength(path) > PATH_MAX) {
    throw new XsRequestError(`the xenstore path is ${Buffer.byteLength(path)} bytes long, more than ${PATH_MAX}`);
  }
}

const nul = (s: string) => Buffer.from(`${s}\0`, 'utf8');

/** XS_READ and XS_DIRECTORY: the path, NUL-terminated. */
export function pathPayload(path: string): Buffer {
  checkPath(path);
  return nul(path);
}

/** XS_WRITE: the path, NUL, then the value's bytes (not terminated). */
export function writePayload(path: string, value: string | Uint8Array): Buffer {
  checkPath(path);
  return Buffer.concat([nul(path), typeof value === 'string' ? Buffer.from(value, 'utf8') : value]);
}

/** XS_WATCH and XS_UNWATCH: path and token, each NUL-terminated. */
export function watchPayload(path: string, token: string): Buffer {
  checkPath(path);
  if (token.includes('\0')) throw new XsRequestError(`the watch token ${JSON.stringify(token)} contains a NUL byte`);
  return Buffer.concat([nul(path), nul(token)]);
}

/** A reply of type XS_ERROR carries the errno's name (`ENOENT`), NUL-terminated. */
export function parseError(payload: Buffer): string {
  const text = payload.toString('latin1').replace(/\0$/, '');
  if (!/^E[A-Z0-9]+$/.test(text)) {
    throw new XsProtocolError(`an XS_ERROR reply should name an errno (ENOENT...), got ${JSON.stringify(text)}`);
  }
  return text;
}

/** XS_WRITE, XS_WATCH and XS_UNWATCH answer `OK`, NUL-terminated. */
export function parseOk(type: number, payload: Buffer): void {
  const text = payload.toString('latin1');
  if (text !== 'OK\0' && text !== 'OK') {
    throw new XsProtocolError(`a ${typeName(type)} reply should be "OK", got ${JSON.stringify(text)}`);
  }
}

/** XS_DIRECTORY answers each child's name followed by NUL (nothing for no children). */
export function parseDirectory(payload: Buffer): string[] {
  if (payload.length === 0) return [];
  if (payload[payload.length - 1] !== 0) {
    throw new XsProtocolError('an XS_DIRECTORY reply should end with a NUL byte');
  }
  const names = payload
    .subarray(0, payload.length - 1)
    .toString('utf8')
    .split('\0');
  if (names.some((n) => n.length === 0)) throw new XsProtocolError('an XS_DIRECTORY reply holds an empty name');
  return names;
}

/** XS_WATCH_EVENT: the path that changed and the watch's token, each NUL-terminated. */
export function parseWatchEvent(payload: Buffer): { path: string; token: string } {
  const parts = payload.toString('utf8').split('\0');
  // "path\0token\0" splits into [path, token, ''].
  if (parts.length !== 3 || parts[2] !== '' || parts[0] === '') {
    throw new XsProtocolError(
      `an XS_WATCH_EVENT should hold a path and a token, each NUL-terminated, got ${JSON.stringify(payload.toString('latin1'))}`,
    );
  }
  return { path: parts[0], token: parts[1] };
}
