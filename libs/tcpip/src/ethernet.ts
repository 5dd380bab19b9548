import { type Ethernet, type EthernetInput, type NetError, type Network, type Result } from '@mirage-ts/types';
import { BROADCAST_MAC, formatMac, isGroupMac, parseMac } from './wire/address';
import { emitEthernet, ETHERNET_HEADER_LEN, ETHERNET_MIN_FRAME, EthernetView } from './wire/ethernet';
import type { DropCounters } from './drops';
import { fail, failed } from './errors';

/**
 * What a protocol layer receives: its payload's place in the frame, the sender's MAC, and whether the
 * interface vouched for the transport checksum (`Network.listen`'s `checksumVerified`).
 */
export type FrameHandler = (
  buf: Uint8Array,
  off: number,
  len: number,
  srcMac: number,
  checksumVerified: boolean,
) => void;

/** Fills `len` payload bytes at `off` of a frame being built. */
export type Fill = (buf: Uint8Array, off: number) => void;

/**
 * Ethernet II over a Network: drops frames for other hosts, demultiplexes by
 * EtherType and builds outgoing frames (padded to the 60-byte minimum).
 */
export class EthernetLayer implements Ethernet {
  readonly macNumber: number;
  readonly mac: string;
  readonly mtu: number;
  /** `Network.checksumUnnecessary`: transports skip their checksums on this link. */
  readonly checksumUnnecessary: boolean;
  /** `Network.segmentOffload`: the largest payload of a TCP super-segment the network cuts itself (0: none). */
  readonly segmentOffload: number;
  private readonly view = new EthernetView();
  private readonly handlers = new Map<number, FrameHandler>();
  /** Multicast MACs joined (IPv6 solicited-node and all-nodes groups), with how many users each has. */
  private readonly groups = new Map<number, number>();
  /**
   * The one transmit frame, reused for every send: the Network contract says
   * a write is done with the frame's bytes when it returns. Views of it by
   * length are kept, so a steady stream of segments allocates nothing here.
   */
  private readonly tx: Buffer;
  private readonly txViews: Buffer[] = [];
  private sending = false;
  /** The last promise the network returned, and its error-catching follower (the memory switch and the tap return one shared resolved promise). */
  private lastWrite: Promise<Result<void, NetError>> | undefined;
  private lastResult: Promise<Result<void, NetError>> | undefined;

  constructor(
    private readonly network: Network,
    private readonly drops: DropCounters,
  ) {
    const mac = parseMac(network.mac);
    if (mac === null)
      throw new Error(`the network interface reports MAC address "${network.mac}", which is not aa:bb:cc:dd:ee:ff`);
    this.macNumber = mac;
    this.mac = formatMac(mac);
    this.mtu = network.mtu;
    this.checksumUnnecessary = network.checksumUnnecessary === true;
    const offload = network.writeSegment ? (network.segmentOffload ?? 0) : 0;
    this.segmentOffload = offload > this.mtu ? offload : 0;
    this.tx = Buffer.allocUnsafeSlow(
      Math.max(ETHERNET_MIN_FRAME, ETHERNET_HEADER_LEN + Math.max(this.mtu, this.segmentOffload)),
    );
  }

  /** Accepts frames sent to the multicast MAC `mac` (counted: leave as often as joined). */
  joinGroup(mac: number): void {
    this.groups.set(mac, (this.groups.get(mac) ?? 0) + 1);
  }

  leaveGroup(mac: number): void {
    const n = (this.groups.get(mac) ?? 0) - 1;
    if (n > 0) this.groups.set(mac, n);
    else this.groups.delete(mac);
  }

  setHandler(etherType: number, handler: FrameHandler): void {
    this.handlers.set(etherType, handler);
  }

  input(frame: Uint8Array, checksumVerified = false): void {
    const v = this.view;
    const bad = v.wrap(frame);
    if (bad) return this.drops.count(`ethernet.${bad}`);
    if (v.dst !== this.macNumber && v.dst !== BROADCAST_MAC && !this.groups.has(v.dst))
      return this.drops.count('ethernet.not-for-us');
    if (v.src === this.macNumber) return this.drops.count('ethernet.own-frame');
    if (isGroupMac(v.src)) return this.drops.count('ethernet.bad-source');
    const handler = this.handlers.get(v.etherType);
    if (!handler) return this.drops.count('ethernet.unknown-ethertype');
    handler(frame, v.payloadOffset, v.payloadLength, v.src, checksumVerified);
  }

  /**
   * Builds one frame around a payload written by `fill` and sends it. With
   * `segmentSize`, a TCP payload longer than the MTU (up to `segmentOffload`)
   * goes as one super-segment that the network cuts into segments of that
   * many TCP payload bytes.
   */
  send(
    dst: number,
    etherType: number,
    payloadLength: number,
    fill: Fill,
    segmentSize?: number,
  ): Promise<Result<void, NetError>> {
    const whole = payloadLength > this.mtu;
    if (whole && !(segmentSize !== undefined && payloadLength <= this.segmentOffload))
      return failed('too-big', `a ${payloadLength}-byte payload does not fit the link MTU of ${this.mtu}`);
    const end = ETHERNET_HEADER_LEN + payloadLength;
    const length = end < ETHERNET_MIN_FRAME ? ETHERNET_MIN_FRAME : end;
    // A network that sent a frame back into this stack inside its write would find the frame in use.
    const reuse = !this.sending;
    const frame = reuse ? (this.txViews[length] ??= this.tx.subarray(0, length)) : Buffer.allocUnsafe(length);
    emitEthernet(frame, 0, dst, this.macNumber, etherType);
    fill(frame, ETHERNET_HEADER_LEN);
    if (length > end) frame.fill(0, end);
    let written: Promise<Result<void, NetError>>;
    if (reuse) this.sending = true;
    try {
      written = whole
        ? (this.network.writeSegment as NonNullable<Network['writeSegment']>)(frame, segmentSize as number)
        : this.network.write(frame);
    } catch (e) {
      return failed('io', `network write failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (reuse) this.sending = false;
    }
    if (written !== this.lastWrite) {
      this.lastWrite = written;
      this.lastResult = written.catch((e: unknown) =>
        fail('io', `network write failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
    return this.lastResult as Promise<Result<void, NetError>>;
  }

  write(dst: string, etherType: number, payload: Uint8Array): Promise<Result<void, NetError>> {
    const mac = parseMac(dst);
    if (mac === null) return failed('unreachable', `"${dst}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
    return this.send(mac, etherType, payload.length, (buf, off) => buf.set(payload, off));
  }

  listen(etherType: number, input: EthernetInput): void {
    this.setHandler(etherType, (buf, off, len, src) =>
      input(buf.subarray(off, off + len), { src: formatMac(src), dst: formatMac(this.view.dst), etherType }),
    );
  }

  async disconnect(): Promise<void> {
    this.handlers.clear();
    await this.network.disconnect();
  }
}
