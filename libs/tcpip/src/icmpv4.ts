import { ok, type EchoReply, type Icmpv4, type NetError, type Result } from '@mirage-ts/types';
import type { DropCounters } from './drops';
import { fail, failed } from './errors';
import type { IcmpErrorReport, TransportIcmp } from './ip';
import type { Ipv4Layer } from './ipv4';
import type { Log } from './log';
import { BROADCAST_IPV4, copyBytes, formatIpv4, isMulticastIpv4, parseIpv4, readIpv4 } from './wire/address';
import {
  emitIcmpHeader,
  fillIcmpChecksum,
  ICMP_HEADER_LEN,
  IcmpType,
  Icmpv4View,
  UnreachableCode,
} from './wire/icmpv4';
import { IPV4_HEADER_LEN, IpProtocol, type Ipv4View } from './wire/ipv4';

/** The smallest path MTU believed from fragmentation-needed, as Linux: a forged error cannot shrink segments to a few bytes. */
const MIN_PATH_MTU = 552;

export interface Icmpv4Options {
  /** Log a line for every echo request answered. */
  readonly logEcho?: boolean;
  /** ICMP errors sent per second at most (RFC 1812 4.3.2.8 asks for a limit). */
  readonly errorsPerSecond?: number;
}

export type { IcmpErrorReport };

interface Waiting {
  readonly sentAt: bigint;
  readonly resolve: (r: Result<EchoReply, NetError>) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * ICMP for IPv4 (RFC 792): answers echo requests, matches replies to our own
 * echo requests, and sends destination-unreachable errors for the layers
 * above (never about broadcasts, multicasts or other ICMP errors, RFC 1122
 * 3.2.2), rate-limited.
 */
export class Icmpv4Layer implements Icmpv4, TransportIcmp {
  private readonly view = new Icmpv4View();
  private readonly echoId = Math.floor(Math.random() * 0x10000);
  private nextSequence = 0;
  private readonly waiting = new Map<number, Waiting>();
  private readonly errorHandlers = new Map<number, (report: IcmpErrorReport) => void>();
  private readonly logEcho: boolean;
  private readonly errorsPerSecond: number;
  private errorWindowStart = 0;
  private errorsInWindow = 0;

  constructor(
    private readonly ip: Ipv4Layer,
    private readonly drops: DropCounters,
    private readonly log: Log,
    options: Icmpv4Options = {},
  ) {
    this.logEcho = options.logEcho ?? true;
    this.errorsPerSecond = options.errorsPerSecond ?? 100;
    ip.setHandler(IpProtocol.icmp, (buf, off, len, hdr) => this.input(buf, off, len, hdr));
    ip.onUnknownProtocol = (_buf, _off, _len, hdr) => this.unreachable(UnreachableCode.protocol, hdr);
  }

  private input(buf: Uint8Array, off: number, len: number, hdr: Ipv4View): void {
    const v = this.view;
    const bad = v.wrap(buf, off, len);
    if (bad) return this.drops.count(`icmp.${bad}`);
    if (v.type === IcmpType.echoRequest) {
      if (v.code !== 0) return this.drops.count('icmp.bad-code');
      // Echo requests to a broadcast address are ignored, as Linux does by default (smurf amplification).
      if (this.ip.isBroadcast(hdr.dst)) return this.drops.count('icmp.broadcast-echo');
      if (this.logEcho) this.log(`ICMP: echo-request from ${formatIpv4(hdr.src)} seq ${v.sequence}, replying`);
      // Copied now: the reply may wait for ARP, and the frame's bytes are only ours during this call.
      const message = copyBytes(buf, off, off + len);
      void this.ip.send(hdr.src, IpProtocol.icmp, len, (out, o) => {
        out.set(message, o);
        out[o] = IcmpType.echoReply;
        fillIcmpChecksum(out, o, len);
      });
      return;
    }
    if (v.type === IcmpType.echoReply) {
      const w = v.id === this.echoId ? this.waiting.get(v.sequence) : undefined;
      if (!w) return this.drops.count('icmp.unexpected-reply');
      this.waiting.delete(v.sequence);
      clearTimeout(w.timer);
      w.resolve(
        ok({
          from: formatIpv4(hdr.src),
          sequence: v.sequence,
          ttl: hdr.ttl,
          rttMs: Number(process.hrtime.bigint() - w.sentAt) / 1e6,
        }),
      );
      return;
    }
    if (v.type === IcmpType.unreachable || v.type === IcmpType.timeExceeded || v.type === IcmpType.parameterProblem) {
      return this.reportError(buf, v);
    }
    this.drops.count('icmp.ignored-type');
  }

  /** Routes ICMP errors about datagrams of `protocol` (6 for TCP) to `handler`. */
  setErrorHandler(protocol: number, handler: (report: IcmpErrorReport) => void): void {
    this.errorHandlers.set(protocol, handler);
  }

  private reportError(buf: Uint8Array, v: Icmpv4View): void {
    const q = v.dataOffset;
    const headerLength = (buf[q] & 0xf) * 4;
    if (v.dataLength < 20 || buf[q] >>> 4 !== 4 || headerLength < 20 || v.dataLength < headerLength)
      return this.drops.count('icmp.bad-quote');
    const handler = this.errorHandlers.get(buf[q + 9]);
    if (!handler) return this.drops.count('icmp.unhandled-error');
    const restOfHeader = ((buf[q - 4] << 24) | (buf[q - 3] << 16) | (buf[q - 2] << 8) | buf[q - 1]) >>> 0;
    const unreachable = v.type === IcmpType.unreachable;
    const refused = unreachable && (v.code === UnreachableCode.port || v.code === UnreachableCode.protocol);
    const narrower = unreachable && v.code === UnreachableCode.fragmentationNeeded;
    handler({
      type: v.type,
      code: v.code,
      restOfHeader,
      meaning: refused ? 'refused' : unreachable ? 'unreachable' : 'other',
      // Our datagrams carry no IP options, so their header is the fixed 20 bytes.
      pathPayloadMtu: narrower ? Math.max(MIN_PATH_MTU, restOfHeader & 0xffff) - IPV4_HEADER_LEN : undefined,
      src: readIpv4(buf, q + 12),
      dst: readIpv4(buf, q + 16),
      transportHeader: copyBytes(buf, q + headerLength, q + Math.min(v.dataLength, headerLength + 8)),
    });
  }

  portUnreachable(hdr: Ipv4View): void {
    this.unreachable(UnreachableCode.port, hdr);
  }

  /** Sends destination-unreachable `code` about the datagram whose header `hdr` views. */
  unreachable(code: number, hdr: Ipv4View): void {
    if (
      this.ip.isBroadcast(hdr.dst) ||
      isMulticastIpv4(hdr.dst) ||
      hdr.src === 0 ||
      (hdr.isFragment && hdr.fragmentOffset !== 0)
    )
      return;
    if (hdr.protocol === IpProtocol.icmp) {
      const t = hdr.buf[hdr.payloadOffset];
      if (t !== IcmpType.echoRequest && t !== IcmpType.echoReply) return;
    }
    const now = Date.now();
    if (now - this.errorWindowStart >= 1000) {
      this.errorWindowStart = now;
      this.errorsInWindow = 0;
    }
    if (++this.errorsInWindow > this.errorsPerSecond) return this.drops.count('icmp.error-rate-limited');
    // The original header and the first 8 bytes of its payload (RFC 792).
    const quoted = copyBytes(hdr.buf, hdr.off, hdr.off + hdr.headerLength + Math.min(8, hdr.payloadLength));
    const len = ICMP_HEADER_LEN + quoted.length;
    void this.ip.send(hdr.src, IpProtocol.icmp, len, (out, o) => {
      emitIcmpHeader(out, o, IcmpType.unreachable, code, 0);
      out.set(quoted, o + ICMP_HEADER_LEN);
      fillIcmpChecksum(out, o, len);
    });
  }

  async echo(
    dst: string,
    options: { sequence?: number; data?: Uint8Array; timeoutMs?: number } = {},
  ): Promise<Result<EchoReply, NetError>> {
    const d = parseIpv4(dst);
    if (d === null || d === BROADCAST_IPV4) return fail('unreachable', `"${dst}" is not a unicast IPv4 address`);
    const sequence = (options.sequence ?? this.nextSequence++) & 0xffff;
    const data = options.data ?? new Uint8Array(56);
    const len = ICMP_HEADER_LEN + data.length;
    const timeoutMs = options.timeoutMs ?? 1000;
    const reply = new Promise<Result<EchoReply, NetError>>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(sequence);
        resolve(fail('timeout', `no echo reply from ${dst} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.get(sequence)?.resolve(fail('timeout', `echo ${sequence} to ${dst} was superseded`));
      this.waiting.set(sequence, { sentAt: process.hrtime.bigint(), resolve, timer });
    });
    const sent = await this.ip.send(d, IpProtocol.icmp, len, (out, o) => {
      emitIcmpHeader(out, o, IcmpType.echoRequest, 0, ((this.echoId << 16) | sequence) >>> 0);
      out.set(data, o + ICMP_HEADER_LEN);
      fillIcmpChecksum(out, o, len);
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

  write(dst: string, message: Uint8Array): Promise<Result<void, NetError>> {
    const d = parseIpv4(dst);
    if (d === null) return failed('unreachable', `"${dst}" is not an IPv4 address`);
    if (message.length < ICMP_HEADER_LEN)
      return failed('too-big', `an ICMP message needs at least ${ICMP_HEADER_LEN} bytes, got ${message.length}`);
    return this.ip.send(d, IpProtocol.icmp, message.length, (out, o) => {
      out.set(message, o);
      fillIcmpChecksum(out, o, message.length);
    });
  }

  disconnect(): void {
    for (const [, w] of this.waiting) {
      clearTimeout(w.timer);
      w.resolve(fail('disconnected', 'the stack was disconnected'));
    }
    this.waiting.clear();
  }
}
