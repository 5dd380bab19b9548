/**
 * The DNS message format (RFC 1035 §4) with name compression on encode.
 * Written here because dns-packet does not compress and leaves most of the
 * zone's types as raw bytes (FACTS.md). Decoding never throws: a malformed
 * message is an error value.
 */
import { err, ok, type Result } from '@mirage-ts/types';
import { Name } from './name';
import { COMPRESSIBLE, layoutOf, type RData, type RField } from './rdata';
import type { Rr } from './record';
import { TYPE } from './types';

export interface Question {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
}

export interface Flags {
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
  /** The low 4 bits of the response code (the OPT record holds the rest). */
  readonly rcode: number;
}

export interface Message {
  readonly id: number;
  readonly flags: Flags;
  readonly questions: readonly Question[];
  readonly answers: readonly Rr[];
  readonly authorities: readonly Rr[];
  /** Including any OPT pseudo-record (EDNS0). */
  readonly additionals: readonly Rr[];
}

export const NO_FLAGS: Flags = {
  qr: false,
  opcode: 0,
  aa: false,
  tc: false,
  rd: false,
  ra: false,
  ad: false,
  cd: false,
  rcode: 0,
};

export interface WireError {
  readonly kind: 'malformed';
  readonly message: string;
}

class Malformed extends Error {}

// ---- decode ----

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length)
      throw new Malformed(`${what} runs past the end of the message at byte ${this.pos}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }
  u16(what: string): number {
    this.need(2, what);
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    return this.u16(what) * 65536 + this.u16(what);
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** A name at the current position, following compression pointers backwards only (no loops). */
  name(): Name {
    const labels: string[] = [];
    let pos = this.pos;
    let jumped = false;
    let wire = 1;
    for (;;) {
      if (pos >= this.buf.length) throw new Malformed(`a name runs past the end of the message at byte ${pos}`);
      const len = this.buf[pos];
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new Malformed(`a compression pointer is cut at byte ${pos}`);
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1];
        if (target >= pos) throw new Malformed(`a compression pointer at byte ${pos} does not point backwards`);
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        pos = target;
      } else if (len & 0xc0) {
        throw new Malformed(`label type 0x${(len & 0xc0).toString(16)} at byte ${pos} is not supported`);
      } else if (len === 0) {
        if (!jumped) this.pos = pos + 1;
        return Name.of(labels);
      } else {
        if (pos + 1 + len > this.buf.length)
          throw new Malformed(`a label runs past the end of the message at byte ${pos}`);
        wire += len + 1;
        if (wire > 255) throw new Malformed('a name is longer than 255 bytes');
        labels.push(String.fromCharCode(...this.buf.subarray(pos + 1, pos + 1 + len)));
        pos += 1 + len;
      }
    }
  }
}

function decodeRData(r: Reader, type: number, end: number): RData {
  const fields: RField[] = [];
  for (const part of layoutOf(type)) {
    if (part === 'name') {
      fields.push({ name: r.name() });
      if (r.pos > end) throw new Malformed(`a name runs past its record's data`);
    } else {
      const n = part === 'rest' ? end - r.pos : part;
      if (r.pos + n > end) throw new Malformed(`record data of type ${type} is too short`);
      fields.push({ bytes: r.bytes(n, 'record data') });
    }
  }
  if (r.pos !== end) throw new Malformed(`record data of type ${type} has ${end - r.pos} bytes too many`);
  return fields;
}

function decodeRr(r: Reader): Rr {
  const name = r.name();
  const type = r.u16('a record type');
  const cls = r.u16('a record class');
  const ttl = r.u32('a TTL');
  const len = r.u16('a data length');
  r.need(len, 'record data');
  const rdata = decodeRData(r, type, r.pos + len);
  return { name, type, class: cls, ttl, rdata };
}

export function decodeMessage(buf: Uint8Array): Result<Message, WireError> {
  try {
    const r = new Reader(buf);
    const id = r.u16('the header');
    const f = r.u16('the header');
    const counts = [r.u16('the header'), r.u16('the header'), r.u16('the header'), r.u16('the header')];
    const flags: Flags = {
      qr: !!(f & 0x8000),
      opcode: (f >> 11) & 0xf,
      aa: !!(f & 0x0400),
      tc: !!(f & 0x0200),
      rd: !!(f & 0x0100),
      ra: !!(f & 0x0080),
      ad: !!(f & 0x0020),
      cd: !!(f & 0x0010),
      rcode: f & 0xf,
    };
    const questions: Question[] = [];
    for (let i = 0; i < counts[0]; i++)
      questions.push({ name: r.name(), type: r.u16('a question'), class: r.u16('a question') });
    const sections: Rr[][] = [[], [], []];
    for (let s = 0; s < 3; s++) for (let i = 0; i < counts[s + 1]; i++) sections[s].push(decodeRr(r));
    if (r.pos !== buf.length) throw new Malformed(`${buf.length - r.pos} bytes after the last record`);
    return ok({ id, flags, questions, answers: sections[0], authorities: sections[1], additionals: sections[2] });
  } catch (e) {
    if (e instanceof Malformed) return err({ kind: 'malformed', message: e.message });
    // Name.of refuses over-long labels/names built from hostile input: still a malformed message.
    return err({ kind: 'malformed', message: (e as Error).message });
  }
}

// ---- encode ----

class Writer {
  private buf = new Uint8Array(512);
  len = 0;
  private readonly names = new Map<string, number>();
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  u8(v: number): void {
    this.grow(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    this.grow(2);
    this.buf[this.len++] = v >> 8;
    this.buf[this.len++] = v & 0xff;
  }
  u32(v: number): void {
    this.u16(Math.floor(v / 65536) & 0xffff);
    this.u16(v & 0xffff);
  }
  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  setU16(at: number, v: number): void {
    this.buf[at] = v >> 8;
    this.buf[at + 1] = v & 0xff;
  }
  /** Writes a name, pointing at an earlier copy of its longest known suffix (case-insensitive). */
  name(n: Name, compress: boolean): void {
    const labels = n.labels;
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => l.toLowerCase())
        .join('\0');
      const at = this.names.get(key);
      if (compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.len < 0x4000 && !this.names.has(key)) this.names.set(key, this.len);
      this.u8(labels[i].length);
      for (let k = 0; k < labels[i].length; k++) this.u8(labels[i].charCodeAt(k));
    }
    this.u8(0);
  }
  /** Drops everything from `len` on, and the compression targets there. */
  truncate(len: number): void {
    this.len = len;
    for (const [k, at] of this.names) if (at >= len) this.names.delete(k);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function writeRr(w: Writer, rr: Rr): void {
  w.name(rr.name, true);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl >>> 0);
  const lenAt = w.len;
  w.u16(0);
  const compress = COMPRESSIBLE.has(rr.type);
  for (const f of rr.rdata) {
    if ('name' in f) w.name(f.name, compress);
    else w.bytes(f.bytes);
  }
  w.setU16(lenAt, w.len - lenAt - 2);
}

function flagBits(f: Flags): number {
  return (
    (f.qr ? 0x8000 : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.aa ? 0x0400 : 0) |
    (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) |
    (f.ra ? 0x0080 : 0) |
    (f.ad ? 0x0020 : 0) |
    (f.cd ? 0x0010 : 0) |
    (f.rcode & 0xf)
  );
}

export interface EncodeOptions {
  /**
   * The largest message to produce (UDP: 512, or the EDNS0 payload size).
   * Additional records that do not fit are left out; when answer or
   * authority records do not fit, TC is set and the message ends before the
   * first RRset that does not fit (RFC 2181 §9). The OPT record is kept.
   */
  readonly maxSize?: number;
}

/** Encodes a message, compressing names. */
export function encodeMessage(m: Message, options: EncodeOptions = {}): Uint8Array {
  const max = options.maxSize ?? Infinity;
  const w = new Writer();
  w.u16(m.id);
  const flagsAt = w.len;
  w.u16(flagBits(m.flags));
  const countsAt = w.len;
  w.u16(m.questions.length);
  for (let i = 0; i < 3; i++) w.u16(0);
  for (const q of m.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  const opt = m.additionals.filter((r) => r.type === TYPE.OPT);
  const optSize = opt.reduce(
    (n, r) => n + 11 + r.rdata.reduce((k, f) => k + ('bytes' in f ? f.bytes.length : 0), 0),
    0,
  );
  const sections = [m.answers, m.authorities, m.additionals.filter((r) => r.type !== TYPE.OPT)];
  const counts = [0, 0, 0];
  let truncated = false;
  for (let s = 0; s < 3 && !truncated; s++) {
    const rrs = sections[s];
    for (let i = 0; i < rrs.length;) {
      // One RRset at a time: a set is sent whole or not at all.
      let j = i + 1;
      while (j < rrs.length && rrs[j].type === rrs[i].type && rrs[j].name.equals(rrs[i].name)) j++;
      const mark = w.len;
      for (let k = i; k < j; k++) writeRr(w, rrs[k]);
      if (w.len + optSize > max) {
        w.truncate(mark);
        if (s < 2) truncated = true;
        break;
      }
      counts[s] += j - i;
      i = j;
    }
  }
  for (const r of opt) writeRr(w, r);
  counts[2] += opt.length;
  w.setU16(flagsAt, flagBits({ ...m.flags, tc: m.flags.tc || truncated }));
  for (let s = 0; s < 3; s++) w.setU16(countsAt + 2 + 2 * s, counts[s]);
  return w.result();
}

// ---- EDNS0 (RFC 6891) ----

export interface Edns {
  readonly payloadSize: number;
  readonly version: number;
  readonly extendedRcode: number;
  readonly dnssecOk: boolean;
}

/** The message's OPT record, or null; more than one is an error (FORMERR). */
export function ednsOf(m: Message): Result<Edns | null, WireError> {
  const opts = m.additionals.filter((r) => r.type === TYPE.OPT);
  if (opts.length === 0) return ok(null);
  if (opts.length > 1 || opts[0].name.labels.length !== 0)
    return err({ kind: 'malformed', message: 'more than one OPT record, or one not owned by the root' });
  const o = opts[0];
  return ok({
    payloadSize: o.class,
    extendedRcode: o.ttl >>> 24,
    version: (o.ttl >>> 16) & 0xff,
    dnssecOk: !!(o.ttl & 0x8000),
  });
}

export function optRecord(payloadSize: number, extendedRcode = 0): Rr {
  return { name: Name.root, type: TYPE.OPT, class: payloadSize, ttl: (extendedRcode << 24) >>> 0, rdata: [] };
}
