import type { DropCounters } from './drops';
import { copyBytes } from './wire/address';
import type { Ipv4View } from './wire/ipv4';

export interface ReassemblyOptions {
  /** A datagram whose fragments have not all arrived by then is dropped (ms; RFC 791 suggests 15 s, Linux uses 30 s). */
  readonly timeoutMs?: number;
  /** Datagrams being reassembled at once. */
  readonly maxDatagrams?: number;
  /** Fragment bytes held at once, over all datagrams. */
  readonly maxBytes?: number;
  /** Fragments of one datagram. */
  readonly maxFragments?: number;
}

interface Piece {
  readonly offset: number;
  readonly data: Uint8Array;
}

interface Partial {
  readonly pieces: Piece[];
  received: number;
  /** Payload length, known once the last fragment (MF clear) arrived. */
  total: number | undefined;
  readonly startedAt: number;
}

/**
 * IPv4 fragment reassembly with bounded memory. Overlapping fragments drop
 * the whole datagram (the ambiguity is what teardrop-style attacks exploit;
 * RFC 5722 does the same for IPv6); exact duplicates are ignored. When the
 * byte or datagram budget is full the oldest datagram is evicted.
 */
export class Reassembler {
  private readonly partials = new Map<string, Partial>();
  private bytesHeld = 0;
  private readonly timeoutMs: number;
  private readonly maxDatagrams: number;
  private readonly maxBytes: number;
  private readonly maxFragments: number;

  constructor(
    private readonly drops: DropCounters,
    options: ReassemblyOptions = {},
    /** The protocol drops are counted under (`ipv4.fragment-overlap`, `ipv6.fragment-overlap`). */
    private readonly prefix: 'ipv4' | 'ipv6' = 'ipv4',
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxDatagrams = options.maxDatagrams ?? 16;
    this.maxBytes = options.maxBytes ?? 256 * 1024;
    this.maxFragments = options.maxFragments ?? 128;
  }

  /** Takes an IPv4 fragment (copying its bytes); returns the whole payload once complete. */
  put(v: Ipv4View, now: number): Uint8Array | undefined {
    const key = `${v.src}/${v.dst}/${v.protocol}/${v.id}`;
    return this.putFragment(key, v.fragmentOffset, v.moreFragments, v.buf, v.payloadOffset, v.payloadLength, now);
  }

  /**
   * Takes the fragment of the datagram `key` (source, destination and
   * identification: whatever the family says identifies one) holding
   * `len` bytes at `start` of `buf` that belong at `offset`.
   */
  putFragment(
    key: string,
    offset: number,
    moreFragments: boolean,
    buf: Uint8Array,
    start: number,
    len: number,
    now: number,
  ): Uint8Array | undefined {
    const end = offset + len;
    if (moreFragments && (len === 0 || len % 8 !== 0)) {
      this.drops.count(`${this.prefix}.fragment-bad-length`);
      return undefined;
    }
    if (len > this.maxBytes) {
      this.drops.count(`${this.prefix}.reassembly-no-room`);
      return undefined;
    }
    let p = this.partials.get(key);
    if (!p) {
      while (this.partials.size >= this.maxDatagrams) this.evictOldest();
      p = { pieces: [], received: 0, total: undefined, startedAt: now };
      this.partials.set(key, p);
    }
    if (!moreFragments) {
      if ((p.total !== undefined && p.total !== end) || p.pieces.some((x) => x.offset + x.data.length > end)) {
        return this.discard(key, p, `${this.prefix}.fragment-inconsistent`);
      }
      p.total = end;
    } else if (p.total !== undefined && end > p.total) {
      return this.discard(key, p, `${this.prefix}.fragment-inconsistent`);
    }
    for (const x of p.pieces) {
      const xEnd = x.offset + x.data.length;
      if (x.offset === offset && xEnd === end) {
        this.drops.count(`${this.prefix}.fragment-duplicate`);
        return undefined;
      }
      if (offset < xEnd && x.offset < end) return this.discard(key, p, `${this.prefix}.fragment-overlap`);
    }
    if (p.pieces.length >= this.maxFragments) return this.discard(key, p, `${this.prefix}.fragment-too-many`);
    while (this.bytesHeld + len > this.maxBytes) {
      const oldest = this.partials.keys().next().value as string;
      if (oldest === key) return this.discard(key, p, `${this.prefix}.reassembly-no-room`);
      this.evictOldest();
    }
    p.pieces.push({ offset, data: copyBytes(buf, start, start + len) });
    p.received += len;
    this.bytesHeld += len;
    if (p.total === undefined || p.received !== p.total) return undefined;
    const whole = new Uint8Array(p.total);
    for (const x of p.pieces) whole.set(x.data, x.offset);
    this.forget(key, p);
    return whole;
  }

  /** Drops datagrams older than the timeout. */
  expire(now: number): void {
    for (const [key, p] of this.partials) {
      if (now - p.startedAt >= this.timeoutMs) this.discard(key, p, `${this.prefix}.reassembly-timeout`);
    }
  }

  get datagramsHeld(): number {
    return this.partials.size;
  }

  get bytesInUse(): number {
    return this.bytesHeld;
  }

  clear(): void {
    this.partials.clear();
    this.bytesHeld = 0;
  }

  private evictOldest(): void {
    const [key, p] = this.partials.entries().next().value as [string, Partial];
    this.discard(key, p, `${this.prefix}.reassembly-evicted`);
  }

  private discard(key: string, p: Partial, reason: string): undefined {
    this.drops.count(reason);
    this.forget(key, p);
    return undefined;
  }

  private forget(key: string, p: Partial): void {
    this.bytesHeld -= p.received;
    this.partials.delete(key);
  }
}
