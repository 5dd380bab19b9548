// The global `performance` is a lazy getter in Node 20: reading it per call was ≈ 4 % of a bulk transfer.
import { performance } from 'node:perf_hooks';
import {
  err,
  ok,
  type MacAddress,
  type NetError,
  type Network,
  type NetworkStats,
  type Result,
} from '@mirage-ts/types';
import { FramePool } from './frame-pool';
import { applyFaults, checkFaults, type FaultDraws, type LinkFaults } from './link-faults';
import { ETHERNET_HEADER, isGroupMac, isMacAddress, localMac, macKey, parseMac } from './mac';
import { PcapWriter } from './pcap';
import { Prng } from './prng';

export type { LinkFaults } from './link-faults';

export interface MemorySwitchOptions {
  /** Seeds the generated MACs and every fault decision (default 1), so a failing run replays. */
  readonly seed?: number;
  readonly faults?: LinkFaults;
  /** Largest Ethernet payload every port accepts (default 1500). */
  readonly mtu?: number;
  /** Writes every frame the switch forwards, in forwarding order, to this pcap file. */
  readonly pcapFile?: string;
  /** A test's own loss rule: a frame for which it returns true is lost (counted in `lost`), e.g. one chosen segment. */
  readonly lose?: (frame: Uint8Array) => boolean;
  /**
   * Ports declare `checksumUnnecessary`: frames never leave the process, so
   * stacks on this switch skip TCP checksums, as on Linux's loopback (default
   * false: every stack computes and verifies them). Not with `corrupt` faults,
   * whose damage only checksums find; frames in a pcap then carry no TCP checksum.
   */
  readonly skipChecksums?: boolean;
}

/** What the switch did, counted since it was made. */
export interface SwitchStats {
  /** Frames forwarded to the one port that owns the destination MAC. */
  readonly unicast: number;
  /** Frames sent to every other port: broadcast, multicast, or a destination not yet learned. */
  readonly flooded: number;
  /** Frames for a MAC that lives on the sender's own port, which a switch does not send back. */
  readonly filtered: number;
  /** Frames refused because their payload exceeded the MTU. */
  readonly oversize: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  readonly corrupted: number;
  readonly padded: number;
  /** Frames written to the pcap file. */
  readonly captured: number;
}

/** Longest a reordered frame waits for its sender's next frame before going anyway. */
const REORDER_HOLD_MS = 10;
/** Frames kept for a port that is not listening yet (a real NIC's receive ring). */
const PENDING_LIMIT = 1024;
const VLAN_TAG = 4;

interface InFlight {
  readonly frame: Uint8Array;
  readonly from: MemoryNetif;
  readonly due: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const OK: Result<void, NetError> = ok(undefined);
const OK_VOID: Promise<Result<void, NetError>> = Promise.resolve(OK);

/**
 * A learning Ethernet switch in memory, for tests and benchmarks: ports are
 * `Network`s, frames travel asynchronously (never inside the sender's
 * write), unicast goes to the port that last sent from the destination MAC,
 * and everything else floods. Faults are drawn per sending port from the
 * seed, so a failure reproduces with the same seed and the same traffic.
 */
export class MemorySwitch {
  readonly seed: number;
  readonly mtu: number;
  readonly faults: LinkFaults | undefined;
  readonly skipChecksums: boolean;
  private readonly lose: ((frame: Uint8Array) => boolean) | undefined;
  private readonly macs: Prng;
  private readonly ports: MemoryNetif[] = [];
  private readonly table = new Map<number, MemoryNetif>();
  /** @internal Where ports copy the frames they are given. */
  readonly pool = new FramePool();
  private readonly pcap: PcapWriter | undefined;
  private readonly counts: Mutable<SwitchStats> = {
    unicast: 0,
    flooded: 0,
    filtered: 0,
    oversize: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    corrupted: 0,
    padded: 0,
    captured: 0,
  };
  private queue: InFlight[] = [];
  private head = 0;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private portsMade = 0;
  private closed = false;

  constructor(options: MemorySwitchOptions = {}) {
    this.seed = options.seed ?? 1;
    if (!Number.isInteger(this.seed)) throw new RangeError(`seed is ${options.seed}: give an integer`);
    this.mtu = options.mtu ?? 1500;
    if (!Number.isInteger(this.mtu) || this.mtu < 68 || this.mtu > 65535) {
      throw new RangeError(`mtu is ${options.mtu}: give an integer from 68 (the IPv4 minimum) to 65535`);
    }
    if (options.faults) checkFaults(options.faults);
    this.faults = options.faults && hasFaults(options.faults) ? options.faults : undefined;
    this.skipChecksums = options.skipChecksums === true;
    if (this.skipChecksums && this.faults?.corrupt)
      throw new RangeError(
        'skipChecksums with corrupt faults would deliver damaged frames as intact: leave out one of the two',
      );
    this.lose = options.lose;
    this.macs = new Prng(this.seed, 0xffff);
    this.pcap = options.pcapFile === undefined ? undefined : new PcapWriter(options.pcapFile);
  }

  /** Plugs in a new port. Without `mac`, one is made from the seed (locally administered). */
  connect(mac?: MacAddress): MemoryNetif {
    if (this.closed) throw new Error('the switch is closed: make a new MemorySwitch');
    const address = mac === undefined ? this.freshMac() : this.checkedMac(mac);
    const stream = 2 * this.portsMade++;
    const draws = { decisions: new Prng(this.seed, stream), details: new Prng(this.seed, stream + 1) };
    const port = new MemoryNetif(this, address, this.mtu, draws);
    this.ports.push(port);
    return port;
  }

  stats(): SwitchStats {
    return { ...this.counts, captured: this.pcap?.frames ?? 0 };
  }

  /** Disconnects every port, drops frames in flight and completes the pcap file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const port of [...this.ports]) port.unplug();
    for (let i = this.head; i < this.queue.length; i++) this.pool.release(this.queue[i].frame);
    this.queue = [];
    this.head = 0;
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = this.timer = undefined;
    this.pcap?.close();
  }

  /** @internal A port's write: the frame is already a private copy. */
  accept(from: MemoryNetif, frame: Uint8Array): Result<void, NetError> {
    const payload = frame.length - ETHERNET_HEADER - (isVlanTagged(frame) ? VLAN_TAG : 0);
    if (payload > this.mtu) {
      this.counts.oversize++;
      this.pool.release(frame);
      return err({ kind: 'too-big', message: `frame payload of ${payload} bytes exceeds the MTU of ${this.mtu}` });
    }
    if (this.lose?.(frame)) {
      this.counts.lost++;
      this.pool.release(frame);
      return OK;
    }
    if (!this.faults) {
      this.send(from, frame);
      return OK;
    }
    const outcome = applyFaults(this.faults, from.draws, frame);
    if (outcome.frame !== frame) this.pool.release(frame);
    if (!outcome.frame) {
      this.counts.lost++;
      return OK;
    }
    if (outcome.corrupted) this.counts.corrupted++;
    if (outcome.padded) this.counts.padded++;
    if (outcome.duplicate) this.counts.duplicated++;
    const held = from.takeHeld();
    if (outcome.reorder && !held) {
      from.hold(
        outcome.frame,
        outcome.duplicate,
        () => this.send(from, outcome.frame!, outcome.duplicate),
        REORDER_HOLD_MS,
      );
      return OK;
    }
    this.send(from, outcome.frame, outcome.duplicate);
    // The frame held back from before goes out after this one: that is the
    // reordering. (One released by its timer instead was only late.)
    if (held) {
      this.counts.reordered++;
      this.send(from, held.frame, held.duplicate);
    }
    return OK;
  }

  /** @internal */
  unplugged(port: MemoryNetif): void {
    const i = this.ports.indexOf(port);
    if (i >= 0) this.ports.splice(i, 1);
    for (const [key, owner] of this.table) if (owner === port) this.table.delete(key);
  }

  private send(from: MemoryNetif, frame: Uint8Array, twice = false): void {
    if (this.closed) return this.pool.release(frame);
    const due = this.faults?.delayMs ? performance.now() + this.faults.delayMs : 0;
    this.queue.push({ frame, from, due });
    if (twice) this.queue.push({ frame: this.pool.copy(frame), from, due });
    this.schedule();
  }

  private schedule(): void {
    if (this.immediate || this.timer || this.head >= this.queue.length) return;
    const wait = this.queue[this.head].due - performance.now();
    if (wait <= 0) this.immediate = setImmediate(() => this.drain());
    else this.timer = setTimeout(() => this.drain(), Math.ceil(wait));
  }

  /**
   * Forwards the frames that were due when it started. Frames written by
   * receivers while it runs wait for the next turn of the event loop, so two
   * ports answering each other cannot starve everything else.
   */
  private drain(): void {
    this.immediate = this.timer = undefined;
    const end = this.queue.length;
    const now = performance.now();
    while (this.head < end && !this.closed) {
      const item = this.queue[this.head];
      if (item.due > now) break;
      this.head++;
      this.forward(item.from, item.frame);
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.schedule();
  }

  private forward(from: MemoryNetif, frame: Uint8Array): void {
    this.pcap?.record(frame);
    if (from.connected && !isGroupMac(frame, 6)) this.table.set(macKey(frame, 6), from);
    const target = isGroupMac(frame, 0) ? undefined : this.table.get(macKey(frame, 0));
    if (target === from) {
      this.counts.filtered++;
      this.pool.release(frame);
    } else if (target) {
      this.counts.unicast++;
      target.receive(frame);
    } else {
      this.counts.flooded++;
      let first = true;
      for (const port of this.ports) {
        if (port === from) continue;
        // Each receiver gets its own bytes: one may rewrite a frame in place.
        port.receive(first ? frame : this.pool.copy(frame));
        first = false;
      }
      if (first) this.pool.release(frame);
    }
  }

  private freshMac(): MacAddress {
    const bytes = new Uint8Array(6);
    for (;;) {
      this.macs.fill(bytes);
      const mac = localMac(bytes);
      if (!this.ports.some((p) => p.mac === mac)) return mac;
    }
  }

  private checkedMac(mac: MacAddress): MacAddress {
    if (!isMacAddress(mac)) throw new RangeError(`'${mac}' is not a MAC address: write it as aa:bb:cc:dd:ee:ff`);
    const normal = mac.toLowerCase();
    if (isGroupMac(parseMac(normal), 0))
      throw new RangeError(`${normal} is a group (multicast) address: a port needs a unicast MAC`);
    if (this.ports.some((p) => p.mac === normal)) throw new RangeError(`${normal} is already plugged into this switch`);
    return normal;
  }
}

/** One port of a MemorySwitch. */
export class MemoryNetif implements Network {
  private listener: ((frame: Uint8Array) => void) | undefined;
  private stopListening: (() => void) | undefined;
  private pending: Uint8Array[] = [];
  private flushing: NodeJS.Immediate | undefined;
  private held: { frame: Uint8Array; duplicate: boolean; timer: NodeJS.Timeout } | undefined;
  private rxFrames = 0;
  private rxBytes = 0;
  private txFrames = 0;
  private txBytes = 0;
  private dropped = 0;
  private isConnected = true;

  /** @internal Made by MemorySwitch.connect. */
  constructor(
    private readonly fabric: MemorySwitch,
    readonly mac: MacAddress,
    readonly mtu: number,
    /** @internal This port's fault draws. */
    readonly draws: FaultDraws,
  ) {}

  get connected(): boolean {
    return this.isConnected;
  }

  /** Set by the switch's `skipChecksums`. */
  get checksumUnnecessary(): boolean {
    return this.fabric.skipChecksums;
  }

  write(frame: Uint8Array): Promise<Result<void, NetError>> {
    if (!this.isConnected)
      return Promise.resolve(err({ kind: 'disconnected', message: `port ${this.mac} is disconnected` }));
    if (frame.length < ETHERNET_HEADER) {
      this.dropped++;
      return Promise.resolve(
        err({ kind: 'io', message: `frame of ${frame.length} bytes is shorter than an Ethernet header (14 bytes)` }),
      );
    }
    // The caller may reuse its buffer as soon as write returns.
    const sent = this.fabric.accept(this, this.fabric.pool.copy(frame));
    if (!sent.ok) {
      this.dropped++;
      return Promise.resolve(sent);
    }
    this.txFrames++;
    this.txBytes += frame.length;
    return OK_VOID;
  }

  listen(onFrame: (frame: Uint8Array) => void): Promise<Result<void, NetError>> {
    if (!this.isConnected)
      return Promise.resolve(err({ kind: 'disconnected', message: `port ${this.mac} is disconnected` }));
    if (this.listener)
      return Promise.resolve(err({ kind: 'in-use', message: `port ${this.mac} already has a listener` }));
    this.listener = onFrame;
    if (this.pending.length > 0) this.flushing = setImmediate(() => this.flushPending());
    return new Promise((resolve) => {
      this.stopListening = () => resolve(ok(undefined));
    });
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

  async disconnect(): Promise<void> {
    this.unplug();
  }

  /** @internal */
  unplug(): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.fabric.unplugged(this);
    if (this.held) {
      clearTimeout(this.held.timer);
      this.fabric.pool.release(this.held.frame);
    }
    if (this.flushing) clearImmediate(this.flushing);
    for (const frame of this.pending) this.fabric.pool.release(frame);
    this.held = this.flushing = undefined;
    this.pending = [];
    this.listener = undefined;
    this.stopListening?.();
    this.stopListening = undefined;
  }

  /** @internal Called by the switch, never inside a write. */
  receive(frame: Uint8Array): void {
    if (!this.isConnected) return this.fabric.pool.release(frame);
    if (!this.listener || this.pending.length > 0) {
      if (this.pending.length >= PENDING_LIMIT) {
        this.dropped++;
        this.fabric.pool.release(frame);
      } else this.pending.push(frame);
      return;
    }
    this.deliver(this.listener, frame);
  }

  /** @internal */
  hold(frame: Uint8Array, duplicate: boolean, release: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.held = undefined;
      release();
    }, ms);
    this.held = { frame, duplicate, timer };
  }

  /** @internal */
  takeHeld(): { frame: Uint8Array; duplicate: boolean } | undefined {
    const held = this.held;
    if (!held) return undefined;
    clearTimeout(held.timer);
    this.held = undefined;
    return held;
  }

  private flushPending(): void {
    this.flushing = undefined;
    const frames = this.pending;
    this.pending = [];
    for (let i = 0; i < frames.length; i++) {
      if (!this.listener) {
        for (; i < frames.length; i++) this.fabric.pool.release(frames[i]);
        return;
      }
      this.deliver(this.listener, frames[i]);
    }
  }

  private deliver(listener: (frame: Uint8Array) => void, frame: Uint8Array): void {
    this.rxFrames++;
    this.rxBytes += frame.length;
    try {
      listener(frame);
    } catch (e) {
      // A listener that throws has a bug: let it surface as an uncaught
      // exception, but keep the switch's own state consistent.
      process.nextTick(() => {
        throw e;
      });
    }
    // The contract: a receiver copies what it keeps, so the switch may reuse the bytes now.
    this.fabric.pool.release(frame);
  }
}

function hasFaults(f: LinkFaults): boolean {
  return Boolean(f.loss || f.duplicate || f.reorder || f.corrupt || f.trailingBytes || f.delayMs);
}

function isVlanTagged(frame: Uint8Array): boolean {
  return frame[12] === 0x81 && frame[13] === 0x00;
}
