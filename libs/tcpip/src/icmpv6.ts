import { ok, type EchoReply, type NetError, type Result } from '@mirage-ts/types';
import type { DropCounters } from './drops';
import { fail } from './errors';
import type { IcmpErrorReport, TransportIcmp } from './ip';
import type { Ipv6Header, Ipv6Layer } from './ipv6';
import type { Log } from './log';
import { copyBytes, formatIpv6, isMulticastIpv6, parseIpv6, readIpv6 } from './wire/address';
import {
  emitIcmpv6Header,
  fillIcmpv6Checksum,
  ICMPV6_HEADER_LEN,
  Icmpv6Type,
  Icmpv6View,
  Unreachable6Code,
} from './wire/icmpv6';
import { IPV6_HEADER_LEN, IPV6_MIN_MTU, NextHeader, type ParameterProblem } from './wire/ipv6';

export interface Icmpv6Options {
  /** Log a line for every echo request answered. */
  readonly logEcho?: boolean;
  /** ICMPv6 errors sent per second at most (RFC 4443 2.4 (f) asks for a limit). */
  readonly errorsPerSecond?: number;
}

interface Waiting {
  readonly sentAt: bigint;
  readonly resolve: (r: Result<EchoReply, NetError>) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * ICMPv6 (RFC 4443) apart from Neighbor Discovery, which the IPv6 layer
 * handles: answers echo requests (to its addresses and to the multicast
 * groups it joined), matches replies to its own requests, sends
 * destination-unreachable and parameter-problem errors (never about an
 * error, a multicast or an unspecified source, RFC 4443 2.4 (e)),
 * rate-limited, and hands errors about its own packets to the transports.
 */
export class Icmpv6Layer implements TransportIcmp {
  private readonly view = new Icmpv6View();
  private readonly echoId = Math.floor(Math.random() * 0x10000);
  private nextSequence = 0;
  private readonly waiting = new Map<number, Waiting>();
  private readonly errorHandlers = new Map<number, (report: IcmpErrorReport) => void>();
  private readonly logEcho: boolean;
  private readonly errorsPerSecond: number;
  private errorWindowStart = 0;
  private errorsInWindow = 0;

  constructor(
    private readonly ip: Ipv6Layer,
    private readonly drops: DropCounters,
    private readonly log: Log,
    options: Icmpv6Options = {},
  ) {
    this.logEcho = options.logEcho ?? true;
    this.errorsPerSecond = options.errorsPerSecond ?? 100;
    ip.setHandler(NextHeader.icmpv6, (buf, off, len, hdr) => this.input(buf, off, len, hdr));
    ip.onUnknownProtocol = (_buf, _off, _len, hdr) =>
      this.error(Icmpv6Type.parameterProblem, 1, hdr.nextHeaderPointer, hdr);
    ip.onParameterProblem = (p: ParameterProblem, hdr) =>
      this.error(Icmpv6Type.parameterProblem, p.code, p.pointer, hdr);
  }

  private input(buf: Uint8Array, off: number, len: number, hdr: Ipv6Header): void {
    const v = this.view;
    const bad = v.wrap(buf, off, len, hdr.src, hdr.dst);
    if (bad) return this.drops.count(`icmpv6.${bad}`);
    if (v.type === Icmpv6Type.echoRequest) {
      if (v.code !== 0) return this.drops.count('icmpv6.bad-code');
      if (hdr.src === 0n) return this.drops.count('icmpv6.bad-source');
      if (this.logEcho) this.log(`ICMPv6: echo-request from ${formatIpv6(hdr.src)} seq ${v.sequence}, replying`);
      // A request to a group is answered from one of our unicast addresses (RFC 4443 4.2).
      const src = isMulticastIpv6(hdr.dst) ? this.ip.localAddressFor(hdr.src) : hdr.dst;
      if (src === null) return this.drops.count('icmpv6.no-source');
      const message = copyBytes(buf, off, off + len);
      const dst = hdr.src;
      void this.ip.send(
        dst,
        NextHeader.icmpv6,
        len,
        (out, o) => {
          out.set(message, o);
          out[o] = Icmpv6Type.echoReply;
          fillIcmpv6Checksum(out, o, len, src, dst);
        },
        { src },
      );
      return;
    }
    if (v.type === Icmpv6Type.echoReply) {
      const w = v.id === this.echoId ? this.waiting.get(v.sequence) : undefined;
      if (!w) return this.drops.count('icmpv6.unexpected-reply');
      this.waiting.delete(v.sequence);
      clearTimeout(w.timer);
      w.resolve(
        ok({
          from: formatIpv6(hdr.src),
          sequence: v.sequence,
          ttl: hdr.ttl,
          rttMs: Number(process.hrtime.bigint() - w.sentAt) / 1e6,
        }),
      );
      return;
    }
    if (v.type < 128) return this.reportError(buf, v);
    this.drops.count('icmpv6.ignored-type');
  }

  setErrorHandler(protocol: number, handler: (report: IcmpErrorReport) => void): void {
    this.errorHandlers.set(protocol, handler);
  }

  /** Hands an error about one of our packets to its transport (only when the quote's upper layer follows the fixed header). */
  private reportError(buf: Uint8Array, v: Icmpv6View): void {
    const q = v.dataOffset;
    if (v.dataLength < IPV6_HEADER_LEN + 8 || buf[q] >>> 4 !== 6) return this.drops.count('icmpv6.bad-quote');
    const handler = this.errorHandlers.get(buf[q + 6]);
    if (!handler) return this.drops.count('icmpv6.unhandled-error');
    const unreachable = v.type === Icmpv6Type.unreachable;
    handler({
      type: v.type,
      code: v.code,
      restOfHeader: v.restOfHeader,
      meaning: unreachable ? (v.code === Unreachable6Code.port ? 'refused' : 'unreachable') : 'other',
      // RFC 8201 4: a packet-too-big below the IPv6 minimum MTU is taken as the minimum.
      pathPayloadMtu:
        v.type === Icmpv6Type.packetTooBig ? Math.max(IPV6_MIN_MTU, v.restOfHeader) - IPV6_HEADER_LEN : undefined,
      src: readIpv6(buf, q + 8),
      dst: readIpv6(buf, q + 24),
      transportHeader: copyBytes(buf, q + IPV6_HEADER_LEN, q + IPV6_HEADER_LEN + 8),
    });
  }

  portUnreachable(hdr: Ipv6Header): void {
    this.error(Icmpv6Type.unreachable, Unreachable6Code.port, 0, hdr);
  }

  /** Sends an error of `type`/`code` about the packet `hdr` describes, quoting as much of it as fits 1280 bytes. */
  error(type: number, code: number, restOfHeader: number, hdr: Ipv6Header): void {
    const toGroup = isMulticastIpv6(hdr.dst);
    // RFC 4443 2.4 (e): never about a multicast destination (but for an option that asks for it), an unspecified source or an error.
    if ((toGroup && !(type === Icmpv6Type.parameterProblem && code === 2)) || hdr.src === 0n) return;
    if (hdr.protocol === NextHeader.icmpv6 && this.findIcmpType(hdr) < 128) return;
    const now = Date.now();
    if (now - this.errorWindowStart >= 1000) {
      this.errorWindowStart = now;
      this.errorsInWindow = 0;
    }
    if (++this.errorsInWindow > this.errorsPerSecond) return this.drops.count('icmpv6.error-rate-limited');
    const src = toGroup ? this.ip.localAddressFor(hdr.src) : hdr.dst;
    if (src === null) return;
    const room = IPV6_MIN_MTU - IPV6_HEADER_LEN - ICMPV6_HEADER_LEN;
    const quoted = copyBytes(hdr.buf, hdr.off, hdr.off + Math.min(hdr.packetLength, room));
    const len = ICMPV6_HEADER_LEN + quoted.length;
    const dst = hdr.src;
    void this.ip.send(
      dst,
      NextHeader.icmpv6,
      len,
      (out, o) => {
        emitIcmpv6Header(out, o, type, code, restOfHeader);
        out.set(quoted, o + ICMPV6_HEADER_LEN);
        fillIcmpv6Checksum(out, o, len, src, dst);
      },
      { src },
    );
  }

  /** The ICMPv6 type of the packet's message, found after its extension headers; 0 when there is none. */
  private findIcmpType(hdr: Ipv6Header): number {
    let next = hdr.buf[hdr.off + 6];
    let at = hdr.off + IPV6_HEADER_LEN;
    const end = hdr.off + hdr.packetLength;
    while (at + 2 <= end) {
      if (next === NextHeader.icmpv6) return hdr.buf[at];
      if (next === NextHeader.fragment) {
        next = hdr.buf[at];
        at += 8;
      } else if (next === NextHeader.hopByHop || next === NextHeader.destination || next === NextHeader.routing) {
        next = hdr.buf[at];
        at += (hdr.buf[at + 1] + 1) * 8;
      } else return 0;
    }
    return 0;
  }

  /** Sends an echo request to `dst` and waits for its reply (ping -6). */
  async echo(
    dst: string,
    options: { sequence?: number; data?: Uint8Array; timeoutMs?: number } = {},
  ): Promise<Result<EchoReply, NetError>> {
    const d = parseIpv6(dst);
    if (d === null || d === 0n) return fail('unreachable', `"${dst}" is not an IPv6 address`);
    const sequence = (options.sequence ?? this.nextSequence++) & 0xffff;
    const data = options.data ?? new Uint8Array(56);
    const len = ICMPV6_HEADER_LEN + data.length;
    const timeoutMs = options.timeoutMs ?? 1000;
    const reply = new Promise<Result<EchoReply, NetError>>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(sequence);
        resolve(fail('timeout', `no echo reply from ${dst} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.get(sequence)?.resolve(fail('timeout', `echo ${sequence} to ${dst} was superseded`));
      this.waiting.set(sequence, { sentAt: process.hrtime.bigint(), resolve, timer });
    });
    const sent = await this.ip.send(d, NextHeader.icmpv6, len, (out, o, src) => {
      emitIcmpv6Header(out, o, Icmpv6Type.echoRequest, 0, ((this.echoId << 16) | sequence) >>> 0);
      out.set(data, o + ICMPV6_HEADER_LEN);
      fillIcmpv6Checksum(out, o, len, src, d);
    });
    if (!sent.ok) {
      const w = this.waiting.get(sequence);
      if (w) {
        clearTimeout(w.timer);
        this.waiting.delete(sequence);
      }
      return sent;
    }
    return reply;
  }

  disconnect(): void {
    for (const [, w] of this.waiting) {
      clearTimeout(w.timer);
      w.resolve(fail('disconnected', 'the stack was disconnected'));
    }
    this.waiting.clear();
  }
}
