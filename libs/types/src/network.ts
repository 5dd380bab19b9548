import type { Result } from './result';

/** `aa:bb:cc:dd:ee:ff`, lower case. */
export type MacAddress = string;
/** Dotted quad, e.g. `10.0.0.2`. */
export type Ipv4Address = string;

export type NetError =
  | { readonly kind: 'disconnected'; readonly message: string }
  | { readonly kind: 'io'; readonly message: string }
  | { readonly kind: 'in-use'; readonly message: string }
  /** The host refused a privileged operation, e.g. binding a port below 1024 without root. */
  | { readonly kind: 'denied'; readonly message: string }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string }
  | { readonly kind: 'timeout'; readonly message: string }
  | { readonly kind: 'closed'; readonly message: string }
  | { readonly kind: 'too-big'; readonly message: string };

export interface NetworkStats {
  readonly rxFrames: number;
  readonly rxBytes: number;
  readonly txFrames: number;
  readonly txBytes: number;
  /** Frames the interface could not deliver or send (queue full, malformed, oversized). */
  readonly dropped: number;
}

/** A network interface that moves whole Ethernet frames (MirageOS V1.NETWORK). */
export interface Network {
  readonly mac: MacAddress;
  /** Largest Ethernet payload, in bytes (1500 on a usual link). */
  readonly mtu: number;
  /**
   * Sends one frame (destination MAC first, no FCS). The network is done with
   * the frame's bytes when `write` returns (it sent or copied them): the
   * caller may reuse the buffer at once, before the promise settles.
   */
  write(frame: Uint8Array): Promise<Result<void, NetError>>;
  /**
   * Frames on this network never leave the process and are never damaged (the
   * memory switch made with `skipChecksums`): the stack neither computes nor
   * verifies TCP checksums, as Linux does on loopback (CHECKSUM_UNNECESSARY).
   * Absent on every real interface (tap, packet socket, a VM's NIC).
   */
  readonly checksumUnnecessary?: boolean;
  /**
   * TCP segmentation offload (TSO), when the interface was asked for it and
   * the host agreed (a tap opened with `offloads`, or after `acceptOffloads`): `writeSegment` takes one
   * IPv4/IPv6 TCP frame of up to this many bytes of IP datagram, longer than
   * the MTU, which the other end cuts into MTU-sized segments (or, being the
   * destination, takes whole). Such an interface may also deliver TCP
   * segments longer than the MTU to `listen`. Absent: write only MTU frames.
   */
  readonly segmentOffload?: number;
  /**
   * The caller takes partial checksums and TCP super-segments (a TCP/IP
   * stack does): an interface that can carry them, and was not opened
   * without them, turns them on, and `segmentOffload` is set from then on.
   * A reader of raw frames that never calls it sees ordinary frames. A tap
   * has it; most interfaces do not.
   */
  acceptOffloads?(): void;
  /**
   * With `segmentOffload`: sends a TCP super-segment `frame` to be cut into
   * segments of `segmentSize` payload bytes; its TCP checksum need not be
   * filled in (the cutting fills in each segment's). The caller may reuse
   * the buffer when it returns, as with `write`.
   */
  writeSegment?(frame: Uint8Array, segmentSize: number): Promise<Result<void, NetError>>;
  /**
   * Delivers every received frame to `onFrame` until disconnect, then resolves.
   * Frames arrive from the event loop, never inside a `write`.
   * The frame's bytes may be reused after `onFrame` returns: copy what you keep.
   * `checksumVerified` is true for a frame whose transport (TCP/UDP) checksum
   * the interface vouches for: the host kernel verified it or made the frame
   * itself (virtio's DATA_VALID or NEEDS_CSUM, Linux's CHECKSUM_UNNECESSARY),
   * so the stack need not sum it again. Absent or false: verify it.
   */
  listen(onFrame: (frame: Uint8Array, checksumVerified?: boolean) => void): Promise<Result<void, NetError>>;
  stats(): NetworkStats;
  disconnect(): Promise<void>;
}
