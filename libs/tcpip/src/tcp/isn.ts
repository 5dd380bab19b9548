import { createHmac, randomBytes } from 'node:crypto';
import { writeIpv6, type IpAddress } from '../wire/address';

/** The peer's MSS values a SYN cookie can carry (2 bits). */
export const COOKIE_MSS = [536, 1220, 1440, 1460] as const;
/** The window-scale field of a cookie when the peer offered none. */
export const COOKIE_NO_WSCALE = 15;
/** A cookie's clock ticks every 64 s and is accepted for one more tick. */
const COOKIE_TICK_MS = 64_000;

export interface ConnectionId {
  readonly localIp: IpAddress;
  readonly localPort: number;
  readonly remoteIp: IpAddress;
  readonly remotePort: number;
}

export interface CookieContents {
  readonly mss: number;
  /** The peer's window shift, or undefined when it offered no window scaling. */
  readonly windowScale: number | undefined;
}

/**
 * Initial sequence numbers (RFC 6528: a 4-microsecond clock plus a keyed
 * hash of the connection's addresses and ports, so they cannot be guessed
 * from outside) and SYN cookies (RFC 4987 3.6: when a listener's queue of
 * half-open connections is full, the state goes into the SYN-ACK's sequence
 * number instead of memory). The key is random per stack.
 */
export class SequenceNumbers {
  private readonly key: Buffer;
  private readonly tuple = Buffer.alloc(42);

  constructor(
    private readonly now: () => number,
    key: Buffer = randomBytes(32),
  ) {
    this.key = key;
  }

  isn(id: ConnectionId): number {
    const clock = Math.floor(this.now() * 250); // 4 µs ticks
    return (this.hash(id, 0, 0) + clock) >>> 0;
  }

  /** The ISN to answer a SYN with when no state is kept. */
  cookie(id: ConnectionId, peerIsn: number, contents: CookieContents): number {
    const tick = this.tick();
    const mssIndex = cookieMssIndex(contents.mss);
    const ws = contents.windowScale ?? COOKIE_NO_WSCALE;
    const head = ((tick & 31) << 27) | (mssIndex << 25) | ((ws & 15) << 21);
    return (head | (this.hash(id, peerIsn, head) >>> 11)) >>> 0;
  }

  /** What a cookie (our ISN, from the ACK's acknowledgment number minus one) carried, or null when forged or stale. */
  checkCookie(id: ConnectionId, peerIsn: number, cookie: number): CookieContents | null {
    const tick = cookie >>> 27;
    const age = (this.tick() - tick) & 31;
    if (age > 1) return null;
    const head = (cookie & 0xffe0_0000) >>> 0;
    if (this.hash(id, peerIsn, head) >>> 11 !== (cookie & 0x1f_ffff)) return null;
    const ws = (cookie >>> 21) & 15;
    if (ws > 14 && ws !== COOKIE_NO_WSCALE) return null;
    return { mss: COOKIE_MSS[(cookie >>> 25) & 3], windowScale: ws === COOKIE_NO_WSCALE ? undefined : ws };
  }

  private tick(): number {
    return Math.floor(this.now() / COOKIE_TICK_MS) & 31;
  }

  private hash(id: ConnectionId, extra: number, salt: number): number {
    const t = this.tuple;
    // Addresses take 16 bytes whatever the family (an IPv4 number as its low 4).
    writeIpv6(t, 0, BigInt(id.localIp));
    t.writeUInt16BE(id.localPort, 16);
    writeIpv6(t, 18, BigInt(id.remoteIp));
    t.writeUInt16BE(id.remotePort, 34);
    t.writeUInt32BE(extra >>> 0, 36);
    t.writeUInt16BE(salt >>> 21, 40);
    return createHmac('sha256', this.key).update(t).digest().readUInt32BE(0);
  }
}

/** The largest cookie MSS not above the peer's. */
export function cookieMssIndex(mss: number): number {
  let best = 0;
  for (let i = 0; i < COOKIE_MSS.length; i++) if (COOKIE_MSS[i] <= mss) best = i;
  return best;
}
