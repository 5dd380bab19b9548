/**
 * Hand-built frames for the interface tests: just enough Ethernet, ARP,
 * IPv4 and ICMP to talk to a real Linux kernel through a tap or a packet
 * socket. The direct stack has the real codecs; these stay independent of
 * it so that a bug there cannot hide a bug here.
 */
import type { Network } from '@mirage-ts/types';
import { formatMac, parseMac } from '../mac';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;

export function ethernet(dst: string, src: string, ethertype: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(14 + payload.length);
  frame.set(parseMac(dst), 0);
  frame.set(parseMac(src), 6);
  frame[12] = ethertype >> 8;
  frame[13] = ethertype & 0xff;
  frame.set(payload, 14);
  return frame;
}

export function etherType(frame: Uint8Array): number {
  return (frame[12] << 8) | frame[13];
}

export const dstMac = (frame: Uint8Array) => formatMac(frame, 0);
export const srcMac = (frame: Uint8Array) => formatMac(frame, 6);

export function ipBytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map(Number));
}

export const ipText = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

export interface ArpPacket {
  readonly op: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

export function parseArp(frame: Uint8Array): ArpPacket | undefined {
  if (etherType(frame) !== ETHERTYPE_ARP || frame.length < 42) return undefined;
  return {
    op: (frame[20] << 8) | frame[21],
    senderMac: formatMac(frame, 22),
    senderIp: ipText(frame, 28),
    targetMac: formatMac(frame, 32),
    targetIp: ipText(frame, 38),
  };
}

export function arpReply(myMac: string, myIp: string, request: ArpPacket): Uint8Array {
  const p = new Uint8Array(28);
  p.set([0, 1, 0x08, 0x00, 6, 4, 0, 2]);
  p.set(parseMac(myMac), 8);
  p.set(ipBytes(myIp), 14);
  p.set(parseMac(request.senderMac), 18);
  p.set(ipBytes(request.senderIp), 24);
  return ethernet(request.senderMac, myMac, ETHERTYPE_ARP, p);
}

/** The Internet checksum (RFC 1071) of `b[from, to)`. */
export function checksum(b: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i + 1 < to; i += 2) sum += (b[i] << 8) | b[i + 1];
  if ((to - from) % 2 === 1) sum += b[to - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface IcmpEcho {
  readonly type: number;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly id: number;
  readonly seq: number;
}

/** An ICMP echo request or reply inside an IPv4 frame with valid checksums, else undefined. */
export function parseIcmpEcho(frame: Uint8Array): IcmpEcho | undefined {
  if (etherType(frame) !== ETHERTYPE_IPV4 || frame.length < 14 + 20 + 8) return undefined;
  const ihl = (frame[14] & 0x0f) * 4;
  const total = (frame[16] << 8) | frame[17];
  if (frame[23] !== 1 || checksum(frame, 14, 14 + ihl) !== 0 || 14 + total > frame.length) return undefined;
  const icmp = 14 + ihl;
  if (checksum(frame, icmp, 14 + total) !== 0) return undefined;
  const type = frame[icmp];
  if (type !== 8 && type !== 0) return undefined;
  return {
    type,
    srcIp: ipText(frame, 26),
    dstIp: ipText(frame, 30),
    id: (frame[icmp + 4] << 8) | frame[icmp + 5],
    seq: (frame[icmp + 6] << 8) | frame[icmp + 7],
  };
}

/** The echo reply to an echo request frame: addresses swapped, same payload. */
export function echoReply(request: Uint8Array, myMac: string): Uint8Array {
  const ihl = (request[14] & 0x0f) * 4;
  const total = (request[16] << 8) | request[17];
  const reply = Uint8Array.from(request.subarray(0, 14 + total));
  reply.set(request.subarray(6, 12), 0);
  reply.set(parseMac(myMac), 6);
  reply.set(request.subarray(30, 34), 26);
  reply.set(request.subarray(26, 30), 30);
  reply[22] = 64;
  reply[24] = reply[25] = 0;
  const ipSum = checksum(reply, 14, 14 + ihl);
  reply[24] = ipSum >> 8;
  reply[25] = ipSum & 0xff;
  const icmp = 14 + ihl;
  reply[icmp] = 0;
  reply[icmp + 2] = reply[icmp + 3] = 0;
  const sum = checksum(reply, icmp, 14 + total);
  reply[icmp + 2] = sum >> 8;
  reply[icmp + 3] = sum & 0xff;
  return reply;
}

/** Collects what a Network receives and waits for frames that match. */
export class FrameLog {
  readonly frames: Uint8Array[] = [];
  readonly done: Promise<unknown>;
  private waiters: Array<() => void> = [];

  constructor(
    readonly netif: Network,
    private readonly onFrame: (frame: Uint8Array, log: FrameLog) => void = () => undefined,
  ) {
    this.done = netif.listen((frame) => {
      this.frames.push(Uint8Array.from(frame));
      this.onFrame(frame, this);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves with the first frame (already seen or still to come) that `match` accepts. */
  async waitFor(match: (frame: Uint8Array) => boolean, what: string, timeoutMs = 10_000): Promise<Uint8Array> {
    let seen = 0;
    let found: Uint8Array | undefined;
    await this.waitUntil(
      () => {
        for (; seen < this.frames.length && !found; seen++) if (match(this.frames[seen])) found = this.frames[seen];
        return found !== undefined;
      },
      what,
      timeoutMs,
    );
    return found!;
  }

  async waitForCount(n: number, what: string, timeoutMs = 10_000): Promise<void> {
    await this.waitUntil(() => this.frames.length >= n, `${n} ${what}`, timeoutMs);
  }

  /** Checks `done` after every frame (and now and then), until it holds or time runs out. */
  async waitUntil(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (saw ${this.frames.length} frames)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/**
 * Listens on `netif` and answers, as a host at `ip` would, ARP requests for
 * `ip` and ICMP echo requests to it; everything received stays in the log.
 */
export function pingResponder(netif: Network, ip: string): FrameLog {
  return new FrameLog(netif, (frame) => {
    const arp = parseArp(frame);
    if (arp && arp.op === 1 && arp.targetIp === ip) {
      void netif.write(arpReply(netif.mac, ip, arp));
      return;
    }
    const echo = parseIcmpEcho(frame);
    if (echo && echo.type === 8 && echo.dstIp === ip && dstMac(frame) === netif.mac)
      void netif.write(echoReply(frame, netif.mac));
  });
}

export interface UdpDatagram {
  readonly srcIp: string;
  readonly dstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly data: Uint8Array;
  /** Whether the UDP checksum (over the pseudo-header) holds; a zero checksum means none was sent. */
  readonly checksumOk: boolean;
}

export function parseUdp(frame: Uint8Array): UdpDatagram | undefined {
  if (etherType(frame) !== ETHERTYPE_IPV4 || frame.length < 14 + 20 + 8 || frame[23] !== 17) return undefined;
  const ihl = (frame[14] & 0x0f) * 4;
  const at = 14 + ihl;
  const length = (frame[at + 4] << 8) | frame[at + 5];
  if (at + length > frame.length || length < 8) return undefined;
  const pseudo = new Uint8Array(12 + length);
  pseudo.set(frame.subarray(26, 34), 0);
  pseudo[9] = 17;
  pseudo[10] = length >> 8;
  pseudo[11] = length & 0xff;
  pseudo.set(frame.subarray(at, at + length), 12);
  const sent = (frame[at + 6] << 8) | frame[at + 7];
  return {
    srcIp: ipText(frame, 26),
    dstIp: ipText(frame, 30),
    srcPort: (frame[at] << 8) | frame[at + 1],
    dstPort: (frame[at + 2] << 8) | frame[at + 3],
    data: frame.slice(at + 8, at + length),
    checksumOk: sent !== 0 && checksum(pseudo, 0, pseudo.length) === 0,
  };
}
