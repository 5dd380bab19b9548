import type { MacAddress } from '@mirage-ts/types';
import { checkInterfaceName, logToStdout, type LogLine } from './interface-name';
import { isMacAddress, randomLocalMac } from './mac';
import { errnoName, nativeErrno, netifAddon, TapMode, type NativePort } from './native/addon';
import { FdNetif } from './native/fd-netif';

export interface TapOptions {
  /** The unikernel's MAC (default: a fresh locally administered one, as mirage-net-unix makes). */
  readonly mac?: MacAddress;
  /** Where the `Netif: ...` start-up lines go (default: standard output, as the seed shows them). */
  readonly log?: LogLine;
  /**
   * Offloads (IFF_VNET_HDR, TUNSETOFFLOAD): partial checksums and TCP
   * super-segments of up to 64 KiB both ways, so one write(2) or read
   * carries what would be ~45 frames. The stack then sends super-segments
   * that the kernel cuts (TSO) or takes whole for the host.
   * - absent (the default): plain MTU frames, as any NIC, until a TCP/IP stack
   *   says it takes them (`acceptOffloads`, which the direct stack calls);
   *   a reader of raw frames keeps seeing ordinary frames;
   * - `true`: on from the start; `false`: never.
   * A kernel that refuses leaves the tap plain.
   */
  readonly offloads?: boolean;
}

/** The largest IPv4 datagram: what one super-segment may fill. */
const MAX_SUPER_SEGMENT = 65535;

/**
 * The unikernel's end of a tap device (MirageOS's Netif on unix). The host
 * kernel owns the other end (the `tap0` that `ip addr` configures), so the
 * unikernel has its own MAC, not the tap's. An existing tap is attached to
 * by name, as the seed does with tap0; a missing one is created, and then
 * goes away when disconnected.
 */
export class TapNetif extends FdNetif {
  static async connect(name: string, options: TapOptions = {}): Promise<TapNetif> {
    checkInterfaceName(name, 'tap device');
    const mac = options.mac ?? randomLocalMac();
    if (!isMacAddress(mac)) throw new RangeError(`'${mac}' is not a MAC address: write it as aa:bb:cc:dd:ee:ff`);
    const log = options.log ?? logToStdout;
    const addon = netifAddon();
    log(`Netif: plugging into ${name} with mac ${mac.toLowerCase()}`);
    let opened;
    try {
      const mode =
        options.offloads === undefined ? TapMode.OffloadsLater : options.offloads ? TapMode.Offloads : TapMode.Plain;
      opened = addon.openTap(name, mode);
    } catch (e) {
      throw new Error(tapOpenError(name, e), { cause: e });
    }
    const [port, actual, offloadsOn] = opened;
    let mtu: number;
    try {
      [mtu] = addon.interfaceInfo(actual);
    } catch (e) {
      addon.close(port);
      throw e;
    }
    log(`Netif: connect ${actual}${offloadsOn ? ' (offloads: checksum, TSO)' : ''}`);
    return new TapNetif(
      port,
      actual,
      mac.toLowerCase(),
      mtu,
      offloadsOn ? MAX_SUPER_SEGMENT : undefined,
      options.offloads === undefined,
    );
  }

  private constructor(
    port: NativePort,
    name: string,
    mac: MacAddress,
    mtu: number,
    segmentOffload: number | undefined,
    /** Opened with the virtio header, the offloads left for acceptOffloads. */
    private readonly offloadsLater: boolean,
  ) {
    super(port, name, mac, mtu, segmentOffload);
  }

  acceptOffloads(): void {
    if (this.segmentOffload !== undefined || !this.offloadsLater) return;
    if (netifAddon().acceptOffloads(this.port)) this.offloadsTurnedOn(MAX_SUPER_SEGMENT);
  }
}

function tapOpenError(name: string, e: unknown): string {
  const errno = nativeErrno(e);
  const detail = e instanceof Error ? e.message : String(e);
  switch (errno === undefined ? '' : errnoName(errno)) {
    case 'EPERM':
    case 'EACCES':
      return `${detail}; run as root, or create the tap for your user first: sudo ip tuntap add ${name} mode tap user $USER`;
    case 'EBUSY':
      return `${detail}; another program has ${name} open: stop it, or use another tap`;
    case 'EINVAL':
      return `${detail}; ${name} exists but is not a tap device: pick another name`;
    case 'ENOENT':
    case 'ENODEV':
      return `${detail}; the tun module is not loaded: sudo modprobe tun`;
    default:
      return detail;
  }
}
