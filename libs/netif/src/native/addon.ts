import * as os from 'node:os';

/** An open tap fd or packet socket, owned by the addon. */
export interface NativePort {
  readonly __nativePort: never;
}

/** What native/netif.c exports. */
export interface NetifAddon {
  /**
   * Attaches to the tap `name`, creating it when absent; returns the port, the
   * name the kernel used and whether the offloads (partial checksums, TCP
   * super-segments both ways) are on. `mode`: see TapMode.
   */
  openTap(name: string, mode?: TapMode): [NativePort, string, boolean];
  /** A tap opened with `TapMode.OffloadsLater` takes the offloads now; whether they are on. */
  acceptOffloads(port: NativePort): boolean;
  openPacket(interfaceName: string): NativePort;
  /** The interface's MTU and MAC as the kernel knows them. */
  interfaceInfo(interfaceName: string): [number, string];
  /**
   * Calls onBatch(count) with frames packed into buffer, their sizes in lengths; onBatch(-errno) on a read error.
   * A size's top bit (`LENGTH_CHECKSUM_VERIFIED`) says the kernel vouches for that frame's transport checksum.
   */
  startReading(port: NativePort, buffer: ArrayBuffer, lengths: Uint32Array, onBatch: (count: number) => void): void;
  /** Bytes written, or -errno. */
  writeFrame(port: NativePort, frame: Uint8Array): number;
  /** A TCP super-segment for the kernel to cut into `segmentSize`-byte segments (a tap with offloads); bytes written, or -errno. */
  writeSegment(port: NativePort, frame: Uint8Array, segmentSize: number): number;
  close(port: NativePort): void;
}

/** How `openTap` attaches: the virtio header can only be chosen then, the offloads also later. */
export const TapMode = {
  /** Plain frames, no virtio header. */
  Plain: 0,
  /** Offloads on from the start. */
  Offloads: 1,
  /** Plain frames behind a virtio header until `acceptOffloads`. */
  OffloadsLater: 2,
} as const;
export type TapMode = (typeof TapMode)[keyof typeof TapMode];

/** In a `startReading` length: the kernel marked the frame DATA_VALID or NEEDS_CSUM (virtio_net_hdr). */
export const LENGTH_CHECKSUM_VERIFIED = 0x80000000;

let loaded: NetifAddon | undefined;

/**
 * The addon, built by `npm ci` (libs/netif/native/build.js). The path is a
 * literal so that bundlers see it: the unix target's esbuild copies the
 * .node file next to main.js and rewrites this require to find it there.
 */
export function netifAddon(): NetifAddon {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('../../native/build/Release/mirage_netif.node') as NetifAddon;
  } catch (e) {
    throw new Error(
      `the native addon for tap and packet interfaces cannot be loaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); ` +
        'build it with `npm run build:netif` in the Mirage/TS workspace, or `node node_modules/@mirage-ts/netif/native/build.js` ' +
        'where @mirage-ts/netif is installed as a package (needs python3, make and a C compiler), then build the unikernel again',
      { cause: e },
    );
  }
  return loaded;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

/** `EPERM` for 1, and so on. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

/** The errno of an error the addon threw (its code is `errno:N`), if any. */
export function nativeErrno(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  const m = typeof code === 'string' ? /^errno:(\d+)$/.exec(code) : null;
  return m ? Number(m[1]) : undefined;
}
