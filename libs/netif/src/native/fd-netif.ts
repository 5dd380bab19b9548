import {
  err,
  ok,
  type MacAddress,
  type NetError,
  type Network,
  type NetworkStats,
  type Result,
} from '@mirage-ts/types';
import { ETHERNET_HEADER } from '../mac';
import { errnoName, LENGTH_CHECKSUM_VERIFIED, netifAddon, type NativePort } from './addon';

/** Bytes the kernel may hand over in one batch (room for several 64 KiB super-segments), and at most how many frames. */
const BATCH_BYTES = 1024 * 1024;
const BATCH_FRAMES = 64;
const VLAN_TAG = 4;

const OK_VOID: Promise<Result<void, NetError>> = Promise.resolve(ok(undefined));

/**
 * A `Network` over a file descriptor the addon opened (a tap or a packet
 * socket): frames arrive in batches from the event loop, each write is one
 * write(2). Nothing is read until listen(), so an interface nobody listens
 * to does not keep the process alive.
 */
export abstract class FdNetif implements Network {
  private rxFrames = 0;
  private rxBytes = 0;
  private txFrames = 0;
  private txBytes = 0;
  private dropped = 0;
  private closed = false;
  private listening = false;
  private stopListening: ((result: Result<void, NetError>) => void) | undefined;

  private offload: number | undefined;

  protected constructor(
    protected readonly port: NativePort,
    /** The kernel's name of the interface, e.g. `tap0`. */
    readonly name: string,
    readonly mac: MacAddress,
    readonly mtu: number,
    segmentOffload?: number,
  ) {
    this.offload = segmentOffload;
  }

  /** Largest TCP super-segment (IP datagram bytes) `writeSegment` takes; absent without offloads. */
  get segmentOffload(): number | undefined {
    return this.offload;
  }

  /** The offloads were turned on after the interface was opened. */
  protected offloadsTurnedOn(segmentOffload: number): void {
    this.offload = segmentOffload;
  }

  writeSegment(frame: Uint8Array, segmentSize: number): Promise<Result<void, NetError>> {
    if (this.closed) return Promise.resolve(err({ kind: 'disconnected', message: `${this.name} is disconnected` }));
    if (this.segmentOffload === undefined)
      return Promise.resolve(
        err({ kind: 'io', message: `${this.name} was opened without offloads: it takes no TCP super-segments` }),
      );
    if (frame.length - ETHERNET_HEADER > this.segmentOffload) {
      this.dropped++;
      return Promise.resolve(
        err({
          kind: 'too-big',
          message: `a ${frame.length - ETHERNET_HEADER}-byte super-segment exceeds ${this.name}'s ${this.segmentOffload}`,
        }),
      );
    }
    return this.sent(frame, netifAddon().writeSegment(this.port, frame, segmentSize));
  }

  write(frame: Uint8Array): Promise<Result<void, NetError>> {
    if (this.closed) return Promise.resolve(err({ kind: 'disconnected', message: `${this.name} is disconnected` }));
    if (frame.length < ETHERNET_HEADER) {
      this.dropped++;
      return Promise.resolve(
        err({ kind: 'io', message: `frame of ${frame.length} bytes is shorter than an Ethernet header (14 bytes)` }),
      );
    }
    const payload = frame.length - ETHERNET_HEADER - (frame[12] === 0x81 && frame[13] === 0 ? VLAN_TAG : 0);
    if (payload > this.mtu) {
      this.dropped++;
      return Promise.resolve(
        err({
          kind: 'too-big',
          message: `frame payload of ${payload} bytes exceeds the MTU of ${this.name} (${this.mtu})`,
        }),
      );
    }
    return this.sent(frame, netifAddon().writeFrame(this.port, frame));
  }

  /** Counts a write the addon made (`written`: its bytes, or -errno) and turns it into the result. */
  private sent(frame: Uint8Array, written: number): Promise<Result<void, NetError>> {
    if (written < 0) {
      this.dropped++;
      return Promise.resolve(err(writeError(this.name, -written)));
    }
    this.txFrames++;
    this.txBytes += frame.length;
    return OK_VOID;
  }

  listen(onFrame: (frame: Uint8Array, checksumVerified: boolean) => void): Promise<Result<void, NetError>> {
    if (this.closed) return Promise.resolve(err({ kind: 'disconnected', message: `${this.name} is disconnected` }));
    if (this.listening) return Promise.resolve(err({ kind: 'in-use', message: `${this.name} already has a listener` }));
    this.listening = true;
    const buffer = new ArrayBuffer(BATCH_BYTES);
    const bytes = new Uint8Array(buffer);
    const lengths = new Uint32Array(BATCH_FRAMES);
    const done = new Promise<Result<void, NetError>>((resolve) => {
      this.stopListening = resolve;
    });
    netifAddon().startReading(this.port, buffer, lengths, (count) => {
      if (count < 0) {
        this.finish(err({ kind: 'io', message: `cannot read from ${this.name}: ${errnoName(count)}` }));
        return;
      }
      let offset = 0;
      for (let i = 0; i < count && !this.closed; i++) {
        const word = lengths[i];
        const length = word & ~LENGTH_CHECKSUM_VERIFIED;
        this.rxFrames++;
        this.rxBytes += length;
        try {
          onFrame(bytes.subarray(offset, offset + length), (word & LENGTH_CHECKSUM_VERIFIED) !== 0);
        } catch (e) {
          // A listener that throws has a bug: surface it, keep reading.
          process.nextTick(() => {
            throw e;
          });
        }
        offset += length;
      }
    });
    return done;
  }

  stats(): NetworkStats {
    return {
      rxFrames: this.rxFrames,
      rxBytes: this.rxBytes,
      txFrames: this.txFrames,
      txBytes: this.txBytes,
      dropped: this.dropped,
    };
  }

  /** Closes the fd (a tap this process created goes away with it); listen resolves. */
  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    netifAddon().close(this.port);
    this.finish(ok(undefined));
  }

  private finish(result: Result<void, NetError>): void {
    const stop = this.stopListening;
    this.stopListening = undefined;
    stop?.(result);
  }
}

function writeError(name: string, errno: number): NetError {
  const code = errnoName(errno);
  switch (code) {
    case 'EAGAIN':
    case 'ENOBUFS':
      return { kind: 'io', message: `${name}: transmit queue full (${code}), frame dropped` };
    case 'EMSGSIZE':
      return { kind: 'too-big', message: `${name}: frame too big for the interface (${code})` };
    case 'ENETDOWN':
    case 'ENXIO':
    case 'EIO':
      return { kind: 'io', message: `${name} is down or gone (${code})` };
    default:
      return { kind: 'io', message: `cannot write to ${name}: ${code}` };
  }
}
